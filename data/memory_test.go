package data

import (
	"math"
	"runtime/debug"
	"testing"
	"time"
)

// The soft memory limit is raised to half as much again as what is live once that comes within a third of it, and
// is otherwise left alone.
func TestLimitAbove(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct{ live, limit, want int64 }{
		{100 * mb, 300 * mb, 300 * mb},
		{200 * mb, 300 * mb, 300 * mb},
		{201 * mb, 300 * mb, 301*mb + mb/2},
		{390 * mb, 300 * mb, 585 * mb}, // the idle explorer of 50,000 identities that collected without pause
	} {
		if got := LimitAbove(c.live, c.limit); got != c.want {
			t.Errorf("LimitAbove(%d MB, %d MB) = %d MB, want %d MB", c.live/mb, c.limit/mb, got/mb, c.want/mb)
		}
	}
}

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
	CollectAtLimitWhile(func() { <-loaded })
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
	CollectAtLimitWhile(func() { select {} })
	debug.SetMemoryLimit(restore)
	if p := gcPercent(); p != 100 {
		t.Fatalf("GOGC is %d with no memory limit; want 100", p)
	}
	t.Setenv("GOGC", "100")
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(300 << 20))
	CollectAtLimitWhile(func() { select {} })
	if p := gcPercent(); p != 100 {
		t.Fatalf("GOGC is %d with GOGC set; want it left as it was", p)
	}
}
