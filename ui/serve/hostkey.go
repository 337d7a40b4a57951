package serve

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/miscope/miscope/data"
	gossh "golang.org/x/crypto/ssh"
)

// hostKey reads the server's private host key from path, or creates an Ed25519 one there (0600) when the file does
// not exist, so clients see the same host key on every start. created says which happened.
func hostKey(path string) (signer gossh.Signer, created bool, err error) {
	if path == "" {
		return nil, false, errors.New("serve needs a host key file (--host-key FILE); it is created if missing and reused after")
	}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		signer, err := createHostKey(path)
		return signer, err == nil, err
	case err != nil:
		return nil, false, fmt.Errorf("cannot read host key: %w", err)
	case info.IsDir():
		return nil, false, fmt.Errorf("host key %s is a folder; give the path of a file (it is created if missing)", path)
	case info.Mode().Perm()&0o077 != 0:
		// The private host key is what lets clients trust this server: like sshd, refuse one others can read.
		return nil, false, fmt.Errorf("host key %s is readable by other users (mode %04o); run chmod 600 %s",
			path, info.Mode().Perm(), path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("cannot read host key: %w", err)
	}
	signer, err = gossh.ParsePrivateKey(raw)
	if err != nil {
		var missing *gossh.PassphraseMissingError
		if errors.As(err, &missing) {
			return nil, false, fmt.Errorf("host key %s is protected by a passphrase; use a key without one", path)
		}
		return nil, false, fmt.Errorf("host key %s is not an SSH private key (%v); remove it to have a new one created", path, err)
	}
	return signer, false, nil
}

func createHostKey(path string) (gossh.Signer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the folder for the host key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := gossh.MarshalPrivateKey(priv, "miscope host key")
	if err != nil {
		return nil, err
	}
	if err := data.WriteFileAtomic(path, func(w io.Writer) error { return pem.Encode(w, block) }); err != nil {
		return nil, fmt.Errorf("cannot create host key: %w", err)
	}
	return gossh.NewSignerFromKey(priv)
}
