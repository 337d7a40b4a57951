package serve

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/cache"
	"github.com/miscope/miscope/data/demo"
	gossh "golang.org/x/crypto/ssh"
)

// abuseServerEnv names the folder the server of TestSSHAbuse works in; set, it makes TestAbuseServer that server.
const abuseServerEnv = "MISCOPE_ABUSE_SERVER"

// TestAbuseServer is not a test on its own: TestSSHAbuse runs this test binary again with only this test, so that
// the server has a process of its own whose memory can be read. It serves the demo tenant until SIGTERM.
func TestAbuseServer(t *testing.T) {
	dir := os.Getenv(abuseServerEnv)
	if dir == "" {
		t.Skip("the server of TestSSHAbuse; runs only in the process that test starts")
	}
	tenant, err := demo.Tenant()
	if err != nil {
		t.Fatal(err)
	}
	src := cache.New(data.NewTenantSource(tenant, demo.Info()), cache.Options{})
	defer src.Close()
	srv, err := New(src, Options{Listen: "127.0.0.1:0", AuthorizedKeys: filepath.Join(dir, "authorized_keys"),
		HostKey: filepath.Join(dir, "host_ed25519"), Log: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	go func() {
		<-srv.Ready()
		tmp := filepath.Join(dir, "addr.tmp")
		if err := os.WriteFile(tmp, []byte(srv.Addr().String()), 0o600); err == nil {
			os.Rename(tmp, filepath.Join(dir, "addr"))
		}
	}()
	if err := srv.ListenAndServe(ctx); err != nil {
		t.Fatal(err)
	}
}

// dialSSH signs in from a given loopback address, so one test can play many sources.
func dialSSH(addr, ip string, hostKey gossh.PublicKey, auth ...gossh.AuthMethod) (*gossh.Client, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: wait}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(wait))
	cc, chans, reqs, err := gossh.NewClientConn(conn, addr, &gossh.ClientConfig{
		User:            "alice",
		Auth:            auth,
		HostKeyCallback: gossh.FixedHostKey(hostKey),
	})
	if err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	return gossh.NewClient(cc, chans, reqs), nil
}

// procStatus reads one "kB" field of /proc/PID/status (VmRSS, VmHWM) in bytes.
func procStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// cpuTime is the user and system CPU time a process has used so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100, nil // USER_HZ is 100 on Linux
}

// floodFrom keeps n idle TCP connections open from ip until ctx ends, opening a new one a moment after the server
// drops one. It counts the connections it opened.
func floodFrom(ctx context.Context, wg *sync.WaitGroup, addr, ip string, n int, opened *atomic.Int64) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: wait}
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				c, err := d.DialContext(ctx, "tcp", addr)
				if err == nil {
					opened.Add(1)
					stop := context.AfterFunc(ctx, func() { c.Close() })
					buf := make([]byte, 256)
					for err == nil { // never answers; waits to be dropped
						_, err = c.Read(buf)
					}
					stop()
					c.Close()
				}
				select {
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
			}
		}()
	}
}

// An SSH abuse trial: a renewing flood of idle connections from eleven addresses, an authorized client with a
// 10000x10000 window typing 20 MB of keys, and meanwhile an authorized user who must see the identity list within
// 5 s; the server's resident memory stays under 500 MB and SIGTERM still stops it, logging every session's end.
func TestSSHAbuse(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the server's memory from /proc")
	}
	const (
		listWithin = 5 * time.Second
		rssLimit   = 500 << 20
		burst      = 20 << 20
		abuseFor   = 3 * time.Second // at least
	)
	dir := t.TempDir()
	user := newSigner(t)
	writeAuthorizedKeys(t, filepath.Join(dir, "authorized_keys"), user)
	host, _, err := hostKey(filepath.Join(dir, "host_ed25519"))
	if err != nil {
		t.Fatal(err)
	}
	tenant, err := demo.Tenant()
	if err != nil {
		t.Fatal(err)
	}

	logs := &syncBuffer{}
	server := exec.Command(os.Args[0], "-test.run=^TestAbuseServer$", "-test.timeout=5m")
	server.Env = append(os.Environ(), abuseServerEnv+"="+dir)
	server.Stdout, server.Stderr = logs, logs
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- server.Wait() }()
	defer func() {
		server.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	}()
	var addr string
	for start := time.Now(); addr == ""; {
		if b, err := os.ReadFile(filepath.Join(dir, "addr")); err == nil {
			addr = string(b)
			break
		}
		if time.Since(start) > wait {
			t.Fatalf("server did not start:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	pid := server.Process.Pid

	// The peak resident memory is sampled throughout, and read from the kernel's high-water mark at the end.
	var peak atomic.Int64
	sampling, stopSampling := context.WithCancel(context.Background())
	defer stopSampling()
	go func() {
		for sampling.Err() == nil {
			if rss, err := procStatus(pid, "VmRSS"); err == nil && rss > peak.Load() {
				peak.Store(rss)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()

	// The abuser: authorized, a 10000x10000 window, 20 MB of keys.
	abuseStart := time.Now()
	abuser, err := dialSSH(addr, "127.0.0.2", host.PublicKey(), gossh.PublicKeys(user))
	if err != nil {
		t.Fatal(err)
	}
	defer abuser.Close()
	_, keys := rawSession(t, abuser, 10000, 10000)
	var typed atomic.Int64
	typing := make(chan error, 1)
	go func() {
		chunk := []byte(strings.Repeat("jk\x1b[A\x1b[Bj", 32<<10/8))
		for typed.Load() < burst {
			n, err := keys.Write(chunk)
			typed.Add(int64(n))
			if err != nil {
				typing <- err
				return
			}
		}
		typing <- nil
	}()

	// The flood: ten connections from each of eleven addresses, the user's own among them, renewed when dropped.
	flooding, stopFlood := context.WithCancel(context.Background())
	var flood sync.WaitGroup
	defer func() { stopFlood(); flood.Wait() }()
	var opened atomic.Int64
	for i := range 11 {
		ip := "127.0.0.1"
		if i > 0 {
			ip = fmt.Sprintf("127.0.0.%d", 9+i)
		}
		floodFrom(flooding, &flood, addr, ip, 10, &opened)
	}
	for start := time.Now(); opened.Load() < 110 || !strings.Contains(logs.String(), "dropped to make room"); {
		if time.Since(start) > wait {
			t.Fatalf("the flood opened only %d connections", opened.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}

	// The user, from the flooding address, while the burst is still being typed.
	start := time.Now()
	c, err := dialSSH(addr, "127.0.0.1", host.PublicKey(), gossh.PublicKeys(user))
	if err != nil {
		t.Fatalf("authorized user kept out during the abuse: %v", err)
	}
	defer c.Close()
	tm := openTerminal(t, c, "xterm-256color", 80, 24, nil)
	tm.waitScreen("the demo tenant's identity list", func(s string) bool {
		for _, id := range tenant.Identities {
			if strings.Contains(s, id.DisplayName) {
				return true
			}
		}
		return false
	})
	took := time.Since(start)
	if took > listWithin {
		t.Errorf("the identity list took %s during the abuse, want within %s", took.Round(time.Millisecond), listWithin)
	}
	typedThen := typed.Load()

	select {
	case err := <-typing:
		if err != nil {
			t.Fatalf("typing the burst: %v", err)
		}
	case <-time.After(3 * wait):
		t.Fatalf("the server took in only %d of %d bytes of keys in %s", typed.Load(), burst, 3*wait)
	}
	// The flood and the huge window go on for a while, and the user's session still answers.
	time.Sleep(abuseFor - time.Since(abuseStart))
	tm.press("?")
	tm.waitFor("Keys")
	hwm, err := procStatus(pid, "VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	cpu, _ := cpuTime(pid)
	t.Logf("list shown %s after dialling (with %d MB of the burst typed by then); %d flood connections opened in %s; "+
		"server resident memory: peak %d MB (high-water mark), %d MB sampled; server CPU time %s",
		took.Round(time.Millisecond), typedThen>>20, opened.Load(), time.Since(abuseStart).Round(time.Millisecond),
		hwm>>20, peak.Load()>>20, cpu)
	if hwm > rssLimit {
		t.Errorf("server resident memory peaked at %d MB, want under %d MB", hwm>>20, rssLimit>>20)
	}

	// SIGTERM stops it, each session's end logged.
	stopFlood()
	flood.Wait()
	if err := server.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err // for the deferred clean-up
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		if err != nil {
			t.Fatalf("server exited with %v", err)
		}
	case <-time.After(wait):
		t.Fatal("the server did not stop on SIGTERM")
	}
	out := logs.String()
	if n := strings.Count(out, "disconnect user=\"alice\""); n != 2 {
		t.Fatalf("%d session ends logged, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, "input over the limit dropped") || !strings.Contains(out, "stopped") {
		t.Fatalf("log lacks the dropped input or the stop:\n%s", out)
	}
}
