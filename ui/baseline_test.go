package ui

import (
	"slices"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/cache"
)

// TestBaselineMarksWhatChanged: against a baseline without vm-graph and without fn-clean's Reader role, the list
// marks vm-graph new and fn-clean changed, c shows only the marked ones, and fn-clean's detail says what was added.
func TestBaselineMarksWhatChanged(t *testing.T) {
	old := testTenant()
	old.Identities = slices.DeleteFunc(old.Identities, func(i data.Identity) bool { return i.ID == idGraph })
	old.RoleAssignments = slices.DeleteFunc(old.RoleAssignments, func(a data.RoleAssignment) bool {
		return a.PrincipalID == idClean && a.RoleDefinitionID == readerRole
	})
	src := data.NewTenantSource(testTenant(), data.SourceInfo{Origin: data.OriginDemo, Label: "demo tenant"})
	base := data.NewTenantSource(old, data.SourceInfo{Origin: data.OriginSnapshot, Label: "last week"})
	m := New(Options{Source: cache.New(src, cache.Options{}), Baseline: cache.New(base, cache.Options{}),
		Triage: t.TempDir() + "/triage.yaml"})
	s := start(t, m, 80, 24)
	s.ready()
	s.waitFor("the comparison", func(m *Model) bool { return m.base.from != nil })
	marks := map[string]string{}
	s.inspect(func(m *Model) {
		for _, r := range m.list.t.rows {
			marks[r.id] = r.cells[colChangeIdentity]
		}
	})
	if marks[idGraph] != markNew || marks[idClean] != markChanged {
		t.Fatalf("marks = %v", marks)
	}
	s.waitText("CHG")
	s.keys("c")
	screen := s.waitText("changed since the baseline", "vm-graph", "fn-clean")
	checkFrame(t, s.content(), 80, 24)
	s.inspect(func(m *Model) {
		for _, i := range m.list.t.view {
			if m.list.t.rows[i].cells[colChangeIdentity] == "" {
				t.Errorf("c shows unchanged %s", m.list.t.rows[i].label)
			}
		}
	})
	if strings.Contains(screen, "vm-web") && marks[idWeb] == "" {
		t.Errorf("c shows an unchanged identity:\n%s", screen)
	}
	// The findings pane: vm-graph's findings are new.
	s.keys("f")
	s.waitFor("the findings pane", func(m *Model) bool { v, ok := m.top().(*findingsView); return ok && v.filled })
	s.inspect(func(m *Model) {
		v := m.top().(*findingsView)
		if len(v.t.view) == 0 {
			t.Error("c shows no new finding, but vm-graph is new")
		}
		for _, i := range v.t.view {
			if r := v.t.rows[i]; r.cells[colChangeFinding] == "" {
				t.Errorf("c shows an unchanged finding of %s", r.cells[2])
			}
		}
	})
	s.keys("esc")
	s.tm.Send(s.openCmd(idClean))
	s.waitFor("fn-clean's Azure roles to say what was added", func(m *Model) bool {
		d, ok := m.top().(*detailView)
		if !ok || d.busy() {
			return false
		}
		for _, e := range d.entries() {
			if e.text == "added" && e.detail == "Reader at /subscriptions/"+sub1+" (since the baseline)" {
				return true
			}
		}
		return false
	})
}
