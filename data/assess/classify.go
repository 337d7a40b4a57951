package assess

import (
	"strings"

	"github.com/miscope/miscope/data"
)

// Classifications are data: tiers/ holds the reference tier lists and the published lists of Microsoft's ids, and
// tiers.go grades from them, so that every verdict can be traced to a public source and a table can be corrected
// without touching the rules. docs/RULES.md explains the severity of each class.

// Source names for verdicts that do not come from the tier lists.
const (
	srcNamePattern = "the permission's name (not in the reference tier list)"
	srcExchange    = "Exchange Online application permissions (every mailbox)"
)

// graphPermission grades an application permission.
type graphPermission struct {
	Value    string
	Severity Severity
	Tier0    bool
	Source   string
	// Data is true for a permission over the content of every user (mail, files, chats), which reach shows apart
	// from the directory.
	Data     bool
	ReadOnly bool
	// Why is the reason for the grade in this project's words (tiers/grades.json), or "".
	Why string
}

// classifyPermission grades an application permission granted on any API. For Microsoft Graph the reference tier
// list decides, by app role id and then by value; a permission it does not tier, and those of other APIs, are graded
// by their value: full control of every mailbox or site is high, other writes medium, reads low.
func classifyPermission(a data.AppRoleAssignment) (graphPermission, bool) {
	if strings.EqualFold(a.ResourceAppID, data.MicrosoftGraphAppID) {
		value := a.Permission
		if value == "" {
			value, _ = GraphAppRoleValue(a.AppRoleID)
		}
		if g, ok := GraphPermissionGrade(a.AppRoleID, value); ok {
			return graphPermission{Value: g.Name, Severity: g.Severity, Tier0: g.Tier0(), Source: g.Source,
				Data: dataPermission(g.Name), ReadOnly: g.ReadOnly, Why: g.Path}, true
		}
		if value != "" && a.Permission == "" {
			a.Permission = value
		}
	}
	v := strings.ToLower(a.Permission)
	p := graphPermission{Value: a.Permission, Source: srcNamePattern, Data: dataPermission(v)}
	switch {
	case v == "":
		return graphPermission{}, false
	case strings.Contains(v, "fullcontrol"), v == "full_access_as_app", v == "exchange.manageasapp":
		p.Severity, p.Source, p.Data = High, srcExchange, true
	case strings.Contains(v, "write") || strings.Contains(v, ".manage") || strings.Contains(v, ".send"):
		p.Severity = Medium
	case strings.Contains(v, ".read"):
		p.Severity, p.ReadOnly = Low, true
	default:
		p.Severity = Info
	}
	return p, true
}

// dataPermission reports whether a permission reaches the content of users rather than the directory.
func dataPermission(value string) bool {
	v := strings.ToLower(value)
	for _, prefix := range []string{"mail", "files.", "sites.", "chat.", "channelmessage.", "calendars.", "contacts.",
		"notes.", "tasks.", "onlinemeeting", "callrecord", "calltranscript", "full_access_as_app", "ews.", "imap.",
		"pop.", "smtp."} {
		if strings.HasPrefix(v, prefix) {
			return true
		}
	}
	return false
}

// azureClass is what an Azure role lets its holder do at its scope, weakest first.
type azureClass int

const (
	classNone azureClass = iota
	classRead            // reads configuration
	// classConfig changes the configuration of some resource types (networks, monitoring) but reaches no data and
	// no identity: below data read, so that exposure still counts an identity's data as something it adds.
	classConfig
	classDataRead // reads data: blobs, messages, secrets
	classData     // writes or uses data: blobs, queues, keys, storage account keys
	classLateral  // runs code on compute, attaches identities, writes federated credentials or policies
	classWrite    // writes every resource type: Contributor and its equivalents
	classGrant    // grants access: Owner, User Access Administrator, RBAC Administrator
)

func (c azureClass) word() string {
	switch c {
	case classGrant:
		return "owner"
	case classWrite:
		return "contrib"
	case classLateral:
		return "operator"
	case classData:
		return "data write"
	case classConfig:
		return "config write"
	case classDataRead:
		return "data read"
	case classRead:
		return "read only"
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
	// NotDataActions take data actions away, as NotActions do actions.
	NotDataActions []string
	// Class, when set, overrides the class judged from the actions; Key Vault Data Access Administrator writes role
	// assignments but only of Key Vault data roles.
	Class azureClass
}

// builtinClasses override the class judged from a built-in role's actions where a condition the lists cannot
// express limits it.
var builtinClasses = map[string]azureClass{
	"8b54135c-b56d-4d72-a534-26097cfdc8d8": classData, // Key Vault Data Access Administrator: grants Key Vault data roles only
}

// builtinRoles are the Azure built-in role definitions as Microsoft publishes them (tiers/azure-builtin-roles.json).
var builtinRoles = func() map[string]builtinRole {
	m := make(map[string]builtinRole, len(ref.builtins))
	for k, b := range ref.builtins {
		m[k] = builtinRole{Name: b.Name, Actions: b.Actions, NotActions: b.NotActions, DataActions: b.DataActions,
			NotDataActions: b.NotDataActions, Class: builtinClasses[k]}
	}
	return m
}()

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

// dataOps reach data rather than configuration: storage account keys open every blob, queue and table, and writing
// a vault's access policy opens its secrets.
var dataOps = []string{"Microsoft.Storage/storageAccounts/listKeys/action", "Microsoft.KeyVault/vaults/write"}

var dataDataOps = []string{
	"Microsoft.KeyVault/vaults/secrets/setSecret/action",
	"Microsoft.KeyVault/vaults/keys/decrypt/action",
	"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
}

// incidentalActions are in many roles and change nothing that matters to an identity's reach: support tickets,
// deployments (of what the role may write anyway), alert rules, resource health, provider registration and the
// user delegation key that data readers need.
var incidentalActions = []string{"microsoft.support/", "microsoft.resources/deployments/", "microsoft.insights/alertrules/",
	"microsoft.resourcehealth/", "/register/action", "/generateuserdelegationkey/action"}

// writeProbes are the operations an action pattern is tried with: the pattern itself, and for a wildcard a write and
// an action under it, so that NotActions are honoured ("virtualMachines/*" less "virtualMachines/*/write" and
// "virtualMachines/*/action" reads and deletes only). Deleting is not counted as a write: it takes away, it does
// not reach further.
func writeProbes(pattern string) []string {
	if !strings.Contains(pattern, "*") {
		return []string{pattern}
	}
	probes := []string{strings.ReplaceAll(pattern, "*", "probe/write"), strings.ReplaceAll(pattern, "*", "probe/action")}
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		probes = append(probes, prefix+"write")
	}
	return probes
}

func deletes(op string) bool { return strings.HasSuffix(strings.ToLower(op), "/delete") }

// readsOnly reports whether an action pattern only reads: it ends in read, or its verb gets, reads, queries or
// receives (messages are data read, even where receiving removes them from the queue).
func readsOnly(pattern string) bool {
	a := strings.ToLower(pattern)
	if strings.HasSuffix(a, "/read") || a == "*/read" || strings.HasSuffix(a, "/readmetadata/action") {
		return true
	}
	verb, ok := strings.CutSuffix(a, "/action")
	if !ok {
		return false
	}
	verb = verb[strings.LastIndexByte(verb, '/')+1:]
	for _, v := range []string{"get", "read", "query", "search", "peek", "receive"} {
		if strings.HasPrefix(verb, v) {
			return true
		}
	}
	return false
}

// unlocksData reports whether a control-plane action hands out keys or credentials that open a resource's data.
func unlocksData(pattern string) bool {
	a := strings.ToLower(pattern)
	for _, v := range []string{"listkeys", "regeneratekey", "listcredential", "listsecrets", "listaccountsas",
		"listservicesas", "listconnectionstrings"} {
		if strings.Contains(a, v) {
			return true
		}
	}
	return false
}

func incidental(pattern string) bool {
	a := strings.ToLower(pattern)
	for _, s := range incidentalActions {
		if strings.Contains(a, s) {
			return true
		}
	}
	return false
}

// permissions is a role definition's effective actions, in the form the probes need.
type permissions struct {
	actions, notActions, dataActions, notDataActions []string
}

func permissionsOf(d *data.RoleDefinition) permissions {
	return permissions{d.Actions, d.NotActions, d.DataActions, d.NotDataActions}
}

func (b builtinRole) permissions() permissions {
	return permissions{b.Actions, b.NotActions, b.DataActions, b.NotDataActions}
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
	}
	// Below those, each action counts for what its verb does: a data action that is not a read writes or uses data
	// (sends messages, wraps keys, publishes metrics); a control-plane write changes configuration.
	c := classNone
	if len(p.actions) > 0 {
		c = classRead
	}
	for _, a := range p.dataActions {
		c = max(c, classDataRead)
		if readsOnly(a) {
			continue
		}
		for _, op := range writeProbes(a) {
			if p.allowsData(op) && !deletes(op) {
				return classData
			}
		}
	}
	for _, a := range p.actions {
		if readsOnly(a) || incidental(a) {
			continue
		}
		if unlocksData(a) && p.allows(a) {
			return classData
		}
		for _, op := range writeProbes(a) {
			if p.allows(op) && !deletes(op) && !incidental(op) {
				c = max(c, classConfig)
			}
		}
	}
	return c
}
