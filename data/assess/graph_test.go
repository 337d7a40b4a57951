package assess

import (
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
)

const (
	permGroupMemberRW = "dbaae8cf-10b5-4b86-a4a1-f871c94c6695"
	roleMIContributor = "e40ec5ca-96e0-45a2-b4ff-59039f2c2b59"
)

// escalation builds the path the issue of grading by rows missed: "mi" holds GroupMember.ReadWrite.All, the
// ordinary group "g-ops" holds Contributor on sub2, and "admin" runs on a VM in sub2 with
// RoleManagement.ReadWrite.Directory.
func escalation(b *builder) {
	b.vmIdentity("mi", "rg-app")
	b.graph("mi", permGroupMemberRW, "GroupMember.ReadWrite.All")
	b.group("g-ops", "Ops", false)
	b.azure("g-ops", data.PrincipalGroup, roleContributor, "/subscriptions/"+sub2)
	adminVM := rg(sub2, "rg-admin") + "/providers/Microsoft.Compute/virtualMachines/vm-admin"
	b.t.Identities = append(b.t.Identities, data.Identity{ID: "admin", AppID: "app-admin", DisplayName: "admin",
		Kind: data.SystemAssigned, ResourceID: adminVM})
	b.t.Resources = append(b.t.Resources, data.Resource{ID: adminVM, Name: "vm-admin",
		Type: "Microsoft.Compute/virtualMachines", SystemAssignedPrincipalID: "admin"})
	b.graph("admin", permRoleMgmt, "RoleManagement.ReadWrite.Directory")
}

func TestPaths(t *testing.T) {
	cases := []ruleCase{
		{name: "a group-writing permission reaches what the groups it can join reach", build: escalation,
			want:  map[string]Severity{RulePath: Critical, RulePrivGraph: High},
			reach: LabelGraphTier0,
			evidence: `managed identity "mi" (mi) holds GroupMember.ReadWrite.All, so it can add itself to group "Ops" ` +
				`(g-ops), which is not role-assignable` + "\n" +
				`group "Ops" (g-ops) holds Contributor at subscription "Development" (/subscriptions/` + sub2 + `), so ` +
				`it can run code on resource "vm-admin" (` + rg(sub2, "rg-admin") + `/providers/Microsoft.Compute/` +
				`virtualMachines/vm-admin) (run command) as managed identity "admin" (admin)` + "\n" +
				`managed identity "admin" (admin) reaches Graph tier 0: RoleManagement.ReadWrite.Directory`},
		{name: "GroupMember.ReadWrite.All cannot join a role-assignable group", build: func(b *builder) {
			escalation(b)
			b.t.Groups[0].RoleAssignable = true
		}, want: map[string]Severity{RulePath: none, RulePrivGraph: High}, reach: LabelDirectoryWriter},
		{name: "a group that holds nothing leads nowhere", build: func(b *builder) {
			escalation(b)
			b.t.RoleAssignments = b.t.RoleAssignments[:0]
		}, want: map[string]Severity{RulePath: none}, reach: LabelDirectoryWriter},
		{name: "a member inherits what its group can take over", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.group("g-vm", "VM Operators", false, "mi")
			b.vmIdentity("ga", "rg-admin")
			b.directory("ga", dirGlobalAdmin, "/", data.Active)
			b.azure("g-vm", data.PrincipalGroup, roleVMContrib, vmID(sub1, "rg-admin", "vm-ga"))
		}, want: map[string]Severity{RulePath: Critical}, reach: LabelTenantAdmin,
			evidence: `managed identity "mi" (mi) is a member of group "VM Operators" (g-vm)`},
		{name: "paths chain: running code as one that runs code as a global administrator", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.vmIdentity("hop", "rg-hop")
			b.vmIdentity("ga", "rg-admin")
			b.directory("ga", dirGlobalAdmin, "/", data.Active)
			b.azure("mi", data.PrincipalServicePrincipal, roleVMContrib, rg(sub1, "rg-hop"))
			b.azure("hop", data.PrincipalServicePrincipal, roleVMContrib, rg(sub1, "rg-admin"))
		}, want: map[string]Severity{RulePath: Critical}, reach: LabelTenantAdmin,
			evidence: `managed identity "hop" (hop) holds Virtual Machine Contributor at resource group "rg-admin"`},
		{name: "the shortest path is shown", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.vmIdentity("hop", "rg-hop")
			b.vmIdentity("ga", "rg-admin")
			b.directory("ga", dirGlobalAdmin, "/", data.Active)
			b.azure("mi", data.PrincipalServicePrincipal, roleVMContrib, rg(sub1, "rg-hop"))
			b.azure("hop", data.PrincipalServicePrincipal, roleVMContrib, rg(sub1, "rg-admin"))
			b.azure("mi", data.PrincipalServicePrincipal, roleVMContrib, vmID(sub1, "rg-admin", "vm-ga"))
		}, want: map[string]Severity{RulePath: Critical}, reach: LabelTenantAdmin,
			evidence: `so it can run code on resource "vm-ga"`},
		{name: "federating to a user-assigned identity is a step", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.userAssigned("ga", vmID(sub1, "rg-admin", "vm-x"))
			b.directory("ga", dirGlobalAdmin, "/", data.Active)
			b.azure("mi", data.PrincipalServicePrincipal, roleMIContributor, uaiID(sub1, "rg-identities", "ga"))
		}, want: map[string]Severity{RulePath: Critical}, reach: LabelTenantAdmin,
			evidence: `so it can add a federated credential to managed identity "ga" (ga)`},
		{name: "attaching needs compute to attach to", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.userAssigned("ga", vmID(sub1, "rg-admin", "vm-x"))
			b.directory("ga", dirGlobalAdmin, "/", data.Active)
			b.azure("mi", data.PrincipalServicePrincipal, roleMIOperator, uaiID(sub1, "rg-identities", "ga"))
			b.azure("mi", data.PrincipalServicePrincipal, roleVMContrib, rg(sub1, "rg-app"))
		}, want: map[string]Severity{RulePath: Critical}, reach: LabelTenantAdmin,
			evidence: `and writes compute, so it can attach managed identity "ga" (ga) to compute it controls`},
		{name: "the right to assign alone is no step", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.userAssigned("ga", vmID(sub1, "rg-admin", "vm-x"))
			b.directory("ga", dirGlobalAdmin, "/", data.Active)
			b.azure("mi", data.PrincipalServicePrincipal, roleMIOperator, uaiID(sub1, "rg-identities", "ga"))
		}, want: map[string]Severity{RulePath: none}},
		{name: "a delegation limited to data roles is no step", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.vmIdentity("ga", "rg-admin")
			b.directory("ga", dirGlobalAdmin, "/", data.Active)
			b.assignWithCondition("mi", data.PrincipalServicePrincipal, roleRBACAdmin, rg(sub1, "rg-admin"),
				strings.ReplaceAll(condOnlyBlobReader, ", 7f951dda-4ed3-4680-a7ca-43fe172d538d", ""))
		}, want: map[string]Severity{RulePath: none}},
		{name: "a subscription owner keeps its verdict over a path to one mailbox permission", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleOwner, "/subscriptions/"+sub1)
			b.vmIdentity("mail", "rg-mail")
			b.graph("mail", "810c84a8-4a9e-49e6-bf7d-12d183f40d01", "Mail.Read")
		}, want: map[string]Severity{RulePath: none, RulePrivAzure: Critical}, reach: "sub owner"},
		{name: "a tier-0 identity gets no path finding", build: func(b *builder) {
			escalation(b)
			b.graph("mi", permRoleMgmt, "RoleManagement.ReadWrite.Directory")
			b.group("g-ga", "Admins", true)
			b.directory("g-ga", dirGlobalAdmin, "/", data.Active)
		}, want: map[string]Severity{RulePath: none, RulePrivGraph: Critical}, reach: LabelGraphTier0},
		{name: "exposure is graded by what the identity reaches", build: func(b *builder) {
			escalation(b)
			b.user("u-dev", "Dev User")
			b.azure("u-dev", data.PrincipalUser, roleVMContrib, rg(sub1, "rg-app"))
		}, want: map[string]Severity{RuleExposed: Critical, RulePath: Critical}},
		{name: "a group known only from its role assignments is joined as an ordinary group", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.graph("mi", permGroupMemberRW, "GroupMember.ReadWrite.All")
			b.t.Principals = append(b.t.Principals, data.Principal{ID: "g-unread", Type: data.PrincipalGroup,
				DisplayName: "Platform Owners"})
			b.azure("g-unread", data.PrincipalGroup, roleOwner, mgPlat)
		}, want: map[string]Severity{RulePath: Critical},
			evidence: `add itself to group "Platform Owners" (g-unread), whose settings were not read (taken as not ` +
				`role-assignable)` + "\n" + `group "Platform Owners" (g-unread) holds Owner at management group "Platform"`},
		{name: "an identity with no way to become another has no path", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleReader, "/subscriptions/"+sub1)
			b.vmIdentity("ga", "rg-admin")
			b.directory("ga", dirGlobalAdmin, "/", data.Active)
		}, want: map[string]Severity{RulePath: none}, reach: LabelReadOnly},
	}
	runRuleCases(t, cases)
}

// TestPathEvidenceOrder: the path's evidence is its steps in order, from the identity to what it reaches, and the
// identities on the way share their suffix of it.
func TestPathEvidenceOrder(t *testing.T) {
	b := newTenant()
	escalation(b)
	b.vmIdentity("front", "rg-front")
	b.azure("front", data.PrincipalServicePrincipal, roleVMContrib, rg(sub1, "rg-app"))
	r := b.assess()
	var mi, front Finding
	for _, f := range r.Findings {
		if f.RuleID != RulePath {
			continue
		}
		switch f.IdentityID {
		case "mi":
			mi = f
		case "front":
			front = f
		}
	}
	if len(mi.Evidence) != 3 || len(front.Evidence) != 4 {
		t.Fatalf("evidence of mi %d lines, of front %d; want 3 and 4:\n%v\n%v", len(mi.Evidence), len(front.Evidence),
			mi.Evidence, front.Evidence)
	}
	for i, want := range []string{`managed identity "front" (front) holds Virtual Machine Contributor`,
		`managed identity "mi" (mi) holds GroupMember.ReadWrite.All`, `group "Ops" (g-ops) holds Contributor`,
		`managed identity "admin" (admin) reaches Graph tier 0`} {
		if !strings.HasPrefix(findingTexts(front)[i], want) {
			t.Errorf("step %d = %q, want it to start with %q", i, findingTexts(front)[i], want)
		}
	}
	for i := range mi.Evidence {
		if findingTexts(mi)[i] != findingTexts(front)[i+1] {
			t.Errorf("step %d of mi differs from front's: %q vs %q", i, findingTexts(mi)[i], findingTexts(front)[i+1])
		}
	}
	if !strings.Contains(front.Title, "in 3 steps") || !strings.Contains(mi.Title, `first by adding itself to group "Ops" with GroupMember.ReadWrite.All`) {
		t.Errorf("titles: %q / %q", front.Title, mi.Title)
	}
}

// TestPathReachSentence: the reach of an identity whose path counts reads as one sentence after its label, for every
// kind of first step: how the identity starts (no "first" on a path of one step), where the path ends when that is
// further on, and what the end holds; in lower case where it continues the label, with names spelt as they are. A
// direct reach starts with the name of what gives it, spelt as its owner spells it (full_access_as_app stays so).
func TestPathReachSentence(t *testing.T) {
	const prefix = "through a path of "
	cases := []struct {
		name  string
		build func(b *builder)
		want  string // the sentence up to what the end holds
	}{
		{"joining a group, two steps", escalation, prefix + `2 steps (MI-PATH): first by adding itself to group "Ops" with ` +
			`GroupMember.ReadWrite.All, ending 1 step later at managed identity "admin" (admin), which holds ` +
			`RoleManagement.ReadWrite.Directory on "Microsoft Graph"`},
		{"a membership, two steps", func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.group("g-vm", "VM Operators", false, "mi")
			b.vmIdentity("ga", "rg-admin")
			b.directory("ga", dirGlobalAdmin, "/", data.Active)
			b.azure("g-vm", data.PrincipalGroup, roleVMContrib, vmID(sub1, "rg-admin", "vm-ga"))
		}, prefix + `2 steps (MI-PATH): first as a member of group "VM Operators", ending 1 step later at managed ` +
			`identity "ga" (ga), which holds Global Administrator (` + dirGlobalAdmin + `) at directory scope "/"`},
		{"running code, one step", func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.vmIdentity("ga", "rg-admin")
			b.directory("ga", dirGlobalAdmin, "/", data.Active)
			b.azure("mi", data.PrincipalServicePrincipal, roleVMContrib, rg(sub1, "rg-admin"))
		}, prefix + `1 step (MI-PATH): by running code as managed identity "ga", which holds Global Administrator`},
		{"running code, three steps", func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.vmIdentity("hop", "rg-hop")
			b.vmIdentity("hop2", "rg-hop2")
			b.vmIdentity("ga", "rg-admin")
			b.directory("ga", dirGlobalAdmin, "/", data.Active)
			b.azure("mi", data.PrincipalServicePrincipal, roleVMContrib, rg(sub1, "rg-hop"))
			b.azure("hop", data.PrincipalServicePrincipal, roleVMContrib, rg(sub1, "rg-hop2"))
			b.azure("hop2", data.PrincipalServicePrincipal, roleVMContrib, rg(sub1, "rg-admin"))
		}, prefix + `3 steps (MI-PATH): first by running code as managed identity "hop", ending 2 steps later at ` +
			`managed identity "ga" (ga), which holds Global Administrator`},
		{"federating, one step", func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.userAssigned("ga", vmID(sub1, "rg-admin", "vm-x"))
			b.directory("ga", dirGlobalAdmin, "/", data.Active)
			b.azure("mi", data.PrincipalServicePrincipal, roleMIContributor, uaiID(sub1, "rg-identities", "ga"))
		}, prefix + `1 step (MI-PATH): by federating to managed identity "ga", which holds Global Administrator`},
		{"attaching, one step", func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.userAssigned("ga", vmID(sub1, "rg-admin", "vm-x"))
			b.directory("ga", dirGlobalAdmin, "/", data.Active)
			b.azure("mi", data.PrincipalServicePrincipal, roleMIOperator, uaiID(sub1, "rg-identities", "ga"))
			b.azure("mi", data.PrincipalServicePrincipal, roleVMContrib, rg(sub1, "rg-app"))
		}, prefix + `1 step (MI-PATH): by attaching managed identity "ga", which holds Global Administrator`},
		{"ending at a group", func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.graph("mi", permGroupMemberRW, "GroupMember.ReadWrite.All")
			b.t.Principals = append(b.t.Principals, data.Principal{ID: "g-unread", Type: data.PrincipalGroup,
				DisplayName: "Platform Owners"})
			b.azure("g-unread", data.PrincipalGroup, roleOwner, mgPlat)
		}, prefix + `1 step (MI-PATH): by adding itself to group "Platform Owners" with GroupMember.ReadWrite.All, ` +
			`which holds Owner at management group "Platform" (` + mgPlat + `).`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newTenant()
			c.build(b)
			r := b.assess()
			d := r.Reach["mi"].Detail
			if !strings.HasPrefix(d, c.want) {
				t.Errorf("reach detail\n%s\nwant it to start\n%s", d, c.want)
			}
			if !strings.HasSuffix(d, ".") || strings.Count(d, "MI-PATH") != 1 || strings.Contains(d, "Through") ||
				strings.Contains(d, "Managed identity") || strings.Contains(d, "..") {
				t.Errorf("reach detail does not read as one sentence: %s", d)
			}
		})
	}

	b := newTenant()
	b.vmIdentity("mi", "rg-app")
	b.t.AppRoleAssignments = append(b.t.AppRoleAssignments, data.AppRoleAssignment{PrincipalID: "mi",
		ResourceAppID: "00000002-0000-0ff1-ce00-000000000000", ResourceDisplayName: "Office 365 Exchange Online",
		AppRoleID: "dc890d15-9560-4a4c-9b7f-a736ec74ec40", Permission: "full_access_as_app"})
	if d := b.assess().Reach["mi"].Detail; !strings.HasPrefix(d, `full_access_as_app on "Office 365 Exchange Online"`) {
		t.Errorf("a direct reach renames what gives it: %s", d)
	}

	// A reach that is not known continues its label too, without repeating it.
	b = newTenant()
	b.vmIdentity("mi", "rg-app")
	b.gap(data.SectionAppRoles, "mi", "")
	if r := b.assess().Reach["mi"]; r.Label != LabelNotReadable || r.Detail != "appRoles (needs Reader)." {
		t.Errorf("reach %s: %s", r.Label, r.Detail)
	}
	b = newTenant()
	b.vmIdentity("mi", "rg-app")
	b.azure("mi", data.PrincipalServicePrincipal, "00000000-0000-0000-0000-00000000dead", rg(sub1, "rg-app"))
	if r := b.assess().Reach["mi"]; r.Label != LabelUnresolved || !strings.HasPrefix(r.Detail, "a role definition") {
		t.Errorf("reach %s: %s", r.Label, r.Detail)
	}
}
