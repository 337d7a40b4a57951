package data

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes a file that is private to the user (0600) and never half-written: write fills a temporary
// file in the same folder, which replaces path only once it is complete and synced. On any error the temporary file is
// removed and path is untouched.
//
// A symbolic link is followed, so the file it points to is replaced and the link kept. A device, pipe or socket
// (`-o /dev/null`, `-o /dev/stdout`) is written to directly: renaming over it would destroy it.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	if fi, err := os.Lstat(path); err == nil {
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() && !st.IsDir() {
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
