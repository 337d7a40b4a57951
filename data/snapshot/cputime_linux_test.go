package snapshot_test

import (
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// threadCPU runs f on one locked OS thread and returns the CPU time that thread spent, which other processes on the
// machine do not inflate as they do wall-clock time.
func threadCPU(f func()) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadTime()
	f()
	return threadTime() - before
}

// threadTime reads the calling thread's CPU clock, to the nanosecond (getrusage counts in scheduler ticks).
func threadTime() time.Duration {
	const clockThreadCPUTime = 3 // CLOCK_THREAD_CPUTIME_ID
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		panic(errno)
	}
	return time.Duration(ts.Nano())
}
