package serve

import (
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	gossh "golang.org/x/crypto/ssh"
)

// recorder wraps a session's explorer and records what reaches it: window sizes and key presses.
type recorder struct {
	mu    sync.Mutex
	inner tea.Model
	sizes []tea.WindowSizeMsg
	keys  int
}

func (r *recorder) Init() tea.Cmd { return r.inner.Init() }

func (r *recorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch m := msg.(type) {
	case tea.WindowSizeMsg:
		r.sizes = append(r.sizes, m)
	case tea.KeyPressMsg:
		r.keys++
	}
	var cmd tea.Cmd
	r.inner, cmd = r.inner.Update(msg)
	return r, cmd
}

func (r *recorder) View() tea.View {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inner.View()
}

func (r *recorder) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.inner.(interface{ Close() }); ok {
		c.Close()
	}
}

func (r *recorder) keyPresses() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys
}

// waitSize waits until the explorer has been given its n-th window size and returns it.
func (r *recorder) waitSize(t *testing.T, n int) tea.WindowSizeMsg {
	t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		if len(r.sizes) >= n {
			size := r.sizes[n-1]
			r.mu.Unlock()
			return size
		}
		r.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the explorer never got window size number %d", n)
	return tea.WindowSizeMsg{}
}

// recorders puts a recorder around the explorer of every session the server starts.
type recorders struct {
	mu   sync.Mutex
	list []*recorder
}

func (rs *recorders) install(s *Server) {
	base := s.newModel
	s.newModel = func(who string) tea.Model {
		r := &recorder{inner: base(who)}
		rs.mu.Lock()
		rs.list = append(rs.list, r)
		rs.mu.Unlock()
		return r
	}
}

// wait returns the n-th session's recorder once that session has started.
func (rs *recorders) wait(t *testing.T, n int) *recorder {
	t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		rs.mu.Lock()
		if len(rs.list) >= n {
			r := rs.list[n-1]
			rs.mu.Unlock()
			return r
		}
		rs.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("session number %d never started", n)
	return nil
}

// rawSession opens a PTY session of any size without a screen on the client side (a 10000x10000 screen would cost
// the test what it is meant to spare the server); what the server draws is counted and dropped.
func rawSession(t *testing.T, c *gossh.Client, w, h int) (*gossh.Session, io.WriteCloser) {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	if err := sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	in, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, out)
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	return sess, in
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// A client asking for a 10000x10000 window gets a program drawing at most maxWidth x maxHeight, on the first size and
// on every change; memory stays small, closing sessions are logged and the server still stops.
func TestHugeWindowIsCapped(t *testing.T) {
	var recs recorders
	f := startServerWith(t, nil, recs.install)
	before := heapInUse()
	c := f.mustDial(t)
	huge, _ := rawSession(t, c, 10000, 10000)
	r := recs.wait(t, 1)
	if got := r.waitSize(t, 1); got.Width != maxWidth || got.Height != maxHeight {
		t.Fatalf("a 10000x10000 window reached the explorer as %dx%d, want %dx%d", got.Width, got.Height, maxWidth, maxHeight)
	}

	// Changes are capped too, and a size within the caps passes unchanged.
	if err := huge.WindowChange(20, 50); err != nil {
		t.Fatal(err)
	}
	if got := r.waitSize(t, 2); got.Width != 50 || got.Height != 20 {
		t.Fatalf("a 50x20 window reached the explorer as %dx%d", got.Width, got.Height)
	}
	if err := huge.WindowChange(1000, 1000); err != nil {
		t.Fatal(err)
	}
	if got := r.waitSize(t, 3); got.Width != maxWidth || got.Height != maxHeight {
		t.Fatalf("a 1000x1000 window reached the explorer as %dx%d", got.Width, got.Height)
	}
	if err := huge.WindowChange(10000, 10000); err != nil {
		t.Fatal(err)
	}

	// A second huge session, then the memory of both.
	other, _ := rawSession(t, f.mustDial(t), 5000, 3000)
	if got := recs.wait(t, 2).waitSize(t, 1); got.Width != maxWidth || got.Height != maxHeight {
		t.Fatalf("a 5000x3000 window reached the explorer as %dx%d", got.Width, got.Height)
	}
	// The server shares this process with the test's clients, so what counts is how much the heap grew.
	const limit = 100 << 20
	if grew := int64(heapInUse()) - int64(before); grew > limit {
		t.Fatalf("heap in use grew by %d MB with two huge windows open, want under %d MB", grew>>20, limit>>20)
	} else {
		t.Logf("heap in use grew by %d MB with two huge windows open", grew>>20)
	}

	// One leaves and is logged as gone; the server stops with the other still open and logs it too.
	other.Close()
	waitLog(t, f, "left")
	if err := f.stop(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(f.log.String(), "disconnect user=\"alice\""); n != 2 {
		t.Fatalf("%d session ends logged, want 2:\n%s", n, f.log.String())
	}
	waitLog(t, f, "the server is shutting down")
}

// dialFrom signs in from a given loopback address.
func (f *fixture) dialFrom(ip string, auth ...gossh.AuthMethod) (*gossh.Client, error) {
	return dialSSH(f.srv.Addr().String(), ip, f.hostKey, auth...)
}

// idleFlood opens n TCP connections from ip that never say a word; they are closed when the test ends.
func idleFlood(t *testing.T, addr, ip string, n int) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: wait}
	for range n {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
	}
}

// Idle TCP connections, from the address of an authorized user and from many others, do not keep that user (or
// anyone else) out, and never hold more places than the limits allow.
func TestIdleConnectionFloodLocksNobodyOut(t *testing.T) {
	f := startServer(t, nil)
	addr := f.srv.Addr().String()
	idleFlood(t, addr, "127.0.0.1", 3*pendingPerSource)
	for i := range 10 {
		idleFlood(t, addr, fmt.Sprintf("127.0.0.%d", 10+i), pendingPerSource)
	}
	deadline := time.Now().Add(wait)
	for {
		pending, _ := f.srv.gate.counts()
		if pending == pendingTotal {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d unauthenticated connections waiting, want the limit of %d", pending, pendingTotal)
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitLog(t, f, "dropped to make room")

	for _, ip := range []string{"127.0.0.1", "127.0.0.200"} {
		start := time.Now()
		c, err := f.dialFrom(ip, gossh.PublicKeys(f.user))
		if err != nil {
			t.Fatalf("authorized user from %s kept out by the flood: %v", ip, err)
		}
		tm := openTerminal(t, c, "xterm-256color", 80, 24, nil)
		tm.waitFor(firstIdentity)
		t.Logf("authorized user from %s saw the list %s after dialling", ip, time.Since(start).Round(time.Millisecond))
	}

	f.srv.gate.mu.Lock()
	defer f.srv.gate.mu.Unlock()
	for src, list := range f.srv.gate.pending {
		if len(list) > pendingPerSource {
			t.Errorf("%s holds %d unauthenticated connections, want at most %d", src, len(list), pendingPerSource)
		}
	}
	if f.srv.gate.npending > pendingTotal || f.srv.gate.authed != 2 {
		t.Errorf("%d unauthenticated and %d authenticated connections, want at most %d and 2", f.srv.gate.npending,
			f.srv.gate.authed, pendingTotal)
	}
}

// A connection that never finishes its handshake is closed at the deadline and gives its place back.
func TestHandshakeDeadline(t *testing.T) {
	const deadline = 300 * time.Millisecond
	if handshakeTimeout > 10*time.Second {
		t.Fatalf("handshake deadline %s; a short one keeps idle connections from holding their place", handshakeTimeout)
	}
	f := startServerWith(t, nil, func(s *Server) { s.ssh.HandshakeTimeout = deadline })
	conn, err := net.DialTimeout("tcp", f.srv.Addr().String(), wait)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(wait))
	if _, err := io.Copy(io.Discard, conn); err != nil {
		t.Fatalf("the server did not close an idle connection: %v", err)
	}
	if took := time.Since(start); took < deadline/2 {
		t.Fatalf("closed after %s, before the deadline", took)
	}
	waitLog(t, f, "no handshake within 300ms")
	for pending, _ := f.srv.gate.counts(); pending != 0; pending, _ = f.srv.gate.counts() {
		if time.Since(start) > wait {
			t.Fatalf("%d unauthenticated connections still counted", pending)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A megabyte of keystrokes reaches the explorer as no more keys than a person could type, and the session answers
// the next key at once.
func TestKeystrokeBurstIsDropped(t *testing.T) {
	var recs recorders
	f := startServerWith(t, nil, recs.install)
	tm := openTerminal(t, f.mustDial(t), "xterm-256color", 80, 24, nil)
	tm.waitFor(firstIdentity)
	r := recs.wait(t, 1)
	f.srv.mu.Lock()
	var ss *session
	for _, s := range f.srv.sessions {
		ss = s
	}
	f.srv.mu.Unlock()

	start := time.Now()
	const burst = 1 << 20
	chunk := []byte(strings.Repeat("j", 32<<10))
	for range burst / len(chunk) {
		if _, err := tm.in.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	// Once the server has read the burst and decoded what it let through, the next key a person presses after a
	// short pause is answered.
	for {
		read := ss.droppedBytes.Load() + ss.droppedEvents.Load() + int64(r.keyPresses())
		if read >= burst {
			break
		}
		if time.Since(start) > wait {
			t.Fatalf("the server got through only %d bytes of the burst in %s", read, wait)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	tm.press("?")
	tm.waitFor("Keys")
	took := time.Since(start)
	allowed := keyBurst + int(float64(keysPerSecond)*took.Seconds()) + 1
	if got := r.keyPresses(); got > allowed {
		t.Fatalf("%d key presses reached the explorer in %s, want at most %d", got, took.Round(time.Millisecond), allowed)
	}
	t.Logf("1 MB of keys: %d reached the explorer, help shown %s after the burst began", r.keyPresses(), took.Round(time.Millisecond))
	waitLog(t, f, "input over the limit user=\"alice\"")
	tm.sess.Close()
	waitLog(t, f, "input over the limit dropped:")
}

// A key removed from the authorized keys file ends its open sessions within seconds, with a word to the user and a
// log line; sessions of keys still in the file go on.
func TestRevokedKeyEndsOpenSession(t *testing.T) {
	f := startServer(t, nil)
	other := newSigner(t)
	writeAuthorizedKeys(t, f.keysPath, f.user, other)
	revoked := openTerminal(t, f.mustDial(t), "xterm-256color", 80, 24, nil)
	kept := openTerminal(t, f.mustDial(t, gossh.PublicKeys(other)), "xterm-256color", 80, 24, nil)
	revoked.waitFor(firstIdentity)
	kept.waitFor(firstIdentity)

	writeAuthorizedKeys(t, f.keysPath, other)
	start := time.Now()
	revoked.waitEnd()
	if took := time.Since(start); took > 3*2*keyCheckEvery {
		t.Fatalf("the session ended %s after its key was removed, want within %s", took, 3*2*keyCheckEvery)
	} else {
		t.Logf("session ended %s after its key was removed", took.Round(time.Millisecond))
	}
	if raw, _ := revoked.output(); !strings.Contains(raw, "your key is no longer authorized here") {
		t.Fatalf("user not told why the session ended; output ends %q", tail(raw, 200))
	}
	waitLog(t, f, "key revoked user=\"alice\"")
	waitLog(t, f, "no longer authorized here; the session is closed")

	kept.press("?")
	kept.waitFor("Keys")
	if kept.ended() {
		t.Fatal("the session of a key still in the file was ended")
	}
}

// The idle timeout warns before it closes a session, scrolling counts as activity, and a key after the warning
// keeps the session.
func TestIdleWarningAndScrolling(t *testing.T) {
	const idle = 6 * time.Second // warned at 3s without input
	f := startServer(t, func(o *Options) { o.IdleTimeout = idle })
	tm := openTerminal(t, f.mustDial(t), "xterm-256color", 80, 24, nil)
	tm.waitFor(firstIdentity)
	const warning = "closes in"

	// Scrolling up and down for longer than the timeout keeps the session, without a warning.
	for i := range 8 {
		time.Sleep(time.Second)
		tm.press([]string{"j", "k"}[i%2])
		if s := tm.text(); strings.Contains(s, warning) {
			t.Fatalf("warned while the user was scrolling:\n%s", s)
		}
	}
	if tm.ended() {
		t.Fatal("a session whose user was scrolling was closed as idle")
	}

	// Left alone, it warns first; a key then takes the warning away.
	tm.waitFor(warning)
	if tm.ended() {
		t.Fatal("session closed before its warning was read")
	}
	tm.press("j")
	tm.waitScreen("the warning gone", func(s string) bool { return !strings.Contains(s, warning) })

	// Left alone again, it warns and then closes.
	tm.waitFor(warning)
	tm.waitEnd()
	if raw, _ := tm.output(); !strings.Contains(raw, "session closed after 6s without input") {
		t.Fatalf("user not told why the session ended; output ends %q", tail(raw, 200))
	}
}

// A paste far over the input budget loses its middle, not its end: the keys after it are keys again.
func TestHugePasteEnds(t *testing.T) {
	f := startServer(t, nil)
	tm := openTerminal(t, f.mustDial(t), "xterm-256color", 80, 24, nil)
	tm.waitFor(firstIdentity)
	// The end of the paste is followed by more input, so that it arrives in the middle of what is dropped.
	paste := "\x1b[200~" + strings.Repeat("0123456789abcdef", 1<<16) + "\x1b[201~" + strings.Repeat("k", 256<<10)
	if _, err := io.WriteString(tm.in, paste); err != nil {
		t.Fatal(err)
	}
	waitLog(t, f, "input over the limit user=\"alice\"")
	if !strings.Contains(tm.text(), "› "+secondIdentity) {
		t.Fatalf("the cursor does not start on %s:\n%s", secondIdentity, tm.text())
	}
	// A person's next key comes a moment later; until the paste is read it may be dropped with the rest, so the key
	// (down, which does nothing more once on the last row) is pressed again until the cursor moves or the wait is over.
	deadline := time.Now().Add(wait)
	for !strings.Contains(tm.text(), "› "+firstIdentity) {
		if time.Now().After(deadline) {
			t.Fatalf("keys after a huge paste were swallowed; screen:\n%s", tm.text())
		}
		tm.press("j")
		time.Sleep(100 * time.Millisecond)
	}
}

// A storm of window changes lays the session out no more often than the resize limit allows, and it ends up laid out
// for the last size asked for.
func TestResizeStormIsCoalesced(t *testing.T) {
	var recs recorders
	f := startServerWith(t, nil, recs.install)
	sess, _ := rawSession(t, f.mustDial(t), 80, 24)
	r := recs.wait(t, 1)
	r.waitSize(t, 1)
	start := time.Now()
	const storm = 1000
	for i := range storm {
		if err := sess.WindowChange(24+i%20, 80+i%50); err != nil {
			t.Fatal(err)
		}
	}
	if err := sess.WindowChange(45, 123); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(wait)
	for {
		r.mu.Lock()
		n, last := len(r.sizes), r.sizes[len(r.sizes)-1]
		r.mu.Unlock()
		if last.Width == 123 && last.Height == 45 {
			took := time.Since(start)
			allowed := 1 + resizeBurst + int(2*resizesPerSecond*took.Seconds()) + 2
			if n > allowed {
				t.Fatalf("%d window sizes reached the explorer in %s, want at most %d", n, took.Round(time.Millisecond), allowed)
			}
			t.Logf("%d window changes: %d sizes reached the explorer, the last after %s", storm+1, n, took.Round(time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the explorer never got the last size; it has %dx%d after %d sizes", last.Width, last.Height, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Authenticated connections holding no session are bounded too; a place freed is taken again.
func TestAuthenticatedConnectionsBounded(t *testing.T) {
	f := startServer(t, func(o *Options) { o.MaxSessions = 1 })
	limit := f.srv.authLimit()
	var held []*gossh.Client
	for range limit {
		held = append(held, f.mustDial(t))
	}
	if c, err := f.dial("alice", gossh.PublicKeys(f.user)); err == nil {
		c.Close()
		t.Fatalf("connection %d over the limit of %d authenticated connections was let in", limit+1, limit)
	}
	waitLog(t, f, fmt.Sprintf("%d authenticated connections already open", limit))
	held[0].Close()
	deadline := time.Now().Add(wait)
	for {
		c, err := f.dial("alice", gossh.PublicKeys(f.user))
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a freed place was not given again: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
