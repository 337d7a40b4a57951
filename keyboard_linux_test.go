package main

import (
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/charmbracelet/x/term"
	"golang.org/x/sys/unix"
)

// TestKeyboardWaitsInThePoller opens the keyboard on a pseudo-terminal and checks what the explorer relies on: after
// Bubble Tea has read its descriptor (to put the terminal in raw mode), a read that waits is still one of Go's poller
// (a deadline ends it, which a blocking system call would not allow), keys typed reach it, and Bubble Tea reads it
// itself rather than through its own epoll reader (which it uses for anything with a Name).
func TestKeyboardWaitsInThePoller(t *testing.T) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal to test with: %v", err)
	}
	defer master.Close()
	var pts int
	if err := withFd(master, func(fd int) error {
		if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
			return err
		}
		pts, err = unix.IoctlGetInt(fd, unix.TIOCGPTN)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	k := openKeyboardAt("/dev/pts/" + strconv.Itoa(pts))
	if k == nil {
		t.Fatal("the pseudo-terminal was not opened for the poller")
	}
	defer k.Close()

	var tty term.File = k // what Bubble Tea asks of an input to make it raw
	if !term.IsTerminal(tty.Fd()) {
		t.Fatal("Fd is not the terminal's descriptor")
	}
	if _, err := term.MakeRaw(tty.Fd()); err != nil { // as Bubble Tea does: keys come one by one, not by lines
		t.Fatal(err)
	}
	if _, named := tty.(interface{ Name() string }); named {
		t.Fatal("the keyboard has a Name: Bubble Tea would read it with its own epoll reader")
	}

	if err := k.f.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatalf("a deadline cannot be set after Fd: the reads block in system calls (%v)", err)
	}
	buf := make([]byte, 8)
	waited := make(chan error, 1)
	go func() { _, err := k.Read(buf); waited <- err }()
	select {
	case err := <-waited:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("a read with nothing typed ended with %v; want it to wait in the poller until its deadline", err)
		}
	case <-time.After(5 * time.Second):
		master.Write([]byte("x")) // lets the read go
		t.Fatal("a read with nothing typed outlived its deadline: it waits in a blocking system call, not in the poller")
	}
	if err := k.f.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := master.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	if n, err := k.Read(buf); err != nil || string(buf[:n]) != "q" {
		t.Fatalf("read %q, %v; want the key typed", buf[:n], err)
	}
}

func withFd(f *os.File, do func(fd int) error) error {
	raw, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var inner error
	if err := raw.Control(func(fd uintptr) { inner = do(int(fd)) }); err != nil {
		return err
	}
	return inner
}

// TestKeyboardIsNilWithoutATerminal: with no terminal at the path, Bubble Tea keeps reading standard input.
func TestKeyboardIsNilWithoutATerminal(t *testing.T) {
	if k := openKeyboardAt(t.TempDir() + "/none"); k != nil {
		t.Fatal("a keyboard was opened on a path that does not exist")
	}
}
