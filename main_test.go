package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/demo"
)

// runCmd runs miscope in-process and returns its exit code and what it printed.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrorsSayWhatToDoAndExit2(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte("{\"format\":\"miscope-snapshot\",\"version\":99,\"tenant\":{}}"), 0o600)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "see miscope --help"},
		{[]string{"report", "--demo", "--format", "xml"}, `unknown --format "xml"`},
		{[]string{"report", "--demo", "--fail-on", "severe"}, "unknown severity"},
		{[]string{"collect", "--demo"}, "collect needs -o FILE"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"--demo", "--snapshot", bad}, "choose one of"},
		{[]string{"report", "--snapshot", bad}, "snapshot " + bad + ": written by a newer miscope"},
		{[]string{"report", "--snapshot", filepath.Join(t.TempDir(), "missing.json")}, "cannot open"},
		{[]string{"serve", "--demo"}, "serve needs --authorized-keys FILE"},
		{[]string{"report", "--demo", "stray"}, `unexpected argument "stray"`},
		{[]string{"report", "--auth", "password"}, `unknown --auth "password"`},
		{[]string{"collect", "-o", "x.json", "--cloud", "mars"}, `unknown --cloud "mars"`},
	}
	for _, tt := range tests {
		code, _, errOut := runCmd(t, tt.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", tt.args, code, errOut)
		}
		if !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: stderr %q does not say %q", tt.args, errOut, tt.want)
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: a mistake gets one line, not %q", tt.args, errOut)
		}
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"report", "--help"}, {"version"}} {
		code, out, errOut := runCmd(t, args...)
		if code != 0 || out+errOut == "" {
			t.Errorf("%v: exit %d, printed %q", args, code, out+errOut)
		}
	}
}

func TestReportFailOnAndFormats(t *testing.T) {
	code, out, _ := runCmd(t, "report", "--demo", "--format", "json")
	if code != 0 {
		t.Fatalf("report exit %d", code)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	if doc["schemaVersion"] != float64(1) || doc["source"] != "demo" {
		t.Errorf("schemaVersion %v source %v", doc["schemaVersion"], doc["source"])
	}
	if code, _, _ := runCmd(t, "report", "--demo", "--fail-on", "critical"); code != 1 {
		t.Errorf("the demo tenant has critical findings: --fail-on critical must exit 1, got %d", code)
	}
	_, again, _ := runCmd(t, "report", "--demo", "--format", "json")
	if again != out {
		t.Error("two reports of the same tenant differ")
	}
}

func TestCollectThenReportFromTheSnapshot(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "demo.json.gz")
	if code, _, errOut := runCmd(t, "collect", "--demo", "-o", snap); code != 0 {
		t.Fatalf("collect exit %d: %s", code, errOut)
	}
	st, err := os.Stat(snap)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("snapshot mode: %v %v", st, err)
	}
	out := filepath.Join(dir, "findings.sarif")
	if code, _, errOut := runCmd(t, "report", "--snapshot", snap, "--format", "sarif", "-o", out); code != 0 {
		t.Fatalf("report exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(out)
	if err != nil || !bytes.Contains(b, []byte(`"version": "2.1.0"`)) {
		t.Errorf("SARIF file: %v %.200s", err, b)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
		t.Errorf("report file mode %v", st.Mode().Perm())
	}
}

// TestDemoSizeBeyondMemory: a synthetic tenant whose estimate exceeds the machine's memory is refused before anything
// is generated, with the estimate and the limit.
func TestDemoSizeBeyondMemory(t *testing.T) {
	have, ok := data.SystemMemory()
	if !ok {
		t.Skip("the machine's memory cannot be read here")
	}
	n := maxDemoSize(have) + 1
	code, _, errOut := runCmd(t, "report", "--demo-size", strconv.Itoa(n))
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	for _, want := range []string{gigabytes(demo.MemoryFor(n)), gigabytes(have), "choose at most " + strconv.Itoa(n-1)} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q does not say %q", errOut, want)
		}
	}
}
