package serve

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"

	gossh "golang.org/x/crypto/ssh"
)

// authorizedKeys is the allow-list of public keys, read from an OpenSSH authorized_keys file and read again whenever
// the file changes, so adding or removing a key takes effect without a restart.
type authorizedKeys struct {
	path string
	log  *log.Logger

	mu   sync.Mutex
	info os.FileInfo         // the file as last read; nil when it could not be read
	keys map[string]struct{} // marshalled public keys
}

// loadAuthorizedKeys reads path strictly: any line miscope cannot honour is an error, so a typo is caught at start
// rather than silently locking someone out (or in).
func loadAuthorizedKeys(path string, logger *log.Logger) (*authorizedKeys, error) {
	if path == "" {
		return nil, errors.New("serve needs an authorized keys file (--authorized-keys FILE) with one public key " +
			"per line, for example the contents of ~/.ssh/id_ed25519.pub; miscope never serves without one")
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read authorized keys file: %w; create it with one public key per line", err)
	}
	if info.IsDir() {
		return nil, fmt.Errorf("authorized keys file %s is a folder; give the path of a file with one public key per line", path)
	}
	if info.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("authorized keys file %s can be changed by other users (mode %04o); run chmod go-w %s",
			path, info.Mode().Perm(), path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read authorized keys file: %w", err)
	}
	keys, problems := parseAuthorizedKeys(raw)
	if len(problems) > 0 {
		return nil, fmt.Errorf("authorized keys file %s: %s", path, strings.Join(problems, "; "))
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("authorized keys file %s holds no public key; add one per line, for example the "+
			"contents of ~/.ssh/id_ed25519.pub", path)
	}
	return &authorizedKeys{path: path, log: logger, info: info, keys: keys}, nil
}

// parseAuthorizedKeys returns the keys it understood and a description of each line it could not honour. Lines with
// options (from=, command=, restrict ...) are refused rather than served without the restriction they ask for.
func parseAuthorizedKeys(raw []byte) (map[string]struct{}, []string) {
	keys := map[string]struct{}{}
	var problems []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		key, _, options, _, err := gossh.ParseAuthorizedKey(line)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("line %d is not a public key", n))
		case len(options) > 0:
			problems = append(problems, fmt.Sprintf("line %d has options (%s) that miscope does not support; remove them",
				n, strings.Join(options, ",")))
		case isCertificate(key):
			problems = append(problems, fmt.Sprintf("line %d is a certificate; list the plain public key instead", n))
		default:
			keys[string(key.Marshal())] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		problems = append(problems, err.Error())
	}
	return keys, problems
}

func isCertificate(k gossh.PublicKey) bool {
	_, ok := k.(*gossh.Certificate)
	return ok
}

// allows reports whether key is in the file as it is now. A file that became unreadable allows nobody; lines that
// became invalid are skipped (and logged once) while the rest still count.
func (a *authorizedKeys) allows(key gossh.PublicKey) bool {
	if key == nil || isCertificate(key) {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refreshLocked()
	_, ok := a.keys[string(key.Marshal())]
	return ok
}

// count is how many keys the file holds as last read.
func (a *authorizedKeys) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.keys)
}

func (a *authorizedKeys) refreshLocked() {
	info, err := os.Stat(a.path)
	if err == nil && a.info != nil && os.SameFile(info, a.info) && info.Size() == a.info.Size() &&
		info.ModTime().Equal(a.info.ModTime()) {
		return
	}
	if err == nil && info.Mode().Perm()&0o022 != 0 {
		err = fmt.Errorf("it can be changed by other users (mode %04o)", info.Mode().Perm())
	}
	var raw []byte
	if err == nil {
		raw, err = os.ReadFile(a.path)
	}
	if err != nil {
		if a.info != nil {
			a.log.Printf("authorized keys file %s cannot be used (%v): refusing every key until it is fixed", a.path, err)
		}
		a.info, a.keys = nil, nil
		return
	}
	keys, problems := parseAuthorizedKeys(raw)
	for _, p := range problems {
		a.log.Printf("authorized keys file %s: %s; that line is ignored", a.path, p)
	}
	a.log.Printf("authorized keys file %s changed: %d keys", a.path, len(keys))
	a.info, a.keys = info, keys
}
