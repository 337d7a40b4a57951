package cache

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/snapshot"
)

// writeCopy reads a live tenant through a cache on dir, which keeps a copy there, and returns the source and the
// copy's path.
func writeCopy(t *testing.T, dir string, now time.Time) (*countingSource, string) {
	t.Helper()
	src := newSource()
	src.origin = data.OriginLive
	c := New(src, Options{Dir: dir, Scope: "all", Now: func() time.Time { return now }})
	if _, err := c.Tenant(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"+diskSuffix))
	if len(files) != 1 {
		t.Fatalf("cache files %v", files)
	}
	return src, files[0]
}

// removeIdentity edits the copy as someone with write access could: the identity "b" is taken out, the rest (first
// line and checksum) is kept.
func removeIdentity(t *testing.T, path string) {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	nl := bytes.IndexByte(raw, '\n') + 1
	head, body, sum := raw[:nl], raw[nl:len(raw)-macSize], raw[len(raw)-macSize:]
	tn, origin, err := snapshot.Decode(bytes.NewReader(body), path)
	if err != nil {
		t.Fatal(err)
	}
	tn.Identities = tn.Identities[:1]
	var buf bytes.Buffer
	buf.Write(head)
	zw := gzip.NewWriter(&buf)
	snapshot.Encode(zw, tn, origin)
	zw.Close()
	buf.Write(sum)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDiskCopyChecked: a copy on disk is used only when it is the user's own, private, unedited, under its own name
// and fresh; anything else is read again from the tenant.
func TestDiskCopyChecked(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, dir, path string)
		later  time.Duration // when the second start happens
		used   bool
	}{
		{name: "untouched", used: true},
		{name: "a minute later", later: time.Minute, used: true},
		{name: "older than the time-to-live", later: DefaultTTL + time.Second},
		{name: "written in the future (by its own clock)", later: -time.Hour},
		{name: "dated in the future (by the file system)", change: func(t *testing.T, dir, path string) {
			os.Chtimes(path, now.Add(24*time.Hour), now.Add(24*time.Hour))
		}},
		{name: "identity removed", change: func(t *testing.T, dir, path string) { removeIdentity(t, path) }},
		{name: "one byte changed", change: func(t *testing.T, dir, path string) {
			raw, _ := os.ReadFile(path)
			raw[len(raw)-1] ^= 1
			os.WriteFile(path, raw, 0o600)
		}},
		{name: "readable by others", change: func(t *testing.T, dir, path string) { os.Chmod(path, 0o644) }},
		{name: "owned by another user", change: func(t *testing.T, dir, path string) {
			if err := os.Lchown(path, 65534, 65534); err != nil {
				t.Skipf("cannot give a file to another user here: %v", err)
			}
		}},
		{name: "a link to a copy elsewhere", change: func(t *testing.T, dir, path string) {
			elsewhere := filepath.Join(t.TempDir(), "copy")
			os.Rename(path, elsewhere)
			os.Symlink(elsewhere, path)
		}},
		{name: "another scope's copy under this name", change: func(t *testing.T, dir, path string) {
			other := New(&countingSource{Source: newSource().Source, origin: data.OriginLive},
				Options{Dir: dir, Scope: "subscription s1", Now: func() time.Time { return now }})
			if _, err := other.Tenant(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			otherPath := other.diskPath()
			removeIdentity(t, path) // so that using either would show
			os.Rename(otherPath, path)
		}},
		{name: "key readable by others", change: func(t *testing.T, dir, path string) {
			os.Chmod(filepath.Join(dir, keyFile), 0o644)
		}},
		{name: "key replaced", change: func(t *testing.T, dir, path string) {
			os.WriteFile(filepath.Join(dir, keyFile), bytes.Repeat([]byte{7}, keySize), 0o600)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src, path := writeCopy(t, dir, now)
			if tc.change != nil {
				tc.change(t, dir, path)
			}
			c := New(src, Options{Dir: dir, Scope: "all", Now: func() time.Time { return now.Add(tc.later) }})
			tn, err := c.Tenant(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if used := src.tenant.Load() == 1; used != tc.used {
				t.Errorf("copy used: %v, want %v", used, tc.used)
			}
			if len(tn.Identities) != 2 {
				t.Errorf("%d identities: an edited copy was used", len(tn.Identities))
			}
		})
	}
}

// TestCacheFolderOthersCanWrite: a cache folder others can write to is refused with a reason and a fix, and nothing
// is read from it or written to it.
func TestCacheFolderOthersCanWrite(t *testing.T) {
	dir := t.TempDir()
	src, path := writeCopy(t, dir, time.Now())
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	err := CheckDir(dir)
	if err == nil || !strings.Contains(err.Error(), "others can write") || !strings.Contains(err.Error(), "chmod 700") {
		t.Errorf("CheckDir = %v", err)
	}
	os.Remove(path)
	c := New(src, Options{Dir: dir, Scope: "all"})
	if _, err := c.Tenant(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*"+diskSuffix)); len(files) != 0 {
		t.Errorf("wrote %v into a folder others can write", files)
	}
	if err := CheckDir(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("a folder yet to be made: %v", err)
	}
}
