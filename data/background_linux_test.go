package data

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// Work in the background runs at the lowest priority, on a thread of its own: the caller's thread keeps its own.
func TestInBackgroundLowersOnlyItsThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, err := unix.Getpriority(unix.PRIO_PROCESS, unix.Gettid())
	if err != nil {
		t.Skip("cannot read a thread's priority here:", err)
	}
	var inside int
	InBackground(func() { inside, err = unix.Getpriority(unix.PRIO_PROCESS, unix.Gettid()) })
	if err != nil {
		t.Fatal(err)
	}
	// The system call answers 20 minus the nice value: 1 is nice 19, the lowest priority.
	if inside != 1 {
		t.Errorf("work ran at nice %d, want 19", 20-inside)
	}
	if after, _ := unix.Getpriority(unix.PRIO_PROCESS, unix.Gettid()); after != before {
		t.Errorf("the caller's thread went from nice %d to %d", 20-before, 20-after)
	}
}
