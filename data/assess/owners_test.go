package assess

import (
	"slices"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
)

// ownedGroup builds escalation's tenant with ownership in place of the group-writing permission: "mi" owns the
// ordinary group "g-ops", which holds Contributor on sub2, where "admin" runs with RoleManagement.ReadWrite.Directory.
func ownedGroup(b *builder) {
	escalation(b)
	b.t.AppRoleAssignments = slices.DeleteFunc(b.t.AppRoleAssignments,
		func(a data.AppRoleAssignment) bool { return a.PrincipalID == "mi" })
	b.own("mi", "g-ops", data.OwnedGroup, "", "Ops")
}

// ownedApp adds an application "Deployer" (registration app-obj, service principal sp-deploy) that "mi" owns.
func ownedApp(b *builder) {
	b.vmIdentity("mi", "rg-app")
	b.t.Applications = append(b.t.Applications, data.Application{ID: "sp-deploy", AppID: "appid-deploy",
		DisplayName: "Deployer", Credentials: []data.Credential{{KeyID: "k1", Type: "password"}}})
	b.own("mi", "app-obj", data.OwnedApplication, "appid-deploy", "Deployer")
}

func (b *builder) own(owner, object string, typ data.OwnedType, appID, name string) {
	b.t.Ownerships = append(b.t.Ownerships, data.Ownership{OwnerID: owner, ObjectID: object, ObjectType: typ,
		AppID: appID, DisplayName: name})
}

func TestOwnershipPaths(t *testing.T) {
	cases := []ruleCase{
		{name: "an owner of a privileged group adds itself to it", build: ownedGroup,
			want: map[string]Severity{RulePath: Critical, RulePrivGraph: none}, reach: LabelGraphTier0,
			evidence: `managed identity "mi" (mi) owns group "Ops" (g-ops), so it can add itself to it` + "\n" +
				`group "Ops" (g-ops) holds Contributor at subscription "Development"`},
		{name: "an owner of a role-assignable group holding Global Administrator becomes one", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.group("g-ga", "Admins", true)
			b.directory("g-ga", dirGlobalAdmin, "/", data.Active)
			b.own("mi", "g-ga", data.OwnedGroup, "", "Admins")
		}, want: map[string]Severity{RulePath: Critical}, reach: LabelTenantAdmin,
			evidence: `owns group "Admins" (g-ga), so it can add itself to it`},
		{name: "an owner spelt in other capitals is the same identity", build: func(b *builder) {
			ownedGroup(b)
			b.t.Ownerships[0].OwnerID = "MI"
		}, want: map[string]Severity{RulePath: Critical}, reach: LabelGraphTier0},
		{name: "an owner of a group that holds nothing reaches nothing", build: func(b *builder) {
			ownedGroup(b)
			b.t.RoleAssignments = b.t.RoleAssignments[:0]
		}, want: map[string]Severity{RulePath: none, RulePrivGraph: none}, reach: LabelNone},
		{name: "an owner of an application with a tier-0 permission signs in as it", build: func(b *builder) {
			ownedApp(b)
			b.graph("sp-deploy", permRoleMgmt, "RoleManagement.ReadWrite.Directory")
		}, want: map[string]Severity{RulePath: Critical}, reach: LabelGraphTier0,
			evidence: `managed identity "mi" (mi) owns application "Deployer" (app-obj), so it can add a credential ` +
				`to it and sign in as service principal "Deployer" (sp-deploy)`},
		{name: "an owner of an application that holds nothing reaches nothing", build: ownedApp,
			want: map[string]Severity{RulePath: none}, reach: LabelNone},
		{name: "an owner of a service principal holding Global Administrator signs in as it", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.t.Principals = append(b.t.Principals, data.Principal{ID: "sp-ops", Type: data.PrincipalServicePrincipal,
				DisplayName: "Ops Bot"})
			b.directory("sp-ops", dirGlobalAdmin, "/", data.Active)
			b.own("mi", "sp-ops", data.OwnedServicePrincipal, "appid-ops", "Ops Bot")
		}, want: map[string]Severity{RulePath: Critical}, reach: LabelTenantAdmin,
			evidence: `managed identity "mi" (mi) owns service principal "Ops Bot" (sp-ops), so it can add a ` +
				`credential to it and sign in as it`},
	}
	runRuleCases(t, cases)
}

// TestOwnershipPathFix: the fix of a path that starts with an ownership removes that owner, with the command for
// the kind of object owned.
func TestOwnershipPathFix(t *testing.T) {
	cases := []struct {
		name  string
		build func(b *builder)
		want  string
	}{
		{"group", ownedGroup, "az ad group owner remove --group g-ops --owner-object-id mi"},
		{"application", func(b *builder) {
			ownedApp(b)
			b.graph("sp-deploy", permRoleMgmt, "RoleManagement.ReadWrite.Directory")
		}, "az ad app owner remove --id app-obj --owner-object-id mi"},
		{"service principal", func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.directory("sp-ops", dirGlobalAdmin, "/", data.Active)
			b.own("mi", "sp-ops", data.OwnedServicePrincipal, "", "")
		}, "az rest --method DELETE --url 'https://graph.microsoft.com/v1.0/servicePrincipals/sp-ops/owners/mi/$ref'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newTenant()
			c.build(b)
			var got []string
			for _, f := range b.assess().Findings {
				if f.RuleID != RulePath || f.IdentityID != "mi" {
					continue
				}
				if f.Evidence[0].Kind != EvidencePathStep || f.Evidence[0].Via != ownerKind(b.t.Ownerships[0].ObjectType) ||
					f.Evidence[0].ID != b.t.Ownerships[0].ObjectID || f.Evidence[0].PrincipalID != "mi" {
					t.Errorf("first step = %+v, want the ownership", *f.Evidence[0])
				}
				for _, cmd := range f.Commands() {
					line, ok := cmd.Line()
					if !ok {
						t.Fatalf("command %q refused", cmd.Args)
					}
					got = append(got, line)
				}
			}
			if len(got) != 1 || got[0] != c.want {
				t.Errorf("commands = %q, want [%q]", got, c.want)
			}
		})
	}
}

// TestOwnershipGapIsNotNone: a tenant whose ownerships were not read says so for MI-PATH, as any gap does.
func TestOwnershipGapIsNotNone(t *testing.T) {
	g := data.Gap{Section: data.SectionOwnerships, Reason: "403", Needs: "Directory.Read.All"}
	if sev, hides := Hidden(g); !hides || sev != Critical {
		t.Errorf("Hidden(ownerships gap) = %v, %v; want Critical, true", sev, hides)
	}
	if !strings.Contains(g.Error(), "needs Directory.Read.All") {
		t.Errorf("gap text %q", g.Error())
	}
}
