package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
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
// 19-character filter one key at a time, with short pauses, right after the first frame, while the list arrives and the tenant is
// assessed. Each key is timed from tmux being told to type it to tmux's screen showing it: the program's whole path
// (terminal input, Update, render, terminal output) and tmux's. tmux is driven through one control-mode client, which
// tells when the program writes, so the measure waits on events instead of polling the screen (polling with a process
// per look took a core from the program and added its own 17 ms). It needs tmux and skips without it.
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
	pause := rand.New(rand.NewPCG(1, 2))
	for n := range b.N {
		sock := "miscope-typing-" + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(n)
		if out, err := exec.Command("tmux", "-L", sock, "-f", "/dev/null", "new-session", "-d", "-s", "s", "-x", "80", "-y", "24",
			"env TERM=xterm-256color "+os.Getenv("MISCOPE_BENCH_ENV")+" "+bin+" --demo-size "+benchSize()+"; sleep 30").CombinedOutput(); err != nil {
			b.Fatalf("tmux: %v\n%s", err, out)
		}
		b.Cleanup(func() { _ = exec.Command("tmux", "-L", sock, "kill-server").Run() }) // also when a check fails
		tc := attachControl(b, sock)
		screen := func() string { return strings.Join(tc.run("capture-pane -p -t s"), "\n") }
		// waitFor looks at the screen, then again each time the program writes, until what holds.
		waitFor := func(what func(string) bool, limit time.Duration) (string, bool) {
			deadline := time.After(limit)
			for {
				if s := screen(); what(s) {
					return s, true
				}
				select {
				case <-tc.output:
				case <-deadline:
					return screen(), false
				}
			}
		}
		if s, ok := waitFor(func(s string) bool { return strings.Contains(s, "NAME") && strings.Contains(s, "/"+benchSize()) }, time.Minute); !ok {
			b.Fatalf("no first frame:\n%s", s)
		}
		tc.run("send-keys -t s /")
		for i := range query {
			// A person types a key every 100-300 ms; a pause of 20-120 ms keeps the measure's keys from falling
			// just after a frame each time, which would time a whole frame interval for every one of them.
			time.Sleep(time.Duration(20+pause.IntN(100)) * time.Millisecond)
			typed := "/" + query[:i+1]
			start := time.Now()
			tc.run("send-keys -t s -l '" + query[i:i+1] + "'")
			s, ok := waitFor(func(s string) bool { return strings.Contains(s, typed+"█") }, 10*time.Second)
			took := time.Since(start)
			if !ok {
				b.Fatalf("%q never showed:\n%s", typed, s)
			}
			keys = append(keys, took)
			if os.Getenv("MISCOPE_BENCH_VERBOSE") != "" {
				fmt.Fprintf(os.Stderr, "%d %q %v %s\n", start.UnixMicro(), typed, took.Round(100*time.Microsecond), lastLine(s))
			}
			if strings.Contains(s, "assessing") || strings.Contains(s, "loaded") || strings.Contains(s, "reading") {
				during++
			}
		}
		// The program quits and is gone before the next one starts: one still exiting would take a core from it.
		tc.run("send-keys -t s Escape")
		time.Sleep(100 * time.Millisecond) // an escape followed at once by q reads as alt+q
		tc.run("send-keys -t s q")
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if cmd := tc.run("display-message -p -t s '#{pane_current_command}'"); len(cmd) > 0 && cmd[0] == "sleep" {
				break
			}
		}
		tc.close()
		_ = exec.Command("tmux", "-L", sock, "kill-server").Run()
	}
	slices.Sort(keys)
	b.ReportMetric(float64(keys[len(keys)/2].Microseconds())/1000, "ms-median-key")
	b.ReportMetric(float64(keys[len(keys)-1].Microseconds())/1000, "ms-max-key")
	b.ReportMetric(float64(during)/float64(b.N), "keys-while-busy-per-op")
}

// tmuxControl is a tmux control-mode client: commands go in one per line, each answer comes back between %begin and
// %end, and %output says that a pane was written to.
type tmuxControl struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	replies chan []string
	output  chan struct{}
	b       *testing.B
}

func attachControl(b *testing.B, sock string) *tmuxControl {
	cmd := exec.Command("tmux", "-L", sock, "-C", "attach", "-t", "s")
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	tc := &tmuxControl{cmd: cmd, in: in, replies: make(chan []string), output: make(chan struct{}, 1), b: b}
	go func() {
		defer close(tc.replies)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		var block []string
		inBlock := false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "%begin "):
				inBlock, block = true, nil
			case inBlock && (strings.HasPrefix(line, "%end ") || strings.HasPrefix(line, "%error ")):
				inBlock = false
				tc.replies <- block
			case inBlock:
				block = append(block, line)
			case strings.HasPrefix(line, "%output "):
				select {
				case tc.output <- struct{}{}:
				default:
				}
			}
		}
	}()
	<-tc.replies // the answer to attach itself
	tc.run("refresh-client -C 80x24")
	return tc
}

func (tc *tmuxControl) run(command string) []string {
	if _, err := fmt.Fprintln(tc.in, command); err != nil {
		tc.b.Fatalf("tmux %s: %v", command, err)
	}
	reply, ok := <-tc.replies
	if !ok {
		tc.b.Fatalf("tmux %s: the control client ended", command)
	}
	return reply
}

func (tc *tmuxControl) close() {
	_ = tc.in.Close()
	_ = tc.cmd.Wait()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// benchSize is the synthetic tenant's size: 50,000, or MISCOPE_BENCH_SIZE (a small tenant shows the measure's floor).
func benchSize() string {
	if n := os.Getenv("MISCOPE_BENCH_SIZE"); n != "" {
		return n
	}
	return "50000"
}
