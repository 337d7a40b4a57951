package ui

import (
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/cache"
)

// BenchmarkTypingDuringAssessment types a 19-character filter into the identity list of 50,000 identities, and
// erases it, over and over while the background assessment of the tenant runs, as a user does right after the first
// frame. Each keystroke is timed from its Update to its rendered frame; ms-median-key and ms-max-key are over the
// keys pressed while the assessment was running (keys-per-op of them).
func BenchmarkTypingDuringAssessment(b *testing.B) {
	const query = "storage blob data c"
	tenant := syntheticTenant()
	triageFile := filepath.Join(b.TempDir(), "triage.yaml")
	var keys []time.Duration
	for b.Loop() {
		src := data.NewTenantSource(tenant, data.SourceInfo{Origin: data.OriginDemo, Label: "synthetic"})
		// As the explorer runs it: the assessment leaves a core to the keyboard.
		c := cache.New(src, cache.Options{AssessWorkers: max(1, runtime.GOMAXPROCS(0)-1)})
		m := New(Options{Source: c, Triage: triageFile})
		d := newDriver(m)
		d.until(func() bool { return !m.list.loading })
		m.Update(keyMsg("/"))
		for n := 0; m.as.running; n++ {
			k := "backspace"
			if n%(2*len(query)) < len(query) {
				k = query[n%len(query) : n%len(query)+1]
			}
			start := time.Now()
			m.Update(keyMsg(k))
			_ = m.View()
			keys = append(keys, time.Since(start))
			// Between keys (about 60 a second at most), the model takes whatever the background work sent.
			for wait := time.After(15 * time.Millisecond); ; {
				select {
				case msg := <-d.msgs:
					d.handle(msg)
					continue
				case <-wait:
				}
				break
			}
		}
		b.StopTimer()
		d.until(func() bool { return !m.as.running })
		m.Close()
		b.StartTimer()
	}
	if len(keys) == 0 {
		b.Fatal("the assessment ended before a key was typed")
	}
	slices.Sort(keys)
	b.ReportMetric(float64(keys[len(keys)/2].Microseconds())/1000, "ms-median-key")
	b.ReportMetric(float64(keys[len(keys)*9/10].Microseconds())/1000, "ms-p90-key")
	b.ReportMetric(float64(keys[len(keys)-1].Microseconds())/1000, "ms-max-key")
	b.ReportMetric(float64(len(keys))/float64(b.N), "keys-per-op")
	slow := len(keys) - sort.Search(len(keys), func(i int) bool { return keys[i] > 16*time.Millisecond })
	b.ReportMetric(float64(slow)/float64(b.N), "keys-over-16ms-per-op")
}
