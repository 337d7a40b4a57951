package snapshot_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/demo"
	"github.com/miscope/miscope/data/snapshot"
)

// BenchmarkLoad50k loads a snapshot of a 50,000-identity synthetic tenant (about 500,000 role assignments), plain
// and gzip. Opening a snapshot is on the path to the first frame of the identity list.
func BenchmarkLoad50k(b *testing.B) {
	tn := demo.Synthetic(50000, 1)
	dir := b.TempDir()
	for _, name := range []string{"tenant.json", "tenant.json.gz"} {
		path := filepath.Join(dir, name)
		if err := snapshot.Save(path, tn, data.OriginSnapshot); err != nil {
			b.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got, _, err := snapshot.Load(path)
				if err != nil {
					b.Fatal(err)
				}
				if len(got.Identities) != 50000 {
					b.Fatalf("%d identities", len(got.Identities))
				}
			}
			b.ReportMetric(float64(st.Size())/(1<<20), "file-MB")
		})
	}
}

// BenchmarkSave50k writes the same snapshot, as `miscope collect` does at the end of a collection.
func BenchmarkSave50k(b *testing.B) {
	tn := demo.Synthetic(50000, 1)
	dir := b.TempDir()
	for _, name := range []string{"tenant.json", "tenant.json.gz"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := snapshot.Save(filepath.Join(dir, name), tn, data.OriginSnapshot); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
