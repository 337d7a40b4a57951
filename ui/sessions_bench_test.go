package ui

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/cache"
)

// BenchmarkTenSessions opens ten explorers on one cache of a 50,000-identity tenant, as ten SSH sessions of
// `miscope serve` do, each until its list is loaded and assessed. The tenant is read and assessed once for all of
// them; MB-per-extra-session is the live heap each explorer after the first adds.
func BenchmarkTenSessions(b *testing.B) {
	const sessions = 10
	tenant := syntheticTenant()
	triageFile := filepath.Join(b.TempDir(), "triage.yaml")
	var extra, first float64
	for b.Loop() {
		src := data.NewTenantSource(tenant, data.SourceInfo{Origin: data.OriginDemo, Label: "synthetic"})
		c := cache.New(src, cache.Options{})
		var models []*Model
		open := func() {
			m := New(Options{Source: c, Triage: triageFile, Served: true})
			d := newDriver(m)
			d.until(func() bool { return !m.list.loading && m.as.result != nil && !m.as.running })
			if len(m.list.t.rows) != benchSize {
				b.Fatalf("loaded %d identities, want %d", len(m.list.t.rows), benchSize)
			}
			models = append(models, m)
		}
		base := liveHeap()
		open()
		one := liveHeap()
		for range sessions - 1 {
			open()
		}
		all := liveHeap()
		if n := c.Assessments(); n != 1 {
			b.Fatalf("%d sessions ran %d assessments, want 1", sessions, n)
		}
		first += (one - base) / (1 << 20)
		extra += (all - one) / (sessions - 1) / (1 << 20)
		b.StopTimer()
		for _, m := range models {
			m.Close()
		}
		runtime.KeepAlive(models)
		c.Close()
		b.StartTimer()
	}
	b.ReportMetric(first/float64(b.N), "MB-first-session")
	b.ReportMetric(extra/float64(b.N), "MB-per-extra-session")
}

// liveHeap is the heap in use after a collection: what is still reachable.
func liveHeap() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc)
}
