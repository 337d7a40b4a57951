package snapshot_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/demo"
	"github.com/miscope/miscope/data/snapshot"
)

// FuzzDecode feeds the reader arbitrary bytes, starting from valid and broken snapshots: it must never panic, it
// either returns a tenant that passes validation or a *snapshot.Error that names the input and says why, and its time
// and memory stay within a fixed cost per byte of (decompressed) input.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		const name = "fuzz-input"
		var (
			tn     *data.Tenant
			origin data.Origin
			err    error
		)
		n := expanded(in)
		var cpu time.Duration
		mem := allocated(func() {
			cpu = threadCPU(func() { tn, origin, err = snapshot.Decode(pipeLike(in), name) })
		})
		if limit := time.Duration(n)*cpuPerByte + cpuFixed; cpu > limit {
			t.Errorf("%d bytes (%d decompressed) took %v of CPU, more than %v", len(in), n, cpu, limit)
		}
		if limit := uint64(n)*memPerByte + memFixed; mem > limit {
			t.Errorf("%d bytes (%d decompressed) allocated %d bytes, more than %d", len(in), n, mem, limit)
		}
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
	for _, b := range seeds(f) {
		f.Add(b)
	}
}

// seeds are valid and broken snapshots.
func seeds(f *testing.F) (out [][]byte) {
	files, err := filepath.Glob("testdata/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			out = append(out, b)
		}
	}
	// A small but complete tenant; the definition catalogues are dropped to keep inputs short, so the fuzzer spends
	// its time mutating structure rather than action lists.
	small := demo.Synthetic(5, 3)
	small.RoleDefinitions, small.DirectoryRoleDefinitions = nil, nil
	for _, gz := range []bool{false, true} {
		b := encode(f, small, gz)
		out = append(out, b)
		out = append(out, b[:len(b)/2])
		out = append(out, b[:len(b)-3])
	}
	out = append(out, []byte{0x1f, 0x8b})
	out = append(out, []byte(`{"format":"miscope-snapshot","version":1,"tenant":{"id":"t","identities":[{"id":"a","kind":"user-assigned"},{"id":"A","kind":"user-assigned"}]}}`))
	out = append(out, []byte(`{"tenant":{"id":"t","identities":[{"id":"a","kind":"user-assigned"}],"x":[{}]},"version":1,"format":"miscope-snapshot"}`))
	out = append(out, []byte(`{"format":"miscope-snapshot","version":1,"tenant":{"ID":"t","Identities":null,"gaps":[{"section":"identities"}]}}`))
	return out
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

// What reading one byte of input may cost at most, whatever the byte: a valid snapshot costs about 13 ns and 3 bytes
// per byte, an unknown field of small numbers (the worst found) 150 ns and 52 bytes.
const (
	cpuPerByte = time.Microsecond
	cpuFixed   = 100 * time.Millisecond
	memPerByte = 256
	memFixed   = 8 << 20
)

// pipeLike reads b at most 16 KiB at a time, as a pipe or a gzip stream hands out data: some costs (the JSON
// decoder's rescans of white space) grow with the number of reads, which a reader that fills any buffer hides.
func pipeLike(b []byte) io.Reader { return &chunks{b} }

type chunks struct{ b []byte }

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 16<<10)], c.b)
	c.b = c.b[n:]
	return n, nil
}

// expanded is the length of the input as the reader sees it: decompressed when it is gzip (as far as it decompresses).
func expanded(in []byte) int64 {
	if !bytes.HasPrefix(in, []byte{0x1f, 0x8b}) {
		return int64(len(in))
	}
	zr, err := gzip.NewReader(bytes.NewReader(in))
	if err != nil {
		return int64(len(in))
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(zr, snapshot.MaxSize))
	return max(n, int64(len(in)))
}

// FuzzDecodeLinear checks that reading grows linearly with the input, whatever part of it grows: it repeats a piece
// of the (decompressed) input, up to 64 bytes at any place, until it adds about 64 KiB, then 2 MiB, and compares
// what the two reads cost (in CPU time of the reading thread). Repeating white space,
// brackets, the characters of a string or number, or whole list elements are the ways a small file becomes a large
// read; 32 times the input may cost at most 64 times the CPU time (and 10 ms) and memory, where a cost quadratic
// in the input grows a thousand times.
func FuzzDecodeLinear(f *testing.F) {
	for _, b := range seeds(f) {
		f.Add(b, uint16(len(b)/2), uint16(0))
	}
	// The known ways: white space between fields, brackets in an unknown field, a long string, many elements.
	doc := `{"format": "miscope-snapshot", "version": 1, "x": [0], "tenant": {"id": "t", "displayName": "Contoso",` +
		` "identities": [{"id": "a", "kind": "user-assigned"}], "gaps": [{"scope": "s"}, {"scope": "t"}]}}`
	for _, p := range []struct {
		at string // where the piece starts
		n  int    // its length
	}{{` "x"`, 1}, {`[0]`, 1}, {`Contoso`, 7}, {`{"scope": "s"}, `, 16}} {
		f.Add([]byte(doc), uint16(strings.Index(doc, p.at)), uint16(p.n-1))
	}
	f.Fuzz(func(t *testing.T, in []byte, at, size uint16) {
		// The JSON is what grows: repeating compressed bytes can make gigabytes, whose cost is gzip's.
		if bytes.HasPrefix(in, []byte{0x1f, 0x8b}) {
			zr, err := gzip.NewReader(bytes.NewReader(in))
			if err != nil {
				return
			}
			in, _ = io.ReadAll(io.LimitReader(zr, 64<<10))
		}
		if len(in) == 0 || len(in) > 64<<10 {
			return
		}
		from := int(at) % len(in)
		piece := in[from:min(len(in), from+1+int(size)%64)]
		grown := func(extra int) []byte {
			k := extra / len(piece)
			out := make([]byte, 0, len(in)+k*len(piece))
			out = append(out, in[:from]...)
			for range k {
				out = append(out, piece...)
			}
			return append(out, in[from:]...)
		}
		// The allocation counters are read outside the thread's CPU time: reading them stops the world, which a busy
		// machine bills to the waiting thread.
		cost := func(doc []byte, runs int) (cpu time.Duration, mem uint64) {
			cpu, mem = time.Duration(1<<63-1), uint64(1<<63)
			for range runs {
				runtime.GC() // a collection owed by earlier runs would be billed to this one as assist work
				var d time.Duration
				m := allocated(func() { d = threadCPU(func() { snapshot.Decode(pipeLike(doc), "fuzz-input") }) })
				cpu, mem = min(cpu, d), min(mem, m)
			}
			return cpu, mem
		}
		small, large := grown(64<<10), grown(2<<20)
		linear := func() (ok bool, why string) {
			cpu1, mem1 := cost(small, 3)
			cpu2, mem2 := cost(large, 2)
			// The large document is 32 times the small one: a linear cost grows about 32 times, a quadratic one about
			// 1,000 times. The bound sits between, well clear of the GC assist and cache misses a busy machine adds
			// to the larger run (93 times was seen once, under a load of 4 on two cores).
			switch {
			case cpu2 > 256*cpu1+10*time.Millisecond:
				return false, fmt.Sprintf("%d bytes took %v, %d bytes %v", len(small), cpu1, len(large), cpu2)
			case mem2 > 64*mem1+(1<<20):
				return false, fmt.Sprintf("%d bytes allocated %d, %d bytes %d", len(small), mem1, len(large), mem2)
			}
			return true, ""
		}
		// A cost that is not linear shows every time; a busy machine's hiccup does not come back twice.
		if ok, why := linear(); !ok {
			if ok, why2 := linear(); !ok {
				t.Errorf("repeating %q: not linear: %s; again: %s", piece, why, why2)
			}
		}
	})
}
