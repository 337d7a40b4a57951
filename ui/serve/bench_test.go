package serve

import (
	"io"
	"log"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// BenchmarkAuthorizedKeyCheck is the cost added to every authentication attempt: a stat of the authorized keys file
// (100 keys) and a lookup.
func BenchmarkAuthorizedKeyCheck(b *testing.B) {
	path := filepath.Join(b.TempDir(), "authorized_keys")
	var signers []gossh.Signer
	for range 100 {
		signers = append(signers, newSigner(b))
	}
	var sb strings.Builder
	for _, s := range signers {
		sb.Write(gossh.MarshalAuthorizedKey(s.PublicKey()))
	}
	writeFile(b, path, sb.String(), 0o600)
	keys, err := loadAuthorizedKeys(path, log.New(io.Discard, "", 0))
	if err != nil {
		b.Fatal(err)
	}
	last := signers[len(signers)-1].PublicKey()
	b.ReportAllocs()
	for b.Loop() {
		if !keys.allows(last) {
			b.Fatal("authorized key refused")
		}
	}
}

// BenchmarkSessionToIdentityList is what a user waits for: SSH handshake, public-key authentication, PTY session and
// the TUI drawing the identity list.
func BenchmarkSessionToIdentityList(b *testing.B) {
	f := startServer(b, nil)
	for b.Loop() {
		c, err := f.dial("alice", gossh.PublicKeys(f.user))
		if err != nil {
			b.Fatal(err)
		}
		tm := openTerminal(b, c, "xterm-256color", 80, 24, nil)
		deadline := time.Now().Add(wait)
		for !strings.Contains(tm.text(), firstIdentity) {
			if time.Now().After(deadline) {
				b.Fatal("identity list never shown")
			}
			time.Sleep(time.Millisecond)
		}
		tm.sess.Close()
		c.Close()
	}
}
