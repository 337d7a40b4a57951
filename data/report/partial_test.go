package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
)

// quietTenant has no finding at all, and whatever gaps are given.
func quietTenant(gaps ...data.Gap) *data.Tenant {
	t := testTenant()
	t.AppRoleAssignments, t.RoleAssignments, t.DirectoryRoleAssignments = nil, nil, nil
	t.Memberships, t.FederatedCredentials, t.Applications = nil, nil, nil
	t.Identities = t.Identities[2:] // mi-quiet
	t.Gaps = gaps
	return t
}

// A gate at a severity passes only when no part that could not be read could hide a finding at or above it.
func TestUnreadPartsThatCouldHideAFinding(t *testing.T) {
	roles := data.Gap{Section: data.SectionAzureRoles, IdentityID: "mi-quiet", Reason: "403", Needs: "Reader"}
	apps := data.Gap{Section: data.SectionApplications, Reason: "403", Needs: "Application.Read.All"}
	names := data.Gap{Section: data.SectionPrincipals, Reason: "403", Needs: "Directory.Read.All"}
	gone := data.Gap{Section: data.SectionGroups, IdentityID: "deleted-since", Reason: "403"}
	for _, c := range []struct {
		name   string
		gaps   []data.Gap
		failOn assess.Severity
		says   string // "" when nothing could hide a finding
	}{
		{"an identity's Azure roles, --fail-on critical", []data.Gap{roles}, assess.Critical, "azureRoles of mi-quiet (needs Reader)"},
		{"an identity's Azure roles, no --fail-on", []data.Gap{roles}, -1, ""},
		{"applications, --fail-on medium", []data.Gap{apps}, assess.Medium, "applications (needs Application.Read.All)"},
		{"applications cannot hide a high finding", []data.Gap{apps}, assess.High, ""},
		{"principal names hide no finding", []data.Gap{names}, assess.Info, ""},
		{"a gap about an identity the tenant does not hold", []data.Gap{gone}, assess.Info, ""},
		{"nothing unread", nil, assess.Info, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := data.NewIndex(quietTenant(c.gaps...))
			list, hiding := Unread(x, assess.Assess(x), c.failOn)
			if list != nil || (c.says == "") != (len(hiding) == 0) || c.says != "" && hiding[0] != c.says {
				t.Errorf("Unread = %v %q, want %q", list, hiding, c.says)
			}
		})
	}
	// An identity list that could not be read has nothing to judge: it never passes.
	empty := quietTenant(data.Gap{Section: data.SectionIdentities, Reason: "the managed identity list answered 403",
		Needs: "Application.Read.All"})
	empty.Identities = nil
	x := data.NewIndex(empty)
	if list, _ := Unread(x, assess.Assess(x), -1); list == nil || list.Needs != "Application.Read.All" {
		t.Errorf("unreadable identity list: %v, want its gap", list)
	}
}

// In JSON a section that could not be read is null when nothing of it was read, what was read when something was,
// and [] only when it was read and holds nothing.
func TestJSONTellsUnreadFromNone(t *testing.T) {
	tn := testTenant()
	tn.Gaps = append(tn.Gaps, data.Gap{Section: data.SectionAzureRoles, IdentityID: "mi-admin", Reason: "403"})
	x := data.NewIndex(tn)
	var out bytes.Buffer
	if err := WriteJSON(&out, Build(x, assess.Assess(x), data.SourceInfo{})); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Identities []map[string]json.RawMessage `json:"identities"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, i := range doc.Identities {
		var id string
		_ = json.Unmarshal(i["id"], &id)
		got[id] = string(i["azureRoles"]) + " " + string(i["notReadable"])
	}
	for id, want := range map[string]string{
		"mi-quiet":  `null ["azureRoles"]`, // not readable, nothing read
		"mi-deploy": `[] `,                 // read: none
	} {
		if got[id] != want {
			t.Errorf("%s: azureRoles and notReadable %s, want %s", id, got[id], want)
		}
	}
	if g := got["mi-admin"]; !strings.HasPrefix(g, `[{`) || !strings.HasSuffix(g, `["azureRoles"]`) {
		t.Errorf("mi-admin: azureRoles and notReadable %s, want what was read and the section named", g)
	}
}
