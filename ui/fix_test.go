package ui

import (
	"strings"
	"testing"
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
		for _, e := range d.entries("") {
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
	s.waitText("Verdicts (docs/RULES.md)", "copies its commands")
}
