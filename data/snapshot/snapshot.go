// Package snapshot saves a tenant to a file and reads it back. The format is versioned JSON, gzip-compressed when the
// file name ends in .gz. A file that is not a snapshot, is corrupt or truncated, or was written by a newer miscope is
// refused with its path and the reason.
package snapshot

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/miscope/miscope/data"
)

// Format marks a file as a miscope snapshot.
const Format = "miscope-snapshot"

// Version is the snapshot format this miscope writes and the newest it reads.
const Version = 1

// MaxSize bounds what is read from one file (after decompression), so a hostile file cannot exhaust memory.
const MaxSize = 4 << 30

// file is the envelope on disk.
type file struct {
	Format  string       `json:"format"`
	Version int          `json:"version"`
	Origin  data.Origin  `json:"origin"`
	Tenant  *data.Tenant `json:"tenant"`
}

// Error says why a file was refused.
type Error struct {
	Path   string
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("snapshot %s: %s", e.Path, e.Reason) }

// Save writes t to path atomically with mode 0600; gzip when path ends in .gz.
func Save(path string, t *data.Tenant, origin data.Origin) error {
	return data.WriteFileAtomic(path, func(w io.Writer) error {
		if strings.HasSuffix(path, ".gz") {
			zw := gzip.NewWriter(w)
			if err := Encode(zw, t, origin); err != nil {
				return err
			}
			return zw.Close()
		}
		return Encode(w, t, origin)
	})
}

// Encode writes t in the snapshot format.
func Encode(w io.Writer, t *data.Tenant, origin data.Origin) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	if err := enc.Encode(file{Format: Format, Version: Version, Origin: origin, Tenant: t}); err != nil {
		return err
	}
	return bw.Flush()
}

// Load reads the snapshot at path.
func Load(path string) (*data.Tenant, data.Origin, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, "", &Error{Path: path, Reason: "cannot open: " + err.Error()}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, "", &Error{Path: path, Reason: "is a folder, not a snapshot file"}
	}
	return Decode(f, path)
}

var gzipMagic = []byte{0x1f, 0x8b}

// Decode reads a snapshot from r; name is used in errors. Gzip is recognised by its magic bytes, whatever the name.
func Decode(r io.Reader, name string) (*data.Tenant, data.Origin, error) {
	fail := func(reason string, args ...any) (*data.Tenant, data.Origin, error) {
		return nil, "", &Error{Path: name, Reason: fmt.Sprintf(reason, args...)}
	}
	br := bufio.NewReaderSize(r, 1<<16)
	head, _ := br.Peek(2)
	var in io.Reader = br
	if bytes.Equal(head, gzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fail("corrupt gzip: %v", err)
		}
		defer zr.Close()
		in = zr
	}
	lim := &io.LimitedReader{R: in, N: MaxSize + 1}
	var f file
	dec := json.NewDecoder(lim)
	if err := dec.Decode(&f); err != nil {
		switch {
		case lim.N <= 0:
			return fail("larger than %d bytes", MaxSize)
		case errors.Is(err, io.EOF):
			return fail("empty file: not a snapshot (make one with `miscope collect -o FILE`)")
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum):
			return fail("truncated: the file ends early (was it copied completely?)")
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			if f.Format == "" && se.Offset <= 1 {
				return fail("not a snapshot: not JSON (make one with `miscope collect -o FILE`)")
			}
			return fail("corrupt JSON at byte %d: %v", se.Offset, err)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if f.Format != Format {
				return fail("not a snapshot: no %q marker (make one with `miscope collect -o FILE`)", Format)
			}
			return fail("corrupt: field %q has the wrong type (%s)", te.Field, te.Value)
		}
		if strings.Contains(err.Error(), "gzip") || strings.Contains(err.Error(), "flate") {
			return fail("corrupt gzip: %v", err)
		}
		return fail("corrupt: %v", err)
	}
	if f.Format != Format {
		return fail("not a snapshot: no %q marker (make one with `miscope collect -o FILE`)", Format)
	}
	// The decoder stops at the end of the value; read on to the end of the file, so that a gzip stream is checked
	// against its checksum and a file with something appended is not taken for a whole snapshot.
	if reason := trailing(io.MultiReader(dec.Buffered(), lim), lim); reason != "" {
		return fail("%s", reason)
	}
	if f.Version > Version {
		return fail("written by a newer miscope (format version %d; this one reads up to %d): upgrade miscope", f.Version, Version)
	}
	if f.Version < 1 {
		return fail("unknown format version %d", f.Version)
	}
	if f.Tenant == nil {
		return fail("corrupt: no tenant in the file")
	}
	if err := validate(f.Tenant); err != nil {
		return fail("corrupt: %v", err)
	}
	if f.Origin == "" {
		f.Origin = data.OriginSnapshot
	}
	return f.Tenant, f.Origin, nil
}

// trailing reads what follows the snapshot's JSON value and says what is wrong with it, or "" when only white space
// follows up to a clean end of file.
func trailing(rest io.Reader, lim *io.LimitedReader) string {
	buf := make([]byte, 4096)
	for {
		n, err := rest.Read(buf)
		for _, c := range buf[:n] {
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
				return "corrupt: data after the snapshot's end"
			}
		}
		switch {
		case err == io.EOF:
			return ""
		case lim.N <= 0:
			return fmt.Sprintf("larger than %d bytes", MaxSize)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return "truncated: the file ends early (was it copied completely?)"
		case errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader):
			return fmt.Sprintf("corrupt gzip: %v", err)
		case err != nil:
			return fmt.Sprintf("corrupt: %v", err)
		}
	}
}

// validate checks what the rest of miscope relies on, so a bad file fails here with a reason rather than later.
func validate(t *data.Tenant) error {
	if t.ID == "" {
		return errors.New("tenant has no id")
	}
	seen := make(map[string]bool, len(t.Identities))
	for n, i := range t.Identities {
		if i.ID == "" {
			return fmt.Errorf("identity %d has no id", n)
		}
		if i.Kind != data.SystemAssigned && i.Kind != data.UserAssigned {
			return fmt.Errorf("identity %s has unknown kind %q", i.ID, i.Kind)
		}
		if seen[data.Key(i.ID)] {
			return fmt.Errorf("identity %s appears twice", i.ID)
		}
		seen[data.Key(i.ID)] = true
	}
	for _, a := range t.DirectoryRoleAssignments {
		if a.State != data.Active && a.State != data.Eligible {
			return fmt.Errorf("directory role assignment %s has unknown state %q", a.ID, a.State)
		}
	}
	return nil
}
