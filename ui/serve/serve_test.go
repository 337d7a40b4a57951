package serve

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/cache"
	gossh "golang.org/x/crypto/ssh"
)

// Names the TUI shows for testTenant.
const (
	firstIdentity  = "vm-payments"
	secondIdentity = "uai-deploy"
)

func TestAuthorizedKeySeesListAndDetail(t *testing.T) {
	f := startServer(t, nil)
	tm := openTerminal(t, f.mustDial(t), "xterm-256color", 100, 30, nil)
	tm.waitFor(firstIdentity)
	tm.waitFor(secondIdentity)

	tm.press("\r")
	tm.waitScreen("the detail view of an identity", func(s string) bool { return detailOf(s) != "" })

	fp := gossh.FingerprintSHA256(f.user.PublicKey())
	waitLog(t, f, `connect user="alice" addr=127.0.0.1:`)
	if !strings.Contains(f.log.String(), "key="+fp) {
		t.Errorf("connection log lacks the key fingerprint %s:\n%s", fp, f.log.String())
	}
	tm.sess.Close()
	waitLog(t, f, "disconnect user=\"alice\"")
}

func TestRefusedWithoutAuthorizedKey(t *testing.T) {
	f := startServer(t, nil)
	stranger := newSigner(t)
	cases := map[string][]gossh.AuthMethod{
		"unknown key": {gossh.PublicKeys(stranger)},
		"password":    {gossh.Password("hunter2")},
		"keyboard-interactive": {gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
			return []string{"hunter2"}, nil
		})},
		"no credentials": nil,
	}
	for name, auth := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := f.dial("mallory", auth...)
			if err == nil {
				c.Close()
				t.Fatal("server let the client in")
			}
			if !strings.Contains(err.Error(), "unable to authenticate") {
				t.Fatalf("want an authentication failure, got %v", err)
			}
		})
	}
	if fp := gossh.FingerprintSHA256(stranger.PublicKey()); !strings.Contains(f.log.String(), "key refused user=\"mallory\"") ||
		!strings.Contains(f.log.String(), fp) {
		t.Errorf("log does not name the refused key %s:\n%s", fp, f.log.String())
	}
}

// offerOnly offers a public key it does not hold. The server's "would you accept this key?" query gets the key, but
// what follows is no signature with it: a signature of another algorithm, which the server rejects without ending the
// connection, so the client goes on to its next key. This is the first half of the authentication bypass fixed in
// soft-serve in 2026: the server has approved the offered key in its callback, yet the connection never proved it.
type offerOnly struct {
	offered gossh.PublicKey
	asked   *atomic.Int32 // how often the server accepted the offer and the client was asked to sign
}

func (o offerOnly) PublicKey() gossh.PublicKey { return o.offered }
func (o offerOnly) Sign(io.Reader, []byte) (*gossh.Signature, error) {
	o.asked.Add(1)
	return &gossh.Signature{Format: gossh.KeyAlgoRSASHA256, Blob: []byte("not a signature")}, nil
}

func TestOfferedKeyIsNotIdentity(t *testing.T) {
	f := startServer(t, nil)
	attacker := newSigner(t)

	// Offer the authorized key without signing with it, then sign in with the attacker's own key.
	var asked atomic.Int32
	_, err := f.dial("alice", gossh.PublicKeys(offerOnly{f.user.PublicKey(), &asked}, attacker))
	if err == nil {
		t.Fatal("offering an authorized key without signing with it let another key in")
	}
	if asked.Load() == 0 {
		t.Fatal("the server never accepted the offered key, so the bypass path was not exercised")
	}
	if strings.Contains(f.log.String(), "connect ") {
		t.Fatalf("a session was served:\n%s", f.log.String())
	}

	// With a second authorized key, the session must belong to the key that signed, not to the one offered first.
	other := newSigner(t)
	writeAuthorizedKeys(t, f.keysPath, f.user, other)
	c, err := f.dial("bob", gossh.PublicKeys(offerOnly{f.user.PublicKey(), &asked}, other))
	if err != nil {
		t.Fatalf("authorized second key refused: %v", err)
	}
	defer c.Close()
	tm := openTerminal(t, c, "xterm-256color", 80, 24, nil)
	tm.waitFor(firstIdentity)
	waitLog(t, f, "connect user=\"bob\"")
	line := logLine(f, "connect user=\"bob\"")
	if !strings.Contains(line, gossh.FingerprintSHA256(other.PublicKey())) ||
		strings.Contains(line, gossh.FingerprintSHA256(f.user.PublicKey())) {
		t.Fatalf("session attributed to the offered key instead of the one that signed: %s", line)
	}
}

// A key removed from the file is refused for new sessions even on a connection it already authenticated: admit
// checks the key that signed in against the file as it is now.
func TestRevokedKeyRefusedOnOpenConnection(t *testing.T) {
	f := startServer(t, nil)
	c := f.mustDial(t)
	writeAuthorizedKeys(t, f.keysPath, newSigner(t))

	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	tm := startTerminal(t, sess, 80, 24)
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() { tm.err = sess.Wait(); close(tm.done) }()
	if code := tm.waitEnd(); code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
	if _, stderr := tm.output(); !strings.Contains(stderr, "not authorized") {
		t.Fatalf("client was not told why: %q", stderr)
	}
	if strings.Contains(tm.text(), firstIdentity) {
		t.Fatal("the identity list was shown to a revoked key")
	}
	if _, err := f.dial("alice", gossh.PublicKeys(f.user)); err == nil {
		t.Fatal("revoked key could still sign in")
	}
}

func TestAuthorizedKeysReadAgainOnChange(t *testing.T) {
	f := startServer(t, nil)
	newcomer := newSigner(t)
	if _, err := f.dial("carol", gossh.PublicKeys(newcomer)); err == nil {
		t.Fatal("key not yet in the file got in")
	}
	writeAuthorizedKeys(t, f.keysPath, f.user, newcomer)
	c, err := f.dial("carol", gossh.PublicKeys(newcomer))
	if err != nil {
		t.Fatalf("key added to the file refused: %v", err)
	}
	c.Close()
}

func TestSessionsKeepSeparateState(t *testing.T) {
	f := startServer(t, nil)
	one := openTerminal(t, f.mustDial(t), "xterm-256color", 100, 30, nil)
	two := openTerminal(t, f.mustDial(t), "xterm-256color", 100, 30, nil)
	one.waitFor(firstIdentity)
	two.waitFor(firstIdentity)
	two.waitFor(secondIdentity)

	// Filter the first session down to one identity.
	one.press("/")
	one.press(firstIdentity)
	one.waitScreen("only "+firstIdentity, func(s string) bool {
		return strings.Contains(s, firstIdentity) && !strings.Contains(s, secondIdentity)
	})

	// The second session still lists both and opens its own row.
	if s := two.text(); !strings.Contains(s, secondIdentity) {
		t.Fatalf("the filter of one session reached the other:\n%s", s)
	}
	two.press("\r")
	two.waitScreen("a detail view", func(s string) bool { return detailOf(s) != "" })

	// The first session's filter and view are untouched by the second's navigation.
	if s := one.text(); detailOf(s) != "" || strings.Contains(s, secondIdentity) {
		t.Fatalf("the second session's navigation leaked into the first:\n%s", s)
	}
	one.press("\r") // keep the filter
	one.press("\r") // open the only row
	one.waitScreen("the detail view of "+firstIdentity, func(s string) bool { return detailOf(s) == firstIdentity })
}

func TestResizeRerenders(t *testing.T) {
	f := startServer(t, nil)
	tm := openTerminal(t, f.mustDial(t), "xterm-256color", 80, 24, nil)
	tm.waitFor(firstIdentity)
	if n := lastUsedRow(tm.lines()); n >= 24 {
		t.Fatalf("drew on row %d of a 24-row terminal", n)
	}
	tm.resize(120, 40)
	tm.waitScreen("the bottom line on row 40 and lines wider than 80 columns", func(string) bool {
		lines := tm.lines()
		return lastUsedRow(lines) == 39 && widest(lines) > 100
	})
	tm.waitFor(firstIdentity)
}

func TestNoTerminalIsExplainedAndClosed(t *testing.T) {
	f := startServer(t, nil)
	c := f.mustDial(t)
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	out, err := sess.CombinedOutput("")
	var exit *gossh.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus() != 1 {
		t.Fatalf("want exit status 1, got %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != "miscope: miscope needs an interactive terminal; connect with ssh -t" {
		t.Fatalf("want a one-line explanation, got %q", got)
	}
	waitLog(t, f, "session refused user=\"alice\"")
}

func TestCommandsAreRefused(t *testing.T) {
	f := startServer(t, nil)
	sess, err := f.mustDial(t).NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	out, err := sess.CombinedOutput("cat /etc/passwd")
	if err == nil || !strings.Contains(string(out), "runs no commands") {
		t.Fatalf("command not refused: %v %q", err, out)
	}
}

func TestIdleSessionEnds(t *testing.T) {
	// Long enough that a busy machine delivering keys late does not look idle; the keys come at a quarter of it.
	const idle = 2 * time.Second
	f := startServer(t, func(o *Options) { o.IdleTimeout = idle })
	tm := openTerminal(t, f.mustDial(t), "xterm-256color", 80, 24, nil)
	tm.waitFor(firstIdentity)

	// Typing keeps the session alive well past the timeout.
	for range 6 {
		time.Sleep(idle / 4)
		tm.press("j")
	}
	if tm.ended() {
		t.Fatal("a session with input was closed as idle")
	}
	start := time.Now()
	tm.waitEnd()
	if waited := time.Since(start); waited < idle/2 {
		t.Fatalf("session ended %s after the last key, before the idle timeout", waited)
	}
	raw, _ := tm.output()
	if !strings.Contains(raw, "session closed after 2s without input") {
		t.Fatalf("user not told why the session ended; output ends %q", tail(raw, 200))
	}
	waitLog(t, f, "without input")
}

func TestMaxSessions(t *testing.T) {
	f := startServer(t, func(o *Options) { o.MaxSessions = 1 })
	first := openTerminal(t, f.mustDial(t), "xterm-256color", 80, 24, nil)
	first.waitFor(firstIdentity)

	second := openTerminal(t, f.mustDial(t), "xterm-256color", 80, 24, nil)
	if code := second.waitEnd(); code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
	if _, stderr := second.output(); !strings.Contains(stderr, "limit of 1 sessions") {
		t.Fatalf("refused client not told why: %q", stderr)
	}

	// The slot is free again once the first session leaves.
	first.sess.Close()
	deadline := time.Now().Add(wait)
	for f.srv.Sessions() != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	third := openTerminal(t, f.mustDial(t), "xterm-256color", 80, 24, nil)
	third.waitFor(firstIdentity)
}

func TestShutdownEndsSessions(t *testing.T) {
	dir := t.TempDir()
	user := newSigner(t)
	keys := filepath.Join(dir, "authorized_keys")
	writeAuthorizedKeys(t, keys, user)
	logs := &syncBuffer{}
	src := cache.New(data.NewTenantSource(testTenant(), data.SourceInfo{}), cache.Options{})
	defer src.Close()
	srv, err := New(src, Options{Listen: "127.0.0.1:0", AuthorizedKeys: keys, HostKey: filepath.Join(dir, "host"),
		Log: logs})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx) }()
	<-srv.Ready()
	f := &fixture{srv: srv, user: user, hostKey: srv.hostKey.PublicKey(), log: logs}
	tm := openTerminal(t, f.mustDial(t), "xterm-256color", 80, 24, nil)
	tm.waitFor(firstIdentity)

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("want a clean stop, got %v", err)
		}
	case <-time.After(wait):
		t.Fatal("server did not stop")
	}
	tm.waitEnd()
	if raw, _ := tm.output(); !strings.Contains(raw, "the server is shutting down") {
		t.Fatalf("user not told the server stopped; output ends %q", tail(raw, 200))
	}
	if _, err := f.dial("alice", gossh.PublicKeys(user)); err == nil {
		t.Fatal("server still accepts connections after stopping")
	}
}

func TestColourProfilePerSession(t *testing.T) {
	f := startServer(t, nil)
	colour := openTerminal(t, f.mustDial(t), "xterm-256color", 80, 24, nil)
	plain := openTerminal(t, f.mustDial(t), "xterm-256color", 80, 24, map[string]string{"NO_COLOR": "yes"})
	colour.waitFor(firstIdentity)
	plain.waitFor(firstIdentity)
	raw, _ := colour.output()
	if !hasColour(raw) {
		t.Fatalf("xterm-256color session drew no colour")
	}
	raw, _ = plain.output()
	if hasColour(raw) {
		t.Fatalf("NO_COLOR session drew colour")
	}
}

func TestProfile(t *testing.T) {
	cases := []struct {
		env  []string
		want colorprofile.Profile
	}{
		{[]string{"TERM=xterm-256color"}, colorprofile.ANSI256},
		{[]string{"TERM=xterm-256color", "COLORTERM=truecolor"}, colorprofile.TrueColor},
		{[]string{"TERM=xterm-256color", "NO_COLOR=1"}, colorprofile.ASCII},
		{[]string{"TERM=xterm-256color", "NO_COLOR=yes"}, colorprofile.ASCII},
		{[]string{"TERM=xterm-256color", "NO_COLOR="}, colorprofile.ANSI256},
		{[]string{"TERM=dumb", "NO_COLOR=yes"}, colorprofile.NoTTY},
	}
	for _, c := range cases {
		if got := profile(c.env); got != c.want {
			t.Errorf("profile(%q) = %v, want %v", c.env, got, c.want)
		}
	}
}

func TestUserNameIsCleanedInLog(t *testing.T) {
	f := startServer(t, nil)
	c, err := f.dial("eve\x1b]0;pwned\a\x1b[2J", gossh.PublicKeys(f.user))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tm := openTerminal(t, c, "xterm", 80, 24, nil)
	tm.waitFor(firstIdentity)
	waitLog(t, f, "connect user=")
	if strings.ContainsRune(f.log.String(), 0x1b) || strings.ContainsRune(f.log.String(), '\a') {
		t.Fatalf("log carries the client's escape sequences: %q", f.log.String())
	}
}

func TestNewRefusesBadSetup(t *testing.T) {
	dir := t.TempDir()
	src := cache.New(data.NewTenantSource(testTenant(), data.SourceInfo{}), cache.Options{})
	defer src.Close()
	key := string(gossh.MarshalAuthorizedKey(newSigner(t).PublicKey()))
	good := filepath.Join(dir, "good")
	writeFile(t, good, key, 0o600)
	host := filepath.Join(dir, "host")

	cases := []struct {
		name    string
		keys    string
		content string
		mode    os.FileMode
		want    string
	}{
		{name: "no file given", want: "needs an authorized keys file"},
		{name: "missing file", keys: filepath.Join(dir, "absent"), want: "cannot read authorized keys file"},
		{name: "empty file", keys: "empty", content: "# nobody yet\n", mode: 0o600, want: "holds no public key"},
		{name: "not a key", keys: "garbage", content: key + "ssh-ed25519 notbase64\n", mode: 0o600, want: "line 2 is not a public key"},
		{name: "options", keys: "options", content: `from="10.0.0.1" ` + key, mode: 0o600, want: "options (from="},
		{name: "writable by others", keys: "open", content: key, mode: 0o666, want: "chmod go-w"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := c.keys
			if c.content != "" {
				path = filepath.Join(dir, c.keys)
				writeFile(t, path, c.content, c.mode)
			}
			_, err := New(src, Options{AuthorizedKeys: path, HostKey: host, Log: io.Discard})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error saying %q, got %v", c.want, err)
			}
		})
	}

	t.Run("host key readable by others", func(t *testing.T) {
		open := filepath.Join(dir, "open_host")
		if _, _, err := hostKey(open); err != nil {
			t.Fatal(err)
		}
		os.Chmod(open, 0o644)
		_, err := New(src, Options{AuthorizedKeys: good, HostKey: open, Log: io.Discard})
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("want a refusal of a readable host key, got %v", err)
		}
	})
	t.Run("export dir missing", func(t *testing.T) {
		_, err := New(src, Options{AuthorizedKeys: good, HostKey: host, ExportDir: filepath.Join(dir, "nope"),
			Log: io.Discard})
		if err == nil || !strings.Contains(err.Error(), "export folder") {
			t.Fatalf("want an export folder error, got %v", err)
		}
	})
}

func TestHostKeyCreatedOnceAndReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "host_ed25519")
	first, created, err := hostKey(path)
	if err != nil || !created {
		t.Fatalf("host key not created: %v", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("host key mode %04o, want 0600", info.Mode().Perm())
	}
	again, created, err := hostKey(path)
	if err != nil || created {
		t.Fatalf("host key not reused: created=%v err=%v", created, err)
	}
	if gossh.FingerprintSHA256(first.PublicKey()) != gossh.FingerprintSHA256(again.PublicKey()) {
		t.Fatal("a new host key replaced the existing one")
	}
}

// detailOf is the identity whose detail view the screen shows, or "": the breadcrumb ends in its name and the
// header lists its object id.
func detailOf(screen string) string {
	if !strings.Contains(screen, "Object id:") {
		return ""
	}
	for _, name := range []string{firstIdentity, secondIdentity} {
		if strings.Contains(screen, "identities › "+name) {
			return name
		}
	}
	return ""
}

func widest(lines []string) int {
	w := 0
	for _, l := range lines {
		w = max(w, ansi.StringWidth(strings.TrimRight(l, " ")))
	}
	return w
}

func lastUsedRow(lines []string) int {
	last := -1
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			last = i
		}
	}
	return last
}

// hasColour reports whether raw output sets a foreground or background colour (SGR 30-49, 90-107, or 38/48;...).
func hasColour(raw string) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != 0x1b || i+1 >= len(raw) || raw[i+1] != '[' {
			continue
		}
		j := i + 2
		for j < len(raw) && (raw[j] >= '0' && raw[j] <= '9' || raw[j] == ';' || raw[j] == ':') {
			j++
		}
		if j >= len(raw) || raw[j] != 'm' {
			continue
		}
		for _, p := range strings.FieldsFunc(raw[i+2:j], func(r rune) bool { return r == ';' || r == ':' }) {
			switch {
			case len(p) == 2 && (p[0] == '3' || p[0] == '4') && p[1] != '9':
				return true
			case len(p) == 2 && p[0] == '9', len(p) == 3 && p[:2] == "10":
				return true
			}
		}
	}
	return false
}

func logLine(f *fixture, prefix string) string {
	for _, l := range strings.Split(f.log.String(), "\n") {
		if strings.Contains(l, prefix) {
			return l
		}
	}
	return ""
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
