package main

import (
	"math"
	"runtime/debug"
	"testing"
	"time"
)

// gcPercent reads GOGC's current value.
func gcPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// While the explorer loads, the collector runs only at the soft memory limit; once loaded, at the percent it had.
func TestCollectorRunsAtTheLimitWhileLoading(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(300 << 20))
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	loaded := make(chan struct{})
	collectAtLimitWhile(func() { <-loaded })
	if p := gcPercent(); p != -1 {
		t.Fatalf("GOGC is %d while loading; want the collector off but for the limit", p)
	}
	close(loaded)
	for deadline := time.Now().Add(5 * time.Second); gcPercent() != 100; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC is %d once loaded; want 100 again", gcPercent())
		}
	}
}

// Without a limit the collector must keep its percent (turned off, the heap would grow without bound), and a GOGC
// the user set is theirs.
func TestCollectorKeepsItsPercentWithoutALimitOrWithGOGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	restore := debug.SetMemoryLimit(math.MaxInt64)
	collectAtLimitWhile(func() { select {} })
	debug.SetMemoryLimit(restore)
	if p := gcPercent(); p != 100 {
		t.Fatalf("GOGC is %d with no memory limit; want 100", p)
	}
	t.Setenv("GOGC", "100")
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(300 << 20))
	collectAtLimitWhile(func() { select {} })
	if p := gcPercent(); p != 100 {
		t.Fatalf("GOGC is %d with GOGC set; want it left as it was", p)
	}
}
