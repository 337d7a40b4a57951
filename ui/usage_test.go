package ui

import (
	"slices"
	"strconv"
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
		for _, e := range m.top().(*detailView).entries() {
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
			for _, e := range m.top().(*detailView).entries() {
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

// tab switches to the user accounts used as service accounts and back; enter shows an account's finding; without
// users' sign-in activity the list says so rather than "none".
func TestCandidatesList(t *testing.T) {
	tn := withUsage(testTenant())
	tn.Principals = append(tn.Principals, data.Principal{ID: "u-svc", Type: data.PrincipalUser, DisplayName: "svc-nightly-export"})
	tn.RoleAssignments = append(tn.RoleAssignments, data.RoleAssignment{PrincipalID: "u-svc",
		PrincipalType: data.PrincipalUser, RoleDefinitionID: tn.RoleDefinitions[1].ID, Scope: rg(sub1, "rg-web")})
	no := false
	tn.Usage.Users = []data.UserUsage{{ID: "u-svc", DisplayName: "svc-nightly-export", UserPrincipalName: "svc@contoso.example",
		LastNonInteractive: tn.CollectedAt.Add(-time.Hour), PasswordNeverExpires: &no, MFARegistered: &no}}
	s := start(t, newTestModel(tn), 80, 24)
	s.ready()
	s.waitText("findings")
	s.keys("tab")
	screen := s.waitText("User accounts used as service accounts", "svc-nightly-export", "never", "1/1")
	if l := lineWith(screen, "svc-nightly-export"); !strings.Contains(l, "no") || !strings.Contains(l, "expires") {
		t.Errorf("the row does not say MFA and password:\n%s", l)
	}
	s.keys("enter")
	s.waitFor("the account's finding", func(m *Model) bool {
		fv, ok := m.top().(*findingsView)
		return ok && fv.t.counts() == "1/1 of "+strconv.Itoa(len(fv.t.rows))
	})
	s.keys("esc", "esc") // the filter, then the pane: back on the accounts
	s.waitFor("the accounts", func(m *Model) bool { _, ok := m.top().(*candidatesView); return ok })
	s.keys("esc")
	s.waitFor("the identities", func(m *Model) bool { return m.top() == m.list })
	s.keys("tab")
	s.waitText("svc-nightly-export")
	s.keys("tab")
	s.waitFor("tab back to the identities", func(m *Model) bool { return m.top() == m.list })

	t.Run("not readable", func(t *testing.T) {
		tn := withUsage(testTenant())
		tn.Gaps = append(tn.Gaps, data.Gap{Section: data.SectionUserSignIns, Reason: "403", Needs: data.NeedsUserSignIns})
		s := start(t, newTestModel(tn), 80, 24)
		s.ready()
		s.waitText("findings")
		s.keys("tab")
		s.waitText("Users' sign-in activity is not readable (needs " + data.NeedsUserSignIns + ")")
	})
}

// Rows that arrive while a filter is typed are searched alone and merged in: the view, and the views kept for
// shorter queries, are what filtering every row again gives.
func TestAppendWhileFilteredMatchesRefilter(t *testing.T) {
	mk := func(from, to int) []row {
		var rows []row
		for i := from; i < to; i++ {
			name := "id-" + strconv.Itoa(i)
			if i%3 == 0 {
				name = "storage-" + strconv.Itoa(i)
			}
			rows = append(rows, row{cells: []string{name, "SA", "", "", "", "", "", ""}, nums: make([]int64, 8),
				id: name, hay: name})
		}
		return rows
	}
	tb := newTable(identityColumns(), colName, false)
	tb.appendRows(mk(0, 50))
	tb.setFilter("s")
	tb.setFilter("st")
	tb.setFilter("sto")
	tb.appendRows(mk(50, 120))
	tb.appendRows(mk(120, 121))
	got := slices.Clone(tb.view)
	tb.setFilter("st") // from the kept view of "st"
	gotShorter := slices.Clone(tb.view)
	tb.setFilter("sto")
	tb.refilter("")
	if !slices.Equal(got, tb.view) {
		t.Errorf("view after appending %v, filtering everything again %v", got, tb.view)
	}
	tb.setFilter("st")
	if !slices.Equal(gotShorter, tb.view) {
		t.Errorf("kept view of a shorter query %v, filtering again %v", gotShorter, tb.view)
	}
	if len(got) != 41 {
		t.Errorf("%d rows match, want 41", len(got))
	}
}

// On a wide terminal the list has a preview of the selected identity beside it, which follows the cursor; p hides
// it; at 80 columns there is none.
func TestPreviewPane(t *testing.T) {
	s := start(t, newTestModel(withUsage(testTenant())), 160, 40)
	s.ready()
	var first, second string
	s.inspect(func(m *Model) { _, first = m.list.Selected() })
	screen := s.waitText("verdict", "holds", "Findings")
	if !strings.Contains(screen, "object   "+first) {
		t.Errorf("the preview does not show the selected identity %s:\n%s", first, screen)
	}
	checkFrame(t, s.content(), 160, 40)
	s.keys("j")
	s.inspect(func(m *Model) { _, second = m.list.Selected() })
	s.waitText("object   " + second)
	s.keys("p")
	s.waitFor("the preview hidden", func(m *Model) bool { return !strings.Contains(plain(m), "verdict") })
	s.keys("p")
	s.waitText("verdict")

	narrow := start(t, newTestModel(withUsage(testTenant())), 80, 24)
	narrow.ready()
	narrow.waitText("USED")
	if strings.Contains(narrow.screen(), "verdict") {
		t.Errorf("a preview at 80 columns:\n%s", narrow.screen())
	}
}

// A page's request to the root is taken in the same Update as the key that made it: the next key, typed ahead,
// reaches the page the first one opened, and "o" there says why it cannot act.
func TestPageRequestsAreTakenAtOnce(t *testing.T) {
	m := newTestModel(testTenant())
	d := newDriver(m)
	d.until(func() bool { return !m.list.loading && len(m.list.t.view) > 0 })
	m.Update(keyMsg("enter"))
	if _, ok := m.top().(*detailView); !ok {
		t.Fatalf("after enter the top is %T, want the detail view at once", m.top())
	}
	m.Update(keyMsg("o"))
	if !strings.Contains(m.flash, "move to a line under Azure roles") {
		t.Errorf("o on a line that is no Azure role says %q", m.flash)
	}
	m.Close()
}
