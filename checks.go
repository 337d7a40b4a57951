package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Checks of the paths a command will write to, made before anything is read: a mistake in a flag must not cost the
// wait of reading a whole tenant.

// checkFolder makes sure dir is a folder miscope can write files into.
func checkFolder(flagName, dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return usageError{fmt.Sprintf("%s %s: no such folder (create it first)", flagName, dir)}
	case err != nil:
		return usageError{fmt.Sprintf("%s %s: %v", flagName, dir, rootCause(err))}
	case !st.IsDir():
		return usageError{fmt.Sprintf("%s %s: not a folder", flagName, dir)}
	}
	return canWriteIn(flagName, dir, dir)
}

// checkOutput makes sure a file can be written at path: its folder exists and takes new files, and path is not a
// folder. Whether an existing file may be replaced is decided when it is written (data.WriteFileAtomic).
func checkOutput(flagName, path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return usageError{fmt.Sprintf("%s %s: is a folder; name a file in it", flagName, path)}
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return usageError{fmt.Sprintf("%s %s: the folder %s does not exist (create it first)", flagName, path, dir)}
	case err != nil:
		return usageError{fmt.Sprintf("%s %s: %v", flagName, path, rootCause(err))}
	case !st.IsDir():
		return usageError{fmt.Sprintf("%s %s: %s is not a folder", flagName, path, dir)}
	}
	return canWriteIn(flagName, path, dir)
}

// canWriteIn tries what writing will do: create a file in dir (and remove it at once).
func canWriteIn(flagName, what, dir string) error {
	f, err := os.CreateTemp(dir, ".miscope-check-*")
	if err != nil {
		return usageError{fmt.Sprintf("%s %s: cannot write in %s: %v", flagName, what, dir, rootCause(err))}
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// checkExtension refuses an output whose extension names another format than the one chosen (report.csv written as
// Markdown), since whoever opens it by its name would be misled; an extension that names no format is the user's
// choice.
func checkExtension(path, format string, formats map[string]string) error {
	ext := strings.ToLower(filepath.Ext(path))
	named, ok := formats[ext]
	if !ok || named == format {
		return nil
	}
	want := ""
	for e, f := range formats {
		if f == format && (want == "" || len(e) < len(want)) {
			want = e
		}
	}
	return usageError{fmt.Sprintf("-o %s names a %s file but --format is %s: name it %s, or give --format %s", path,
		named, format, strings.TrimSuffix(path, filepath.Ext(path))+want, named)}
}

// rootCause is the operating system's reason without the path, which the message names already.
func rootCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
