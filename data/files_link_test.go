package data

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// nobody is a user id that owns nothing here: what another user of a shared folder would be.
const nobody = 65534

// giveAway makes path belong to another user, as if that user had put it there; only root can, so the test is skipped
// elsewhere.
func giveAway(t *testing.T, path string) {
	t.Helper()
	if err := os.Lchown(path, nobody, nobody); err != nil {
		t.Skip("cannot make a file belong to another user here:", err)
	}
}

// In a folder others can write to, a symbolic link someone else planted at the output path must not make miscope
// replace the file it points to; nor may a link of the user's own lead to another user's file.
func TestWriteFileAtomicRefusesLinksOfOthers(t *testing.T) {
	for _, c := range []struct {
		name string
		give func(link, target string) string // gives one of the two away and returns it
	}{
		{"a link another user planted", func(link, _ string) string { return link }},
		{"the user's link to another user's file", func(_, target string) string { return target }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "victim")
			link := filepath.Join(dir, "report.json")
			if err := os.WriteFile(target, []byte("precious"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, link); err != nil {
				t.Skip("no symlinks here:", err)
			}
			giveAway(t, c.give(link, target))
			err := WriteFileAtomic(link, writeText("report"))
			if !errors.Is(err, ErrUntrustedLink) {
				t.Fatalf("wrote through it: %v", err)
			}
			if b, _ := os.ReadFile(target); string(b) != "precious" {
				t.Errorf("the file the link points to now holds %q", b)
			}
			if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
				t.Error("the link was replaced")
			}
			// Asked to (--force), the write goes through to the file the link points to.
			through, err := ThroughLink(link)
			if err != nil || through != target {
				t.Fatalf("ThroughLink = %q, %v; want %q", through, err, target)
			}
			if err := WriteFileAtomic(through, writeText("report")); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(target); string(b) != "report" {
				t.Errorf("writing through the link left %q", b)
			}
		})
	}
}

// A pipe someone else made at the output path would receive the report: it is refused too.
func TestWriteFileAtomicRefusesPipesOfOthers(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "report.json")
	if err := syscall.Mkfifo(fifo, 0o666); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	giveAway(t, fifo)
	// Held open for reading (and writing, which Linux allows without waiting), so a write that should have been
	// refused fails the test instead of hanging it.
	if f, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
		defer f.Close()
	}
	if err := WriteFileAtomic(fifo, writeText("report")); !errors.Is(err, ErrUntrustedLink) {
		t.Fatalf("wrote into another user's pipe: %v", err)
	}
	// /dev/null is root's and is written to as it is.
	if err := WriteFileAtomic(os.DevNull, writeText("report")); err != nil {
		t.Errorf("%s: %v", os.DevNull, err)
	}
}
