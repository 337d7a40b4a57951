package serve

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/miscope/miscope/data/triage"
)

// TestTwoSessionsDecideAtOnce: two SSH users accept different findings at the same moment; both decisions land in
// the triage file, each with the user and key it came from.
func TestTwoSessionsDecideAtOnce(t *testing.T) {
	var path string
	f := startServer(t, func(o *Options) {
		path = filepath.Join(t.TempDir(), "miscope-triage.yaml")
		o.Triage = path
	})
	bobKey := newSigner(t)
	writeAuthorizedKeys(t, f.keysPath, f.user, bobKey)
	bobClient, err := f.dial("bob", gossh.PublicKeys(bobKey))
	if err != nil {
		t.Fatalf("bob's key refused: %v", err)
	}
	t.Cleanup(func() { bobClient.Close() })
	alice := openTerminal(t, f.mustDial(t), "xterm-256color", 100, 30, nil)
	bob := openTerminal(t, bobClient, "xterm-256color", 100, 30, nil)

	// Each opens the findings pane and the form on a different finding: alice the first, bob the second.
	for i, tm := range []*terminal{alice, bob} {
		tm.waitFor("findings")
		tm.press("f")
		tm.waitFor("open (open only)")
		if i == 1 {
			tm.press("j")
		}
		tm.press("a")
		tm.waitFor("Decide: ")
		tm.press([]string{"alice's reason", "bob's reason"}[i])
		tm.waitFor([]string{"alice's reason", "bob's reason"}[i])
	}
	var wg sync.WaitGroup
	for _, tm := range []*terminal{alice, bob} {
		wg.Go(func() { tm.press("\r") })
	}
	wg.Wait()
	for _, tm := range []*terminal{alice, bob} {
		tm.waitFor("accepted:")
	}
	file, err := triage.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(file.Decisions) != 2 {
		t.Fatalf("%d decisions in the file, want 2: %+v", len(file.Decisions), file.Decisions)
	}
	by := map[string]string{}
	for _, e := range file.Decisions {
		by[e.Justification] = e.By
	}
	if !strings.HasPrefix(by["alice's reason"], "alice (ssh "+gossh.FingerprintSHA256(f.user.PublicKey())) ||
		!strings.HasPrefix(by["bob's reason"], "bob (ssh "+gossh.FingerprintSHA256(bobKey.PublicKey())) {
		t.Errorf("decisions are not recorded with their SSH user and key: %v", by)
	}
	if file.Decisions[0].Fingerprint == file.Decisions[1].Fingerprint {
		t.Error("both sessions decided the same finding")
	}
}
