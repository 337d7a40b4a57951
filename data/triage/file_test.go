package triage

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)

func entry(fp string, d Decision) Entry {
	return NewEntry(fp, d, "reviewed with the owners of "+fp, "alice", now, time.Time{})
}

func TestMarshalIsSortedAndReadsBack(t *testing.T) {
	f := &File{Version: FileVersion}
	f.Set(entry("mi1-ccc", FalsePositive))
	f.Set(entry("mi1-aaa", Accepted))
	f.Set(entry("mi1-bbb", FixPlanned))
	b, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	a, bb, c := strings.Index(text, "mi1-aaa"), strings.Index(text, "mi1-bbb"), strings.Index(text, "mi1-ccc")
	if !(a > 0 && a < bb && bb < c) {
		t.Fatalf("decisions are not sorted by fingerprint:\n%s", text)
	}
	if !strings.Contains(text, "expires: 2027-03-04T21:00:00Z") {
		t.Errorf("an accepted risk does not expire 90 days after it was decided:\n%s", text)
	}
	if strings.Count(text, "    expires:") != 1 {
		t.Errorf("decisions without an expiry got one:\n%s", text)
	}
	back, err := Parse("t.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := back.Marshal()
	if string(again) != text {
		t.Errorf("a file read back does not write the same bytes:\n%s\n---\n%s", text, again)
	}
	if st, e := back.StatusOf("mi1-aaa", now.Add(89*24*time.Hour)); st != StatusAccepted || e.By != "alice" {
		t.Errorf("status before expiry = %s", st)
	}
	if st, _ := back.StatusOf("mi1-aaa", now.Add(90*24*time.Hour)); st != Expired || !st.IsOpen() {
		t.Errorf("status at expiry = %s, want expired and open", st)
	}
	if st, _ := back.StatusOf("mi1-zzz", now); st != Open {
		t.Errorf("undecided status = %s", st)
	}
	resolved := back.Resolved(func(fp string) bool { return fp != "mi1-bbb" })
	if len(resolved) != 1 || resolved[0].Fingerprint != "mi1-bbb" {
		t.Errorf("resolved = %v", resolved)
	}
}

func TestLongAndHostileTextStaysOneValue(t *testing.T) {
	f := &File{Version: FileVersion}
	e := entry("mi1-aaa", Accepted)
	e.Justification = strings.Repeat("a long reason that goes on ", 10) + "\n#not: a field\n- nor a list"
	e.Name = "evil\x1b[31mname"
	f.Set(e)
	b, _ := f.Marshal()
	back, err := Parse("t.yaml", b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	got, _ := back.Lookup("mi1-aaa")
	if got.Justification != e.Justification {
		t.Errorf("justification changed on the way: %q", got.Justification)
	}
	if strings.Contains(string(b), "\x1b") {
		t.Error("an escape sequence from the tenant was written to the file")
	}
}

func TestUnreadableFilesAreRefusedWithPathLineAndReason(t *testing.T) {
	cases := []struct {
		name, text string
		line       int
		reason     string
	}{
		{"syntax", "version: 1\ndecisions:\n  - fingerprint: a\n   decision: [\n", 4, "expected"},
		{"unclosed list", "version: 1\ndecisions:\n  - fingerprint: a\n    decision: [x\n", 4, "expected ','"},
		{"tab", "version: 1\ndecisions:\n\t- fingerprint: a\n", 3, "cannot start any token"},
		{"unclosed quote", "version: 1\ndecisions:\n  - fingerprint: \"a\n", 3, "end of stream"},
		{"unknown decision", "version: 1\ndecisions:\n  - fingerprint: a\n    decision: ignore\n    justification: x\n", 3, "unknown decision \"ignore\""},
		{"no justification", "version: 1\ndecisions:\n  - fingerprint: a\n    decision: accepted\n", 3, "justification is missing"},
		{"misspelt field", "version: 1\ndecisions:\n  - fingerprint: a\n    decison: accepted\n    justification: x\n", 3, "decison"},
		{"twice", "version: 1\ndecisions:\n  - fingerprint: a\n    decision: accepted\n    justification: x\n  - fingerprint: a\n    decision: fix-planned\n    justification: y\n", 6, "first on line 3"},
		{"newer version", "version: 7\ndecisions: []\n", 1, "version 7"},
		{"not a mapping", "- a\n- b\n", 1, "expected a mapping"},
		{"unknown top field", "version: 1\ndecision: []\n", 2, "unknown field \"decision\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "triage.yaml")
			if err := os.WriteFile(path, []byte(c.text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Update(path, func(f *File) error { f.Set(entry("b", Accepted)); return nil })
			pe, ok := err.(*ParseError)
			if !ok {
				t.Fatalf("Update on a broken file: %v, want a ParseError", err)
			}
			if pe.Path != path || pe.Line != c.line || !strings.Contains(pe.Reason, c.reason) {
				t.Errorf("got %s:%d %q, want line %d and %q", pe.Path, pe.Line, pe.Reason, c.line, c.reason)
			}
			if !strings.Contains(err.Error(), path+":"+strconv.Itoa(c.line)) {
				t.Errorf("message does not name path and line: %v", err)
			}
			after, _ := os.ReadFile(path)
			if string(after) != c.text {
				t.Error("a file that could not be parsed was overwritten")
			}
		})
	}
}

func TestUpdateWritesPrivateFileAndReopenRemoves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "triage.yaml")
	if _, err := Decide(path, entry("mi1-aaa", Accepted)); err != nil {
		t.Fatal(err)
	}
	if _, err := Decide(path, Entry{Fingerprint: "mi1-bbb", Decision: Accepted}); err == nil {
		t.Error("a decision without a justification was written")
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("triage file mode %v, %v", fi.Mode(), err)
	}
	f, err := Reopen(path, "mi1-aaa")
	if err != nil || len(f.Decisions) != 0 {
		t.Fatalf("reopen: %v %v", f, err)
	}
	if _, err := Reopen(path, "mi1-aaa"); err == nil {
		t.Error("reopening a finding with no decision did not say so")
	}
}

// TestConcurrentWritersLoseNothing has goroutines of this process (sessions of one server) and other processes (two
// explorers) decide different findings at once; every decision must be in the file.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "triage.yaml")
	const procs, perProc, goroutines = 3, 10, 4
	var cmds []*exec.Cmd
	for p := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$")
		cmd.Env = append(os.Environ(), "TRIAGE_HELPER_PATH="+path, "TRIAGE_HELPER_PREFIX=proc"+strconv.Itoa(p),
			"TRIAGE_HELPER_N="+strconv.Itoa(perProc))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perProc {
				if _, err := Decide(path, entry(fmt.Sprintf("goroutine%d-%02d", g, i), FixPlanned)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("writer process: %v", err)
		}
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := (procs + goroutines) * perProc; len(f.Decisions) != want {
		t.Fatalf("%d decisions in the file, want %d", len(f.Decisions), want)
	}
}

// TestHelperWriter is a writer process of TestConcurrentWritersLoseNothing.
func TestHelperWriter(t *testing.T) {
	path := os.Getenv("TRIAGE_HELPER_PATH")
	if path == "" {
		t.Skip("run by TestConcurrentWritersLoseNothing")
	}
	n, _ := strconv.Atoi(os.Getenv("TRIAGE_HELPER_N"))
	for i := range n {
		if _, err := Decide(path, entry(fmt.Sprintf("%s-%02d", os.Getenv("TRIAGE_HELPER_PREFIX"), i), Accepted)); err != nil {
			t.Fatal(err)
		}
	}
}
