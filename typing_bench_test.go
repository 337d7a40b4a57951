package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkTypingInTheRealProgram runs the real binary in tmux on a synthetic tenant of 50,000 identities and types a
// 19-character filter one key at a time right after the first frame, while the tenant is still being assessed. Each
// key is timed from tmux sending it to tmux's screen showing it: the program's whole path (terminal input, Update,
// render, terminal output) and tmux's own, which a capture of the pane adds a few milliseconds to. It needs tmux
// (make screenshots needs it too) and skips without it.
func BenchmarkTypingInTheRealProgram(b *testing.B) {
	if _, err := exec.LookPath("tmux"); err != nil {
		b.Skip("needs tmux")
	}
	bin := filepath.Join(b.TempDir(), "miscope")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	const query = "storage blob data c"
	var keys []time.Duration
	during := 0
	for n := range b.N {
		sock := "miscope-typing-" + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(n)
		tmux := func(args ...string) string {
			out, err := exec.Command("tmux", append([]string{"-L", sock}, args...)...).Output()
			if err != nil {
				b.Fatalf("tmux %v: %v", args, err)
			}
			return string(out)
		}
		tmux("-f", "/dev/null", "new-session", "-d", "-s", "s", "-x", "80", "-y", "24",
			"env TERM=xterm-256color "+os.Getenv("MISCOPE_BENCH_ENV")+" "+bin+" --demo-size "+benchSize()+"; sleep 30")
		screen := func() string { return tmux("capture-pane", "-p", "-t", "s") }
		waitFor := func(what func(string) bool, limit time.Duration) (string, bool) {
			end := time.Now().Add(limit)
			for time.Now().Before(end) {
				if s := screen(); what(s) {
					return s, true
				}
				time.Sleep(time.Millisecond)
			}
			return screen(), false
		}
		if s, ok := waitFor(func(s string) bool { return strings.Contains(s, "NAME") && strings.Contains(s, "/"+benchSize()) }, time.Minute); !ok {
			b.Fatalf("no first frame:\n%s", s)
		}
		tmux("send-keys", "-t", "s", "/")
		for i := range query {
			typed := "/" + query[:i+1]
			start := time.Now()
			tmux("send-keys", "-t", "s", "-l", query[i:i+1])
			s, ok := waitFor(func(s string) bool { return strings.Contains(s, typed+"█") }, 10*time.Second)
			if !ok {
				b.Fatalf("%q never showed:\n%s", typed, s)
			}
			keys = append(keys, time.Since(start))
			if os.Getenv("MISCOPE_BENCH_VERBOSE") != "" {
				b.Logf("%q %v %s", typed, time.Since(start).Round(time.Millisecond), lastLine(s))
			}
			if strings.Contains(s, "assessing") || strings.Contains(s, "reading") {
				during++
			}
		}
		tmux("kill-server")
	}
	slices.Sort(keys)
	b.ReportMetric(float64(keys[len(keys)/2].Microseconds())/1000, "ms-median-key")
	b.ReportMetric(float64(keys[len(keys)-1].Microseconds())/1000, "ms-max-key")
	b.ReportMetric(float64(during)/float64(b.N), "keys-during-assessment-per-op")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// benchSize is the synthetic tenant's size: 50,000, or MISCOPE_BENCH_SIZE (a small tenant shows tmux's own latency).
func benchSize() string {
	if n := os.Getenv("MISCOPE_BENCH_SIZE"); n != "" {
		return n
	}
	return "50000"
}
