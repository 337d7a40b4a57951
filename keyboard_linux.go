package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// keyboard is the terminal the explorer reads keys from, opened again so that Go's poller waits for them. Bubble
// Tea's own reader hands what it reads to the goroutine that decodes keys, then waits for more in a system call
// (epoll) that keeps its processor, the decoder queued behind it; while the list, the join and the assessment held
// the other processors, the decoder waited for Go's system monitor to take that processor back, up to 20 ms a key.
// A read through the poller parks instead, and the decoder runs at once. Bubble Tea takes it for a terminal (it
// reads Fd to make it raw) and reads it directly, as it does anything without a Name: that reader cannot interrupt
// a read, which Bubble Tea needs only to lend the terminal to another program, and the explorer never does.
type keyboard struct {
	f  *os.File
	fd uintptr // taken once: os.File.Fd would put the descriptor back into blocking mode
}

// openKeyboard opens the controlling terminal for reading keys, or returns nil where it cannot (no /dev/tty): Bubble
// Tea then reads standard input as it does by default.
func openKeyboard() *keyboard { return openKeyboardAt("/dev/tty") }

func openKeyboardAt(path string) *keyboard {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil
	}
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil
	}
	var fd uintptr
	polled := false
	if err := raw.Control(func(d uintptr) {
		fd = d
		flags, err := unix.FcntlInt(d, unix.F_GETFL, 0)
		polled = err == nil && flags&unix.O_NONBLOCK != 0 // Go opened it for its poller
	}); err != nil || !polled {
		f.Close() // read by blocking calls, it would gain nothing over Bubble Tea's own reader
		return nil
	}
	return &keyboard{f: f, fd: fd}
}

func (k *keyboard) Read(p []byte) (int, error)  { return k.f.Read(p) }
func (k *keyboard) Write(p []byte) (int, error) { return k.f.Write(p) }
func (k *keyboard) Close() error                { return k.f.Close() }
func (k *keyboard) Fd() uintptr                 { return k.fd }
