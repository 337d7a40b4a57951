package ui

import (
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
)

// A finding about a deleted principal's role assignments names it as deleted, and enter says what it is instead of
// opening an identity view of something that no longer exists.
func TestDeletedPrincipalFinding(t *testing.T) {
	const gone = "00000000-0000-0000-0000-0000000000d1"
	tn := testTenant()
	tn.Principals = append(tn.Principals, data.Principal{ID: gone, Type: data.PrincipalUser, NotFound: true})
	tn.RoleAssignments = append(tn.RoleAssignments, data.RoleAssignment{
		ID:          rg(sub1, "rg-web") + "/providers/Microsoft.Authorization/roleAssignments/r-gone",
		PrincipalID: gone, PrincipalType: data.PrincipalUser, RoleDefinitionID: contributor, Scope: rg(sub1, "rg-web")})
	s := start(t, newTestModel(tn), 100, 30)
	s.ready()
	s.keys("f")
	s.waitFor("the findings pane", func(m *Model) bool { v, ok := m.top().(*findingsView); return ok && v.filled })
	s.keys("/")
	s.typeText("MI-STALE")
	s.keys("enter")
	s.waitText("1 of", "deleted user "+gone[:8], "delete --ids")
	s.keys("enter")
	msg, _ := s.flash("no longer exists")
	if !strings.Contains(msg, gone+" no longer exists in the directory") {
		t.Errorf("enter on a deleted principal's finding says %q", msg)
	}
	s.inspect(func(m *Model) {
		if _, ok := m.top().(*findingsView); !ok {
			t.Errorf("enter on a deleted principal's finding left the pane for %T", m.top())
		}
	})
}
