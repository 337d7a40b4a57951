package snapshot_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/miscope/miscope/data/demo"
	"github.com/miscope/miscope/data/snapshot"
)

// gz compresses b as miscope writes snapshots.
func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// padded is a valid snapshot of a few identities with n bytes of white space before the tenant and n more between
// two identities, gzip-compressed: a small file that expands to megabytes.
func padded(t testing.TB, n int) []byte {
	pad := strings.Repeat(" \n", n/2)
	doc := `{"format": "miscope-snapshot", "version": 1,` + pad + `"tenant": {"id": "t", "identities": [` +
		`{"id": "a", "kind": "user-assigned"},` + pad + `{"id": "b", "kind": "system-assigned"}]}}`
	return gz(t, []byte(doc))
}

// allocated runs f and returns the bytes it allocated on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestWhiteSpaceIsLinear: megabytes of white space between tokens cost time in proportion to their length. The JSON
// decoder on its own rescans what it holds each time it reads more, so eight times the white space took about 64
// times as long.
func TestWhiteSpaceIsLinear(t *testing.T) {
	cost := func(n int) time.Duration {
		in := padded(t, n)
		best := time.Duration(1<<63 - 1)
		for range 3 {
			var err error
			d := threadCPU(func() { _, _, err = snapshot.Decode(bytes.NewReader(in), "padded") })
			if err != nil {
				t.Fatalf("%d bytes of white space: %v", n, err)
			}
			best = min(best, d)
		}
		return best
	}
	small, large := cost(2<<20), cost(16<<20)
	t.Logf("2 MiB of white space: %v, 16 MiB: %v", small, large)
	if large > 20*max(small, time.Millisecond) {
		t.Errorf("8 times the white space costs %.0f times as long: not linear", float64(large)/float64(small))
	}
}

// TestLimits: nesting, strings and single values beyond the limits are refused early, naming the limit, and the read
// costs little memory whatever the file claims.
func TestLimits(t *testing.T) {
	head := `{"format": "miscope-snapshot", "version": 1, `
	for _, tc := range []struct {
		name   string
		doc    string
		reason string
	}{
		{"deep nesting in an unknown field", head + `"x": ` + strings.Repeat("[", 20_000_000), "nested deeper than 64 levels"},
		{"deep nesting in an identity", head + `"tenant": {"id": "t", "identities": [{"id": "a", "x": ` +
			strings.Repeat(`{"a":`, 1_000_000), "nested deeper than 64 levels"},
		{"long string", head + `"tenant": {"id": "t", "displayName": "` + strings.Repeat("A", 64<<20) + `"}}`,
			"a string longer than 1048576 bytes"},
		{"long number", head + `"tenant": {"id": "t"}, "x": ` + strings.Repeat("1", 64<<20) + `}`,
			"a number or literal longer than 1048576 bytes"},
		{"large element", head + `"tenant": {"id": "t", "identities": [{"id": "a", "kind": "user-assigned", "x": [` +
			strings.Repeat("0,", 32<<20) + `0]}]}}`, "a single value (one element of a list) larger than 8388608 bytes"},
		{"large tenant field", head + `"tenant": {"id": [` + strings.Repeat("0,", 32<<20) + `0]}}`,
			"larger than 8388608 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := gz(t, []byte(tc.doc))
			var err error
			mem := allocated(func() { _, _, err = snapshot.Decode(bytes.NewReader(in), "hostile") })
			checkRefusal(t, err, "hostile", tc.reason)
			if mem > 6*snapshot.MaxValue { // the decoder's buffer doubles up to the largest value it holds
				t.Errorf("refusing a %d-byte file allocated %d MB", len(in), mem>>20)
			}
		})
	}
}

// TestLimitsKeepLongLists: a list is read an element at a time, so it may be far longer than MaxValue, and what the
// read allocates follows the tenant.
func TestLimitsKeepLongLists(t *testing.T) {
	tn := demo.Synthetic(20000, 3)
	raw := encode(t, tn, false)
	if len(raw) < 2*snapshot.MaxValue {
		t.Fatalf("the test tenant is only %d bytes", len(raw))
	}
	got, _, err := snapshot.Decode(bytes.NewReader(raw), "long")
	if err != nil || !reflect.DeepEqual(got, tn) {
		t.Fatalf("a long snapshot was not read back whole: %v", err)
	}
}

// TestByteOrderMark: a UTF-8 byte-order mark before the JSON, plain or inside the gzip data, is ignored.
func TestByteOrderMark(t *testing.T) {
	tn := demo.Synthetic(50, 2)
	withBOM := append([]byte("\xef\xbb\xbf"), encode(t, tn, false)...)
	for name, in := range map[string][]byte{"plain": withBOM, "gzip": gz(t, withBOM)} {
		t.Run(name, func(t *testing.T) {
			got, _, err := snapshot.Decode(bytes.NewReader(in), "bom")
			if err != nil || !reflect.DeepEqual(got, tn) {
				t.Fatalf("a snapshot with a byte-order mark: %v", err)
			}
		})
	}
	// A syntax error still names its byte in the file, the mark and dropped white space counted.
	bad := "\xef\xbb\xbf{\"format\": \"miscope-snapshot\"," + strings.Repeat(" ", 10000) + "!}"
	_, _, err := snapshot.Decode(strings.NewReader(bad), "bom")
	checkRefusal(t, err, "bom", fmt.Sprintf("corrupt JSON at byte %d", strings.Index(bad, "!")))
}
