package data

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// InBackground runs work on an operating-system thread of its own at the lowest scheduling priority and waits for
// it. Go's scheduler has no priorities; the system's has, so heavy work that an explorer waits for (joining and
// assessing 50,000 identities) yields the cores at once to the threads that read keys and draw frames. The thread is
// never unlocked: it ends with its goroutine, and its priority with it, since an unprivileged process can lower a
// thread's priority but not raise it again.
func InBackground(work func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), 19) // best effort: work runs either way
		work()
	}()
	<-done
}
