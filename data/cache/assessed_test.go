package cache

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
)

// slowTenant reports progress and then waits to be released, as a live read of a large tenant does.
type slowTenant struct {
	*countingSource
	release chan struct{}
}

func (s *slowTenant) Tenant(ctx context.Context, p func(data.Progress)) (*data.Tenant, error) {
	p(data.Progress{Stage: "reading identities", Done: 1, Total: 2})
	<-s.release
	return s.countingSource.Tenant(ctx, p)
}

// progressLog collects what one reader is told.
type progressLog struct {
	mu     sync.Mutex
	stages []string
}

func (l *progressLog) add(p data.Progress) {
	l.mu.Lock()
	l.stages = append(l.stages, p.Stage)
	l.mu.Unlock()
}

func (l *progressLog) has(stage string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.stages {
		if s == stage {
			return true
		}
	}
	return false
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}

func TestAssessmentIsSharedWithProgressForEveryReader(t *testing.T) {
	var runs atomic.Int32
	engine := assessFunc
	assessFunc = func(x *data.Index, o assess.Options) *assess.Result { runs.Add(1); return engine(x, o) }
	t.Cleanup(func() { assessFunc = engine })

	src := &slowTenant{countingSource: newSource(), release: make(chan struct{})}
	c := New(src, Options{})
	var logs [2]progressLog
	var got [2]*Assessed
	var wg sync.WaitGroup
	ask := func(i int) {
		defer wg.Done()
		a, err := c.Assess(context.Background(), logs[i].add)
		if err != nil {
			t.Errorf("reader %d: %v", i, err)
		}
		got[i] = a
	}
	wg.Add(1)
	go ask(0)
	waitUntil(t, "first reader told the read's progress", func() bool { return logs[0].has("reading identities") })
	// The second reader joins while the first one's read is under way: it is told where the read is, at once.
	wg.Add(1)
	go ask(1)
	waitUntil(t, "second reader told the read's progress", func() bool { return logs[1].has("reading identities") })
	close(src.release)
	wg.Wait()

	for i := range logs {
		if !logs[i].has("assessing 2 identities") {
			t.Errorf("reader %d was not told of the assessment: %q", i, logs[i].stages)
		}
	}
	if got[0] == nil || got[0] != got[1] {
		t.Fatalf("readers got different assessments: %p %p", got[0], got[1])
	}
	if got[0].Index == nil || got[0].Result == nil || len(got[0].Index.Tenant.Identities) != 2 {
		t.Fatalf("assessment incomplete: %+v", got[0])
	}
	again, err := c.Assess(context.Background(), nil)
	if err != nil || again != got[0] {
		t.Errorf("a later reader got %p (%v), want the shared %p", again, err, got[0])
	}
	if n := runs.Load(); n != 1 || c.Assessments() != 1 {
		t.Errorf("engine ran %d times (cache counts %d), want once", n, c.Assessments())
	}
	if n := src.tenant.Load(); n != 1 {
		t.Errorf("tenant read %d times, want once", n)
	}

	// What a reader derives from the assessment is built once and shared too.
	var builds atomic.Int32
	type key struct{}
	build := func(a *Assessed) any { builds.Add(1); return len(a.Result.Findings) }
	if got[0].Derived(key{}, build) != got[1].Derived(key{}, build) || builds.Load() != 1 {
		t.Errorf("derived view built %d times, want once", builds.Load())
	}

	// Refreshing everything forgets the assessment: the next reader gets a new one.
	c.Refresh("")
	fresh, err := c.Assess(context.Background(), nil)
	if err != nil || fresh == got[0] || runs.Load() != 2 {
		t.Errorf("after refresh: %p (%v), %d runs; want a new assessment from a second run", fresh, err, runs.Load())
	}
}

func TestAssessmentReaderLeavingDoesNotStopOthers(t *testing.T) {
	src := &slowTenant{countingSource: newSource(), release: make(chan struct{})}
	c := New(src, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	left := make(chan error, 1)
	go func() { _, err := c.Assess(ctx, nil); left <- err }()
	var log progressLog
	done := make(chan *Assessed, 1)
	go func() { a, _ := c.Assess(context.Background(), log.add); done <- a }()
	waitUntil(t, "second reader told the progress", func() bool { return log.has("reading identities") })
	cancel()
	if err := <-left; err == nil {
		t.Error("a reader that left got no error")
	}
	close(src.release)
	if a := <-done; a == nil || a.Result == nil {
		t.Error("the reader that stayed got no assessment")
	}
}
