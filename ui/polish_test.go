package ui

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/miscope/miscope/data"
)

const appLegacy = "00000000-0000-0000-0000-0000000000c1"

// incompleteTenant is the test tenant where fn-clean (no finding) has federated credentials that cannot be read, and
// an application signs in with a secret.
func incompleteTenant() *data.Tenant {
	tn := testTenant()
	tn.Gaps = append(tn.Gaps, data.Gap{Section: data.SectionFederatedCredentials, IdentityID: idClean,
		Reason: "403 Forbidden listing federated credentials", Needs: "Reader on rg-fn"})
	tn.Applications = append(tn.Applications, data.Application{ID: appLegacy, AppID: "app-c1",
		DisplayName: "legacy-payroll\x1b[2J", Credentials: []data.Credential{{KeyID: "k1", Type: "password",
			DisplayName: "prod", Start: time.Now().Add(-time.Hour), End: time.Now().Add(30 * 24 * time.Hour)}}})
	return tn
}

// An identity with no finding but a part that could not be read is not shown as clean: the list says unknown, the
// filter finds it by that word, and the detail says its findings are incomplete.
func TestUnreadablePartIsNotClean(t *testing.T) {
	s := start(t, newTestModel(incompleteTenant()), 80, 24)
	s.ready()
	s.keys("/")
	s.typeText("fn-clean")
	s.keys("enter")
	screen := s.waitText("1 of 5")
	row := lineWith(screen, "› fn-clean")
	if !strings.Contains(row, "unknown") || strings.Contains(row, "none") {
		t.Errorf("fn-clean has an unreadable part and no finding; its row should say unknown: %q", row)
	}
	s.keys("esc", "/")
	s.typeText("unknown")
	s.keys("enter")
	s.waitText("1 of 5", "fn-clean")

	s.tm.Send(s.openCmd(idClean))
	s.waitFor("the detail", func(m *Model) bool { d, ok := m.top().(*detailView); return ok && !d.busy() })
	s.keys("G")
	screen = s.waitText("none found — 1 part not readable, so this is incomplete")
	findings := screen[strings.LastIndex(screen, "Findings"):]
	if strings.Contains(findings, "  none\n") {
		t.Errorf("the findings of an incomplete identity say none:\n%s", findings)
	}

	// Sorting by severity puts unknown above none, below any finding.
	s.inspect(func(m *Model) {
		unknown, _ := severityCell(0, false, true)
		none, nk := severityCell(0, false, false)
		info, ik := severityCell(0, true, false)
		_, uk := severityCell(0, false, true)
		if unknown != "unknown" || none != "none" || info != "info" || !(nk < uk && uk < ik) {
			t.Errorf("severity keys: none %d, unknown %d, info %d", nk, uk, ik)
		}
	})
}

// A finding about an application names the application, and enter says what it is instead of opening an identity
// view that cannot exist; y copies its object id.
func TestApplicationFinding(t *testing.T) {
	s := start(t, newTestModel(incompleteTenant()), 80, 24)
	s.ready()
	s.keys("f")
	s.waitFor("the findings pane", func(m *Model) bool { v, ok := m.top().(*findingsView); return ok && v.filled })
	s.keys("/")
	s.typeText("SP-MIGRATE")
	s.keys("enter")
	screen := s.waitText("1 of", "app legacy-payroll")
	if strings.Contains(screen, appLegacy) {
		t.Errorf("the identity column shows the application's id instead of its name:\n%s", screen)
	}
	s.keys("enter")
	msg, _ := s.flash("is an application")
	if !strings.Contains(msg, "legacy-payroll is an application, not a managed identity") || strings.Contains(msg, "\x1b") {
		t.Errorf("enter on an application's finding says %q", msg)
	}
	s.inspect(func(m *Model) {
		if _, ok := m.top().(*findingsView); !ok {
			t.Errorf("enter on an application's finding left the pane for %T", m.top())
		}
	})
	s.keys("y")
	s.flash("copied the object id of app legacy-payroll: " + appLegacy)
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(appLegacy))
	teatest.WaitFor(t, s.tm.Output(), func(b []byte) bool { return strings.Contains(string(b), want) },
		teatest.WithDuration(3*time.Second))
}

// y in the findings pane copies the identity's object id, not the pane's internal key.
func TestCopyFindingCopiesObjectID(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 80, 24)
	s.ready()
	s.keys("f")
	s.waitFor("the findings pane", func(m *Model) bool { v, ok := m.top().(*findingsView); return ok && v.filled })
	var ref, who string
	s.inspect(func(m *Model) { r := m.top().(*findingsView).t.selected(); ref, who = r.ref, r.cells[2] })
	s.keys("y")
	msg, isErr := s.flash("copied")
	if isErr || msg != "copied the object id of "+who+": "+ref {
		t.Errorf("y in the findings pane says %q, want the object id of %s", msg, who)
	}
}

// Severity words and reach labels are in the list's filter once the assessment is in; after a filter the cursor is
// on the first match, not wherever the old row sat.
func TestFilterBySeverityAndCursorOnFirstMatch(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 80, 24)
	s.ready()
	s.keys("/")
	s.typeText("critical")
	s.keys("enter")
	s.waitFor("the filter", func(m *Model) bool { return m.list.f.query == "critical" })
	s.inspect(func(m *Model) {
		if len(m.list.t.view) == 0 {
			t.Fatal("filtering by critical matches nothing")
		}
		for _, i := range m.list.t.view {
			if r := m.list.t.rows[i]; r.cells[3] != "critical" {
				t.Errorf("filter critical kept %s, which is %s", r.label, r.cells[3])
			}
		}
	})
	s.keys("esc", "f")
	s.waitFor("the findings pane", func(m *Model) bool { v, ok := m.top().(*findingsView); return ok && v.filled })
	s.keys("j", "j")
	s.keys("/")
	s.typeText("vm-graph")
	s.waitFor("the filtered pane", func(m *Model) bool { return m.top().(*findingsView).f.query == "vm-graph" })
	s.inspect(func(m *Model) {
		v := m.top().(*findingsView)
		if len(v.t.view) == 0 {
			t.Fatal("vm-graph has findings; the filter kept none")
		}
		if v.t.cursor != 0 {
			t.Errorf("after filtering the cursor is on row %d, want the first match", v.t.cursor)
		}
	})
}
