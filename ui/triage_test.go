package ui

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/cache"
	"github.com/miscope/miscope/data/triage"
)

var triageClock = time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)

func triageModel(t *testing.T, path string) *Model {
	src := data.NewTenantSource(testTenant(), data.SourceInfo{Origin: data.OriginDemo, Label: "demo tenant"})
	return New(Options{Source: cache.New(src, cache.Options{}), Triage: path, Who: "alice",
		Now: func() time.Time { return triageClock }})
}

// openCount is how many findings the identity list counts for an identity.
func openCount(m *Model, id string) int {
	if f := m.as.result.fact(id); f != nil {
		return f.count
	}
	return -1
}

// TestAcceptLeavesTheOpenListAndReopenBringsItBack is the triage flow at 80x24: a on a finding, a justification
// (required), enter; the finding leaves the open list, the identity's count drops, the file holds the decision; d
// shows it again as accepted and u reopens it.
func TestAcceptLeavesTheOpenListAndReopenBringsItBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "miscope-triage.yaml")
	s := start(t, triageModel(t, path), 80, 24)
	s.ready()
	s.keys("f")
	s.waitFor("the findings pane", func(m *Model) bool {
		v, ok := m.top().(*findingsView)
		return ok && v.filled && m.tri.file != nil
	})
	var fp, identity, rule string
	var open, before int
	s.inspect(func(m *Model) {
		v := m.top().(*findingsView)
		r := v.t.selected()
		fp, identity, rule = v.from.fps[r.src], r.ref, r.cells[1]
		open = len(v.t.view)
		before = openCount(m, identity)
	})
	s.waitText(data.Plural(open, "open", "open"))

	// No justification: refused, nothing written.
	s.keys("a")
	s.waitText("Decide: "+rule, "[accepted]", "90d")
	s.keys("enter")
	s.waitText("a justification is required")
	if _, err := os.Stat(path); err == nil {
		t.Fatal("a decision without a justification was written")
	}
	s.typeText("break-glass runbook, owned by platform")
	s.keys("enter")
	screen := s.waitText("1 accepted", data.Plural(open-1, "open", "open"))
	checkFrame(t, s.content(), 80, 24)
	s.inspect(func(m *Model) {
		v := m.top().(*findingsView)
		for _, i := range v.t.view {
			if v.from.fps[v.t.rows[i].src] == fp {
				t.Error("the accepted finding is still in the open list")
			}
		}
		if got := openCount(m, identity); got != before-1 {
			t.Errorf("the identity's open count is %d, want %d", got, before-1)
		}
	})
	f, err := triage.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := f.Lookup(fp)
	if !ok || e.Decision != triage.Accepted || e.Justification != "break-glass runbook, owned by platform" ||
		e.By != "alice" || !e.Expires.Equal(triageClock.Add(triage.DefaultAcceptedExpiry)) || e.Rule != rule {
		t.Fatalf("the file holds %+v\nscreen:\n%s", e, screen)
	}

	// d shows decided findings too; the accepted one says so, and u reopens it.
	s.keys("d")
	s.waitText("(all)")
	var pos int
	s.inspect(func(m *Model) {
		v := m.top().(*findingsView)
		pos = slices.IndexFunc(v.t.view, func(i int32) bool { return v.from.fps[v.t.rows[i].src] == fp })
	})
	if pos < 0 {
		t.Fatal("the accepted finding is not shown with d")
	}
	s.keys("g")
	for range pos {
		s.keys("j")
	}
	s.waitText("accepted by alice on 2026-12-04, until 2027-03-04: break-glass runbook")
	s.keys("u")
	s.waitText(data.Plural(open, "open", "open")+" (all)", "reopened: "+rule)
	if f, _ := triage.Load(path); len(f.Decisions) != 0 {
		t.Errorf("reopen left %v in the file", f.Decisions)
	}
	s.inspect(func(m *Model) {
		if got := openCount(m, identity); got != before {
			t.Errorf("after reopening, the identity's open count is %d, want %d", got, before)
		}
	})
	// u on an open finding says there is nothing to undo and writes nothing.
	s.keys("u")
	s.waitText("this finding is open")
}

// TestExpiredAndBrokenTriageFiles: an expired decision reopens its finding and says so; a file that cannot be
// parsed is reported with its path and line and never written.
func TestExpiredAndBrokenTriageFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "miscope-triage.yaml")
	m0 := triageModel(t, path)
	s := start(t, m0, 120, 40)
	s.ready()
	var fp string
	s.inspect(func(m *Model) { fp = m.as.result.fps[0] })
	s.m.Close()

	e := triage.NewEntry(fp, triage.Accepted, "accepted last quarter", "bob", triageClock.Add(-100*24*time.Hour),
		time.Time{})
	if _, err := triage.Decide(path, e); err != nil {
		t.Fatal(err)
	}
	gone := triage.NewEntry("mi1-000000000000000000000000", triage.FalsePositive, "an identity since deleted", "bob",
		triageClock, time.Time{})
	if _, err := triage.Decide(path, gone); err != nil {
		t.Fatal(err)
	}
	s = start(t, triageModel(t, path), 120, 40)
	s.ready()
	s.keys("f")
	s.waitText("1 expired", "1 decision resolved", "Decision open again: accepted by bob")

	if err := os.WriteFile(path, []byte("version: 1\ndecisions:\n  - fingerprint: x\n    decision: later\n    justification: y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s = start(t, triageModel(t, path), 120, 40)
	s.ready()
	s.waitText(path + ":3")
	s.keys("f", "a")
	s.waitText("decisions cannot be written")
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "decision: later") {
		t.Error("the broken file was overwritten")
	}
}
