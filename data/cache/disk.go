package cache

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/snapshot"
)

// The disk copy of a live read is a file of its own format:
//
//	miscope-cache 1 <unix nanoseconds when written>\n
//	<the tenant as a gzip-compressed snapshot>
//	<32 bytes: HMAC-SHA256 of the file's name, the first line and the snapshot>
//
// The key is 32 random bytes in the cache folder's "key" file, readable by the user alone. A copy is used only when
// the folder, the key and the file belong to the user and nobody else can write them (the file and key: nobody else
// can read them either), the checksum matches (nothing was edited, nothing was moved from another tenant's or
// scope's name), and it was written less than the time-to-live ago, by the clock of its first line and of the file
// system: a date in the future counts as expired. Anything else is ignored and read again from the tenant.
const (
	diskMagic  = "miscope-cache 1 "
	diskSuffix = ".cache"
	keyFile    = "key"
	keySize    = 32
	macSize    = sha256.Size
)

// CheckDir says whether dir can hold the disk cache: a folder of the user's own that nobody else can write (or one
// that does not exist yet). The error says what is wrong and what to do.
func CheckDir(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cache folder %s: %w", dir, unwrapPath(err))
	}
	return checkDir(dir, fi)
}

func checkDir(dir string, fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("cache folder %s is a symbolic link: not used (remove it, or use --no-cache)", dir)
	case !fi.IsDir():
		return fmt.Errorf("cache folder %s is not a folder: not used (remove it, or use --no-cache)", dir)
	case !ownedByUser(fi):
		return fmt.Errorf("cache folder %s belongs to another user: not used (remove it, or use --no-cache)", dir)
	case checkModes && fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("others can write to the cache folder %s: not used (chmod 700 %s, or use --no-cache)", dir, dir)
	}
	return nil
}

// openDir checks the cache folder, creating it private to the user when it is missing, and returns its key.
func openDir(dir string, create bool) ([]byte, error) {
	if create {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, err
	}
	if err := checkDir(dir, fi); err != nil {
		return nil, err
	}
	return loadKey(filepath.Join(dir, keyFile), create)
}

// loadKey reads the key, or makes one when create is set. A key that is not the user's own and private is replaced,
// which leaves every copy made with it unusable.
func loadKey(path string, create bool) ([]byte, error) {
	key, err := readPrivate(path, keySize)
	if err == nil && len(key) == keySize {
		return key, nil
	}
	if !create {
		return nil, errors.New("no usable key")
	}
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		os.Remove(path)
	}
	key = make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, 0o600)
	if errors.Is(err, fs.ErrExist) { // another miscope made one at the same moment
		return readPrivate(path, keySize)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}

// readPrivate reads a small file that must be the user's own, readable and writable by the user alone, and not a link.
func readPrivate(path string, max int64) ([]byte, error) {
	f, fi, err := openPrivate(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return io.ReadAll(io.LimitReader(f, max))
}

// openPrivate opens a file that must be a regular file (not a link), owned by the user, with no permission for
// anyone else.
func openPrivate(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	switch {
	case err != nil:
	case !fi.Mode().IsRegular():
		err = fmt.Errorf("%s: not a regular file", path)
	case !ownedByUser(fi):
		err = fmt.Errorf("%s: belongs to another user", path)
	case checkModes && fi.Mode().Perm()&0o077 != 0:
		err = fmt.Errorf("%s: others may read or write it (mode %v)", path, fi.Mode().Perm())
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// diskPath is where a live tenant's full read is kept, or "" when nothing is kept on disk.
func (c *Cache) diskPath() string {
	info := c.src.Info()
	if c.opts.Dir == "" || info.Origin != data.OriginLive || info.TenantID == "" {
		return ""
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, info.TenantID)
	sum := sha256.Sum256([]byte(c.opts.Scope))
	return filepath.Join(c.opts.Dir, name+"-"+hex.EncodeToString(sum[:6])+diskSuffix)
}

// loadDisk returns the disk copy when there is one that passes every check, and nil otherwise. A copy that fails
// them is removed (the folder is the user's own: only an unreadable one stays).
func (c *Cache) loadDisk() *data.Tenant {
	p := c.diskPath()
	if p == "" {
		return nil
	}
	t, err := c.readDisk(p)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) && CheckDir(c.opts.Dir) == nil {
			os.Remove(p)
		}
		return nil
	}
	return t
}

var errStale = errors.New("expired")

// fsClockSkew is how far in the future a file's modification time may be before the file counts as expired.
const fsClockSkew = time.Minute

func (c *Cache) readDisk(p string) (*data.Tenant, error) {
	key, err := openDir(c.opts.Dir, false)
	if err != nil {
		return nil, err
	}
	f, fi, err := openPrivate(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	now := c.opts.Now()
	// The file system's clock may differ a little from this one (a network file system); the first line's is exact.
	if c.expired(fi.ModTime().Add(-fsClockSkew), now) {
		return nil, errStale
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(filepath.Base(p)))
	mac.Write([]byte{0})
	br := bufio.NewReader(f)
	head, err := br.ReadSlice('\n')
	if err != nil || !bytes.HasPrefix(head, []byte(diskMagic)) {
		return nil, errors.New("not a cache file")
	}
	nanos, err := strconv.ParseInt(string(bytes.TrimSpace(head[len(diskMagic):])), 10, 64)
	if err != nil {
		return nil, errors.New("not a cache file")
	}
	if c.expired(time.Unix(0, nanos), now) {
		return nil, errStale
	}
	mac.Write(head)
	body := fi.Size() - int64(len(head)) - macSize
	if body <= 0 {
		return nil, errors.New("truncated")
	}
	t, _, err := snapshot.Decode(io.TeeReader(io.LimitReader(br, body), mac), p)
	if err != nil {
		return nil, err
	}
	sum := make([]byte, macSize)
	if _, err := io.ReadFull(br, sum); err != nil {
		return nil, err
	}
	if !hmac.Equal(sum, mac.Sum(nil)) {
		return nil, errors.New("checksum does not match: edited, or made with another key")
	}
	return t, nil
}

// expired says whether a copy written at written is too old to use at now; one written in the future is.
func (c *Cache) expired(written, now time.Time) bool {
	return written.After(now) || now.Sub(written) > c.opts.TTL
}

// saveDisk keeps t on disk; best effort: a cache that cannot be written only costs speed.
func (c *Cache) saveDisk(t *data.Tenant) {
	p := c.diskPath()
	if p == "" {
		return
	}
	key, err := openDir(c.opts.Dir, true)
	if err != nil {
		return
	}
	if fi, err := os.Lstat(p); err == nil && !fi.Mode().IsRegular() {
		return // a link or something else where the copy goes: leave it alone
	}
	_ = data.WriteFileAtomic(p, func(w io.Writer) error {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(filepath.Base(p)))
		mac.Write([]byte{0})
		out := io.MultiWriter(w, mac)
		if _, err := fmt.Fprintf(out, "%s%d\n", diskMagic, c.opts.Now().UnixNano()); err != nil {
			return err
		}
		zw, err := gzip.NewWriterLevel(out, gzip.BestSpeed)
		if err != nil {
			return err
		}
		if err := snapshot.Encode(zw, t, data.OriginLive); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		_, err = w.Write(mac.Sum(nil))
		return err
	})
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
