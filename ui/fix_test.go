package ui

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/miscope/miscope/data/assess"
)

// TestDetailFixCommands: the detail view lists a finding's fix commands under it, y on the finding copies them as one
// line to paste, y on a command copies that command, and the help of the detail view says how verdicts are reached.
func TestDetailFixCommands(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 100, 40)
	s.ready()
	s.tm.Send(s.openCmd(idWeb))
	s.waitFor("the detail", func(m *Model) bool {
		d, ok := m.top().(*detailView)
		return ok && !d.busy() && d.a != nil
	})
	var finding, command string
	s.inspect(func(m *Model) {
		d := m.top().(*detailView)
		for _, e := range d.entries() {
			switch {
			case e.style == styleFinding && finding == "" && strings.HasPrefix(e.copyID, "az "):
				finding = e.copyID
			case e.text == "run" && command == "" && e.copyID != "":
				command = e.copyID
			}
		}
	})
	if finding == "" || command == "" {
		t.Fatalf("no finding copies its fix (%q) or no command row (%q)", finding, command)
	}
	if !strings.Contains(finding, command) && !strings.Contains(finding, " && ") {
		t.Errorf("the finding's copy %q does not hold its commands", finding)
	}
	if strings.ContainsAny(finding, "\n\r\x1b") {
		t.Errorf("the copied fix %q spans lines or carries control characters", finding)
	}
	s.keys("?")
	s.waitText("Verdicts (docs/RULES.md)", "copies its fix commands")
}

// TestFindingsPaneFix: the findings pane shows the selected finding's fix commands whole (wrapped over lines at
// 80x24, never cut), y there copies them as the line to paste, and a finding without commands (MI-SHARED, a
// redesign) shows none and copies the object id it is about, as the help says.
func TestFindingsPaneFix(t *testing.T) {
	s := start(t, newExportModel(testTenant(), Options{}), 80, 24)
	s.ready()
	s.keys("f")
	s.waitFor("the findings pane", func(m *Model) bool { v, ok := m.top().(*findingsView); return ok && v.filled })
	selectFinding := func(rule, identity string) *assess.Finding {
		t.Helper()
		var f *assess.Finding
		for range 40 {
			s.inspect(func(m *Model) {
				v := m.top().(*findingsView)
				if r := v.t.selected(); r != nil && v.finding(r).RuleID == rule && v.finding(r).IdentityID == identity {
					f = v.finding(r)
				}
			})
			if f != nil {
				return f
			}
			s.keys("j")
		}
		t.Fatalf("no %s finding of %s in the pane:\n%s", rule, identity, s.screen())
		return nil
	}

	f := selectFinding(assess.RulePrivAzure, idWeb)
	cmds := f.Commands()
	if len(cmds) == 0 {
		t.Fatal("the Owner assignment's finding has no fix commands")
	}
	var want []string
	for _, c := range cmds {
		line, ok := c.Line()
		if !ok {
			t.Fatalf("command %q does not render", c.Args)
		}
		want = append(want, line)
	}
	screen := s.waitText("Fix (y copies")
	_, fix, ok := strings.Cut(screen, "Fix (y copies")
	if !ok {
		t.Fatal("no fix heading")
	}
	// Wrapping breaks lines at spaces and hyphens: without blanks, what is shown must hold each command whole.
	squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
	for _, line := range want {
		if !strings.Contains(squash(fix), squash(line)) {
			t.Errorf("the pane does not show the command %q whole:\n%s", line, screen)
		}
	}
	checkFrame(t, screen, 80, 24)
	copyHint := func() (desc string) {
		s.inspect(func(m *Model) {
			for _, h := range m.top().hints(m.pageContext) {
				if h.Help().Key == "y" {
					desc = h.Help().Desc
				}
			}
		})
		return desc
	}
	if got := copyHint(); got != "copy fix" {
		t.Errorf("the footer offers y as %q on a finding with a fix", got)
	}
	s.keys("y")
	joined := strings.Join(want, " && ")
	s.flash("copied the fix commands of id-vm-web's finding: " + joined)
	osc := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(joined)) + "\x07"
	teatest.WaitFor(t, s.tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(osc)) },
		teatest.WithDuration(20*time.Second))

	// An export of the pane carries the same line in its FIX column.
	_, cols, rows := s.table()
	fixCol := slices.Index(cols, "FIX")
	if fixCol < 0 || !slices.ContainsFunc(rows, func(r []string) bool { return r[fixCol] == joined }) {
		t.Errorf("the pane's table has no FIX column holding %q: %v", joined, cols)
	}

	f = selectFinding(assess.RuleShared, idDeploy)
	if len(f.Commands()) != 0 {
		t.Fatalf("MI-SHARED carries commands: %q", f.Commands())
	}
	if screen := s.screen(); strings.Contains(screen, "Fix") {
		t.Errorf("a finding without commands shows a fix:\n%s", screen)
	}
	if got := copyHint(); got != "copy id" {
		t.Errorf("the footer offers y as %q on a finding without a fix", got)
	}
	s.keys("y")
	s.flash("copied the object id of uami-deploy: " + idDeploy)
}

// TestFindingsPreviewUsesFreeRows: when a filter leaves the table a few rows, the preview takes the rest of the body,
// and the remediation the lines the evidence leaves: the whole remediation shows, not its first two lines.
func TestFindingsPreviewUsesFreeRows(t *testing.T) {
	s := start(t, newExportModel(testTenant(), Options{}), 80, 24)
	s.ready()
	s.keys("f")
	s.waitFor("the findings pane", func(m *Model) bool { v, ok := m.top().(*findingsView); return ok && v.filled })
	s.keys("/")
	s.typeText("MI-PRIV-AZURE")
	s.keys("enter")
	s.waitText("1 of")
	var rem string
	s.inspect(func(m *Model) {
		v := m.top().(*findingsView)
		rem = v.finding(v.t.selected()).Remediation
	})
	screen := s.screen()
	_, shown, _ := strings.Cut(screen, "Remediation\n")
	shown, _, _ = strings.Cut(shown, "Fix")
	squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
	if !strings.Contains(squash(shown), squash(rem)) || strings.Contains(shown, "…") {
		t.Errorf("the remediation is cut though the body has room:\n%s", screen)
	}
	checkFrame(t, screen, 80, 24)
}
