//go:build unix

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// init lets a test run miscope as a process of its own (this test binary, told so by MISCOPE_TEST_ARGS), so that
// signals can be sent to it. It runs before TestMain, which would start the fake Azure.
// Signals are caught from before run is called, so that the test can tell when a signal will no longer kill the process
// outright ("ready" on stderr): starting a large test binary on a busy machine can take longer than any fixed wait.
func init() {
	if args, ok := os.LookupEnv("MISCOPE_TEST_ARGS"); ok {
		signal.Notify(make(chan os.Signal, 1), os.Interrupt, syscall.SIGTERM)
		fmt.Fprintln(os.Stderr, "ready")
		os.Exit(run(strings.Split(args, "\n"), os.Stdout, os.Stderr))
	}
}

// syncBuffer is a buffer a process's output is copied into while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// miscope starts miscope with args as a process of its own.
func miscope(t *testing.T, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "MISCOPE_TEST_ARGS="+strings.Join(args, "\n"))
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, &stderr
}

// stopsOn sends sig to cmd after a moment and fails unless it exits within a few seconds with the exit code of a
// stopped miscope.
func stopsOn(t *testing.T, cmd *exec.Cmd, stderr *syncBuffer, sig syscall.Signal) {
	t.Helper()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(stderr.String(), "ready"); {
		if time.Now().After(deadline) {
			t.Fatal("the process did not start within 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-exited:
		t.Fatalf("ended before the signal: %v, %s", err, stderr)
	case <-time.After(500 * time.Millisecond):
	}
	cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatalf("still running 5 s after %v", sig)
	}
	if code := cmd.ProcessState.ExitCode(); code != exitStopped {
		t.Errorf("exit code %d after %v, want %d (stderr %q)", code, sig, exitStopped, stderr)
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("stderr %q does not say miscope was stopped", stderr)
	}
}

// TestSignalStopsASnapshotRead: a snapshot that is a named pipe, nobody writing or a writer that stops before the
// tenant's name, does not keep SIGINT or SIGTERM from stopping miscope.
func TestSignalStopsASnapshotRead(t *testing.T) {
	for _, tc := range []struct {
		name string
		sent string // nil: nobody opens the pipe for writing
		sig  syscall.Signal
	}{
		{"no writer, SIGINT", "", syscall.SIGINT},
		{"no writer, SIGTERM", "", syscall.SIGTERM},
		{"stalled writer, SIGINT", `{"format": "miscope-snapshot", "version": 1,` + strings.Repeat(" ", 1<<16), syscall.SIGINT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tenant.json")
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skipf("no named pipes here: %v", err)
			}
			cmd, stderr := miscope(t, "report", "--snapshot", path)
			if tc.sent != "" {
				w, err := os.OpenFile(path, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				w.Write([]byte(tc.sent))
			}
			stopsOn(t, cmd, stderr, tc.sig)
			if tc.sent == "" { // let the open that waits for a writer end, should it still wait
				if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					w.Close()
				}
			}
		})
	}
}

// TestSignalStopsDemoGeneration: generating a large synthetic tenant stops at SIGTERM (as `timeout` sends it).
func TestSignalStopsDemoGeneration(t *testing.T) {
	cmd, stderr := miscope(t, "report", "--demo-size", "1000000", "-o", os.DevNull)
	stopsOn(t, cmd, stderr, syscall.SIGTERM)
}
