//go:build unix

package assess_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used so far, and whether it could be read.
func cpuTime() (time.Duration, bool) {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0, false
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano()), true
}
