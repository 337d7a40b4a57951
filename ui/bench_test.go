package ui

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/cache"
	"github.com/miscope/miscope/data/demo"
)

const benchSize = 50_000

var (
	benchOnce   sync.Once
	benchTenant *data.Tenant
)

func syntheticTenant() *data.Tenant {
	benchOnce.Do(func() { benchTenant = demo.Synthetic(benchSize, 1) })
	return benchTenant
}

// driver runs a model the way a program does, without a terminal: commands run in goroutines and their messages go
// back through Update one at a time. Spinner ticks are dropped so the benchmark measures work, not animation.
type driver struct {
	m    *Model
	msgs chan tea.Msg
}

func newDriver(m *Model) *driver {
	d := &driver{m: m, msgs: make(chan tea.Msg, 4096)}
	d.m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	d.run(m.Init())
	return d
}

func (d *driver) run(cmd tea.Cmd) {
	if cmd != nil {
		go func() { d.msgs <- cmd() }()
	}
}

func (d *driver) handle(msg tea.Msg) {
	switch msg := msg.(type) {
	case nil, spinner.TickMsg, flashClearMsg:
	case tea.BatchMsg:
		for _, c := range msg {
			d.run(c)
		}
	default:
		_, cmd := d.m.Update(msg)
		d.run(cmd)
	}
}

// until handles messages until cond holds.
func (d *driver) until(cond func() bool) {
	for !cond() {
		d.handle(<-d.msgs)
	}
}

func loadedModel(b *testing.B) *Model {
	b.Helper()
	src := data.NewTenantSource(syntheticTenant(), data.SourceInfo{Origin: data.OriginDemo, Label: "synthetic"})
	m := New(Options{Source: cache.New(src, cache.Options{})})
	d := newDriver(m)
	d.until(func() bool { return !m.list.loading && m.as.result != nil })
	if len(m.list.t.rows) != benchSize {
		b.Fatalf("loaded %d identities, want %d", len(m.list.t.rows), benchSize)
	}
	return m
}

// BenchmarkFirstFrame measures from a Source holding 50,000 identities to the first frame of the list with rows in
// it; the time to the whole list is reported too.
func BenchmarkFirstFrame(b *testing.B) {
	src := data.NewTenantSource(syntheticTenant(), data.SourceInfo{Origin: data.OriginDemo, Label: "synthetic"})
	var all time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		m := New(Options{Source: cache.New(src, cache.Options{})})
		d := newDriver(m)
		d.until(func() bool { return len(m.list.t.rows) > 0 })
		if frame := m.View().Content; !strings.Contains(frame, "NAME") {
			b.Fatalf("first frame has no list:\n%s", frame)
		}
		b.StopTimer()
		d.until(func() bool { return !m.list.loading })
		all += time.Since(start)
		// Let the background assessment finish so iterations do not pile up work on each other.
		d.until(func() bool { return !m.as.running })
		m.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(all.Milliseconds())/float64(b.N), "ms-full-list")
}

// BenchmarkFilterKeystroke types one character into the filter and renders, then deletes it and renders: each
// keystroke searches all 50,000 identities (names, ids, resources, roles and permissions).
func BenchmarkFilterKeystroke(b *testing.B) {
	m := loadedModel(b)
	defer m.Close()
	m.Update(keyMsg("/"))
	b.ResetTimer()
	n := 0
	for b.Loop() {
		if n%2 == 0 {
			m.Update(keyMsg("w"))
		} else {
			m.Update(keyMsg("backspace"))
		}
		n++
		_ = m.View()
	}
	b.StopTimer()
	if m.list.f.query != "" && m.list.f.query != "w" {
		b.Fatalf("filter is %q", m.list.f.query)
	}
}

// BenchmarkFilterNarrowing types "s" and then "t" into an empty filter of the assessed list of 50,000 identities:
// the first keeps every row, the second searches all of them again, through their roles and permissions too.
func BenchmarkFilterNarrowing(b *testing.B) {
	m := loadedModel(b)
	defer m.Close()
	m.Update(keyMsg("/"))
	for b.Loop() {
		m.Update(keyMsg("s"))
		m.Update(keyMsg("t"))
		_ = m.View()
		b.StopTimer()
		m.Update(keyMsg("backspace"))
		m.Update(keyMsg("backspace"))
		b.StartTimer()
	}
	if m.list.f.query != "" {
		b.Fatalf("filter is %q", m.list.f.query)
	}
}

// BenchmarkCursorMove moves the cursor one row and renders the list of 50,000 identities. It also reports the heap
// the loaded and assessed tenant holds.
func BenchmarkCursorMove(b *testing.B) {
	m := loadedModel(b)
	defer m.Close()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		if n%200 < 100 {
			m.Update(keyMsg("j"))
		} else {
			m.Update(keyMsg("k"))
		}
		n++
		_ = m.View()
	}
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB") // after the loop: ResetTimer clears metrics
}

// BenchmarkSort re-sorts the 50,000 identities by another column and renders. The sort itself runs in a command;
// ms-in-update is the part spent in Update, which is what the user's keystrokes wait for.
func BenchmarkSort(b *testing.B) {
	m := loadedModel(b)
	defer m.Close()
	var inUpdate time.Duration
	b.ResetTimer()
	n := 0
	for b.Loop() {
		start := time.Now()
		_, cmd := m.Update(keyMsg([]string{"N", "S", "R"}[n%3]))
		inUpdate += time.Since(start)
		n++
		if cmd == nil {
			b.Fatal("a sort of 50,000 rows should run in a command")
		}
		msg := cmd()
		start = time.Now()
		m.Update(msg)
		inUpdate += time.Since(start)
		_ = m.View()
	}
	b.ReportMetric(float64(inUpdate.Microseconds())/1000/float64(b.N), "ms-in-update")
}

// BenchmarkApplyAssessment is the cost when the assessment of 50,000 identities arrives: every row takes its
// severity, count, reach and search text in Update, then the list is sorted again in a command.
func BenchmarkApplyAssessment(b *testing.B) {
	m := loadedModel(b)
	defer m.Close()
	var inUpdate time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		cmd := m.applyAssessment()
		inUpdate += time.Since(start)
		msg := cmd()
		start = time.Now()
		m.Update(msg)
		inUpdate += time.Since(start)
	}
	b.ReportMetric(float64(inUpdate.Microseconds())/1000/float64(b.N), "ms-in-update")
}
