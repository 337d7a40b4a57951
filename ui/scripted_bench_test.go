package ui

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/cache"
	"github.com/miscope/miscope/data/demo"
	"github.com/miscope/miscope/data/snapshot"
)

// snapshot50k writes a 50,000-identity synthetic tenant (about 500,000 Azure role assignments) as a gzip snapshot,
// once per run. The tenant itself is dropped once written, so it does not count in what the run holds.
var snapshot50k = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "miscope-scripted-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "tenant.json.gz")
	if err := snapshot.Save(path, demo.Synthetic(benchSize, 1), data.OriginSnapshot); err != nil {
		return "", err
	}
	return path, nil
})

// Stages of a scripted run, in order; the sampler keeps the peak of each.
const (
	stageLoad   = iota // the snapshot is being read
	stageIndex         // the whole tenant is read and being joined per identity
	stageAssess        // the findings engine runs and its result lands in the list
	stageTUI           // filter, findings pane, detail view and back
	stages
)

var stageNames = [stages]string{"load", "index", "assess", "tui"}

// heapSampler keeps the most heap in use (HeapInuse: live and not yet swept objects plus the free space of spans in
// use, which is what the process's resident memory follows) at any moment, per stage. It reads runtime/metrics,
// which does not stop the world, every couple of milliseconds.
type heapSampler struct {
	stage atomic.Int32
	peaks [stages]atomic.Uint64
	done  chan struct{}
	wg    sync.WaitGroup
}

func heapInuse(s []metrics.Sample) uint64 {
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64()
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{done: make(chan struct{})}
	h.wg.Go(func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			v, p := heapInuse(s), &h.peaks[h.stage.Load()]
			if v > p.Load() {
				p.Store(v)
			}
			select {
			case <-h.done:
				return
			case <-tick.C:
			}
		}
	})
	return h
}

// enter moves to a later stage; the sampler attributes what it reads from now on to it.
func (h *heapSampler) enter(stage int) {
	if int32(stage) > h.stage.Load() {
		h.stage.Store(int32(stage))
	}
}

func (h *heapSampler) stop() [stages]float64 {
	close(h.done)
	h.wg.Wait()
	var out [stages]float64
	for i := range out {
		out[i] = float64(h.peaks[i].Load()) / (1 << 20)
	}
	return out
}

// BenchmarkScriptedRun50k is what a user does with a 50,000-identity snapshot, end to end through the real model:
// open the file (streaming), the first frame, the background read, join and assessment landing in the list, a few
// filter keystrokes, the findings pane, one identity's detail view, and back. peak-MB is the most heap in use at any
// moment of the run (the target is under 300 MB); load-MB, index-MB, assess-MB and tui-MB are the peaks of each
// stage, and live-MB what the explorer holds at the end, after a collection.
func BenchmarkScriptedRun50k(b *testing.B) {
	path, err := snapshot50k()
	if err != nil {
		b.Fatal(err)
	}
	// The same soft memory limit the miscope binary sets for a tenant of this size (main.tuneMemory), unless the
	// run sets GOMEMLIMIT itself.
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(data.MemoryLimitFor(50_000)))
	}
	var peaks [stages]float64
	var live float64
	b.ResetTimer()
	for b.Loop() {
		// Twice: encoding/json keeps its last buffer (the whole snapshot, from Save) in a pool until a second collection.
		runtime.GC()
		runtime.GC()
		h := startHeapSampler()
		m, c := scriptedRun(b, path, h)
		got := h.stop()
		for i := range peaks {
			peaks[i] = max(peaks[i], got[i])
		}
		b.StopTimer()
		runtime.GC()
		live = max(live, heapMB())
		if p := os.Getenv("MISCOPE_HELD_PROFILE"); p != "" {
			writeHeapProfile(b, p)
		}
		runtime.KeepAlive(m)
		m.Close()
		c.Close()
		b.StartTimer()
	}
	peak := 0.0
	for i, p := range peaks {
		b.ReportMetric(p, stageNames[i]+"-MB")
		peak = max(peak, p)
	}
	b.ReportMetric(peak, "peak-MB")
	b.ReportMetric(live, "live-MB")
}

// writeHeapProfile writes what the heap holds now, for `go tool pprof -sample_index=inuse_space`: set
// MISCOPE_HELD_PROFILE to a path to see what the explorer keeps after a scripted run (-memprofile is written after
// the run is dropped).
func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
}

// scriptedRun drives one run and returns the model and its cache, still open, so what they hold can be measured.
func scriptedRun(b *testing.B, path string, h *heapSampler) (*Model, *cache.Cache) {
	b.Helper()
	src, err := snapshot.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	c := cache.New(src, cache.Options{})
	m := New(Options{Source: c})
	d := newDriver(m)
	// The read, the join and the assessment run in the background; the stage follows what has landed.
	track := func() bool {
		select {
		case <-src.Done():
			h.enter(stageIndex)
		default:
		}
		if strings.HasPrefix(m.as.progress.Stage, "assessing") {
			h.enter(stageAssess)
		}
		return false
	}
	d.until(func() bool { track(); return len(m.list.t.rows) > 0 })
	if frame := plain(m); !strings.Contains(frame, "NAME") {
		b.Fatalf("first frame has no list:\n%s", frame)
	}
	d.until(func() bool {
		track()
		return !m.list.loading && m.as.result != nil && !m.list.t.pending
	})
	if m.as.err != nil {
		b.Fatal(m.as.err)
	}
	if len(m.list.t.rows) != benchSize {
		b.Fatalf("loaded %d identities, want %d", len(m.list.t.rows), benchSize)
	}
	_ = m.View()
	h.enter(stageTUI)

	press := func(keys ...string) {
		for _, k := range keys {
			_, cmd := m.Update(keyMsg(k))
			d.run(cmd)
			_ = m.View()
		}
	}
	press("/", "p", "r", "o", "d")
	if len(m.list.t.view) == 0 || len(m.list.t.view) == benchSize {
		b.Fatalf("filter %q kept %d of %d identities", m.list.f.query, len(m.list.t.view), benchSize)
	}
	press("backspace", "backspace", "backspace", "backspace", "o", "w", "n", "e", "r", "enter", "esc")
	if m.list.f.query != "" {
		b.Fatalf("filter is %q after esc", m.list.f.query)
	}

	press("f", "j", "j", "j")
	fv, ok := m.top().(*findingsView)
	if !ok || len(fv.t.rows) == 0 {
		b.Fatalf("findings pane not open with findings:\n%s", plain(m))
	}
	press("enter")
	dv, ok := m.top().(*detailView)
	if !ok {
		b.Fatalf("enter on a finding opened no detail view:\n%s", plain(m))
	}
	d.until(func() bool {
		for _, s := range dv.secs {
			if s.loading {
				return false
			}
		}
		return true
	})
	// Opened at the finding, the view starts there; the sections are above it.
	found := false
	for _, e := range dv.lines() {
		found = found || e.style == styleHeading && e.text == "Azure roles"
	}
	if !found {
		b.Fatalf("detail view has no Azure roles section:\n%s", plain(m))
	}
	press("j", "j", "esc")
	if _, ok := m.top().(*findingsView); !ok {
		b.Fatalf("esc did not go back to the findings pane:\n%s", plain(m))
	}
	press("esc")
	if m.top() != view(m.list) {
		b.Fatalf("esc did not go back to the list:\n%s", plain(m))
	}
	return m, c
}

// heapMB is the heap held by live and not yet swept objects.
func heapMB() float64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return float64(s[0].Value.Uint64()) / (1 << 20)
}
