package snapshot_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/demo"
	"github.com/miscope/miscope/data/snapshot"
)

// FuzzDecode feeds the reader arbitrary bytes, starting from valid and broken snapshots: it must never panic, and it
// either returns a tenant that passes validation or a *snapshot.Error that names the input and says why.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob("testdata/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	// A small but complete tenant; the definition catalogues are dropped to keep inputs short, so the fuzzer spends
	// its time mutating structure rather than action lists.
	small := demo.Synthetic(5, 3)
	small.RoleDefinitions, small.DirectoryRoleDefinitions = nil, nil
	for _, gz := range []bool{false, true} {
		b := encode(f, small, gz)
		f.Add(b)
		f.Add(b[:len(b)/2])
		f.Add(b[:len(b)-3])
	}
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte(`{"format":"miscope-snapshot","version":1,"tenant":{"id":"t","identities":[{"id":"a","kind":"user-assigned"},{"id":"A","kind":"user-assigned"}]}}`))

	f.Fuzz(func(t *testing.T, in []byte) {
		const name = "fuzz-input"
		tn, origin, err := snapshot.Decode(bytes.NewReader(in), name)
		if err != nil {
			var se *snapshot.Error
			if !errors.As(err, &se) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if se.Reason == "" || se.Path != name {
				t.Fatalf("error without reason or path: %+v", se)
			}
			if tn != nil {
				t.Fatal("a tenant came back with the error")
			}
			return
		}
		if tn == nil || tn.ID == "" || origin == "" {
			t.Fatalf("accepted an incomplete snapshot: tenant %v, origin %q", tn != nil, origin)
		}
		seen := map[string]bool{}
		for _, i := range tn.Identities {
			if i.ID == "" || (i.Kind != data.SystemAssigned && i.Kind != data.UserAssigned) || seen[data.Key(i.ID)] {
				t.Fatalf("accepted a bad identity %+v", i)
			}
			seen[data.Key(i.ID)] = true
		}
		// What was accepted must survive a round trip unchanged.
		var buf bytes.Buffer
		if err := snapshot.Encode(&buf, tn, origin); err != nil {
			t.Fatalf("re-encoding an accepted tenant: %v", err)
		}
		if _, _, err := snapshot.Decode(&buf, name); err != nil {
			t.Fatalf("re-decoding an accepted tenant: %v", err)
		}
	})
}
