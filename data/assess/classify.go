package assess

import (
	"strings"

	"github.com/miscope/miscope/data"
)

// Classifications are data, each with where it comes from, so that a verdict can be traced to a public source and a
// table can be corrected without touching the rules. docs/RULES.md explains the severity of each class.

// Source names used in the tables below; their URLs are in references.go.
const (
	srcAzureTiering = "azure-tiering (github.com/emiliensocchi/azure-tiering)"
	srcScubaGear    = "CISA ScubaGear risky permissions"
	srcEntraRoles   = "Microsoft Entra built-in roles reference"
	srcAzureRoles   = "Azure built-in roles reference"
)

// directoryRoleClass grades an Entra directory role.
type directoryRoleClass struct {
	Name     string
	Severity Severity // at tenant scope ("/"); administrative-unit scopes are one step lower
	Tier0    bool     // a known path to Global Administrator
	Source   string
}

// directoryRoles are the privileged Entra roles by template id. Every role in azure-tiering's tier 0 is critical;
// roles that Microsoft marks isPrivileged but are not in this table are graded high by the engine.
var directoryRoles = map[string]directoryRoleClass{
	"62e90394-69f5-4237-9190-012177145e10": {"Global Administrator", Critical, true, srcAzureTiering},
	"e8611ab8-c189-46e8-94e1-60213ab1f814": {"Privileged Role Administrator", Critical, true, srcAzureTiering},
	"7be44c8a-adaf-4e2a-84d6-ab2649e08a13": {"Privileged Authentication Administrator", Critical, true, srcAzureTiering},
	"9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": {"Application Administrator", Critical, true, srcAzureTiering},
	"158c047a-c907-4556-b7ef-446551a6b5f7": {"Cloud Application Administrator", Critical, true, srcAzureTiering},
	"c4e39bd9-1100-46d3-8c65-fb160da0071f": {"Authentication Administrator", Critical, true, srcAzureTiering},
	"729827e3-9c14-49f7-bb1b-9608f156bbb8": {"Helpdesk Administrator", Critical, true, srcAzureTiering},
	"966707d0-3269-4727-9be2-8c3a10f19b9d": {"Password Administrator", Critical, true, srcAzureTiering},
	"fe930be7-5e62-47db-91af-98c3a49a38b1": {"User Administrator", Critical, true, srcAzureTiering},
	"fdd7a751-b60b-444a-984c-02652fe8fa1c": {"Groups Administrator", Critical, true, srcAzureTiering},
	"9360feb5-f418-4baa-8175-e2a00bac4301": {"Directory Writers", Critical, true, srcAzureTiering},
	"b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": {"Conditional Access Administrator", Critical, true, srcAzureTiering},
	"194ae4cb-b126-40b2-bd5b-6091b380977d": {"Security Administrator", Critical, true, srcAzureTiering},
	"8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2": {"Hybrid Identity Administrator", Critical, true, srcAzureTiering},
	"be2f45a1-457d-42af-a067-6ec1fa63bc45": {"External Identity Provider Administrator", Critical, true, srcAzureTiering},
	"8329153b-31d0-4727-b945-745eb3bc5f31": {"Domain Name Administrator", Critical, true, srcAzureTiering},
	"3a2c62db-5318-420d-8d74-23affee5d9d5": {"Intune Administrator", Critical, true, srcAzureTiering},
	"29232cdf-9323-42fd-ade2-1d097af3e4de": {"Exchange Administrator", Critical, true, srcAzureTiering},
	"f28a1f50-f6e7-4571-818b-6a12f2af6b6c": {"SharePoint Administrator", Critical, true, srcAzureTiering},
	"45d8d3c5-c802-45c6-b32a-1d70b5e1e86e": {"Identity Governance Administrator", Critical, true, srcAzureTiering},
	"e3973bdf-4987-49ae-837a-ba8e231c7286": {"Azure DevOps Administrator", Critical, true, srcAzureTiering},
	"4ba39ca4-527c-499a-b93d-d9b492c50246": {"Partner Tier1 Support", Critical, true, srcAzureTiering},
	"e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8": {"Partner Tier2 Support", Critical, true, srcAzureTiering},
	// Global Reader reads everything in the directory but changes nothing.
	"f2ef992c-3afb-46b9-b7cf-a126ee74c451": {"Global Reader", Low, false, srcEntraRoles},
}

// graphPermission grades an application permission.
type graphPermission struct {
	Value    string
	Severity Severity
	Tier0    bool
	Source   string
}

// graphPermissions are Microsoft Graph application permissions by app role id. Directory.ReadWrite.All,
// Group.ReadWrite.All and GroupMember.ReadWrite.All are graded high, not tier 0: Microsoft Graph refuses them on
// role-assignable groups and privileged users, so they reach Azure roles and app access held through ordinary groups
// but not Global Administrator.
var graphPermissions = map[string]graphPermission{
	"9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8": {"RoleManagement.ReadWrite.Directory", Critical, true, srcAzureTiering},
	"06b708a9-e830-4db3-a914-8e69da51d44f": {"AppRoleAssignment.ReadWrite.All", Critical, true, srcAzureTiering},
	"1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9": {"Application.ReadWrite.All", Critical, true, srcAzureTiering},
	"18a4783c-866b-4cc7-a460-3d5e5662c884": {"Application.ReadWrite.OwnedBy", Critical, true, srcAzureTiering},
	"19dbc75e-c2e2-444c-a770-ec69d8559fc7": {"Directory.ReadWrite.All", High, false, srcScubaGear},
	"62a82d76-70ea-41e2-9197-370581804d09": {"Group.ReadWrite.All", High, false, srcScubaGear},
	"dbaae8cf-10b5-4b86-a4a1-f871c94c6695": {"GroupMember.ReadWrite.All", High, false, srcScubaGear},
	"741f803b-c850-494e-b5df-cde7c675a1ca": {"User.ReadWrite.All", Critical, true, srcAzureTiering},
	"5eb59dd3-1da2-4329-8733-9dabdc435916": {"AdministrativeUnit.ReadWrite.All", Critical, true, srcAzureTiering},
	"50483e42-d915-4231-9639-7fdb7fd190e5": {"UserAuthenticationMethod.ReadWrite.All", Critical, true, srcAzureTiering},
	"29c18626-4985-4dcd-85c0-193eef327366": {"Policy.ReadWrite.AuthenticationMethod", Critical, true, srcAzureTiering},
	"a402ca1c-2696-4531-972d-6e5ee4aa11ea": {"Policy.ReadWrite.PermissionGrant", Critical, true, srcAzureTiering},
	"dd199f4a-f148-40a4-a2ec-f0069cc799ec": {"RoleAssignmentSchedule.ReadWrite.Directory", Critical, true, srcAzureTiering},
	"fee28b28-e1f3-4841-818e-2704dc62245f": {"RoleEligibilitySchedule.ReadWrite.Directory", Critical, true, srcAzureTiering},
	"31e08e0a-d3f7-4ca2-ac39-7343fb83e8ad": {"RoleManagementPolicy.ReadWrite.Directory", Critical, true, srcAzureTiering},
	"b38dcc4d-a239-4ed6-aa84-6c65b284f97c": {"RoleManagementPolicy.ReadWrite.AzureADGroup", Critical, true, srcAzureTiering},
	"2f6817f8-7b12-4f0f-bc18-eeaf60705a9e": {"PrivilegedAccess.ReadWrite.AzureADGroup", Critical, true, srcAzureTiering},
	"41202f2c-f7ab-45be-b001-85c9728b9d69": {"PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup", Critical, true, srcAzureTiering},
	"618b6020-bca8-4de6-99f6-ef445fa4d857": {"PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup", Critical, true, srcAzureTiering},
	"9acd699f-1e81-4958-b001-93b1d2506e19": {"EntitlementManagement.ReadWrite.All", Critical, true, srcAzureTiering},
	"7e05723c-0bb0-42da-be95-ae9f08a6e53c": {"Domain.ReadWrite.All", Critical, true, srcAzureTiering},
	// Control plane, not tier 0 in every list.
	"01c0a623-fc9b-48e9-b794-0756f8e8f067": {"Policy.ReadWrite.ConditionalAccess", High, false, srcScubaGear},
	"89c8469c-83ad-45f7-8ff2-6e3d4285709e": {"ServicePrincipalEndpoint.ReadWrite.All", High, false, srcScubaGear},
}

// graphPermissionsByValue finds a Graph permission by its value when the app role id is not in the table.
var graphPermissionsByValue = func() map[string]string {
	m := make(map[string]string, len(graphPermissions))
	for id, p := range graphPermissions {
		m[strings.ToLower(p.Value)] = id
	}
	return m
}()

// classifyPermission grades an application permission granted on any API. The table decides for Microsoft Graph;
// otherwise the permission's value does: write-all and full-control permissions are high, tenant-wide reads of mail,
// files and sites are high (data of every user), other reads are low.
func classifyPermission(a data.AppRoleAssignment) (graphPermission, bool) {
	isGraph := strings.EqualFold(a.ResourceAppID, data.MicrosoftGraphAppID)
	if isGraph {
		if p, ok := graphPermissions[data.Key(a.AppRoleID)]; ok {
			return p, true
		}
		if id, ok := graphPermissionsByValue[strings.ToLower(a.Permission)]; ok {
			return graphPermissions[id], true
		}
	}
	v := strings.ToLower(a.Permission)
	switch {
	case v == "":
		return graphPermission{}, false
	case strings.HasSuffix(v, ".readwrite.all"), strings.Contains(v, "fullcontrol"), v == "full_access_as_app",
		v == "exchange.manageasapp":
		return graphPermission{a.Permission, High, false, srcScubaGear}, true
	case strings.HasPrefix(v, "mail.") || strings.HasPrefix(v, "files.") || strings.HasPrefix(v, "sites.") ||
		strings.HasPrefix(v, "chat.") || strings.HasPrefix(v, "channelmessage."):
		if strings.HasSuffix(v, ".all") || strings.HasPrefix(v, "mail.") {
			return graphPermission{a.Permission, High, false, srcScubaGear}, true
		}
	case strings.Contains(v, ".readwrite"):
		return graphPermission{a.Permission, Medium, false, srcScubaGear}, true
	case strings.Contains(v, ".read"):
		return graphPermission{a.Permission, Low, false, srcScubaGear}, true
	}
	return graphPermission{a.Permission, Info, false, ""}, true
}

// azureClass is what an Azure role lets its holder do at its scope, weakest first.
type azureClass int

const (
	classNone    azureClass = iota
	classRead               // reads configuration
	classData               // reads or writes data: secrets, blobs, storage keys
	classLateral            // runs code on compute, attaches identities, writes federated credentials or policies
	classWrite              // writes every resource type: Contributor and its equivalents
	classGrant              // grants access: Owner, User Access Administrator, RBAC Administrator
)

func (c azureClass) word() string {
	switch c {
	case classGrant:
		return "owner"
	case classWrite:
		return "contributor"
	case classLateral:
		return "operator"
	case classData:
		return "data access"
	case classRead:
		return "reader"
	}
	return "none"
}

// builtinRole is an Azure built-in role with the parts of its definition that decide its class, used when the
// tenant's copy of the definition could not be read (built-in GUIDs are the same in every tenant).
type builtinRole struct {
	Name        string
	Actions     []string
	NotActions  []string
	DataActions []string
	// Class, when set, overrides the class judged from the actions; Key Vault Data Access Administrator writes role
	// assignments but only of Key Vault data roles.
	Class azureClass
	Why   string
}

// builtinRoles are the Azure built-in roles that matter to managed identities (source: Azure built-in roles
// reference and security.md).
var builtinRoles = map[string]builtinRole{
	"8e3af657-a8ff-443c-a75c-2fe8c4bcb635": {Name: "Owner", Actions: []string{"*"}, Why: "full control, can grant access"},
	"b24988ac-6180-42a0-ab88-20f7382dd24c": {Name: "Contributor", Actions: []string{"*"},
		NotActions: []string{"Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
			"Microsoft.Authorization/elevateAccess/Action"},
		Why: "runs code on any compute in scope and writes federated credentials"},
	"18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": {Name: "User Access Administrator",
		Actions: []string{"*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"}, Why: "can grant itself Owner"},
	"f58310d9-a9f6-439a-9e8d-f62e7b41a168": {Name: "Role Based Access Control Administrator",
		Actions: []string{"Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete",
			"*/read", "Microsoft.Support/*"}, Why: "can grant itself Owner"},
	"acdd72a7-3385-48ef-bd42-f606fba81ae7": {Name: "Reader", Actions: []string{"*/read"}, Why: "read only"},
	"9980e02c-c2be-4d73-94e8-173b1dc7cf3c": {Name: "Virtual Machine Contributor",
		Actions: []string{"Microsoft.Compute/virtualMachines/*", "Microsoft.Compute/virtualMachineScaleSets/*", "*/read"},
		Why:     "runs commands on a VM and reads its identity token from IMDS"},
	"1c0163c0-47e6-4577-8991-ea5c82e286e4": {Name: "Virtual Machine Administrator Login", Actions: []string{"*/read"},
		DataActions: []string{"Microsoft.Compute/virtualMachines/login/action",
			"Microsoft.Compute/virtualMachines/loginAsAdmin/action"}, Why: "logs in to the VM, then IMDS"},
	"fb879df8-f326-4884-b1cf-06f3ad86be52": {Name: "Virtual Machine User Login", Actions: []string{"*/read"},
		DataActions: []string{"Microsoft.Compute/virtualMachines/login/action"}, Why: "logs in to the VM, then IMDS"},
	"de139f84-1756-47ae-9be6-808fbbe84772": {Name: "Website Contributor",
		Actions: []string{"Microsoft.Web/sites/*", "Microsoft.Web/serverFarms/join/action", "*/read"},
		Why:     "deploys code to App Service and Functions"},
	"87a39d53-fc1b-424a-814c-f7e04687dc9e": {Name: "Logic App Contributor", Actions: []string{"Microsoft.Logic/*", "*/read"},
		Why: "edits a Logic App that runs as the identity"},
	"f353d9bd-d4a6-484e-a77a-8050b599b867": {Name: "Automation Contributor",
		Actions: []string{"Microsoft.Automation/automationAccounts/*", "*/read"}, Why: "edits runbooks"},
	"a959dbd1-f747-45e3-8ba6-dd80f235f97c": {Name: "Desktop Virtualization Virtual Machine Contributor",
		Actions: []string{"Microsoft.Compute/virtualMachines/write", "Microsoft.Compute/virtualMachines/extensions/write",
			"*/read"}, Why: "changes session host VMs"},
	"0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8": {Name: "Azure Kubernetes Service Cluster Admin Role",
		Actions: []string{"Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action",
			"Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action",
			"Microsoft.ContainerService/managedClusters/runCommand/action", "Microsoft.ContainerService/managedClusters/read"},
		Why: "cluster admin: node and kubelet identities"},
	"ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8": {Name: "Azure Kubernetes Service Contributor Role",
		Actions: []string{"Microsoft.ContainerService/managedClusters/*", "*/read"}, Why: "node and kubelet identities"},
	"b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b": {Name: "Azure Kubernetes Service RBAC Cluster Admin", Actions: []string{"*/read"},
		DataActions: []string{"Microsoft.ContainerService/managedClusters/*"}, Why: "node and kubelet identities"},
	"f1a07417-d97a-45cb-824c-7a7467783830": {Name: "Managed Identity Operator",
		Actions: []string{"Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
			"Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action", "*/read"},
		Why: "attaches a user-assigned identity to compute it controls"},
	"e40ec5ca-96e0-45a2-b4ff-59039f2c2b59": {Name: "Managed Identity Contributor",
		Actions: []string{"Microsoft.ManagedIdentity/userAssignedIdentities/*", "*/read"},
		Why:     "creates and updates identities, writes federated credentials"},
	"36243c78-bf99-498c-9df9-86d9f8d28608": {Name: "Resource Policy Contributor",
		Actions: []string{"Microsoft.Authorization/policyAssignments/*", "Microsoft.Authorization/policyDefinitions/*",
			"Microsoft.Authorization/policySetDefinitions/*", "*/read"},
		Why: "hijacks a DeployIfNotExists policy's identity"},
	"fb1c8493-542b-48eb-b624-b4c8fea62acd": {Name: "Security Admin",
		Actions: []string{"Microsoft.Authorization/policyAssignments/*", "Microsoft.Security/*", "*/read"},
		Why:     "hijacks a DeployIfNotExists policy's identity"},
	"00482a5a-887f-4fb3-b363-3b7fe8e74483": {Name: "Key Vault Administrator", Actions: []string{"*/read"},
		DataActions: []string{"Microsoft.KeyVault/vaults/*"}, Why: "every secret, key and certificate"},
	"8b54135c-b56d-4d72-a534-26097cfdc8d8": {Name: "Key Vault Data Access Administrator",
		Actions: []string{"Microsoft.Authorization/roleAssignments/write", "*/read"}, Class: classData,
		Why: "grants Key Vault Administrator"},
	"b86a8fe4-44ce-4948-aee5-eccb2c155cd7": {Name: "Key Vault Secrets Officer", Actions: []string{"*/read"},
		DataActions: []string{"Microsoft.KeyVault/vaults/secrets/*"}, Why: "every secret"},
	"4633458b-17de-408a-b874-0445c86b69e6": {Name: "Key Vault Secrets User",
		DataActions: []string{"Microsoft.KeyVault/vaults/secrets/getSecret/action"}, Why: "reads secrets"},
	"b7e6dc6d-f1e8-4753-8033-0f276bb0955b": {Name: "Storage Blob Data Owner", Actions: []string{"*/read"},
		DataActions: []string{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"}, Why: "every blob"},
	"ba92f5b4-2d11-453d-a403-e96b0029c9fe": {Name: "Storage Blob Data Contributor",
		DataActions: []string{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"}, Why: "every blob"},
	"2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": {Name: "Storage Blob Data Reader",
		DataActions: []string{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"}, Why: "reads blobs"},
}

// Operations probed against a role's actions. Judging by operations rather than by role names is what makes a
// custom role with a harmless name but "*" in its actions count as Owner.
const (
	opRoleAssignmentWrite = "Microsoft.Authorization/roleAssignments/write"
	opRoleDefinitionWrite = "Microsoft.Authorization/roleDefinitions/write"
	// opAnyWrite is a write on a provider no role names: only a role that writes every provider allows it.
	opAnyWrite    = "Microsoft.MiscopeProbe/anything/write"
	opAssignUAI   = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"
	opFICWrite    = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write"
	opUAIWrite    = "Microsoft.ManagedIdentity/userAssignedIdentities/write"
	opPolicyWrite = "Microsoft.Authorization/policyAssignments/write"
)

// lateralOps let the holder act as identities that are not its own.
var lateralOps = []string{
	"Microsoft.Compute/virtualMachines/runCommand/action",
	"Microsoft.Compute/virtualMachines/runCommands/write",
	"Microsoft.Compute/virtualMachines/extensions/write",
	"Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommand/action",
	"Microsoft.Compute/virtualMachineScaleSets/extensions/write",
	"Microsoft.Web/sites/write",
	"Microsoft.Web/sites/config/write",
	"Microsoft.Logic/workflows/write",
	"Microsoft.Automation/automationAccounts/runbooks/write",
	"Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action",
	"Microsoft.ContainerService/managedClusters/runCommand/action",
	"Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action",
	"Microsoft.ContainerInstance/containerGroups/containers/exec/action",
	"Microsoft.Web/sites/publishxml/action",
	"Microsoft.Web/sites/config/list/action",
	"Microsoft.Web/sites/host/listkeys/action",
	opAssignUAI, opFICWrite, opUAIWrite, opPolicyWrite,
}

var lateralDataOps = []string{
	"Microsoft.Compute/virtualMachines/login/action",
	"Microsoft.ContainerService/managedClusters/pods/exec/action",
}

// dataOps reach data rather than configuration.
var dataOps = []string{"Microsoft.Storage/storageAccounts/listKeys/action", "Microsoft.KeyVault/vaults/write"}

var dataDataOps = []string{
	"Microsoft.KeyVault/vaults/secrets/getSecret/action",
	"Microsoft.KeyVault/vaults/secrets/setSecret/action",
	"Microsoft.KeyVault/vaults/keys/decrypt/action",
	"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
	"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
}

// permissions is a role definition's effective actions, in the form the probes need.
type permissions struct {
	actions, notActions, dataActions, notDataActions []string
}

func permissionsOf(d *data.RoleDefinition) permissions {
	return permissions{d.Actions, d.NotActions, d.DataActions, d.NotDataActions}
}

func (b builtinRole) permissions() permissions {
	return permissions{actions: b.Actions, notActions: b.NotActions, dataActions: b.DataActions}
}

// allows reports whether the actions grant op and no NotAction takes it away.
func (p permissions) allows(op string) bool { return allowed(p.actions, p.notActions, op) }

func (p permissions) allowsData(op string) bool { return allowed(p.dataActions, p.notDataActions, op) }

func (p permissions) allowsAny(ops, dataOps []string) bool {
	for _, op := range ops {
		if p.allows(op) {
			return true
		}
	}
	for _, op := range dataOps {
		if p.allowsData(op) {
			return true
		}
	}
	return false
}

func allowed(actions, notActions []string, op string) bool {
	hit := false
	for _, a := range actions {
		if matchAction(a, op) {
			hit = true
			break
		}
	}
	if !hit {
		return false
	}
	for _, n := range notActions {
		if matchAction(n, op) {
			return false
		}
	}
	return true
}

// matchAction matches an ARM action pattern, where "*" stands for any run of characters (slashes included) and case
// does not matter.
func matchAction(pattern, op string) bool {
	for len(pattern) > 0 {
		star := strings.IndexByte(pattern, '*')
		if star < 0 {
			return strings.EqualFold(pattern, op)
		}
		if len(op) < star || !strings.EqualFold(pattern[:star], op[:star]) {
			return false
		}
		// "a/*/b" also matches "a/b": ARM's Managed Identity Operator grants
		// userAssignedIdentities/assign/action through "userAssignedIdentities/*/assign/action".
		if star > 0 && pattern[star-1] == '/' && strings.HasPrefix(pattern[star+1:], "/") &&
			matchAction(pattern[star+2:], op[star:]) {
			return true
		}
		pattern, op = pattern[star+1:], op[star:]
		if pattern == "" {
			return true
		}
		// The next literal part must appear somewhere ahead; try each place (patterns are short).
		for i := 0; i <= len(op); i++ {
			if matchAction(pattern, op[i:]) {
				return true
			}
		}
		return false
	}
	return op == ""
}

// class judges what a set of permissions lets its holder do.
func (p permissions) class() azureClass {
	switch {
	case p.allows(opRoleAssignmentWrite) || p.allows(opRoleDefinitionWrite):
		return classGrant
	case p.allows(opAnyWrite):
		return classWrite
	case p.allowsAny(lateralOps, lateralDataOps):
		return classLateral
	case p.allowsAny(dataOps, dataDataOps):
		return classData
	case len(p.actions) > 0 || len(p.dataActions) > 0:
		return classRead
	}
	return classNone
}
