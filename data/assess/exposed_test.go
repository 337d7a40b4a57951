package assess

import (
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
)

// Delegation conditions as the Azure portal writes them.
const (
	condAllButAdmins = "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR " +
		"(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAllValues:GuidNotEquals " +
		"{8e3af657-a8ff-443c-a75c-2fe8c4bcb635, 18d7d88d-d35e-4fb5-a5c3-7773c20a72d9, f58310d9-a9f6-439a-9e8d-f62e7b41a168}))"
	condOnlyBlobReader = "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR " +
		"(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals " +
		"{2a2b9908-6ea1-4ae2-8e65-a410df84e7d1, 7f951dda-4ed3-4680-a7ca-43fe172d538d})) AND " +
		"((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR " +
		"(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals " +
		"{2a2b9908-6ea1-4ae2-8e65-a410df84e7d1, 7f951dda-4ed3-4680-a7ca-43fe172d538d}))"
	condOnlyVMContributor = "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR " +
		"(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals " +
		"{9980e02c-c2be-4d73-94e8-173b1dc7cf3c}))"
	condPrincipalTypeOnly = "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR " +
		"(@Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}))"

	roleRBACAdmin      = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
	roleAutomationCont = "f353d9bd-d4a6-484e-a77a-8050b599b867"
	roleLogicAppCont   = "87a39d53-fc1b-424a-814c-f7e04687dc9e"
	roleWebsiteCont    = "de139f84-1756-47ae-9be6-808fbbe84772"
)

// hostIdentity adds a resource of type typ in sub1/group with a system-assigned identity whose object id is id.
func (b *builder) hostIdentity(id, typ, group string) string {
	res := rg(sub1, group) + "/providers/" + typ + "/host-" + id
	b.t.Identities = append(b.t.Identities, data.Identity{ID: id, AppID: "app-" + id, DisplayName: id,
		Kind: data.SystemAssigned, ResourceID: res})
	b.t.Resources = append(b.t.Resources, data.Resource{ID: res, Name: "host-" + id, Type: typ,
		SystemAssignedPrincipalID: id})
	return res
}

// assignWithCondition adds an Azure role assignment constrained by an ABAC condition.
func (b *builder) assignWithCondition(principal string, ptype data.PrincipalType, role, scope, condition string) {
	b.azure(principal, ptype, role, scope)
	b.t.RoleAssignments[len(b.t.RoleAssignments)-1].Condition = condition
}

// runRuleCases runs rule cases as TestRules does: the rules that must fire with their severity, those that must not,
// the reach label and an evidence line.
func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newTenant()
			c.build(b)
			r := b.assess()
			id := c.identity
			if id == "" {
				id = "mi"
			}
			got := map[string]Finding{}
			for _, f := range r.For(id) {
				got[f.RuleID] = f
			}
			for rule, want := range c.want {
				f, fired := got[rule]
				switch {
				case want == none && fired:
					t.Errorf("%s fired (%s) but must not: %v", rule, f.Severity, f.Evidence)
				case want != none && !fired:
					t.Errorf("%s did not fire; findings: %v", rule, r.For(id))
				case want != none && f.Severity != want:
					t.Errorf("%s severity = %s, want %s; evidence %v", rule, f.Severity, want, f.Evidence)
				}
			}
			if c.reach != "" {
				if got := r.Reach[id].Label; got != c.reach {
					t.Errorf("reach = %q (%s), want %q", got, r.Reach[id].Detail, c.reach)
				}
			}
			if c.evidence != "" {
				var all []string
				for _, f := range r.For(id) {
					all = append(all, findingTexts(f)...)
				}
				if !strings.Contains(strings.Join(all, "\n"), c.evidence) {
					t.Errorf("no evidence holds %q; evidence:\n%s", c.evidence, strings.Join(all, "\n"))
				}
			}
		})
	}
}

func findingTexts(f Finding) []string { return Texts(f.Evidence) }

func TestExposedPrecise(t *testing.T) {
	vmOwner := func(b *builder) {
		b.vmIdentity("mi", "rg-app")
		b.azure("mi", data.PrincipalServicePrincipal, roleOwner, "/subscriptions/"+sub1)
	}
	host := func(typ string) func(b *builder) {
		return func(b *builder) {
			b.hostIdentity("mi", typ, "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleOwner, "/subscriptions/"+sub1)
		}
	}
	custom := func(b *builder, who, role string, actions, dataActions []string, scope string) {
		b.t.RoleDefinitions = append(b.t.RoleDefinitions, data.RoleDefinition{ID: role, RoleName: "Custom " + role,
			Custom: true, Actions: actions, DataActions: dataActions})
		b.user(who, "User "+who)
		b.azure(who, data.PrincipalUser, role, scope)
	}
	appRG := rg(sub1, "rg-app")
	cases := []ruleCase{
		// Attaching a user-assigned identity needs the right to assign it and compute to attach it to.
		{name: "managed identity operator with write on compute attaches", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.directory("mi", dirGlobalAdmin, "/", data.Active)
			b.user("u-ops", "Ops User")
			b.azure("u-ops", data.PrincipalUser, roleMIOperator, uaiID(sub1, "rg-identities", "mi"))
			b.azure("u-ops", data.PrincipalUser, roleVMContrib, rg(sub2, "rg-ops"))
		}, want: map[string]Severity{RuleExposed: Critical}, evidence: "Managed Identity Operator at resource \"mi\" " +
			"(/subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/rg-identities/providers/" +
			"Microsoft.ManagedIdentity/userAssignedIdentities/mi): can attach the identity to compute it controls"},
		{name: "managed identity operator with write on compute through a group of an identity", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.directory("mi", dirGlobalAdmin, "/", data.Active)
			b.vmIdentity("other", "rg-other")
			b.group("g-deploy", "Deployers", false, "other")
			b.azure("g-deploy", data.PrincipalGroup, roleWebsiteCont, rg(sub2, "rg-web"))
			b.azure("other", data.PrincipalServicePrincipal, roleMIOperator, uaiID(sub1, "rg-identities", "mi"))
		}, want: map[string]Severity{RuleExposed: Critical}, evidence: "can attach the identity to compute it controls"},
		{name: "managed identity operator alone is latent and low", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.directory("mi", dirGlobalAdmin, "/", data.Active)
			b.user("u-ops", "Ops User")
			b.azure("u-ops", data.PrincipalUser, roleMIOperator, uaiID(sub1, "rg-identities", "mi"))
			b.azure("u-ops", data.PrincipalUser, roleReader, "/subscriptions/"+sub1)
		}, want: map[string]Severity{RuleExposed: Low}, evidence: "cannot attach it yet (latent)"},

		// Roles whose only code path runs what already exists.
		{name: "automation job operator only starts existing runbooks", build: func(b *builder) {
			host("Microsoft.Automation/automationAccounts")(b)
			custom(b, "u-job", "c0ffee00-0000-0000-0000-0000000000a1", []string{
				"Microsoft.Automation/automationAccounts/jobs/read", "Microsoft.Automation/automationAccounts/jobs/resume/action",
				"Microsoft.Automation/automationAccounts/jobs/stop/action", "Microsoft.Automation/automationAccounts/jobs/suspend/action",
				"Microsoft.Automation/automationAccounts/jobs/write", "Microsoft.Automation/automationAccounts/jobs/output/read",
				"Microsoft.Resources/subscriptions/resourceGroups/read"}, nil, appRG)
		}, want: map[string]Severity{RuleExposed: none}},
		{name: "automation operator schedules existing runbooks only", build: func(b *builder) {
			host("Microsoft.Automation/automationAccounts")(b)
			custom(b, "u-op", "c0ffee00-0000-0000-0000-0000000000a2", []string{
				"Microsoft.Automation/automationAccounts/jobs/*", "Microsoft.Automation/automationAccounts/jobSchedules/*",
				"Microsoft.Automation/automationAccounts/schedules/*", "Microsoft.Automation/automationAccounts/runbooks/read",
				"Microsoft.Automation/automationAccounts/webhooks/read"}, nil, appRG)
		}, want: map[string]Severity{RuleExposed: none}},
		{name: "automation contributor writes and starts a runbook", build: func(b *builder) {
			host("Microsoft.Automation/automationAccounts")(b)
			b.user("u-aa", "Automation Dev")
			b.azure("u-aa", data.PrincipalUser, roleAutomationCont, appRG)
		}, want: map[string]Severity{RuleExposed: Critical}, evidence: "(write a runbook and start it)"},

		// Code paths beyond writing the resource.
		{name: "container exec on a container group", build: func(b *builder) {
			host("Microsoft.ContainerInstance/containerGroups")(b)
			custom(b, "u-exec", "c0ffee00-0000-0000-0000-0000000000b1", []string{
				"Microsoft.ContainerInstance/containerGroups/read",
				"Microsoft.ContainerInstance/containerGroups/containers/exec/action"}, nil, appRG)
		}, want: map[string]Severity{RuleExposed: Critical}, evidence: "(exec into a container)"},
		{name: "reading a container group runs nothing", build: func(b *builder) {
			host("Microsoft.ContainerInstance/containerGroups")(b)
			custom(b, "u-read", "c0ffee00-0000-0000-0000-0000000000b2", []string{
				"Microsoft.ContainerInstance/containerGroups/read",
				"Microsoft.ContainerInstance/containerGroups/containers/logs/read"}, nil, appRG)
		}, want: map[string]Severity{RuleExposed: none}},
		{name: "web app publishing profile", build: func(b *builder) {
			host("Microsoft.Web/sites")(b)
			custom(b, "u-pub", "c0ffee00-0000-0000-0000-0000000000b3", []string{"Microsoft.Web/sites/read",
				"Microsoft.Web/sites/publishxml/action"}, nil, appRG)
		}, want: map[string]Severity{RuleExposed: Critical}, evidence: "(publishing profile)"},
		{name: "web app publishing credentials", build: func(b *builder) {
			host("Microsoft.Web/sites")(b)
			custom(b, "u-cfg", "c0ffee00-0000-0000-0000-0000000000b4", []string{"Microsoft.Web/sites/read",
				"Microsoft.Web/sites/config/list/action"}, nil, appRG)
		}, want: map[string]Severity{RuleExposed: Critical}, evidence: "(publishing credentials)"},
		{name: "function host keys", build: func(b *builder) {
			host("Microsoft.Web/sites")(b)
			custom(b, "u-keys", "c0ffee00-0000-0000-0000-0000000000b5", []string{"Microsoft.Web/sites/read",
				"Microsoft.Web/sites/host/listkeys/action"}, nil, appRG)
		}, want: map[string]Severity{RuleExposed: Critical}, evidence: "(Functions host keys)"},
		{name: "reading a web app runs nothing", build: func(b *builder) {
			host("Microsoft.Web/sites")(b)
			custom(b, "u-webread", "c0ffee00-0000-0000-0000-0000000000b6", []string{"Microsoft.Web/sites/read",
				"Microsoft.Web/sites/config/read", "Microsoft.Web/sites/restart/action"}, nil, appRG)
		}, want: map[string]Severity{RuleExposed: none}},
		{name: "AKS cluster admin credential", build: func(b *builder) {
			host("Microsoft.ContainerService/managedClusters")(b)
			b.user("u-aks", "AKS Admin")
			b.azure("u-aks", data.PrincipalUser, "0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8", appRG)
		}, want: map[string]Severity{RuleExposed: Critical}, evidence: "(cluster admin credential)"},
		{name: "AKS pod exec as a data action", build: func(b *builder) {
			host("Microsoft.ContainerService/managedClusters")(b)
			custom(b, "u-pods", "c0ffee00-0000-0000-0000-0000000000b7", []string{"Microsoft.ContainerService/managedClusters/read"},
				[]string{"Microsoft.ContainerService/managedClusters/pods/exec/action"}, appRG)
		}, want: map[string]Severity{RuleExposed: Critical}, evidence: "(exec into a pod)"},
		{name: "logic app contributor rewrites the workflow", build: func(b *builder) {
			host("Microsoft.Logic/workflows")(b)
			b.user("u-logic", "Logic Dev")
			b.azure("u-logic", data.PrincipalUser, roleLogicAppCont, appRG)
		}, want: map[string]Severity{RuleExposed: Critical}, evidence: "(rewrite the workflow)"},
		{name: "contributor on a SQL server gets no code path", build: func(b *builder) {
			host("Microsoft.Sql/servers")(b)
			b.user("u-dba", "DBA")
			b.azure("u-dba", data.PrincipalUser, roleContributor, appRG)
		}, want: map[string]Severity{RuleExposed: none}},

		// Grant roles are judged by the roles their condition lets them grant.
		{name: "RBAC administrator limited to data roles cannot run code", build: func(b *builder) {
			vmOwner(b)
			b.t.RoleDefinitions = append(b.t.RoleDefinitions, data.RoleDefinition{ID: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
				RoleName: "AcrPull", Actions: []string{"Microsoft.ContainerRegistry/registries/pull/read"}})
			b.user("u-rbac", "Data Delegate")
			b.assignWithCondition("u-rbac", data.PrincipalUser, roleRBACAdmin, appRG, condOnlyBlobReader)
		}, want: map[string]Severity{RuleExposed: none}},
		{name: "RBAC administrator allowed to grant VM contributor can run code", build: func(b *builder) {
			vmOwner(b)
			b.user("u-rbac", "VM Delegate")
			b.assignWithCondition("u-rbac", data.PrincipalUser, roleRBACAdmin, appRG, condOnlyVMContributor)
		}, want: map[string]Severity{RuleExposed: Critical},
			evidence: "grant itself Virtual Machine Contributor, then run command"},
		{name: "RBAC administrator of every role but the administrator roles can run code", build: func(b *builder) {
			vmOwner(b)
			b.user("u-rbac", "Broad Delegate")
			b.assignWithCondition("u-rbac", data.PrincipalUser, roleRBACAdmin, appRG, condAllButAdmins)
		}, want: map[string]Severity{RuleExposed: Critical}, evidence: "grant itself Contributor"},
		{name: "RBAC administrator without a condition can run code", build: func(b *builder) {
			vmOwner(b)
			b.user("u-rbac", "Delegate")
			b.azure("u-rbac", data.PrincipalUser, roleRBACAdmin, appRG)
		}, want: map[string]Severity{RuleExposed: Critical}, evidence: "grant itself a role that does"},
		{name: "RBAC administrator whose condition names no role is judged as contributor", build: func(b *builder) {
			vmOwner(b)
			b.user("u-rbac", "Typed Delegate")
			b.assignWithCondition("u-rbac", data.PrincipalUser, roleRBACAdmin, appRG, condPrincipalTypeOnly)
		}, want: map[string]Severity{RuleExposed: Critical}, evidence: "grant itself Contributor"},

		// The same conditions decide how the grant role itself is graded.
		{name: "RBAC administrator limited to data roles is graded as data access", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.t.RoleDefinitions = append(b.t.RoleDefinitions, data.RoleDefinition{ID: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
				RoleName: "AcrPull", Actions: []string{"Microsoft.ContainerRegistry/registries/pull/read"}})
			b.assignWithCondition("mi", data.PrincipalServicePrincipal, roleRBACAdmin, "/subscriptions/"+sub1, condOnlyBlobReader)
		}, want: map[string]Severity{RulePrivAzure: Medium}, reach: LabelDataRead},
		{name: "RBAC administrator that may grant VM contributor is graded as an operator", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.assignWithCondition("mi", data.PrincipalServicePrincipal, roleRBACAdmin, "/subscriptions/"+sub1, condOnlyVMContributor)
		}, want: map[string]Severity{RulePrivAzure: Medium}, reach: "sub operator"},
		{name: "RBAC administrator that may grant Owner is still an owner", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.assignWithCondition("mi", data.PrincipalServicePrincipal, roleRBACAdmin, "/subscriptions/"+sub1,
				"@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {8e3af657-a8ff-443c-a75c-2fe8c4bcb635}")
		}, want: map[string]Severity{RulePrivAzure: Critical}, reach: "sub owner"},
		{name: "a role a condition names that was not read is judged as contributor", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.assignWithCondition("mi", data.PrincipalServicePrincipal, roleRBACAdmin, "/subscriptions/"+sub1,
				"@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {0badc0de-0000-4000-8000-000000000000}")
		}, want: map[string]Severity{RulePrivAzure: High}, reach: "sub contrib"},
	}
	runRuleCases(t, cases)
}
