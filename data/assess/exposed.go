package assess

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/miscope/miscope/data"
)

// What lets one principal use a managed identity that is not its own: running code where the identity's token can be
// had, attaching a user-assigned identity to compute it controls, or federating to it. The operations are those of
// the Azure resource provider operations list; the paths follow BloodHound's Azure edges (AZVMContributor,
// AZExecuteCommand, AZWebsiteContributor, AZLogicAppContributor, AZAutomationContributor, AZAKSContributor,
// AZManagedIdentity) and the abuse notes of MicroBurst and Stormspotter. docs/RULES.md lists them.

// codePath is one way to run code as the identities attached to a resource: the holder needs every operation in ops
// and every data operation in dataOps.
type codePath struct {
	ops, dataOps []string
	how          string // what the holder does, in a few words, for evidence
}

// codePaths are the code paths by resource type (lower case). A type that is not listed falls back to
// "<type>/write": rewriting a compute resource's definition changes what it runs. Types listed with no path have
// none: writing them changes configuration, never what runs with their identity.
var codePaths = map[string][]codePath{
	"microsoft.compute/virtualmachines": {
		{ops: []string{"Microsoft.Compute/virtualMachines/runCommand/action"}, how: "run command"},
		{ops: []string{"Microsoft.Compute/virtualMachines/runCommands/write"}, how: "managed run command"},
		{ops: []string{"Microsoft.Compute/virtualMachines/extensions/write"}, how: "VM extension"},
		{ops: []string{"Microsoft.Compute/virtualMachines/write"}, how: "rewrite the VM (disks, user data)"},
		{dataOps: []string{"Microsoft.Compute/virtualMachines/login/action"}, how: "log in, then the metadata endpoint"},
	},
	"microsoft.compute/virtualmachinescalesets": {
		{ops: []string{"Microsoft.Compute/virtualMachineScaleSets/write"}, how: "rewrite the scale set model"},
		{ops: []string{"Microsoft.Compute/virtualMachineScaleSets/extensions/write"}, how: "VM extension"},
		{ops: []string{"Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommand/action"}, how: "run command"},
		{ops: []string{"Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands/write"}, how: "managed run command"},
	},
	"microsoft.hybridcompute/machines": {
		{ops: []string{"Microsoft.HybridCompute/machines/extensions/write"}, how: "machine extension"},
		{ops: []string{"Microsoft.HybridCompute/machines/runCommands/write"}, how: "run command"},
		{dataOps: []string{"Microsoft.HybridCompute/machines/login/action"}, how: "log in, then the metadata endpoint"},
	},
	"microsoft.web/sites":       webCodePaths("Microsoft.Web/sites"),
	"microsoft.web/sites/slots": webCodePaths("Microsoft.Web/sites/slots"),
	"microsoft.logic/workflows": {
		{ops: []string{"Microsoft.Logic/workflows/write"}, how: "rewrite the workflow"},
	},
	// Running a job alone (jobs/write, Automation Job Operator) only starts runbooks that already exist.
	"microsoft.automation/automationaccounts": {
		{ops: []string{"Microsoft.Automation/automationAccounts/runbooks/write",
			"Microsoft.Automation/automationAccounts/jobs/write"}, how: "write a runbook and start it"},
		{ops: []string{"Microsoft.Automation/automationAccounts/runbooks/draft/write",
			"Microsoft.Automation/automationAccounts/runbooks/publish/action",
			"Microsoft.Automation/automationAccounts/jobs/write"}, how: "edit and publish a runbook, then start it"},
		{ops: []string{"Microsoft.Automation/automationAccounts/runbooks/write",
			"Microsoft.Automation/automationAccounts/webhooks/write"}, how: "write a runbook and a webhook that starts it"},
	},
	"microsoft.containerservice/managedclusters": {
		{ops: []string{"Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action"}, how: "cluster admin credential"},
		{ops: []string{"Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action"}, how: "cluster admin credential"},
		{ops: []string{"Microsoft.ContainerService/managedClusters/runCommand/action"}, how: "run command"},
		{ops: []string{"Microsoft.ContainerService/managedClusters/write"}, how: "rewrite the cluster"},
		{dataOps: []string{"Microsoft.ContainerService/managedClusters/pods/exec/action"}, how: "exec into a pod"},
		{dataOps: []string{"Microsoft.ContainerService/managedClusters/pods/write"}, how: "run a pod"},
	},
	"microsoft.containerinstance/containergroups": {
		{ops: []string{"Microsoft.ContainerInstance/containerGroups/write"}, how: "rewrite the container group"},
		{ops: []string{"Microsoft.ContainerInstance/containerGroups/containers/exec/action"}, how: "exec into a container"},
	},
	"microsoft.app/containerapps": {
		{ops: []string{"Microsoft.App/containerApps/write"}, how: "deploy a revision"},
		{ops: []string{"Microsoft.App/containerApps/getAuthToken/action"}, how: "console into a replica"},
	},
	"microsoft.app/jobs": {
		{ops: []string{"Microsoft.App/jobs/write"}, how: "rewrite the job"},
	},
	"microsoft.datafactory/factories": {
		{ops: []string{"Microsoft.DataFactory/factories/pipelines/write",
			"Microsoft.DataFactory/factories/pipelines/createrun/action"}, how: "write a pipeline and run it"},
	},
	"microsoft.containerregistry/registries": {
		{ops: []string{"Microsoft.ContainerRegistry/registries/tasks/write"}, how: "write a registry task"},
	},
	// Data services whose identity only reaches keys or storage for the service itself.
	"microsoft.sql/servers":                 {},
	"microsoft.storage/storageaccounts":     {},
	"microsoft.keyvault/vaults":             {},
	"microsoft.dataprotection/backupvaults": {},
}

// webCodePaths are App Service's and Functions' code paths for sites or slots: deploy, reconfigure, or take the
// publishing credentials or the Functions host keys that deploy.
func webCodePaths(t string) []codePath {
	return []codePath{
		{ops: []string{t + "/write"}, how: "rewrite the app"},
		{ops: []string{t + "/config/write"}, how: "change its configuration"},
		{ops: []string{t + "/publishxml/action"}, how: "publishing profile"},
		{ops: []string{t + "/config/list/action"}, how: "publishing credentials"},
		{ops: []string{t + "/host/listkeys/action"}, how: "Functions host keys"},
		{ops: []string{t + "/sourcecontrols/write"}, how: "deployment source"},
		{ops: []string{t + "/extensions/write"}, how: "site extension"},
	}
}

// computeWriteOps are writes of compute that can carry a user-assigned identity: with one of them and the right to
// assign an identity, a principal attaches it to compute it controls.
var computeWriteOps = []string{
	"Microsoft.Compute/virtualMachines/write",
	"Microsoft.Compute/virtualMachineScaleSets/write",
	"Microsoft.Web/sites/write",
	"Microsoft.Logic/workflows/write",
	"Microsoft.Automation/automationAccounts/write",
	"Microsoft.ContainerInstance/containerGroups/write",
	"Microsoft.App/containerApps/write",
	"Microsoft.App/jobs/write",
	"Microsoft.ContainerService/managedClusters/write",
	"Microsoft.DataFactory/factories/write",
	"Microsoft.Batch/batchAccounts/pools/write",
}

// path returns how the permissions run code as the identities on a resource of type t, or "".
func (p permissions) path(t string) string {
	paths, ok := codePaths[strings.ToLower(t)]
	if !ok {
		paths = []codePath{{ops: []string{t + "/write"}, how: "rewrite the resource"}}
	}
	for _, c := range paths {
		if p.allowsAll(c.ops, c.dataOps) {
			return c.how
		}
	}
	return ""
}

func (p permissions) allowsAll(ops, dataOps []string) bool {
	for _, op := range ops {
		if !p.allows(op) {
			return false
		}
	}
	for _, op := range dataOps {
		if !p.allowsData(op) {
			return false
		}
	}
	return len(ops)+len(dataOps) > 0
}

// Verbs: what a role at a scope lets its holder do to the identities below.
const (
	verbRunCode  = "can run code as the identity there"
	verbFederate = "can add a federated credential to the identity"
	verbAttach   = "can attach the identity to compute it controls"
	verbLatent   = "can assign the identity but writes no compute, so cannot attach it yet (latent)"
	verbGrant    = "can grant itself the right to attach the identity"
)

// useOf says what a role lets its holder do to the identities attached to a resource of kind (kindUAI: the
// user-assigned identity resource itself) and how, or "" when nothing. Attaching also needs compute to attach to,
// which depends on the principal rather than the role; the caller checks it.
func (r *roleInfo) useOf(kind string) (verb, how string) {
	own := r.perms
	if r.cond != nil {
		own = withoutGrant(own)
	}
	if kind == kindUAI {
		switch {
		case own.allows(opFICWrite):
			return verbFederate, ""
		case own.allows(opAssignUAI):
			return verbAttach, ""
		}
	} else if paths, ok := codePaths[strings.ToLower(kind)]; ok && len(paths) == 0 {
		return "", "" // no role runs code there
	} else if how := own.path(kind); how != "" {
		return verbRunCode, how
	}
	if r.cond == nil {
		if !r.perms.allows(opRoleAssignmentWrite) {
			return "", ""
		}
		if kind == kindUAI {
			return verbGrant, ""
		}
		return verbRunCode, "grant itself a role that does"
	}
	for _, g := range r.cond.roles {
		v, how := g.useOf(kind)
		switch {
		case v == "":
			continue
		case kind == kindUAI && v == verbAttach:
			return verbAttach, "" // granting itself the right to assign still needs compute
		case kind == kindUAI:
			return verbGrant, ""
		}
		return verbRunCode, "grant itself " + g.name + ", then " + how
	}
	return "", ""
}

// usesSome reports whether useOf can give the role a verb for some kind of resource: it runs code on some type,
// attaches or federates identities, grants, or writes something (the path of a type with no listed one is its
// "/write"). It may say yes for a role that uses nothing; it never says no for one that uses something.
func (r *roleInfo) usesSome() bool {
	if r.cond != nil || r.class >= classLateral || r.perms.allowsAny(lateralOps, lateralDataOps) ||
		r.perms.allows(opRoleAssignmentWrite) {
		return true
	}
	for _, paths := range codePaths {
		for _, c := range paths {
			if r.perms.allowsAll(c.ops, c.dataOps) {
				return true
			}
		}
	}
	for _, a := range r.perms.actions {
		if mayMatchWrite(a) {
			return true
		}
	}
	return false
}

// mayMatchWrite reports whether an action pattern can match some "<type>/write": what follows its last wildcard (or
// the whole pattern, without one) ends with "/write" or is the end of it.
func mayMatchWrite(pattern string) bool {
	const write = "/write"
	p := strings.ToLower(pattern)
	star := strings.LastIndexByte(p, '*')
	if star < 0 {
		return strings.HasSuffix(p, write)
	}
	tail := p[star+1:]
	return strings.HasSuffix(tail, write) || strings.HasSuffix(write, tail)
}

// withoutGrant is p less the right to write role assignments and role definitions.
func withoutGrant(p permissions) permissions {
	p.notActions = append(append([]string(nil), p.notActions...), opRoleAssignmentWrite, opRoleDefinitionWrite)
	return p
}

// allows reports whether the role allows op itself or can grant itself a role that does.
func (r *roleInfo) allows(op string) bool {
	if r.cond == nil {
		return r.perms.allows(op) || r.perms.allows(opRoleAssignmentWrite)
	}
	if withoutGrant(r.perms).allows(op) {
		return true
	}
	for _, g := range r.cond.roles {
		if g.allows(op) {
			return true
		}
	}
	return false
}

// writesCompute reports whether the role lets its holder write some compute that can carry an identity, itself or
// by granting itself a role that does.
func (r *roleInfo) writesCompute() bool {
	if r.computes == 0 { // judged once per role: it is asked for every role assignment of the tenant
		r.computes = -1
		for _, op := range computeWriteOps {
			if r.allows(op) {
				r.computes = 1
				break
			}
		}
	}
	return r.computes > 0
}

// grantCondition is what an ABAC condition on a role assignment lets its holder grant.
type grantCondition struct {
	roles []*roleInfo // the roles it may grant
	text  string      // how evidence names the limit
}

// roleDefCondition finds the role definition clause of a delegation condition: which role definitions a new role
// assignment may (GuidEquals) or may not (GuidNotEquals) name.
var roleDefCondition = regexp.MustCompile(`(?i)@Request\[\s*Microsoft\.Authorization/roleAssignments:RoleDefinitionId\s*\]\s*` +
	`(?:ForAnyOfAnyValues:|ForAnyOfAllValues:)?(GuidEquals|GuidNotEquals)\s*\{([^}]*)\}`)

var guidPattern = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// privilegedAdminRoles are the built-in roles that grant access: Owner, User Access Administrator and Role Based
// Access Control Administrator. A condition that excludes them all is Microsoft's "all roles except privileged
// administrator roles" delegation.
var privilegedAdminRoles = []string{
	"8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
	"18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
	"f58310d9-a9f6-439a-9e8d-f62e7b41a168",
}

const roleIDContributor = "b24988ac-6180-42a0-ab88-20f7382dd24c"

// assigned resolves the role of an assignment, judging a role that writes role assignments under a condition by
// the roles the condition lets it grant. An assignment without a condition, or with one miscope cannot read, gets
// the role as defined, except that an unread condition on a granting role is judged as contributor (it limits
// something, but what is unknown).
func (e *engine) assigned(defID, condition string) *roleInfo {
	info := e.role(defID)
	if condition == "" || !info.resolved || info.class != classGrant {
		return info
	}
	k := data.Key(data.LastSegment(defID)) + "\x00" + condition
	if c, ok := e.roles[k]; ok {
		return c
	}
	// The roles a condition names are resolved first: they take their own places in roleList.
	cond := e.parseGrantCondition(condition)
	if cond == nil {
		cond = &grantCondition{roles: []*roleInfo{e.role(roleIDContributor)},
			text: "its condition names no roles miscope can read, so it is judged as contributor"}
	}
	c := &roleInfo{idx: len(e.roleList), name: info.name, custom: info.custom, perms: info.perms, resolved: true, cond: cond}
	c.class = withoutGrant(c.perms).class()
	for _, g := range c.cond.roles {
		c.class = max(c.class, g.class)
	}
	c.mayUse = c.usesSome()
	e.roleList = append(e.roleList, c)
	e.roles[k] = c
	return c
}

// parseGrantCondition reads which roles a delegation condition allows to be granted, or nil when it names none.
func (e *engine) parseGrantCondition(condition string) *grantCondition {
	m := roleDefCondition.FindAllStringSubmatch(condition, -1)
	if len(m) == 0 {
		return nil
	}
	// Every clause must hold for a write, so the roles allowed are those every clause allows; in practice a
	// condition has one clause for writes.
	op, ids := m[0][1], guidPattern.FindAllString(m[0][2], -1)
	c := &grantCondition{}
	if strings.EqualFold(op, "GuidEquals") {
		names := make([]string, 0, len(ids))
		for _, id := range ids {
			g := e.role(id)
			if !g.resolved {
				// A role nobody holds may not have been read: judge it as contributor, as an unread condition is.
				g = e.role(roleIDContributor)
				names = append(names, "unresolved role "+id+" (judged as contributor)")
			} else {
				names = append(names, g.name)
			}
			c.roles = append(c.roles, g)
		}
		c.text = "may grant only " + strings.Join(names, ", ")
		return c
	}
	// GuidNotEquals: every role but those listed.
	excluded := map[string]bool{}
	for _, id := range ids {
		excluded[data.Key(id)] = true
	}
	c.roles = append(c.roles, e.role(roleIDContributor))
	for _, id := range privilegedAdminRoles {
		if !excluded[id] {
			c.roles = append(c.roles, e.role(id))
		}
	}
	if len(c.roles) == 1 {
		c.text = "may grant every role but Owner, User Access Administrator and Role Based Access Control Administrator"
	} else {
		c.text = "may grant every role but " + strings.Join(ids, ", ")
	}
	return c
}

// exposer is a role assignment at some scope that lets its principal use identities attached below. Exposers are
// kept in a table every worker shares (scopeTable), so that each is worked out once per scope and resource type.
type exposer struct {
	*scopeEntry
	// What each identity below compares, copied from the entry so that the comparison reads one array.
	level, entra int32
	class        azureClass
	verb         uint16 // index into scopeTable.verbs
}

// maxExposureEvidence bounds MI-EXPOSED's evidence; the rest is counted.
const maxExposureEvidence = 10

// exposed is MI-EXPOSED: principals less privileged than the identity that can run code on its resources, attach it
// elsewhere or federate to it. It is the hot path on large tenants (a subscription's contributors expose every
// identity in it), so per identity it only compares numbers and writes the evidence it shows.
func (e *engine) exposed(i int, attached []*data.Resource) {
	id := &e.x.Tenant.Identities[i]
	v := &e.verdicts[i]
	level := v.reach.Level
	if level <= levelRead {
		return // nothing to gain by using it
	}
	targets := e.targets[:0]
	defer func() { e.targets = targets[:0] }()
	for _, r := range attached {
		targets = append(targets, exposureTarget{r.ID, r.Type, r})
	}
	if id.Kind == data.UserAssigned && id.ResourceID != "" {
		targets = append(targets, exposureTarget{id.ResourceID, kindUAI, nil})
	}
	items := v.items
	entra := e.principalReach[id.ID].entra
	lines := e.lines[:0]
	defer func() { e.lines = lines[:0] }()
	// count is of distinct assignments, as the title says and the fix deletes them; one assignment above several of
	// the identity's resources is shown under each (total lines), counted once.
	count, total, shown, latent := 0, 0, 0, 0
	// Only where several targets can share an assignment is it looked for among those counted: by its entry's number
	// in a per-worker array of marks, one epoch per identity (the map holds the rare entries that have no number).
	multi := len(targets) > 1
	if multi {
		if e.epoch++; e.epoch == 0 { // wrapped: old marks could match again
			clear(e.marks)
			e.epoch = 1
		}
		if len(e.counted) > 0 {
			clear(e.counted)
		}
	}
	for _, t := range targets {
		headed := false
		own, chain := e.exposerChain(t.id, t.kind)
		for n := -1; n < len(chain); n++ {
			s, xs := t.id, own
			if n >= 0 {
				s, xs = chain[n].scope, chain[n].exposers
			}
			need, needKnown := classNone, false
			for i := range xs {
				x := &xs[i]
				if int(x.level) >= level { // principals below the identity's reach all gain from it; the others may not
					if !needKnown {
						need, needKnown = e.need(s, items), true
					}
					if x.entra >= levelGraphTier0 || entra <= x.entra && x.class >= need {
						continue // covered: it holds as much already
					}
					if pid := x.a.PrincipalID; len(pid) == len(id.ID) && strings.EqualFold(pid, id.ID) {
						continue // the identity itself
					}
				}
				if !multi || e.firstCount(x) {
					count++
				}
				total++
				if x.verb == e.scopes.latent {
					latent++
				}
				if shown < maxExposureEvidence {
					if !headed {
						lines, headed = append(lines, e.newEvidence(t.head())), true
					}
					ev := e.exposerEvidence(x, s)
					lines = append(lines, ev) // shared by every identity below the scope: no copy
					shown++
				}
			}
		}
	}
	if count == 0 {
		return
	}
	if total > shown {
		lines = append(lines, e.more(total-shown))
	}
	// The right to assign an identity without compute to attach it to is latent: low, whatever the identity can do.
	sev := max(v.privilege, Low)
	title := fmt.Sprintf("%s let%s less privileged principals use %s (%s)",
		data.Plural(count, "role assignment", "role assignments"), verbS(count), quote(e.identityName(id)), v.reach.Label)
	if latent == total {
		sev = Low
		title = fmt.Sprintf("%s could let principals attach %s (%s) once they can write compute (latent)",
			data.Plural(count, "role assignment", "role assignments"), quote(e.identityName(id)), v.reach.Label)
	}
	r, _ := RuleByID(RuleExposed)
	e.findings = append(e.findings, Finding{
		RuleID:     RuleExposed,
		Severity:   sev,
		IdentityID: id.ID,
		Title:      title,
		Evidence:   slices.Clone(lines), // as long as it is: a finding is kept for the whole session
		Remediation: "Remove these principals' roles on the identity's resources (or the resource group or " +
			"subscription above them), or move the identity to a resource that only equally trusted principals " +
			"control. Managed Identity Operator and Managed Identity Contributor on a user-assigned identity belong " +
			"to its owners only. " + noteARM,
		References: r.References,
	})
}

// firstCount reports whether the identity being assessed meets x's assignment for the first time, and marks it.
func (e *engine) firstCount(x *exposer) bool {
	if x.n < 0 {
		if e.counted == nil {
			e.counted = make(map[*data.RoleAssignment]bool)
		}
		seen := e.counted[x.a]
		e.counted[x.a] = true
		return !seen
	}
	if int(x.n) >= len(e.marks) {
		e.marks = append(e.marks, make([]uint32, int(e.scopes.numbered.Load())-len(e.marks))...)
	}
	seen := e.marks[x.n] == e.epoch
	e.marks[x.n] = e.epoch
	return !seen
}

// exposureTarget is where principals can use an identity: a resource it is attached to, or (res nil, kind kindUAI)
// its own user-assigned identity resource.
type exposureTarget struct {
	id, kind string
	res      *data.Resource
}

// head is the evidence that heads the target's principals, written only when shown.
func (t exposureTarget) head() Evidence {
	if t.res == nil {
		return resourceEvidence(t.id, fmt.Sprintf("on the user-assigned identity resource %s:", t.id))
	}
	r := t.res
	return resourceEvidence(r.ID, fmt.Sprintf("on %s %s (%s):", r.Type, quote(r.Name), r.ID))
}

// heldRole is an Azure role of an identity worth covering: data access and above.
type heldRole struct {
	scope string
	class azureClass
}

// need is the class one role at scope must have to cover every Azure role of an identity (its items); beyond any
// class when the scope is not above them all.
func (e *engine) need(scope string, items []heldRole) azureClass {
	need := classNone
	for _, it := range items {
		if !e.coversScope(scope, it.scope) {
			return classGrant + 1
		}
		need = max(need, it.class)
	}
	return need
}

// kindUAI marks the probe for the user-assigned identity resource itself.
const kindUAI = "#userAssignedIdentity"
