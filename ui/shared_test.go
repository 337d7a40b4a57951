package ui

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/cache"
	"github.com/miscope/miscope/data/triage"
)

// TestSessionsShareTheAssessmentNotTheirDecisions: two explorers on one cache (two SSH sessions of a server) get
// one assessment and share what they precompute from it, while a decision taken in one (its own triage file) changes
// neither the other's findings pane nor its counts.
func TestSessionsShareTheAssessmentNotTheirDecisions(t *testing.T) {
	src := data.NewTenantSource(testTenant(), data.SourceInfo{Origin: data.OriginDemo, Label: "demo tenant"})
	c := cache.New(src, cache.Options{})
	explorer := func(file string) *session {
		m := New(Options{Source: c, Triage: filepath.Join(t.TempDir(), file), Who: "alice",
			Now: func() time.Time { return triageClock }})
		s := start(t, m, 80, 24)
		s.ready()
		s.keys("f")
		s.waitFor("the findings pane", func(m *Model) bool {
			v, ok := m.top().(*findingsView)
			return ok && v.filled && m.tri.file != nil
		})
		return s
	}
	one, two := explorer("one.yaml"), explorer("two.yaml")

	var fp, identity string
	var before int
	var shared *sharedAssessment
	one.inspect(func(m *Model) {
		r := m.top().(*findingsView).t.selected()
		fp, identity = m.as.result.fps[r.src], r.ref
		before = openCount(m, identity)
		shared = m.as.result.sharedAssessment
	})
	one.keys("a")
	one.typeText("owned by platform")
	one.keys("enter")
	one.waitText("1 accepted")
	one.inspect(func(m *Model) {
		if got := openCount(m, identity); got != before-1 {
			t.Errorf("the deciding explorer counts %d open, want %d", got, before-1)
		}
	})
	two.inspect(func(m *Model) {
		if m.as.result.sharedAssessment != shared {
			t.Error("the second explorer precomputed the assessment again instead of sharing it")
		}
		if got := openCount(m, identity); got != before {
			t.Errorf("the other explorer counts %d open after a decision in the first, want %d", got, before)
		}
		v := m.top().(*findingsView)
		for _, r := range v.t.rows {
			if m.as.result.fps[r.src] == fp && r.cells[colStatusIndex] != statusCell(triage.Open) {
				t.Errorf("the other explorer's findings pane shows %q for the decided finding, want open",
					r.cells[colStatusIndex])
			}
		}
	})
	for _, r := range shared.findingTemplate {
		if r.cells[colStatusIndex] != statusCell(triage.Open) {
			t.Fatalf("a decision changed the shared rows: %q", r.cells[colStatusIndex])
		}
	}
	if n := c.Assessments(); n != 1 {
		t.Errorf("two explorers ran the engine %d times, want once", n)
	}
}
