package snapshot_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/demo"
	"github.com/miscope/miscope/data/snapshot"
)

func TestRoundTrip(t *testing.T) {
	tenants := []struct {
		name   string
		tenant *data.Tenant
		origin data.Origin
	}{
		{"demo", demo.Build(), data.OriginDemo},
		{"synthetic", demo.Synthetic(3000, 11), data.OriginSnapshot},
	}
	for _, tc := range tenants {
		for _, ext := range []string{".json", ".json.gz"} {
			t.Run(tc.name+ext, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "tenant"+ext)
				if err := snapshot.Save(path, tc.tenant, tc.origin); err != nil {
					t.Fatal(err)
				}
				st, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode().Perm() != 0o600 {
					t.Errorf("mode %v, want 0600", st.Mode().Perm())
				}
				raw, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if gz := bytes.HasPrefix(raw, []byte{0x1f, 0x8b}); gz != strings.HasSuffix(ext, ".gz") {
					t.Errorf("gzip %v for %s", gz, ext)
				}
				onlyFile(t, dir, "tenant"+ext)

				got, origin, err := snapshot.Load(path)
				if err != nil {
					t.Fatal(err)
				}
				if origin != tc.origin {
					t.Errorf("origin %q, want %q", origin, tc.origin)
				}
				if !reflect.DeepEqual(got, tc.tenant) {
					t.Error("loaded tenant differs from the saved one")
				}
			})
		}
	}
}

// TestSaveReplaces overwrites an existing snapshot in place, still 0600 and with no temporary file left behind.
func TestSaveReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tenant.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	tn := demo.Synthetic(10, 1)
	if err := snapshot.Save(path, tn, data.OriginSnapshot); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v after replace, want 0600", st.Mode().Perm())
	}
	onlyFile(t, dir, "tenant.json")
	if got, _, err := snapshot.Load(path); err != nil || !reflect.DeepEqual(got, tn) {
		t.Fatalf("reload after replace: %v", err)
	}
}

func TestSaveIntoMissingFolder(t *testing.T) {
	dir := t.TempDir()
	err := snapshot.Save(filepath.Join(dir, "no-such-folder", "tenant.json"), demo.Build(), data.OriginDemo)
	if err == nil {
		t.Fatal("saved into a folder that does not exist")
	}
	onlyFile(t, dir, "")
}

// TestOriginDefaultsToSnapshot: a file written without an origin is a snapshot.
func TestOriginDefaultsToSnapshot(t *testing.T) {
	raw, err := os.ReadFile("testdata/minimal.json")
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.Replace(raw, []byte(`"origin": "snapshot",`), nil, 1)
	tn, origin, err := snapshot.Decode(bytes.NewReader(raw), "minimal")
	if err != nil {
		t.Fatal(err)
	}
	if origin != data.OriginSnapshot || tn.ID == "" || len(tn.Identities) != 1 {
		t.Fatalf("origin %q, tenant %q with %d identities", origin, tn.ID, len(tn.Identities))
	}
}

// refusal is a bad file and what the reason for refusing it must say.
type refusal struct {
	name   string
	file   string // from testdata, or
	body   []byte // written to a temporary file
	reason string
}

// refusals are every kind of bad file.
func refusals(t testing.TB) []refusal {
	valid := encode(t, demo.Build(), false)
	validGz := encode(t, demo.Build(), true)

	corrupt := bytes.Clone(validGz)
	for i := len(corrupt) / 3; i < len(corrupt)/3+64; i++ {
		corrupt[i] ^= 0x5a
	}
	badHeader := bytes.Clone(validGz)
	badHeader[2] = 0x00 // compression method other than deflate

	return []refusal{
		{name: "empty file", file: "empty.json", reason: "empty file"},
		{name: "not JSON", file: "not-json.txt", reason: "not a snapshot: not JSON"},
		{name: "JSON but not a snapshot", file: "not-a-snapshot.json", reason: `not a snapshot: no "miscope-snapshot" marker`},
		{name: "JSON array", body: []byte(`[{"format": "miscope-snapshot"}]`), reason: "not a snapshot"},
		{name: "truncated JSON", file: "truncated.json", reason: "truncated"},
		{name: "truncated large JSON", body: valid[:len(valid)/2], reason: "truncated"},
		{name: "truncated gzip", body: validGz[:len(validGz)/2], reason: "truncated"},
		{name: "gzip without its trailer", body: validGz[:len(validGz)-4], reason: "truncated"},
		{name: "gzip header only", body: validGz[:5], reason: "corrupt gzip"},
		{name: "corrupt gzip", body: corrupt, reason: "corrupt"},
		{name: "corrupt gzip header", body: badHeader, reason: "corrupt gzip"},
		{name: "data after the snapshot", body: append(bytes.Clone(valid), []byte(`{"format": "other"}`)...), reason: "after the snapshot"},
		{name: "newer version", file: "newer-version.json", reason: "newer miscope"},
		{name: "newer version after the tenant", body: []byte(`{"tenant": {"id": "t", "identities": [{"id": "a", "kind": "user-assigned"}]}, "format": "miscope-snapshot", "version": 99}`), reason: "newer miscope"},
		{name: "marker after the tenant missing", body: []byte(`{"tenant": {"id": "t", "identities": [{"id": "a", "kind": "user-assigned"}]}, "version": 1}`), reason: "not a snapshot"},
		{name: "unknown kind", file: "unknown-kind.json", reason: `unknown kind "workload"`},
		{name: "missing tenant id", file: "no-tenant-id.json", reason: "tenant has no id"},
		{name: "no tenant", body: []byte(`{"format": "miscope-snapshot", "version": 1}`), reason: "no tenant"},
		{name: "wrong field type", body: []byte(`{"format": "miscope-snapshot", "version": 1, "tenant": {"id": 7}}`), reason: `field "tenant.id" has the wrong type`},
		{name: "wrong type deep in a list", body: []byte(`{"format": "miscope-snapshot", "version": 1, "tenant": {"id": "t", "identities": [{"id": "a", "kind": "user-assigned"}, {"id": "b", "kind": 3}]}}`), reason: `field "tenant.identities[1].kind" has the wrong type`},
		{name: "list of the wrong type", body: []byte(`{"format": "miscope-snapshot", "version": 1, "tenant": {"id": "t", "roleAssignments": {}}}`), reason: `field "tenant.roleAssignments" has the wrong type (object)`},
		{name: "field given twice", body: []byte(`{"format": "miscope-snapshot", "version": 1, "tenant": {"id": "t", "identities": [], "Identities": []}}`), reason: "appears twice"},
		{name: "unknown origin", body: []byte(`{"format": "miscope-snapshot", "version": 1, "origin": "elsewhere", "tenant": {"id": "t"}}`), reason: `unknown origin "elsewhere"`},
		{name: "unknown assignment state", body: []byte(`{"format": "miscope-snapshot", "version": 1, "tenant": {"id": "t", "directoryRoleAssignments": [{"id": "x", "state": "maybe"}]}}`), reason: `unknown state "maybe"`},
		{name: "duplicate identity", body: duplicateIdentity(t), reason: "appears twice"},
		{name: "data after the gzip data", body: append(bytes.Clone(validGz), []byte("appended by someone")...), reason: "other data after the end of the gzip data"},
		{name: "a few bytes after the gzip data", body: append(bytes.Clone(validGz), 0, 0, 0), reason: "other data after the end of the gzip data"},
		{name: "null role assignment", body: []byte(`{"format": "miscope-snapshot", "version": 1, "tenant": {"id": "t", "roleAssignments": [null]}}`), reason: `element 0 of "tenant.roleAssignments" is null`},
		{name: "null identity", body: []byte(`{"format": "miscope-snapshot", "version": 1, "tenant": {"id": "t", "identities": [{"id": "a", "kind": "user-assigned"}, null]}}`), reason: `element 1 of "tenant.identities" is null`},
	}
}

// path returns the file of a refusal, writing it into dir when it is not in testdata.
func (c refusal) path(t testing.TB, dir string) string {
	if c.file != "" {
		return filepath.Join("testdata", c.file)
	}
	path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".json")
	if err := os.WriteFile(path, c.body, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkRefusal fails unless err is a *snapshot.Error naming path and giving the expected reason.
func checkRefusal(t *testing.T, err error, path, reason string) {
	t.Helper()
	var se *snapshot.Error
	if !errors.As(err, &se) {
		t.Fatalf("accepted or wrong error type: %v", err)
	}
	if se.Path != path || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
	if !strings.Contains(se.Reason, reason) {
		t.Errorf("reason %q, want it to say %q", se.Reason, reason)
	}
}

// TestRefused gives every kind of bad file and checks it is refused with its path and a reason that says what is
// wrong.
func TestRefused(t *testing.T) {
	dir := t.TempDir()
	for _, c := range refusals(t) {
		t.Run(c.name, func(t *testing.T) {
			path := c.path(t, dir)
			tn, _, err := snapshot.Load(path)
			if tn != nil {
				t.Error("a tenant came back with the error")
			}
			checkRefusal(t, err, path, c.reason)
		})
	}
}

func TestLoadMissingAndDirectory(t *testing.T) {
	dir := t.TempDir()
	for path, reason := range map[string]string{
		filepath.Join(dir, "absent.json"): "cannot open: no such file",
		dir:                               "is a folder",
	} {
		_, _, err := snapshot.Load(path)
		var se *snapshot.Error
		if !errors.As(err, &se) || se.Path != path || !strings.Contains(se.Reason, reason) {
			t.Errorf("Load(%s) = %v, want a snapshot error saying %q", path, err, reason)
		}
	}
}

func encode(t testing.TB, tn *data.Tenant, gz bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	if !gz {
		if err := snapshot.Encode(&buf, tn, data.OriginSnapshot); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	zw := gzip.NewWriter(&buf)
	if err := snapshot.Encode(zw, tn, data.OriginSnapshot); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func duplicateIdentity(t testing.TB) []byte {
	tn := demo.Build()
	tn.Identities = append(tn.Identities, tn.Identities[0])
	return encode(t, tn, false)
}

// onlyFile fails unless dir holds exactly the file name (or nothing, when name is ""): no temporary files.
func onlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{name}
	if name == "" {
		want = nil
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("folder holds %v, want %v", names, want)
	}
}
