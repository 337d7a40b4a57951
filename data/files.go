package data

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrUntrustedLink is wrapped when the file to write is a symbolic link, or a pipe, miscope does not write through.
var ErrUntrustedLink = errors.New("miscope does not write through it")

// WriteFileAtomic writes a file that is private to the user (0600) and never half-written: write fills a temporary
// file in the same folder, which replaces path only once it is complete and synced. On any error the temporary file is
// removed and path is untouched.
//
// A symbolic link is followed, so that the file it points to is replaced and the link kept, only when the user owns
// both the link and that file: in a folder others can write to (/tmp, a shared export folder), a link someone else
// put there must not make miscope replace a file of theirs choosing (ErrUntrustedLink; ThroughLink is how a user
// who wants it anyway goes on). A device, pipe or socket (`-o /dev/null`, `-o /dev/stdout`) is written to directly,
// since renaming over it would destroy it, when it and any link to it belong to the user or to root.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	if fi, err := os.Lstat(path); err == nil {
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			st, err := os.Stat(path)
			if err != nil {
				return fmt.Errorf("cannot write %s: it is a symbolic link whose target cannot be reached: %w", path,
					unwrapPathError(err))
			}
			stream := !st.Mode().IsRegular() && !st.IsDir()
			if !trusted(fi, stream) || !trusted(st, stream) {
				who := "the link"
				if trusted(fi, stream) {
					who = "the file it points to"
				}
				return fmt.Errorf("cannot write %s: it is a symbolic link and %s belongs to another user, so %w "+
					"(remove it or choose another name)", path, who, ErrUntrustedLink)
			}
			if stream {
				return writeStream(path, write) // /dev/stdout and the like: links to a pipe or terminal
			}
			target, err := filepath.EvalSymlinks(path)
			if err != nil {
				return fmt.Errorf("cannot write %s: %w", path, unwrapPathError(err))
			}
			return WriteFileAtomic(target, write)
		case fi.IsDir():
			return fmt.Errorf("cannot write %s: it is a folder", path)
		case !fi.Mode().IsRegular():
			if !trusted(fi, true) {
				return fmt.Errorf("cannot write %s: it is a %s that belongs to another user, so %w (remove it or "+
					"choose another name)", path, streamKind(fi), ErrUntrustedLink)
			}
			return writeStream(path, write)
		}
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, unwrapPathError(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPathError(err))
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPathError(err))
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPathError(err))
	}
	return nil
}

// unwrapPathError drops the temporary file's name from an error, so the message names what the user asked for.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// writeStream writes to a device or pipe as it is.
func writeStream(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPathError(err))
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// trusted reports whether the user may write through fi: it is theirs, or, for a device, pipe or socket, root's
// (/dev/null, /dev/stdout).
func trusted(fi os.FileInfo, stream bool) bool {
	uid, ok := ownerOf(fi)
	if !ok {
		return false
	}
	return uid == os.Getuid() || stream && uid == 0
}

func streamKind(fi os.FileInfo) string {
	switch m := fi.Mode(); {
	case m&os.ModeNamedPipe != 0:
		return "pipe"
	case m&os.ModeSocket != 0:
		return "socket"
	}
	return "device"
}

// ThroughLink is where a write to path lands when the user asks to write through a symbolic link there whoever owns
// it (--force): the file it finally points to, or path itself when it is no link.
func ThroughLink(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		return path, nil
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("cannot write %s: it is a symbolic link whose target cannot be reached: %w", path,
			unwrapPathError(err))
	}
	return target, nil
}
