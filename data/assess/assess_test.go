package assess

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
)

// none marks a rule that must not fire.
const none Severity = -1

type ruleCase struct {
	name     string
	build    func(b *builder)
	identity string              // whose findings are checked; "mi" when empty
	want     map[string]Severity // rule id -> severity, or none
	reach    string              // expected reach label, when set
	evidence string              // a substring some evidence line must hold, when set
}

func TestRules(t *testing.T) {
	cases := []ruleCase{
		// MI-PRIV-AZURE
		{name: "reader only is clean", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleReader, "/subscriptions/"+sub1)
		}, want: map[string]Severity{RulePrivAzure: none, RuleExposed: none, RuleStale: none}, reach: LabelReadOnly},
		{name: "contributor on its own resource group does not fire", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleContributor, rg(sub1, "rg-app"))
		}, want: map[string]Severity{RulePrivAzure: none}, reach: "rg contrib"},
		{name: "owner on its own resource group is low", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleOwner, rg(sub1, "rg-app"))
		}, want: map[string]Severity{RulePrivAzure: Low}},
		{name: "contributor on another resource group", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleContributor, rg(sub1, "rg-other"))
		}, want: map[string]Severity{RulePrivAzure: Medium}},
		{name: "owner at a resource is a narrow scope", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleOwner,
				rg(sub1, "rg-data")+"/providers/Microsoft.Storage/storageAccounts/stdata")
		}, want: map[string]Severity{RulePrivAzure: none}, reach: "res owner"},
		{name: "contributor at a subscription", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleContributor, "/subscriptions/"+sub1)
		}, want: map[string]Severity{RulePrivAzure: High}, reach: "sub contrib",
			evidence: `Contributor (b24988ac-6180-42a0-ab88-20f7382dd24c) at subscription "Production"`},
		{name: "owner at a management group", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleOwner, mgPlat)
		}, want: map[string]Severity{RulePrivAzure: Critical}, reach: "mg owner",
			evidence: `management group "Platform"`},
		{name: "user access administrator at the tenant root group", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleUAA, mgRoot)
		}, want: map[string]Severity{RulePrivAzure: Critical}, evidence: "root management group"},
		{name: "owner through a group", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.group("g-ops", "Ops", false, "mi")
			b.azure("g-ops", data.PrincipalGroup, roleOwner, "/subscriptions/"+sub2)
		}, want: map[string]Severity{RulePrivAzure: Critical, RulePrivGroup: Critical},
			evidence: `through group "Ops" (g-ops)`},
		{name: "custom role with a harmless name and every action", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.customRole("c0ffee00-0000-0000-0000-000000000001", "Harmless Reader", []string{"*"}, nil)
			b.azure("mi", data.PrincipalServicePrincipal, "c0ffee00-0000-0000-0000-000000000001", "/subscriptions/"+sub1)
		}, want: map[string]Severity{RulePrivAzure: Critical}, reach: "sub owner",
			evidence: "custom role judged by its actions: owner"},
		{name: "custom role whose NotActions remove authorization writes", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.customRole("c0ffee00-0000-0000-0000-000000000002", "Deployer", []string{"*"},
				[]string{"Microsoft.Authorization/*/Write"})
			b.azure("mi", data.PrincipalServicePrincipal, "c0ffee00-0000-0000-0000-000000000002", "/subscriptions/"+sub1)
		}, want: map[string]Severity{RulePrivAzure: High}, reach: "sub contrib"},
		{name: "custom role that runs commands on VMs", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.customRole("c0ffee00-0000-0000-0000-000000000003", "VM Helper",
				[]string{"Microsoft.Compute/virtualMachines/runCommand/action", "*/read"}, nil)
			b.azure("mi", data.PrincipalServicePrincipal, "c0ffee00-0000-0000-0000-000000000003", "/subscriptions/"+sub1)
		}, want: map[string]Severity{RulePrivAzure: Medium}, reach: "sub operator"},
		{name: "custom role whose NotActions remove run command", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.customRole("c0ffee00-0000-0000-0000-000000000004", "VM Looker",
				[]string{"Microsoft.Compute/virtualMachines/*"},
				[]string{"Microsoft.Compute/virtualMachines/*/action", "Microsoft.Compute/virtualMachines/*/write",
					"Microsoft.Compute/virtualMachines/write"})
			b.azure("mi", data.PrincipalServicePrincipal, "c0ffee00-0000-0000-0000-000000000004", "/subscriptions/"+sub1)
		}, want: map[string]Severity{RulePrivAzure: none}, reach: LabelReadOnly},
		{name: "an unresolvable role definition is reported", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, "deadbeef-0000-0000-0000-000000000000", "/subscriptions/"+sub1)
		}, want: map[string]Severity{RulePrivAzure: Low}, reach: LabelUnresolved,
			evidence: "role definition deadbeef-0000-0000-0000-000000000000 could not be resolved"},
		{name: "a grant of every role but the administrator roles counts as contributor", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, "f58310d9-a9f6-439a-9e8d-f62e7b41a168", "/subscriptions/"+sub1)
			b.t.RoleAssignments[0].Condition = condAllButAdmins
		}, want: map[string]Severity{RulePrivAzure: High}, evidence: "with a condition"},

		// MI-PRIV-DIRROLE
		{name: "global administrator directly", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.directory("mi", dirGlobalAdmin, "/", data.Active)
		}, want: map[string]Severity{RulePrivDirRole: Critical, RulePrivGroup: none}, reach: LabelTenantAdmin,
			evidence: "Global Administrator (62e90394-69f5-4237-9190-012177145e10)"},
		{name: "global administrator eligible through a role-assignable group", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.group("g-t0", "Tier 0 Automation", true, "mi")
			b.directory("g-t0", dirGlobalAdmin, "/", data.Eligible)
		}, want: map[string]Severity{RulePrivDirRole: Critical, RulePrivGroup: Critical}, reach: LabelTenantAdmin,
			evidence: "eligible (activation through Privileged Identity Management)"},
		{name: "user administrator over an administrative unit is one step lower", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.directory("mi", dirUserAdmin, "/administrativeUnits/au-1", data.Active)
		}, want: map[string]Severity{RulePrivDirRole: High}, reach: LabelDirectoryWriter},
		{name: "global reader is low", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.directory("mi", dirGlobalRead, "/", data.Active)
		}, want: map[string]Severity{RulePrivDirRole: Low}, reach: LabelDirectoryReader},
		{name: "a role newer than the published lists that the tenant marks privileged", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.t.DirectoryRoleDefinitions = append(b.t.DirectoryRoleDefinitions, data.DirectoryRoleDefinition{
				TemplateID: "58f930cc-fcf4-4152-852c-1d7dbf502139", DisplayName: "Entra SOC Identity Responder",
				IsPrivileged: true})
			b.directory("mi", "58f930cc-fcf4-4152-852c-1d7dbf502139", "/", data.Active)
		}, want: map[string]Severity{RulePrivDirRole: High}, evidence: "Entra SOC Identity Responder"},
		{name: "a role that is not privileged", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.t.DirectoryRoleDefinitions = append(b.t.DirectoryRoleDefinitions, data.DirectoryRoleDefinition{
				TemplateID: "75934031-6c7e-415a-99d7-48dbd49e875e", DisplayName: "Usage Summary Reports Reader"})
			b.directory("mi", "75934031-6c7e-415a-99d7-48dbd49e875e", "/", data.Active)
		}, want: map[string]Severity{RulePrivDirRole: none}, reach: LabelNone},

		// MI-PRIV-GRAPH
		{name: "tier-0 graph permission", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.graph("mi", permRoleMgmt, "RoleManagement.ReadWrite.Directory")
		}, want: map[string]Severity{RulePrivGraph: Critical}, reach: LabelGraphTier0},
		{name: "tier-0 graph permission known by id only", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.graph("mi", permRoleMgmt, "")
		}, want: map[string]Severity{RulePrivGraph: Critical}, evidence: "RoleManagement.ReadWrite.Directory"},
		{name: "group write-all held alone is high: MI-PATH grades what its groups reach", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.graph("mi", permGroupRW, "Group.ReadWrite.All")
		}, want: map[string]Severity{RulePrivGraph: High}, reach: LabelDirectoryWriter},
		{name: "mail of every user is high data access", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.graph("mi", "810c84a8-4a9e-49e6-bf7d-12d183f40d01", "Mail.Read")
		}, want: map[string]Severity{RulePrivGraph: High}, reach: LabelAllDataRead},
		{name: "directory read is low", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.graph("mi", permUserReadA, "User.Read.All")
		}, want: map[string]Severity{RulePrivGraph: Low}, reach: LabelDirectoryReader},
		{name: "an unnamed permission is reported", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.graph("mi", "00000000-1234-0000-0000-000000000000", "")
		}, want: map[string]Severity{RulePrivGraph: Info}, evidence: "could not be resolved"},

		// MI-PRIV-GROUP
		{name: "role-assignable group holding nothing", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.group("g-ra", "Empty Role Group", true, "mi")
		}, want: map[string]Severity{RulePrivGroup: Low}, evidence: "holds no roles today"},
		{name: "ordinary group holding reader", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.group("g-read", "Readers", false, "mi")
			b.azure("g-read", data.PrincipalGroup, roleReader, "/subscriptions/"+sub1)
		}, want: map[string]Severity{RulePrivGroup: none, RulePrivAzure: none}},

		// MI-ORPHANED
		{name: "user-assigned identity attached to nothing", build: func(b *builder) {
			b.userAssigned("mi")
		}, want: map[string]Severity{RuleOrphaned: Low}},
		{name: "orphaned and privileged", build: func(b *builder) {
			b.userAssigned("mi")
			b.azure("mi", data.PrincipalServicePrincipal, roleContributor, rg(sub1, "rg-x"))
		}, want: map[string]Severity{RuleOrphaned: Medium}},
		{name: "attached user-assigned identity is not orphaned", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-1"))
		}, want: map[string]Severity{RuleOrphaned: none, RuleShared: none}},
		{name: "not orphaned when resources could not be read", build: func(b *builder) {
			b.userAssigned("mi")
			b.gap(data.SectionResources, "", "/subscriptions/"+sub2)
		}, want: map[string]Severity{RuleOrphaned: none}},

		// MI-SHARED
		{name: "shared by five resources", build: func(b *builder) {
			var rs []string
			for _, n := range []string{"a", "b", "c", "d", "e"} {
				rs = append(rs, vmID(sub1, "rg-app", "vm-"+n))
			}
			b.userAssigned("mi", rs...)
		}, want: map[string]Severity{RuleShared: Low}, evidence: "attached to 5 resources in 1 subscription(s)"},
		{name: "shared across subscriptions by a privileged identity", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"), vmID(sub2, "rg-app", "vm-b"))
			b.azure("mi", data.PrincipalServicePrincipal, roleContributor, "/subscriptions/"+sub1)
		}, want: map[string]Severity{RuleShared: High}},
		{name: "four resources in one subscription are not shared widely", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"), vmID(sub1, "rg-app", "vm-b"),
				vmID(sub1, "rg-app", "vm-c"), vmID(sub1, "rg-app", "vm-d"))
		}, want: map[string]Severity{RuleShared: none}},

		// MI-FIC-RISK (each kind of subject and expression is in federation_test.go; these check the grading).
		{name: "immutable GitHub environment subject", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.fic("mi", "deploy-prod", github, "repo:contoso@5544123/payments@821093847:environment:production")
		}, want: map[string]Severity{RuleFICRisk: none}},
		{name: "name-based GitHub environment subject", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.fic("mi", "deploy-prod", github, "repo:contoso/payments:environment:production")
		}, want: map[string]Severity{RuleFICRisk: Low}, evidence: "repo:contoso@OWNER_ID/payments@REPO_ID:environment:production"},
		{name: "pull request subject", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.fic("mi", "pr", github, "repo:contoso/payments:pull_request")
		}, want: map[string]Severity{RuleFICRisk: High}, evidence: "any pull request"},
		{name: "branch subject", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.fic("mi", "main", github, "repo:contoso/payments:ref:refs/heads/main")
		}, want: map[string]Severity{RuleFICRisk: Medium}},
		{name: "branch expression grades as the branch subject", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.flexFIC("mi", "main", github, "claims['sub'] eq 'repo:contoso/payments:ref:refs/heads/main'")
		}, want: map[string]Severity{RuleFICRisk: Medium}},
		{name: "unknown issuer", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.fic("mi", "idp", "https://idp.example.net", "workload")
		}, want: map[string]Severity{RuleFICRisk: High}, evidence: "not a known identity provider"},
		{name: "AKS service account subject is sound", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.fic("mi", "aks", "https://westeurope.oic.prod-aks.azure.com/"+tenantID+"/0a1b2c3d/",
				"system:serviceaccount:payments:api")
		}, want: map[string]Severity{RuleFICRisk: none}},
		{name: "Entra issuer of the tenant itself is sound", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.fic("mi", "entra", "https://login.microsoftonline.com/"+tenantID+"/v2.0", "aaaaaaaa-0000-0000-0000-000000000001")
		}, want: map[string]Severity{RuleFICRisk: none}},
		{name: "Entra issuer of another tenant", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.fic("mi", "entra", "https://sts.windows.net/99999999-8888-7777-6666-555555555555/", "aaaaaaaa-0000-0000-0000-000000000001")
		}, want: map[string]Severity{RuleFICRisk: Medium}, evidence: "another tenant"},
		{name: "every repository of an owner", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.flexFIC("mi", "flex", github, "claims['sub'] matches 'repo:contoso/*'")
		}, want: map[string]Severity{RuleFICRisk: High}, evidence: "every repository"},
		{name: "any branch expression", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.flexFIC("mi", "flex", github, "claims['sub'] matches 'repo:contoso/app:ref:refs/heads/*'")
		}, want: map[string]Severity{RuleFICRisk: High}, evidence: "any branch"},
		{name: "branch pattern expression", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.flexFIC("mi", "flex", github, "claims['sub'] matches 'repo:contoso/app:ref:refs/heads/release-*'")
		}, want: map[string]Severity{RuleFICRisk: Medium}},
		{name: "owner wildcard on an ordinary identity", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.flexFIC("mi", "flex", github, "claims['sub'] matches 'repo:*/app:*'")
		}, want: map[string]Severity{RuleFICRisk: High}, evidence: "internet-exposed"},
		{name: "owner wildcard on a privileged identity is critical", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.azure("mi", data.PrincipalServicePrincipal, roleContributor, "/subscriptions/"+sub1)
			b.flexFIC("mi", "flex", github, "claims['sub'] matches 'repo:contoso*/app:ref:refs/heads/main'")
		}, want: map[string]Severity{RuleFICRisk: Critical}, evidence: "internet-exposed"},
		{name: "pull request on a privileged identity is graded up", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.azure("mi", data.PrincipalServicePrincipal, roleOwner, "/subscriptions/"+sub1)
			b.fic("mi", "pr", github, "repo:contoso/payments:pull_request")
		}, want: map[string]Severity{RuleFICRisk: Critical}},
		{name: "sound subject on a tier-0 identity", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.directory("mi", dirGlobalAdmin, "/", data.Active)
			b.fic("mi", "deploy-prod", github, "repo:contoso@5544123/payments@821093847:environment:production")
		}, want: map[string]Severity{RuleFICRisk: Medium}, evidence: "tier-0 privileges"},

		// MI-STALE
		{name: "system-assigned identity of a deleted VM", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.t.Resources = nil
		}, want: map[string]Severity{RuleStale: Info}, evidence: "is deleted with its resource"},
		{name: "role assignments a deleted VM's identity leaves behind", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.t.Resources = nil
			b.azure("mi", data.PrincipalServicePrincipal, roleContributor, rg(sub1, "rg-data"))
		}, want: map[string]Severity{RuleStale: Low}, evidence: "role assignment ra-mi-" + roleContributor},
		{name: "dangling role assignment of a deleted user", identity: "u-gone", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.deleted("u-gone", data.PrincipalUser)
			b.azure("u-gone", data.PrincipalUser, roleContributor, rg(sub1, "rg-app"))
		}, want: map[string]Severity{RuleStale: Low}, evidence: "its principal u-gone no longer exists"},
		{name: "dangling reader assignment is housekeeping", identity: "sp-gone", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.deleted("sp-gone", data.PrincipalServicePrincipal)
			b.azure("sp-gone", data.PrincipalServicePrincipal, roleReader, "/subscriptions/"+sub1)
		}, want: map[string]Severity{RuleStale: Info}, evidence: "Reader (" + roleReader + ")"},
		{name: "an unnamed principal is not a deleted one", identity: "u-unnamed", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.t.Principals = append(b.t.Principals, data.Principal{ID: "u-unnamed", Type: data.PrincipalUser})
			b.azure("u-unnamed", data.PrincipalUser, roleContributor, rg(sub1, "rg-app"))
		}, want: map[string]Severity{RuleStale: none}},
		{name: "a deleted principal exposes nothing", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleOwner, "/subscriptions/"+sub1)
			b.deleted("u-gone", data.PrincipalUser)
			b.azure("u-gone", data.PrincipalUser, roleVMContrib, rg(sub1, "rg-app"))
		}, want: map[string]Severity{RuleExposed: none}},
		{name: "existing resource is not stale", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
		}, want: map[string]Severity{RuleStale: none}},
		{name: "not stale when its subscription could not be read", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.t.Resources = nil
			b.gap(data.SectionResources, "", "/subscriptions/"+sub1)
		}, want: map[string]Severity{RuleStale: none}},
		{name: "not stale when its subscription was not collected", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.t.Resources = nil
			b.t.Identities[0].ResourceID = vmID("bbbbbbbb-0000-0000-0000-000000000009", "rg", "vm")
		}, want: map[string]Severity{RuleStale: none}},

		// MI-EXPOSED
		{name: "a user can run commands on the VM of a subscription owner", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleOwner, "/subscriptions/"+sub1)
			b.user("u-dev", "Dev User")
			b.azure("u-dev", data.PrincipalUser, roleVMContrib, rg(sub1, "rg-app"))
		}, want: map[string]Severity{RuleExposed: Critical},
			evidence: `user "Dev User" (u-dev) holds Virtual Machine Contributor at resource group "rg-app"`},
		{name: "an equally privileged principal does not expose", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleOwner, "/subscriptions/"+sub1)
			b.user("u-admin", "Sub Admin")
			b.azure("u-admin", data.PrincipalUser, roleOwner, "/subscriptions/"+sub1)
		}, want: map[string]Severity{RuleExposed: none}},
		{name: "a subscription owner gains nothing from an identity inside it", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleContributor, rg(sub1, "rg-app"))
			b.user("u-owner", "Sub Owner")
			b.azure("u-owner", data.PrincipalUser, roleOwner, "/subscriptions/"+sub1)
		}, want: map[string]Severity{RuleExposed: none, RulePrivAzure: none}},
		{name: "a subscription owner still gains a tenant admin", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.directory("mi", dirGlobalAdmin, "/", data.Active)
			b.user("u-owner", "Sub Owner")
			b.azure("u-owner", data.PrincipalUser, roleOwner, "/subscriptions/"+sub1)
		}, want: map[string]Severity{RuleExposed: Critical}, evidence: `user "Sub Owner" (u-owner) holds Owner at subscription "Production"`},
		{name: "a reader does not expose", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleOwner, "/subscriptions/"+sub1)
			b.user("u-read", "Auditor")
			b.azure("u-read", data.PrincipalUser, roleReader, rg(sub1, "rg-app"))
		}, want: map[string]Severity{RuleExposed: none}},
		{name: "a website contributor cannot run code on a VM", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleOwner, "/subscriptions/"+sub1)
			b.user("u-web", "Web Dev")
			b.azure("u-web", data.PrincipalUser, "de139f84-1756-47ae-9be6-808fbbe84772", rg(sub1, "rg-app"))
		}, want: map[string]Severity{RuleExposed: none}},
		{name: "managed identity operator alone is latent", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.directory("mi", dirGlobalAdmin, "/", data.Active)
			b.user("u-ops", "Ops User")
			b.azure("u-ops", data.PrincipalUser, roleMIOperator, uaiID(sub1, "rg-identities", "mi"))
		}, want: map[string]Severity{RuleExposed: Low}, evidence: "cannot attach it yet (latent)"},
		{name: "managed identity contributor can federate to a user-assigned identity", build: func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-a"))
			b.azure("mi", data.PrincipalServicePrincipal, roleContributor, "/subscriptions/"+sub1)
			b.user("u-id", "Identity Admin")
			b.azure("u-id", data.PrincipalUser, "e40ec5ca-96e0-45a2-b4ff-59039f2c2b59", rg(sub1, "rg-identities"))
		}, want: map[string]Severity{RuleExposed: High}, evidence: "can add a federated credential to the identity"},
		{name: "a custom role with run command on the VM", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleContributor, "/subscriptions/"+sub1)
			b.customRole("c0ffee00-0000-0000-0000-000000000009", "VM Helpdesk",
				[]string{"Microsoft.Compute/virtualMachines/runCommand/action", "*/read"}, nil)
			b.t.Principals = append(b.t.Principals, data.Principal{ID: "sp-ci", Type: data.PrincipalServicePrincipal,
				DisplayName: "CI pipeline"})
			b.azure("sp-ci", data.PrincipalServicePrincipal, "c0ffee00-0000-0000-0000-000000000009", rg(sub1, "rg-app"))
		}, want: map[string]Severity{RuleExposed: High},
			evidence: `service principal "CI pipeline" (sp-ci) holds VM Helpdesk at resource group "rg-app"`},
		{name: "exposure is graded by the identity's own privilege", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleKVSecretUser,
				rg(sub1, "rg-app")+"/providers/Microsoft.KeyVault/vaults/kv-app")
			b.user("u-dev", "Dev User")
			b.azure("u-dev", data.PrincipalUser, roleVMContrib, vmID(sub1, "rg-app", "vm-mi"))
		}, want: map[string]Severity{RuleExposed: Low, RulePrivAzure: none}, reach: LabelDataRead},
		{name: "an identity that can do nothing is not exposed", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.user("u-dev", "Dev User")
			b.azure("u-dev", data.PrincipalUser, roleOwner, "/subscriptions/"+sub1)
		}, want: map[string]Severity{RuleExposed: none}, reach: LabelNone},

		// Gaps
		{name: "an unreadable section is never clean", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.gap(data.SectionAzureRoles, "mi", "")
		}, want: map[string]Severity{RulePrivAzure: none}, reach: LabelNotReadable},
		{name: "a tenant-wide gap reaches every identity", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.gap(data.SectionDirectoryRoles, "", "")
		}, reach: LabelNotReadable},
	}
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
				if _, dup := got[f.RuleID]; dup {
					t.Errorf("rule %s fired twice for %s", f.RuleID, id)
				}
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
				found := false
				for _, f := range r.For(id) {
					for _, l := range f.Evidence {
						found = found || strings.Contains(l.Text, c.evidence)
					}
				}
				if !found {
					t.Errorf("no evidence holds %q; findings: %+v", c.evidence, r.For(id))
				}
			}
			for _, f := range r.For(id) {
				if f.Title == "" || len(f.Evidence) == 0 || f.Remediation == "" || len(f.References) == 0 {
					t.Errorf("incomplete finding %+v", f)
				}
				// Every removal says when it bites (TestRulesDocQuotesAccessNotes checks which note each rule gives).
				if strings.HasPrefix(f.RuleID, "MI-") && !strings.Contains(f.Remediation, "expires") &&
					!strings.Contains(f.Remediation, "within minutes") && f.RuleID != RuleShared && f.RuleID != RuleStale {
					t.Errorf("%s remediation does not say when a removal takes effect: %s", f.RuleID, f.Remediation)
				}
			}
		})
	}
}

func TestApplications(t *testing.T) {
	day := 24 * time.Hour
	cases := []struct {
		name  string
		app   data.Application
		want  Severity // none when it must not fire
		proof string
	}{
		{"short-lived secret", data.Application{ID: "sp-1", AppID: "a-1", DisplayName: "Billing", Credentials: []data.Credential{
			{KeyID: "k1", Type: "password", Start: collected.Add(-30 * day), End: collected.Add(60 * day)}}}, Low, "valid until"},
		{"long-lived secret", data.Application{ID: "sp-2", AppID: "a-2", DisplayName: "Legacy", Credentials: []data.Credential{
			{KeyID: "k2", Type: "password", Start: collected.Add(-30 * day), End: collected.Add(700 * day)}}}, Medium, "long-lived (730 days)"},
		{"only expired secrets", data.Application{ID: "sp-3", AppID: "a-3", DisplayName: "Old", Credentials: []data.Credential{
			{KeyID: "k3", Type: "password", Start: collected.Add(-400 * day), End: collected.Add(-10 * day)}}}, Info, "expired on 2026-02-19"},
		{"certificate on a workload in Azure", data.Application{ID: "sp-4", AppID: "a-4", DisplayName: "Web", Hosts: []string{vmID(sub1, "rg", "vm")},
			Credentials: []data.Credential{{KeyID: "k4", Type: "certificate", Start: collected.Add(-day), End: collected.Add(300 * day)}}}, Medium, "runs in Azure"},
		{"no credentials", data.Application{ID: "sp-5", AppID: "a-5", DisplayName: "Fine"}, none, ""},
		{"the managed key credential of a managed identity", data.Application{ID: "mi", AppID: "app-mi", DisplayName: "mi",
			Credentials: []data.Credential{{KeyID: "k6", Type: "certificate", Start: collected.Add(-day), End: collected.Add(90 * day)}}}, none, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newTenant()
			b.vmIdentity("mi", "rg-app")
			b.t.Applications = []data.Application{c.app}
			r := b.assess()
			var fs []Finding
			for _, f := range r.For(c.app.ID) {
				if f.RuleID == RuleSPMigrate {
					fs = append(fs, f)
				}
			}
			if c.want == none {
				if len(fs) > 0 {
					t.Fatalf("SP-MIGRATE fired: %+v", fs)
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("want one SP-MIGRATE finding, got %+v", fs)
			}
			if fs[0].Severity != c.want {
				t.Errorf("severity = %s, want %s: %v", fs[0].Severity, c.want, fs[0].Evidence)
			}
			if !strings.Contains(strings.Join(Texts(fs[0].Evidence), "\n"), c.proof) {
				t.Errorf("evidence %v lacks %q", fs[0].Evidence, c.proof)
			}
		})
	}
}

func TestResultOrderAndLookups(t *testing.T) {
	b := newTenant()
	b.vmIdentity("mi-a", "rg-a")
	b.directory("mi-a", dirGlobalAdmin, "/", data.Active)
	b.azure("mi-a", data.PrincipalServicePrincipal, roleContributor, rg(sub1, "rg-other"))
	b.userAssigned("mi-b")
	b.vmIdentity("mi-c", "rg-c")
	b.gap(data.SectionAppRoles, "mi-c", "")
	r := b.assess()

	if !slices.IsSortedFunc(r.Findings, func(x, y Finding) int {
		if x.Severity != y.Severity {
			return int(y.Severity - x.Severity)
		}
		return strings.Compare(x.RuleID, y.RuleID)
	}) {
		t.Errorf("findings not sorted by severity then rule: %+v", r.Findings)
	}
	if s, ok := r.Highest("mi-a"); !ok || s != Critical {
		t.Errorf("Highest(mi-a) = %s, %v", s, ok)
	}
	if n := r.Count("mi-a"); n != 2 {
		t.Errorf("Count(mi-a) = %d, want 2 (directory role and Azure role)", n)
	}
	if fs := r.For("MI-A"); len(fs) != 2 || fs[0].Severity < fs[1].Severity {
		t.Errorf("For is case-insensitive and highest first: %+v", fs)
	}
	if _, ok := r.Highest("mi-c"); ok {
		t.Errorf("mi-c has no findings")
	}
	if got := r.Reach["mi-c"]; got.Label != LabelNotReadable || !strings.Contains(got.Detail, "appRoles (needs Reader)") {
		t.Errorf("reach of mi-c = %+v", got)
	}
	if len(r.Gaps) != 1 || r.Gaps[0].IdentityID != "mi-c" {
		t.Errorf("gaps = %+v", r.Gaps)
	}
	if r.Reach["mi-a"].Level <= r.Reach["mi-c"].Level || r.Reach["mi-c"].Level <= r.Reach["mi-b"].Level {
		t.Errorf("reach levels do not order tenant admin > unknown > none: %+v", r.Reach)
	}
}

func TestRulesCatalogue(t *testing.T) {
	want := []string{RuleExposed, RuleFICRisk, RuleOrphaned, RuleOverscoped, RulePath, RulePrivAzure, RulePrivDirRole,
		RulePrivGraph, RulePrivGroup, RuleShared, RuleStale, RuleUnused, RuleUnusedGrant, RuleSPMigrate, RuleUserAsService}
	var got []string
	for _, r := range Rules {
		got = append(got, r.ID)
		if r.Title == "" || r.Description == "" || r.Help == "" || len(r.References) == 0 {
			t.Errorf("rule %s is incomplete", r.ID)
		}
		for _, u := range r.References {
			if !strings.HasPrefix(u, "https://") {
				t.Errorf("rule %s reference %q is not a URL", r.ID, u)
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Rules = %v, want %v", got, want)
	}
}

func TestMatchAction(t *testing.T) {
	cases := []struct {
		pattern, op string
		want        bool
	}{
		{"*", "Microsoft.Compute/virtualMachines/write", true},
		{"*/read", "Microsoft.Compute/virtualMachines/read", true},
		{"*/read", "Microsoft.Compute/virtualMachines/write", false},
		{"Microsoft.Authorization/*/Write", "microsoft.authorization/roleAssignments/write", true},
		{"Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/delete", false},
		{"Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
			"Microsoft.ManagedIdentity/userAssignedIdentities/assign/action", true},
		{"Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
			"Microsoft.ManagedIdentity/userAssignedIdentities/read", false},
		{"Microsoft.ManagedIdentity/userAssignedIdentities/*", opFICWrite, true},
		{"Microsoft.Compute/virtualMachines/runCommand/action", "Microsoft.Compute/virtualMachines/runcommand/action", true},
	}
	for _, c := range cases {
		if got := matchAction(c.pattern, c.op); got != c.want {
			t.Errorf("matchAction(%q, %q) = %v", c.pattern, c.op, got)
		}
	}
}
