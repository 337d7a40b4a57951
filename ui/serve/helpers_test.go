package serve

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/cache"
	gossh "golang.org/x/crypto/ssh"
)

// wait bounds every wait in these tests.
const wait = 10 * time.Second

// testTenant is a small tenant whose identity names the tests look for on screen.
func testTenant() *data.Tenant {
	sub := "00000000-0000-0000-0000-00000000aaaa"
	vm := "/subscriptions/" + sub + "/resourceGroups/payments/providers/Microsoft.Compute/virtualMachines/vm-payments"
	uai := "/subscriptions/" + sub + "/resourceGroups/ci/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-deploy"
	return &data.Tenant{
		ID:            "11111111-1111-1111-1111-111111111111",
		DisplayName:   "Contoso Test",
		CollectedAt:   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Subscriptions: []data.Subscription{{ID: sub, DisplayName: "Payments"}},
		Identities: []data.Identity{
			{ID: "aaaaaaaa-0000-0000-0000-000000000001", AppID: "bbbbbbbb-0000-0000-0000-000000000001",
				DisplayName: "vm-payments", Kind: data.SystemAssigned, ResourceID: vm},
			{ID: "aaaaaaaa-0000-0000-0000-000000000002", AppID: "bbbbbbbb-0000-0000-0000-000000000002",
				DisplayName: "uai-deploy", Kind: data.UserAssigned, ResourceID: uai},
		},
		Resources: []data.Resource{
			{ID: vm, Name: "vm-payments", Type: "Microsoft.Compute/virtualMachines", Location: "westeurope",
				SystemAssignedPrincipalID: "aaaaaaaa-0000-0000-0000-000000000001"},
			{ID: uai, Name: "uai-deploy", Type: "Microsoft.ManagedIdentity/userAssignedIdentities", Location: "westeurope"},
		},
		RoleDefinitions: []data.RoleDefinition{{ID: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", RoleName: "Owner", Actions: []string{"*"}}},
		RoleAssignments: []data.RoleAssignment{{
			ID:               "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleAssignments/r1",
			PrincipalID:      "aaaaaaaa-0000-0000-0000-000000000002",
			PrincipalType:    data.PrincipalServicePrincipal,
			RoleDefinitionID: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
			Scope:            "/subscriptions/" + sub,
		}},
	}
}

// syncBuffer is a log destination the tests can read while the server writes.
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

func newSigner(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeAuthorizedKeys(t testing.TB, path string, keys ...gossh.Signer) {
	t.Helper()
	var b strings.Builder
	b.WriteString("# team keys\n\n")
	for _, k := range keys {
		b.Write(gossh.MarshalAuthorizedKey(k.PublicKey()))
	}
	if err := data.WriteFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, b.String()); return err }); err != nil {
		t.Fatal(err)
	}
}

// fixture is a running server with one authorized user key.
type fixture struct {
	srv      *Server
	dir      string
	keysPath string
	user     gossh.Signer // authorized
	log      *syncBuffer
	hostKey  gossh.PublicKey
	// stop cancels the server's context and waits, within wait, for ListenAndServe to return.
	stop func() error
}

// startServer runs a server on 127.0.0.1:0 until the test ends.
func startServer(t testing.TB, tune func(*Options)) *fixture {
	t.Helper()
	return startServerWith(t, tune, nil)
}

// startServerWith is startServer with a last look at the server before it listens.
func startServerWith(t testing.TB, tune func(*Options), prepare func(*Server)) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir, keysPath: filepath.Join(dir, "authorized_keys"), user: newSigner(t), log: &syncBuffer{}}
	writeAuthorizedKeys(t, f.keysPath, f.user)
	opts := Options{
		Listen:         "127.0.0.1:0",
		AuthorizedKeys: f.keysPath,
		HostKey:        filepath.Join(dir, "host_ed25519"),
		Log:            f.log,
	}
	if tune != nil {
		tune(&opts)
	}
	src := cache.New(data.NewTenantSource(testTenant(), data.SourceInfo{Origin: data.OriginDemo, Label: "test tenant"}), cache.Options{})
	srv, err := New(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	f.hostKey = srv.hostKey.PublicKey()
	if prepare != nil {
		prepare(srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	case <-time.After(wait):
		t.Fatal("server did not start listening")
	}
	var stopped error
	var once sync.Once
	f.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					stopped = fmt.Errorf("server stopped with %w", err)
				}
			case <-time.After(wait):
				stopped = errors.New("server did not stop")
			}
		})
		return stopped
	}
	t.Cleanup(func() {
		if err := f.stop(); err != nil {
			t.Error(err)
		}
		src.Close()
	})
	return f
}

func (f *fixture) dial(user string, auth ...gossh.AuthMethod) (*gossh.Client, error) {
	return gossh.Dial("tcp", f.srv.Addr().String(), &gossh.ClientConfig{
		User:            user,
		Auth:            auth,
		HostKeyCallback: gossh.FixedHostKey(f.hostKey),
		Timeout:         wait,
	})
}

func (f *fixture) mustDial(t testing.TB, auth ...gossh.AuthMethod) *gossh.Client {
	t.Helper()
	if len(auth) == 0 {
		auth = []gossh.AuthMethod{gossh.PublicKeys(f.user)}
	}
	c, err := f.dial("alice", auth...)
	if err != nil {
		t.Fatalf("authorized key refused: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// terminal is the client side of one PTY session: what the server draws lands in a virtual terminal, whose answers
// to the program's terminal queries go back up the session like a real terminal's.
type terminal struct {
	t    testing.TB
	sess *gossh.Session
	in   io.WriteCloser

	mu     sync.Mutex
	screen *vt.Emulator
	raw    bytes.Buffer
	stderr bytes.Buffer
	done   chan struct{}
	err    error
	// drained is closed once stdout and stderr have been read to their end.
	drained chan struct{}
}

func openTerminal(t testing.TB, c *gossh.Client, term string, w, h int, env map[string]string) *terminal {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range env {
		if err := sess.Setenv(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := sess.RequestPty(term, h, w, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	tm := startTerminal(t, sess, w, h)
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() { tm.err = sess.Wait(); close(tm.done) }()
	t.Cleanup(func() { sess.Close() })
	return tm
}

func startTerminal(t testing.TB, sess *gossh.Session, w, h int) *terminal {
	t.Helper()
	in, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errOut, err := sess.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	tm := &terminal{t: t, sess: sess, in: in, screen: vt.NewEmulator(w, h), done: make(chan struct{}),
		drained: make(chan struct{})}
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { readers.Wait(); close(tm.drained) }()
	go func() {
		defer readers.Done()
		buf := make([]byte, 32*1024)
		for {
			n, err := out.Read(buf)
			if n > 0 {
				tm.mu.Lock()
				tm.raw.Write(buf[:n])
				tm.screen.Write(buf[:n])
				tm.mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		defer readers.Done()
		b, _ := io.ReadAll(errOut)
		tm.mu.Lock()
		tm.stderr.Write(b)
		tm.mu.Unlock()
	}()
	// The terminal's replies (and the keys the test types) go to the server through one writer.
	go io.Copy(in, tm.screen)
	t.Cleanup(func() {
		tm.mu.Lock()
		defer tm.mu.Unlock()
		tm.screen.Close() // ends the copy, so the screen does not outlive the test
	})
	return tm
}

// press types keys as a terminal sends them.
func (tm *terminal) press(s string) { tm.screen.SendText(s) }

func (tm *terminal) text() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.screen.String()
}

func (tm *terminal) lines() []string { return strings.Split(tm.text(), "\n") }

func (tm *terminal) output() (raw, stderr string) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.raw.String(), tm.stderr.String()
}

// waitScreen waits until the screen satisfies ok, failing with the screen as it last was.
func (tm *terminal) waitScreen(what string, ok func(screen string) bool) {
	tm.t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if ok(tm.text()) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tm.t.Fatalf("screen never showed %s; it shows:\n%s", what, tm.text())
}

func (tm *terminal) waitFor(s string) {
	tm.t.Helper()
	tm.waitScreen(`"`+s+`"`, func(screen string) bool { return strings.Contains(screen, s) })
}

// resize changes the window on both ends, as a terminal emulator and ssh do.
func (tm *terminal) resize(w, h int) {
	tm.t.Helper()
	tm.mu.Lock()
	tm.screen.Resize(w, h)
	tm.mu.Unlock()
	if err := tm.sess.WindowChange(h, w); err != nil {
		tm.t.Fatal(err)
	}
}

// waitEnd waits for the server to close the session and returns its exit status.
func (tm *terminal) waitEnd() int {
	tm.t.Helper()
	select {
	case <-tm.done:
	case <-time.After(wait):
		tm.t.Fatalf("session did not end; screen:\n%s", tm.text())
	}
	select {
	case <-tm.drained:
	case <-time.After(wait):
		tm.t.Fatal("session output did not end")
	}
	if tm.err == nil {
		return 0
	}
	if ee, ok := tm.err.(*gossh.ExitError); ok {
		return ee.ExitStatus()
	}
	tm.t.Fatalf("session ended without an exit status: %v", tm.err)
	return -1
}

func (tm *terminal) ended() bool {
	select {
	case <-tm.done:
		return true
	default:
		return false
	}
}

func waitLog(t testing.TB, f *fixture, s string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if strings.Contains(f.log.String(), s) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("log never said %q; it says:\n%s", s, f.log.String())
}

func writeFile(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
