//go:build !linux

package snapshot_test

import "time"

// threadCPU runs f and returns the time it took (wall clock: CPU time per thread is read on Linux only).
func threadCPU(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}
