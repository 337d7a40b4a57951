package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
)

// withUsage gives the test tenant sign-ins: the web VM's identity signed in to Azure Resource Manager three days
// before the read, the clean function never.
func withUsage(tn *data.Tenant) *data.Tenant {
	to := tn.CollectedAt
	tn.Usage = &data.Usage{Source: data.UsageWorkspace, WindowDays: 30, From: to.AddDate(0, 0, -30), To: to,
		SignIns: []data.SignIn{{PrincipalID: idWeb, ResourceAppID: data.AzureResourceManagerAppID,
			Last: to.Add(-3*24*time.Hour - time.Hour), Count: 12}}}
	return tn
}

// At 80x24 the list says when each identity last signed in; U sorts the longest unused first; the detail view shows
// the sign-in next to the grant it uses. Without usage, the column says "?" and the section what it needs, never
// "never".
func TestUsageInTheExplorer(t *testing.T) {
	s := start(t, newTestModel(withUsage(testTenant())), 80, 24)
	s.ready()
	screen := s.waitText("USED", "3d", "never")
	if l := lineWith(screen, "fn-clean"); !strings.HasSuffix(strings.TrimSpace(l), "never") {
		t.Errorf("fn-clean never signed in, its row says:\n%s", l)
	}
	if l := lineWith(screen, "id-vm-web"); !strings.HasSuffix(strings.TrimSpace(l), "3d") {
		t.Errorf("id-vm-web signed in 3 days before the read, its row says:\n%s", l)
	}
	s.keys("U")
	s.inspect(func(m *Model) {
		if r := m.list.t.selected(); r == nil || r.cells[6] != "never" {
			t.Errorf("U sorts the longest unused first; the first row is %+v", r)
		}
	})
	s.keys("g")
	var web int
	s.inspect(func(m *Model) {
		for i, r := range m.list.t.view {
			if m.list.t.rows[r].id == idWeb {
				web = i
			}
		}
	})
	for range web {
		s.keys("j")
	}
	s.keys("enter")
	s.waitFor("the detail view", func(m *Model) bool {
		d, ok := m.top().(*detailView)
		return ok && d.id == idWeb && !d.busy() && d.a != nil
	})
	var text string
	s.inspect(func(m *Model) {
		for _, e := range m.top().(*detailView).entries("") {
			if e.section == usageSection {
				text += e.text + " " + e.detail + "\n"
			}
		}
	})
	for _, want := range []string{"window the 30 days to 2026-01-02 (Log Analytics workspace)",
		"used Azure Resource Manager: last 2025-12-30 (3d before the read), 12 sign-ins; uses Owner at subscription"} {
		if !strings.Contains(text, want) {
			t.Errorf("the usage section lacks %q:\n%s", want, text)
		}
	}

	t.Run("usage not read", func(t *testing.T) {
		s := start(t, newTestModel(testTenant()), 80, 24)
		s.ready()
		screen := s.waitText("USED", "?")
		if strings.Contains(screen, "never") {
			t.Errorf("with usage not read an identity is shown as never used:\n%s", screen)
		}
		s.keys("enter")
		s.waitFor("the detail view", func(m *Model) bool {
			d, ok := m.top().(*detailView)
			return ok && !d.busy() && d.a != nil
		})
		var text string
		s.inspect(func(m *Model) {
			for _, e := range m.top().(*detailView).entries("") {
				if e.section == usageSection {
					text += e.text + " " + e.detail + "\n"
				}
			}
		})
		if !strings.Contains(text, "not readable (needs "+data.NeedsUsageInFile+")") || strings.Contains(text, "no sign-in") {
			t.Errorf("the usage section over a gap:\n%s", text)
		}
	})
}
