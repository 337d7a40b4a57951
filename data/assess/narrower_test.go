package assess

import (
	"strings"
	"testing"
)

// TestGraphRemediationFitsThePermission: MI-PRIV-GRAPH's remediation names, for the permission the identity holds, only
// narrower published forms of that same permission that the rules grade no higher (lower, but for the read-only form
// of a read-write one), and says so when there is none, instead of offering Sites.Selected for everything.
func TestGraphRemediationFitsThePermission(t *testing.T) {
	cases := []struct {
		held        string
		want, never []string
	}{
		{"Sites.ReadWrite.All", []string{"instead of Sites.ReadWrite.All, Sites.Selected (only the items it is granted",
			"Sites.Read.All (if it only reads)"}, []string{"Sites.FullControl.All", "Sites.Manage.All", "no narrower"}},
		{"GroupMember.ReadWrite.All", []string{"instead of GroupMember.ReadWrite.All, GroupMember.Read.All (if it only reads)"},
			[]string{"Sites.Selected", "Group.ReadWrite.All"}},
		{"RoleManagement.ReadWrite.Directory", []string{"RoleManagement.Read.Directory (if it only reads)"},
			[]string{"Sites.Selected", "RoleManagement.Read.All", "CloudPC"}},
		{"Application.ReadWrite.All", []string{"Application.Read.All (if it only reads)"},
			[]string{"Application.ReadWrite.OwnedBy", "Sites.Selected"}}, // OwnedBy is tier 0 as well: no narrower grade
		{"Files.Read.All", []string{"Files.SelectedOperations.Selected"}, []string{"Files.ReadWrite", "if it only reads"}},
		{"Mail.Read", []string{"Mail.ReadBasic (basic properties only, no content)"}, []string{"Mail.ReadWrite", "Mail.Send"}},
		{"Mail.Send", []string{"Mail.Send has no narrower form among Microsoft Graph's published permissions",
			"keep it only if"}, []string{"Mail.Read", "Sites.Selected", "instead of"}},
		{"AppRoleAssignment.ReadWrite.All", []string{"AppRoleAssignment.ReadWrite.All has no narrower form among"},
			[]string{"Sites.Selected", "instead of"}},
		// Another API's permission, or one not published: miscope does not claim there is none.
		{"full_access_as_app", []string{"miscope knows no narrower form of full_access_as_app"},
			[]string{"published", "Sites.Selected", "instead of"}},
		{"Contoso.Custom.ReadWrite", []string{"miscope knows no narrower form of Contoso.Custom.ReadWrite"},
			[]string{"published", "instead of"}},
	}
	for _, c := range cases {
		got := remediateGraph([]heldPermission{{High, c.held}})
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: remediation lacks %q:\n%s", c.held, w, got)
			}
		}
		for _, n := range c.never {
			if strings.Contains(got, n) {
				t.Errorf("%s: remediation names %q:\n%s", c.held, n, got)
			}
		}
		if !strings.HasSuffix(got, tokenCacheNote) {
			t.Errorf("%s: remediation does not end with the token note", c.held)
		}
	}

	// Several permissions: each is named once, the most severe first.
	got := remediateGraph([]heldPermission{{Low, "Mail.Send"}, {Critical, "RoleManagement.ReadWrite.Directory"},
		{Low, "Mail.Send"}, {High, "GroupMember.ReadWrite.All"}})
	if i, j := strings.Index(got, "RoleManagement.Read.Directory"), strings.Index(got, "GroupMember.Read.All"); i < 0 || j < i ||
		strings.Count(got, "Mail.Send") != 1 {
		t.Errorf("several permissions: %s", got)
	}

	// On a tenant: the finding's remediation is the one for what the identity holds.
	b := newTenant()
	b.vmIdentity("mi", "rg-app")
	b.graph("mi", permGroupMemberRW, "GroupMember.ReadWrite.All")
	for _, f := range b.assess().For("mi") {
		if f.RuleID == RulePrivGraph && (!strings.Contains(f.Remediation, "GroupMember.Read.All") ||
			strings.Contains(f.Remediation, "Sites.Selected")) {
			t.Errorf("MI-PRIV-GRAPH remediation for GroupMember.ReadWrite.All: %s", f.Remediation)
		}
	}
}
