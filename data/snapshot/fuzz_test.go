package snapshot_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/demo"
	"github.com/miscope/miscope/data/snapshot"
)

// FuzzDecode feeds the reader arbitrary bytes, starting from valid and broken snapshots: it must never panic, and it
// either returns a tenant that passes validation or a *snapshot.Error that names the input and says why.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
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

// addSeeds gives the fuzzer valid and broken snapshots to start from.
func addSeeds(f *testing.F) {
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
	f.Add([]byte(`{"tenant":{"id":"t","identities":[{"id":"a","kind":"user-assigned"}],"x":[{}]},"version":1,"format":"miscope-snapshot"}`))
	f.Add([]byte(`{"format":"miscope-snapshot","version":1,"tenant":{"ID":"t","Identities":null,"gaps":[{"section":"identities"}]}}`))
}

// FuzzOpen feeds the streaming reader the same inputs through a file: it must never panic or hang, must refuse
// exactly what Decode refuses, with an *Error naming the file, and must serve exactly the tenant Decode reads, its
// identity pages included.
func FuzzOpen(f *testing.F) {
	addSeeds(f)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, in []byte) {
		path := filepath.Join(dir, "in.json")
		if err := os.WriteFile(path, in, 0o600); err != nil {
			t.Fatal(err)
		}
		want, wantOrigin, wantErr := snapshot.Decode(bytes.NewReader(in), path)
		isRefusal := func(err error) {
			t.Helper()
			var se *snapshot.Error
			if !errors.As(err, &se) || se.Path != path || se.Reason == "" {
				t.Fatalf("error without reason or path: %v", err)
			}
		}
		type opened struct {
			src *snapshot.Source
			err error
		}
		ch := make(chan opened, 1)
		go func() { src, err := snapshot.Open(path); ch <- opened{src, err} }()
		var o opened
		select {
		case o = <-ch:
		case <-time.After(10 * time.Second):
			t.Fatal("Open hangs")
		}
		src, err := o.src, o.err
		if err != nil {
			isRefusal(err)
			if wantErr == nil {
				t.Fatalf("Open refused what Decode accepts: %v", err)
			}
			return
		}
		defer src.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var ids []data.Identity
		idErr := src.Identities(ctx, func(p []data.Identity) error {
			if len(p) == 0 || len(p) > data.PageSize {
				t.Fatalf("page of %d identities", len(p))
			}
			ids = append(ids, p...)
			return nil
		})
		if errors.Is(idErr, context.DeadlineExceeded) {
			t.Fatal("Identities hangs")
		}
		err = src.Wait(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatal("the read hangs")
		}
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("Open and Wait say %v, Decode says %v", err, wantErr)
		}
		if err != nil {
			isRefusal(err)
			if idErr != nil {
				if _, gap := data.AsGap(idErr); !gap {
					isRefusal(idErr)
				}
			}
			return
		}
		got, err := src.Tenant(ctx, nil)
		if err != nil || !reflect.DeepEqual(got, want) || src.Info().Origin != wantOrigin {
			t.Fatalf("the source serves another tenant than Decode reads (%v)", err)
		}
		if _, gap := data.AsGap(idErr); idErr != nil && !gap {
			t.Fatalf("Identities failed on an accepted file: %v", idErr)
		}
		if idErr == nil && len(ids)+len(want.Identities) > 0 && !reflect.DeepEqual(ids, want.Identities) {
			t.Fatal("the pages differ from the tenant's identities")
		}
	})
}
