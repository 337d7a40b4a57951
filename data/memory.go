package data

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// MemoryLimitFor is the soft memory limit miscope gives Go's garbage collector for a tenant of n managed identities
// when it starts. Without one the heap grows to about twice what is live before each collection; with it the peaks
// stay nearer what is live. It assumes about 8 KiB of live data per identity (role assignments, usage, index,
// assessment and the explorer's rows: 390 MB at 50,000), and FollowLiveHeap raises it for a tenant that holds more.
func MemoryLimitFor(n int) int64 {
	const (
		floor       = 300 << 20
		perIdentity = 8 << 10
	)
	return max(floor, int64(n)*perIdentity)
}

// LimitAbove is the soft memory limit to use when live bytes are held under limit: the same, or half as much again
// as what is live once that comes within a third of it. A limit at what is live makes the collector run without
// pause (an idle explorer of 50,000 identities collected seven times a second and kept two cores busy).
func LimitAbove(live, limit int64) int64 {
	if live > limit/3*2 {
		return live / 2 * 3
	}
	return limit
}

// FollowLiveHeap looks at what is live every period until ctx ends, and raises the soft memory limit (LimitAbove)
// when the tenant holds more than the limit was set for.
func FollowLiveHeap(ctx context.Context, every time.Duration) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return // a Go without the metric: the limit stays
		}
		limit := debug.SetMemoryLimit(-1)
		if next := LimitAbove(int64(sample[0].Value.Uint64()), limit); next != limit {
			debug.SetMemoryLimit(next)
		}
	}
}

// CollectAtLimitWhile keeps Go's collector to the soft memory limit until loaded returns, and to its default after.
// While 50,000 identities arrive and are assessed, each proportional collection marks a heap of a few hundred MB for
// 50-90 ms on a core of its own and every idle processor; three of them fell while a filter was typed, and the keys
// and frames that waited behind them for a processor took up to 58 ms. At the limit, one falls. It does nothing
// where there is no limit to collect at, or where GOGC was chosen.
func CollectAtLimitWhile(loaded func()) {
	if os.Getenv("GOGC") != "" || debug.SetMemoryLimit(-1) == math.MaxInt64 {
		return
	}
	percent := debug.SetGCPercent(-1)
	go func() {
		defer debug.SetGCPercent(percent)
		loaded()
	}()
}

// SystemMemory is how much memory miscope may use on this machine: the physical memory, or the control group's limit
// when that is lower (a container). ok is false where neither can be read.
func SystemMemory() (bytes int64, ok bool) {
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, found := strings.CutPrefix(line, "MemTotal:"); found {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				if err == nil && kb > 0 {
					bytes, ok = kb<<10, true
				}
			}
		}
	}
	for _, limit := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(limit)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64) // "max" when unlimited
		if err == nil && n > 0 && (!ok || n < bytes) {
			bytes, ok = n, true
		}
	}
	return bytes, ok
}
