package assess

// Rule ids are a public contract: reports, SARIF dashboards and users' --fail-on pipelines key on them.
const (
	RulePrivDirRole = "MI-PRIV-DIRROLE"
	RulePrivGraph   = "MI-PRIV-GRAPH"
	RulePrivGroup   = "MI-PRIV-GROUP"
	RulePrivAzure   = "MI-PRIV-AZURE"
	RuleOrphaned    = "MI-ORPHANED"
	RuleShared      = "MI-SHARED"
	RuleFICRisk     = "MI-FIC-RISK"
	RuleStale       = "MI-STALE"
	RuleExposed     = "MI-EXPOSED"
	RulePath        = "MI-PATH"
	RuleSPMigrate   = "SP-MIGRATE"

	RuleUnused        = "MI-UNUSED"
	RuleUnusedGrant   = "MI-UNUSED-GRANT"
	RuleOverscoped    = "MI-OVERSCOPED"
	RuleUserAsService = "USER-AS-SERVICE"
)

// Public sources behind the classifications and the remediation advice.
const (
	refMIBestPractice = "https://learn.microsoft.com/en-us/entra/identity/managed-identities-azure-resources/managed-identity-best-practice-recommendations"
	refMIOverview     = "https://learn.microsoft.com/en-us/entra/identity/managed-identities-azure-resources/overview"
	refMIManageUA     = "https://learn.microsoft.com/en-us/entra/identity/managed-identities-azure-resources/how-manage-user-assigned-managed-identities"
	refEntraRoles     = "https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference"
	refPrivRoles      = "https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/privileged-roles-permissions"
	refRoleGroups     = "https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/groups-concept"
	refPIM            = "https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/pim-configure"
	refGraphPerms     = "https://learn.microsoft.com/en-us/graph/permissions-reference"
	refAzureTiering   = "https://github.com/emiliensocchi/azure-tiering"
	refScubaGear      = "https://github.com/cisagov/ScubaGear"
	refAzureBuiltIn   = "https://learn.microsoft.com/en-us/azure/role-based-access-control/built-in-roles"
	refAzureRoleDefs  = "https://learn.microsoft.com/en-us/azure/role-based-access-control/role-definitions"
	refRBACNotFound   = "https://learn.microsoft.com/en-us/azure/role-based-access-control/troubleshooting#symptom---role-assignments-with-identity-not-found"
	refAzureScope     = "https://learn.microsoft.com/en-us/azure/role-based-access-control/scope-overview"
	refFICConsider    = "https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation-considerations"
	refFICCreate      = "https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation-create-trust-user-assigned-managed-identity"
	refFICFlexible    = "https://learn.microsoft.com/en-us/entra/workload-id/workload-identities-flexible-federated-identity-credentials"
	refFICMutable     = "https://learn.microsoft.com/en-us/entra/workload-id/workload-identities-federated-credential-mutable-subjects"
	refGitHubOIDC     = "https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect"
	refAppCredentials = "https://learn.microsoft.com/en-us/entra/identity-platform/security-best-practices-for-app-registration"
	refAzureHound     = "https://github.com/SpecterOps/AzureHound"
	refMIServices     = "https://learn.microsoft.com/en-us/entra/identity/managed-identities-azure-resources/managed-identities-status"
	refMITokenCache   = "https://learn.microsoft.com/en-us/entra/identity/managed-identities-azure-resources/managed-identity-best-practice-recommendations#limitation-of-using-managed-identities-for-authorization"
	refRBACCache      = "https://learn.microsoft.com/en-us/azure/role-based-access-control/troubleshooting#symptom---role-assignment-changes-are-not-being-detected"
	refMISignIns      = "https://learn.microsoft.com/en-us/entra/identity/monitoring-health/concept-sign-ins#managed-identity-sign-ins"
	refSPSignInReport = "https://learn.microsoft.com/en-us/graph/api/resources/serviceprincipalsigninactivity?view=graph-rest-beta"
	refLeastPrivilege = "https://learn.microsoft.com/en-us/azure/role-based-access-control/best-practices#only-grant-the-access-users-need"
	refSignInLogsLA   = "https://learn.microsoft.com/en-us/entra/identity/monitoring-health/howto-integrate-activity-logs-with-azure-monitor-logs"
	refServiceAccount = "https://learn.microsoft.com/en-us/entra/architecture/service-accounts-user-on-premises"
)

// How soon a removal bites depends on where the access is checked (refMITokenCache, refRBACCache), so each note
// below is exact for one kind of access, and a remediation ends with the notes of what it removes. docs/RULES.md
// quotes them word for word (TestRulesDocQuotesAccessNotes): this is the one place they are worded.
const (
	// noteToken: application permissions (role claims), directory roles (wids) and group memberships (group
	// claims), wherever they are checked.
	noteToken = "Application permissions, directory roles and group memberships ride in the identity's access token, " +
		"which Azure caches for up to 24 hours and which cannot be forced to refresh: a removed one can still be " +
		"used until the cached token expires."
	// noteARM: an Azure role assignment, the identity's own or one a group holds for it.
	noteARM = "Azure Resource Manager checks role assignments at each request: deleting one, held by the identity " +
		"or by a group it is in, takes effect within minutes (up to about 10, while its cache refreshes)."
	// noteARMMembership: leaving the group through which an Azure role is held.
	noteARMMembership = "Removing the identity from a group that holds an Azure role takes longer: the membership " +
		"rides in the token's group claims, so the group's roles can still be used until the cached token expires " +
		"(up to 24 hours, and it cannot be forced to refresh)."

	tokenCacheNote = noteToken
	armNote        = noteARM + " " + noteARMMembership
)

// Rules is the registry of every rule miscope applies, in the order of their ids: the engine takes a finding's
// references from it, SARIF its rules (with the docs/RULES.md anchor and the severity rule), the help screen its
// titles, and TestRulesRegistry holds docs/RULES.md to it. A new rule adds its entry here, its section to
// docs/RULES.md, and its code in a file of its own.
var Rules = []Rule{
	{
		ID:    RuleExposed,
		Title: "Another principal can use this identity",
		Description: "A principal that is not itself as privileged as the identity can run code on a resource the " +
			"identity is attached to, attach the user-assigned identity to compute it controls, or add a federated " +
			"credential to it; whoever does gets the identity's privileges. Graded by the identity's own privilege.",
		Severity: "The identity's own privilege (its most severe privilege finding, or what its path reaches), at " +
			"least low; low when every principal could attach the identity only once it can write compute " +
			"(latent).",
		Help: "Remove the principal's role on the attached resource (or its resource group or subscription), or " +
			"move the identity to a resource only equally trusted principals control. Managed Identity Operator and " +
			"Managed Identity Contributor on a user-assigned identity should be held only by its owners.",
		References: []string{refMIBestPractice, refMIManageUA, refAzureBuiltIn, refRBACCache},
	},
	{
		ID:    RuleFICRisk,
		Title: "Risky federated identity credential",
		Description: "A federated credential, read as an expression over the issuer's claims, trusts an issuer that " +
			"is not a known identity provider or belongs to another tenant, a pattern over the owner or organisation " +
			"(internet-exposed), pull requests, any ref, a branch instead of a protected environment, or names that " +
			"can be renamed or reused; graded up when the identity is privileged.",
		Severity: "The worst reading among its credentials (internet-exposed, an unknown issuer, any ref or pull " +
			"request high; one branch, another tenant's issuer medium; a name-based subject low), one step " +
			"up on an identity whose privilege is high or critical, and at least medium on one with tier-0 " +
			"privileges.",
		Help: "Trust only known issuers and one workload each: for GitHub Actions a protected environment with the " +
			"immutable subject `repo:OWNER@OWNER_ID/REPO@REPO_ID:environment:NAME` (or pin `claims['repository_id']` " +
			"in an expression); never a pattern over the owner, organisation or group; delete credentials that are no " +
			"longer used.",
		References: []string{refFICConsider, refFICCreate, refFICFlexible, refFICMutable, refGitHubOIDC},
	},
	{
		ID:          RuleOrphaned,
		Title:       "User-assigned identity attached to nothing",
		Description: "A user-assigned identity is attached to no resource: nobody needs its permissions, yet whoever can attach it or add a federated credential to it can use them.",
		Severity:    "Low, raised to the identity's privilege, at most medium.",
		Help:        "Delete the identity if nothing uses it, or remove its role assignments and permissions until it is needed.",
		References:  []string{refMIBestPractice, refMIManageUA},
	},
	{
		ID:    RuleOverscoped,
		Title: "Azure role wider than its use",
		Description: "An Azure role at subscription or management group scope held by an identity whose recorded " +
			"actions (the Azure activity log in a Log Analytics workspace) touch five resources or fewer, all in a " +
			"narrower scope. Not assessed without a workspace.",
		Severity: "Medium for a role that writes or grants; low otherwise.",
		Help: "Assign the narrower scope (and the built-in role for the one kind of resource used, when there is " +
			"one) first, then delete the broad assignment. The activity log records writes only: grant Reader " +
			"where the identity also reads.",
		References: []string{refLeastPrivilege, refAzureScope, refSignInLogsLA, refRBACCache},
	},
	{
		ID:    RulePath,
		Title: "Reaches more than it holds",
		Description: "The identity can become another principal that holds more: it is a member of a group, can " +
			"add itself to a group (GroupMember.ReadWrite.All, Group.ReadWrite.All, Directory.ReadWrite.All on " +
			"groups that are not role-assignable; RoleManagement.ReadWrite.Directory or Privileged Role " +
			"Administrator on any), or can run code as, attach or federate to another managed identity, step by " +
			"step, until it holds more than it does itself. Graded by the strongest outcome it reaches, along the " +
			"shortest path to it.",
		Severity: "What the path reaches, graded as the privilege rules grade it (tenant admin and Graph tier 0 " +
			"critical; directory writer and tenant-wide data high); a finding only when that is more than " +
			"the identity holds itself.",
		Help: "Break the path: remove the permission or role that lets the identity take its first step, or the " +
			"roles of the group or identity it leads to. Until then treat the identity as what it reaches.",
		References: []string{refAzureHound, refAzureTiering, refRoleGroups, refMIBestPractice},
	},
	{
		ID:    RulePrivAzure,
		Title: "Privileged Azure role",
		Description: "Owner, User Access Administrator, Role Based Access Control Administrator, Contributor or a " +
			"custom role with equivalent actions at management-group or subscription scope; narrower scopes and " +
			"roles that only run code, attach identities or reach data are graded lower. A role definition that " +
			"cannot be resolved is reported.",
		Severity: "The role's class at its scope (granting access at a subscription or above critical, writing at " +
			"a subscription high, narrower scopes lower, one resource never), corrected by the role's " +
			"reference tier.",
		Help: "Assign the narrowest built-in role the workload needs at the narrowest scope (the resource, or its " +
			"own resource group). Never give a workload identity the right to grant access.",
		References: []string{refAzureBuiltIn, refAzureRoleDefs, refAzureScope, refMIBestPractice, refRBACCache},
	},
	{
		ID:    RulePrivDirRole,
		Title: "Privileged Entra directory role",
		Description: "The identity holds a privileged Entra directory role, directly or through a group, active or " +
			"eligible through Privileged Identity Management. Tier-0 roles (a path to Global Administrator) are " +
			"critical.",
		Severity: "The role's reference grade (tier 0 critical), one step lower when scoped to an administrative " +
			"unit; a role the lists do not know but Microsoft marks privileged is high.",
		Help: "Remove the role assignment, or replace it with an application permission or role scoped to exactly " +
			"what the workload does (an administrative unit where possible).",
		References: []string{refPrivRoles, refEntraRoles, refAzureTiering, refPIM, refMITokenCache},
	},
	{
		ID:    RulePrivGraph,
		Title: "High-privilege application permission",
		Description: "The identity holds a tier-0 or high Microsoft Graph application permission (or a write-all or " +
			"full-control permission of another API). Tier-0 permissions are a known path to Global Administrator.",
		Severity: "The permission's reference grade: tier 0 critical, tier 1 medium or high, tier 2 and reads at " +
			"most low; an app role that cannot be resolved is info.",
		Help: "Remove the app role assignment; grant the least-privileged permission the workload needs (for " +
			"example Sites.Selected instead of Sites.ReadWrite.All).",
		References: []string{refGraphPerms, refAzureTiering, refScubaGear, refMITokenCache},
	},
	{
		ID:    RulePrivGroup,
		Title: "Member of a privileged group",
		Description: "The identity belongs, directly or transitively, to a role-assignable group or to a group that " +
			"holds privileged directory or Azure roles; everyone who can manage that group's membership shapes what " +
			"the identity can do.",
		Severity: "The strongest role the group holds, graded as if the identity held it directly; a " +
			"role-assignable group that holds nothing yet is low.",
		Help: "Remove the identity from the group, or assign the roles it needs to it directly so the group's " +
			"other members do not widen them.",
		References: []string{refRoleGroups, refPrivRoles, refAzureBuiltIn, refMITokenCache},
	},
	{
		ID:    RuleShared,
		Title: "User-assigned identity shared widely",
		Description: "A user-assigned identity is attached to 5 or more resources, or to resources in more than one " +
			"subscription: whoever controls any of them holds the identity, and its permissions are the union of " +
			"what every workload needs.",
		Severity:   "Low, raised to the identity's privilege, at most high.",
		Help:       "Give each workload (or each subscription) its own identity with only the permissions it needs.",
		References: []string{refMIBestPractice},
	},
	{
		ID:    RuleStale,
		Title: "Role assignments left behind by deleted principals",
		Description: "Role assignments whose principal the directory no longer has (a deleted user, group, " +
			"application or managed identity: \"Identity not found\" in the portal), and system-assigned identities " +
			"whose resource is gone. They grant nothing today but count against the subscription's limit and muddy " +
			"access reviews.",
		Severity: "Info, or low when a role left behind writes or grants (a deleted principal can be restored for " +
			"30 days) or a system-assigned identity whose resource is gone still holds roles.",
		Help: "Delete the dangling role assignments with `az role assignment delete --ids <assignment ids>` (the " +
			"finding lists them); Azure does not delete them with their principal.",
		References: []string{refMIBestPractice, refRBACNotFound, refMIOverview},
	},
	{
		ID:    RuleUnused,
		Title: "Privileged identity not used",
		Description: "An identity that holds privilege (a finding of medium or above, or an Azure role above Reader) " +
			"has not signed in during the usage window: nothing needs what it holds, yet anyone who can use it gets " +
			"it. Not assessed when sign-ins cannot be read.",
		Severity: "The privilege it holds: the worst of its other findings and of its grants; at least low.",
		Help: "Delete a user-assigned identity nobody uses, or turn off a system-assigned one; until then remove its " +
			"grants (the finding's commands).",
		References: []string{refMIBestPractice, refMISignIns, refLeastPrivilege},
	},
	{
		ID:    RuleUnusedGrant,
		Title: "Grant never exercised",
		Description: "An identity that signs in never used some of what it holds in the window: application " +
			"permissions of an API it never signed in to, Azure control-plane roles with no sign-in to Azure " +
			"Resource Manager, data roles on a service it never signed in to, directory roles with no sign-in to " +
			"Microsoft Graph. Grants whose use sign-ins cannot show are kept. Not assessed when sign-ins cannot be read.",
		Severity:   "The unused grant's own grade, as the privilege rules grade it.",
		Help:       "Remove the unused grants (the finding's commands); keep the ones the finding lists as used.",
		References: []string{refMIBestPractice, refMISignIns, refLeastPrivilege, refMITokenCache},
	},
	{
		ID:    RuleSPMigrate,
		Title: "Application could use a managed identity",
		Description: "An application service principal signs in with a secret or certificate that someone must store, " +
			"rotate and protect; workloads running in Azure can use a managed identity instead. Expired and " +
			"long-lived secrets are noted.",
		Severity: "Low; medium when a valid credential is used by a workload that runs in Azure or a secret is " +
			"long-lived; info when every credential has expired.",
		Help: "Move the workload to a managed identity (or workload identity federation), then remove the " +
			"application's secrets and certificates. Until then, keep secrets short-lived and delete expired ones.",
		References: []string{refMIServices, refAppCredentials, refMIBestPractice, refSPSignInReport},
	},
	{
		ID:    RuleUserAsService,
		Title: "User account used as a service account",
		Description: "A user account that holds Azure or directory roles and signed in only non-interactively in " +
			"the window: a script or service signs in as a person. Its password never expiring, or no multifactor " +
			"method, is noted. Not assessed when users' sign-in activity cannot be read.",
		Severity: "Low; medium when it holds a role that writes, grants, or a privileged directory role; one step " +
			"higher (at most high) when a password alone guards it.",
		Help: "Give the workload a managed identity with the roles it needs, then remove the user's roles and " +
			"disable the account.",
		References: []string{refMIBestPractice, refServiceAccount, refMIServices},
	},
}

// ruleIndex finds a rule's place in Rules by its id.
var ruleIndex = func() map[string]int {
	m := make(map[string]int, len(Rules))
	for i, r := range Rules {
		m[r.ID] = i
	}
	return m
}()

// RuleByID returns the rule with that id.
func RuleByID(id string) (Rule, bool) {
	i, ok := ruleIndex[id]
	if !ok {
		return Rule{}, false
	}
	return Rules[i], true
}
