package diff

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/demo"
	"github.com/miscope/miscope/data/report"
)

func side(t *testing.T, tn *data.Tenant, origin data.Origin) Side {
	t.Helper()
	x := data.NewIndex(tn)
	return Side{Info: data.SourceInfo{Origin: origin, Label: string(origin)}, X: x, R: assess.Assess(x)}
}

func demoTenant(t *testing.T) *data.Tenant {
	t.Helper()
	tn, err := demo.Tenant()
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

func byName(t *testing.T, tn *data.Tenant, name string) *data.Identity {
	t.Helper()
	for i := range tn.Identities {
		if tn.Identities[i].DisplayName == name {
			return &tn.Identities[i]
		}
	}
	t.Fatalf("no identity %q in the demo tenant", name)
	return nil
}

const (
	roleOwner  = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	newUAID    = "0d1e2f30-4a5b-4c6d-8e9f-a0b1c2d3e4f5"
	newUAApp   = "1d1e2f30-4a5b-4c6d-8e9f-a0b1c2d3e4f5"
	newUAArmID = "/subscriptions/3f1c61b1-80a9-48ba-b146-eabf83608fce/resourceGroups/rg-sandbox-shared/providers/" +
		"Microsoft.ManagedIdentity/userAssignedIdentities/id-new-worker"
)

// changedCopy is the demo tenant with one change of each kind made to it; the test lists what the diff must say.
func changedCopy(t *testing.T) *data.Tenant {
	tn := demoTenant(t)
	// Removed: an identity and everything that names it.
	gone := byName(t, tn, "func-inventory-reader").ID
	tn.Identities = slices.DeleteFunc(tn.Identities, func(i data.Identity) bool { return i.ID == gone })
	tn.RoleAssignments = slices.DeleteFunc(tn.RoleAssignments, func(a data.RoleAssignment) bool { return a.PrincipalID == gone })
	tn.Memberships = slices.DeleteFunc(tn.Memberships, func(m data.Membership) bool { return m.IdentityID == gone })
	tn.AppRoleAssignments = slices.DeleteFunc(tn.AppRoleAssignments, func(a data.AppRoleAssignment) bool { return a.PrincipalID == gone })
	// Added: a user-assigned identity attached to nothing.
	tn.Identities = append(tn.Identities, data.Identity{ID: newUAID, AppID: newUAApp, DisplayName: "id-new-worker",
		Kind: data.UserAssigned, ResourceID: newUAArmID})
	tn.Resources = append(tn.Resources, data.Resource{ID: newUAArmID, Name: "id-new-worker",
		Type: "Microsoft.ManagedIdentity/userAssignedIdentities", Location: "westeurope"})
	// An Azure role added: Owner of the sandbox subscription for a web app.
	portal := byName(t, tn, "app-sandbox-demo")
	tn.RoleAssignments = append(tn.RoleAssignments, data.RoleAssignment{
		ID:          "/subscriptions/3f1c61b1-80a9-48ba-b146-eabf83608fce/providers/Microsoft.Authorization/roleAssignments/0e0e0e0e-0000-4000-8000-000000000001",
		PrincipalID: portal.ID, PrincipalType: data.PrincipalServicePrincipal, RoleDefinitionID: roleOwner,
		Scope: "/subscriptions/3f1c61b1-80a9-48ba-b146-eabf83608fce"})
	// A federated credential added, trusting pull requests.
	ci := byName(t, tn, "id-ci-shared")
	tn.FederatedCredentials = append(tn.FederatedCredentials, data.FederatedCredential{IdentityID: ci.ID,
		Name: "gh-pr", Issuer: "https://token.actions.githubusercontent.com",
		Subject: "repo:contoso/portal:pull_request", Audiences: []string{"api://AzureADTokenExchange"}})
	return tn
}

func TestCompareListsExactlyTheChanges(t *testing.T) {
	old, changed := demoTenant(t), changedCopy(t)
	r := Compare(side(t, old, data.OriginDemo), side(t, changed, data.OriginSnapshot))

	names := func(rs []IdentityRef) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.DisplayName)
		}
		return out
	}
	if got := names(r.IdentitiesAdded); !slices.Equal(got, []string{"id-new-worker"}) {
		t.Errorf("added identities = %v", got)
	}
	if got := names(r.IdentitiesRemoved); !slices.Equal(got, []string{"func-inventory-reader"}) {
		t.Errorf("removed identities = %v", got)
	}
	var sections []string
	for _, c := range r.IdentitiesChanged {
		for _, s := range c.Sections {
			for _, a := range s.Added {
				sections = append(sections, c.DisplayName+" "+string(s.Section)+" + "+a)
			}
			for _, a := range s.Removed {
				sections = append(sections, c.DisplayName+" "+string(s.Section)+" - "+a)
			}
		}
	}
	wantSections := []string{
		"app-sandbox-demo azureRoles + Owner at /subscriptions/3f1c61b1-80a9-48ba-b146-eabf83608fce",
		"id-ci-shared federatedCredentials + gh-pr: https://token.actions.githubusercontent.com repo:contoso/portal:pull_request",
	}
	if !slices.Equal(sections, wantSections) {
		t.Errorf("identity changes:\n%s\nwant:\n%s", strings.Join(sections, "\n"), strings.Join(wantSections, "\n"))
	}

	findings := func() []string {
		var out []string
		for _, f := range r.FindingsNew {
			out = append(out, "new "+f.RuleID+" "+f.IdentityName+" "+f.Severity)
		}
		for _, f := range r.FindingsResolved {
			out = append(out, "resolved "+f.RuleID+" "+f.IdentityName+" "+f.Severity)
		}
		for _, c := range r.FindingsChanged {
			out = append(out, "changed "+c.RuleID+" "+c.IdentityName+" "+c.OldSeverity+"->"+c.Severity)
		}
		sort.Strings(out)
		return out
	}()
	wantFindings := expectedFindingChanges(t, old, changed)
	for _, must := range []string{"new MI-PRIV-AZURE app-sandbox-demo critical", "new MI-ORPHANED id-new-worker low",
		"changed MI-FIC-RISK id-ci-shared high->high"} {
		if !slices.Contains(wantFindings, must) {
			t.Errorf("the changes made to the copy should give %q; the assessment gives %v", must, wantFindings)
		}
	}
	if !slices.Equal(findings, wantFindings) {
		t.Errorf("finding changes:\n%s\nwant:\n%s", strings.Join(findings, "\n"), strings.Join(wantFindings, "\n"))
	}

	// Every format says the same: each change appears, and nothing else does.
	var text, md, js bytes.Buffer
	if err := WriteText(&text, r, Style{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range append([]string{"id-new-worker", "func-inventory-reader"}, wantSections...) {
		parts := strings.SplitN(want, " ", 4)
		item := parts[len(parts)-1]
		if len(parts) == 4 {
			item = parts[3]
		}
		for format, out := range map[string]string{"text": text.String(), "markdown": md.String(), "json": js.String()} {
			shown := item
			if format == "markdown" {
				shown = report.MarkdownCell(item)
			}
			if !strings.Contains(out, shown) {
				t.Errorf("%s output does not mention %q", format, shown)
			}
		}
	}
	plus := strings.Count(text.String(), "\n      + ") + strings.Count(text.String(), "\n      - ")
	if plus != len(wantSections) {
		t.Errorf("text lists %d section changes, want %d:\n%s", plus, len(wantSections), text.String())
	}
	findingLines := strings.Count(text.String(), "  + new ") + strings.Count(text.String(), "  - resolved ") +
		strings.Count(text.String(), "  ~ changed ")
	if findingLines != len(wantFindings) {
		t.Errorf("text lists %d finding changes, want %d:\n%s", findingLines, len(wantFindings), text.String())
	}
	mdRows := strings.Count(md.String(), "\n| new |") + strings.Count(md.String(), "\n| resolved |") +
		strings.Count(md.String(), "\n| changed |")
	if mdRows != len(wantFindings) {
		t.Errorf("markdown lists %d finding changes, want %d:\n%s", mdRows, len(wantFindings), md.String())
	}
	var back struct {
		SchemaVersion int `json:"schemaVersion"`
		Result
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.SchemaVersion != 1 || len(back.FindingsNew) != len(r.FindingsNew) ||
		len(back.FindingsResolved) != len(r.FindingsResolved) || len(back.FindingsChanged) != len(r.FindingsChanged) ||
		len(back.IdentitiesChanged) != len(r.IdentitiesChanged) {
		t.Errorf("JSON does not carry the diff: %s", js.String())
	}

	// No change, no output to speak of; and the other way round, added and removed swap.
	if same := Compare(side(t, old, data.OriginDemo), side(t, demoTenant(t), data.OriginDemo)); !same.Empty() {
		t.Errorf("the demo tenant against itself: %+v", same)
	}
	back2 := Compare(side(t, changed, data.OriginSnapshot), side(t, old, data.OriginDemo))
	if !slices.Equal(names(back2.IdentitiesAdded), []string{"func-inventory-reader"}) ||
		len(back2.FindingsNew) != len(r.FindingsResolved) || len(back2.FindingsResolved) != len(r.FindingsNew) {
		t.Errorf("reversed diff does not mirror: %+v", back2)
	}
}

// keysOf lists the ids a finding's evidence stands on, sorted, as one string.
func keysOf(f assess.Finding) string {
	var ks []string
	for _, e := range f.Evidence {
		if k := e.Key(); k != "" {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	return strings.Join(ks, "\n")
}

// expectedFindingChanges works out from the two assessments, independently of the matching under test, which
// findings the diff must call new, resolved and changed: findings of removed identities are resolved, findings of
// the added identity new, and for the rest a finding whose rule and identity did not exist before is new, one that
// existed with other evidence or severity is changed.
func expectedFindingChanges(t *testing.T, old, changed *data.Tenant) []string {
	before := assess.Assess(data.NewIndex(old)).Findings
	after := assess.Assess(data.NewIndex(changed)).Findings
	name := func(tn *data.Tenant, id string) string {
		for _, i := range tn.Identities {
			if strings.EqualFold(i.ID, id) {
				return i.DisplayName
			}
		}
		for _, a := range tn.Applications {
			if strings.EqualFold(a.ID, id) {
				return a.DisplayName
			}
		}
		return ""
	}
	type key struct{ rule, id string }
	was := map[key]assess.Finding{}
	for _, f := range before {
		was[key{f.RuleID, strings.ToLower(f.IdentityID)}] = f
	}
	now := map[key]assess.Finding{}
	for _, f := range after {
		now[key{f.RuleID, strings.ToLower(f.IdentityID)}] = f
	}
	var out []string
	for k, f := range now {
		w, ok := was[k]
		switch {
		case !ok:
			out = append(out, "new "+f.RuleID+" "+name(changed, f.IdentityID)+" "+f.Severity.String())
		case keysOf(w) != keysOf(f) || w.Severity != f.Severity:
			out = append(out, "changed "+f.RuleID+" "+name(changed, f.IdentityID)+" "+w.Severity.String()+"->"+
				f.Severity.String())
		}
	}
	for k, f := range was {
		if _, ok := now[k]; !ok {
			out = append(out, "resolved "+f.RuleID+" "+name(old, f.IdentityID)+" "+f.Severity.String())
		}
	}
	sort.Strings(out)
	if len(out) < 3 {
		t.Fatalf("the changed copy should give at least three finding changes, got %v", out)
	}
	return out
}
