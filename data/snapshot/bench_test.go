package snapshot_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/demo"
	"github.com/miscope/miscope/data/snapshot"
)

// snapshots50k writes a 50,000-identity synthetic tenant (about 500,000 role assignments) as plain and gzip
// snapshots, once per run.
var snapshots50k = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "miscope-bench-")
	if err != nil {
		return "", err
	}
	tn := demo.Synthetic(50000, 1)
	for _, name := range []string{"tenant.json", "tenant.json.gz"} {
		if err := snapshot.Save(filepath.Join(dir, name), tn, data.OriginSnapshot); err != nil {
			return "", err
		}
	}
	return dir, nil
})

func bench50k(b *testing.B, run func(b *testing.B, path string)) {
	dir, err := snapshots50k()
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"tenant.json", "tenant.json.gz"} {
		path := filepath.Join(dir, name)
		st, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			run(b, path)
			b.ReportMetric(float64(st.Size())/(1<<20), "file-MB")
		})
	}
}

var errFirstPage = errors.New("first page")

// BenchmarkFirstPage50k measures the time from opening a 50,000-identity snapshot to the first page of identities in
// hand, which is what the explorer's first frame waits for. The target is well under 300 ms.
func BenchmarkFirstPage50k(b *testing.B) {
	bench50k(b, func(b *testing.B, path string) {
		b.ReportAllocs()
		for b.Loop() {
			src, err := snapshot.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			var got int
			err = src.Identities(context.Background(), func(p []data.Identity) error {
				got = len(p)
				return errFirstPage
			})
			if err != errFirstPage || got != data.PageSize {
				b.Fatalf("first page of %d identities, %v", got, err)
			}
			b.StopTimer()
			src.Close()
			b.StartTimer()
		}
	})
}

// BenchmarkLoad50k reads a 50,000-identity snapshot completely, as report and the background assessment need it.
// peak-heap-MB is the most heap in use at any moment of the read, sampled; live-MB is what the loaded tenant keeps.
func BenchmarkLoad50k(b *testing.B) {
	bench50k(b, func(b *testing.B, path string) {
		b.ReportAllocs()
		var peak, live float64
		for b.Loop() {
			runtime.GC()
			stop := samplePeakHeap()
			src, err := snapshot.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			tn, err := src.Tenant(context.Background(), nil)
			if err != nil {
				b.Fatal(err)
			}
			if len(tn.Identities) != 50000 {
				b.Fatalf("%d identities", len(tn.Identities))
			}
			peak = max(peak, stop())
			b.StopTimer()
			runtime.GC()
			live = heapMB()
			runtime.KeepAlive(tn)
			src.Close()
			b.StartTimer()
		}
		b.ReportMetric(peak, "peak-heap-MB")
		b.ReportMetric(live, "live-MB")
	})
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

// heapMB is the heap held by live and not yet swept objects, read without stopping the world.
func heapMB() float64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return float64(s[0].Value.Uint64()) / (1 << 20)
}

// samplePeakHeap samples the heap every millisecond until the returned function is called, which returns the peak.
func samplePeakHeap() func() float64 {
	done := make(chan struct{})
	peak := make(chan float64)
	go func() {
		var m float64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			m = max(m, heapMB())
			select {
			case <-done:
				peak <- max(m, heapMB())
				return
			case <-tick.C:
			}
		}
	}()
	return func() float64 { close(done); return <-peak }
}
