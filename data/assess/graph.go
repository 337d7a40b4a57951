package assess

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/miscope/miscope/data"
)

// The privilege graph: who can become whom. A principal takes over a managed identity when it can run code where the
// identity's token can be had, attach the identity to compute it controls, or federate to it (MI-EXPOSED's code
// paths); it gains a group's roles when it is a member or can add itself (GroupMember.ReadWrite.All and the like on
// groups that are not role-assignable; RoleManagement.ReadWrite.Directory or Privileged Role Administrator on those
// that are). Each identity's strongest outcome is the highest reach of anything it can become, and its path the
// shortest chain of such steps to it.
//
// It is computed backwards, as BloodHound's shortest paths are, but in memory: from the principals holding the highest
// reach, breadth first to everyone who can become them; then from those holding the next reach, skipping everyone
// already reached; and so on down. Who can use the identities below a scope is listed once per scope and resource
// type, and everyone on that list is reached the first time, so the whole walk reads each role assignment a few
// times at most, not once per identity.

// stepKind is how one principal becomes the next on a path.
type stepKind uint8

const (
	stepMember stepKind = iota + 1 // a member of the group
	stepJoin                       // can add itself to the group
	stepUse                        // can run code as, attach or federate to the identity
	stepOwn                        // owns the group (adds itself) or the application or service principal (adds a credential)
)

// step is one edge of a path: how its node becomes the next.
type step struct {
	kind   stepKind
	a      *data.RoleAssignment // stepUse: the assignment that allows it
	role   *roleInfo            // stepUse: its role, as judged with its condition
	on     string               // stepUse: the resource (kindUAI: the identity's own resource) where it acts
	kindOf string               // stepUse: the resource type
	what   string               // stepJoin: the permission or role that writes the group's members
	who    *groupWriter         // stepJoin: the grant that allows it
	owns   *data.Ownership      // stepOwn: what it owns
}

// pathNode is one principal in the graph.
type pathNode struct {
	id    string             // principal object id, as the tenant spells it
	ptype data.PrincipalType // from the first assignment that names it
	ident int32              // index in the tenant's identities, or -1
	own   int32              // the reach level it holds itself
	level int32              // the reach level it gets to, itself or along its path
	next  int32              // the principal it becomes next on its path; -1 where the path ends
	seen  bool
	step  step
	// round and layer say when it was reached: in which walk (one per level) and how many steps from its start.
	round, layer int32
}

// groupWriter is a principal that can change the members of groups.
type groupWriter struct {
	principal      string
	what           string // the permission or role, as evidence names it
	roleAssignable bool   // also role-assignable groups
	id, roleID     string // the assignment's id and the permission or role template id, for evidence
	via            EvidenceKind
}

// Graph permissions and Entra roles that write group members. Microsoft Graph refuses group writes on
// role-assignable groups to all but RoleManagement.ReadWrite.Directory and Privileged Role Administrator (and Global
// Administrator), so the others reach ordinary groups only.
var (
	groupWritePermissions = map[string]bool{ // app role ids of Microsoft Graph
		"dbaae8cf-10b5-4b86-a4a1-f871c94c6695": false, // GroupMember.ReadWrite.All
		"62a82d76-70ea-41e2-9197-370581804d09": false, // Group.ReadWrite.All
		"19dbc75e-c2e2-444c-a770-ec69d8559fc7": false, // Directory.ReadWrite.All
		"9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8": true,  // RoleManagement.ReadWrite.Directory
	}
	groupWritePermissionNames = map[string]bool{
		"groupmember.readwrite.all": false, "group.readwrite.all": false, "directory.readwrite.all": false,
		"rolemanagement.readwrite.directory": true,
	}
	groupWriteRoles = map[string]bool{ // Entra role template ids, tenant-wide
		"62e90394-69f5-4237-9190-012177145e10": true,  // Global Administrator
		"e8611ab8-c189-46e8-94e1-60213ab1f814": true,  // Privileged Role Administrator
		"fdd7a751-b60b-444a-984c-02652fe8fa1c": false, // Groups Administrator
		"fe930be7-5e62-47db-91af-98c3a49a38b1": false, // User Administrator
		"9360feb5-f418-4baa-8175-e2a00bac4301": false, // Directory Writers
	}
)

type pathGraph struct {
	e          *engine
	nodes      []pathNode
	byID       map[string]int32
	kinds      map[string]uint64 // resource type -> its bit in done
	done       map[string]uint64 // scope -> the resource types whose users there have all been reached
	scopeUsers map[string][]scopeUser
	useful     []int8 // by role index: 1 when the role can use some identity, -1 when not, 0 unknown
	writers    []groupWriter
	joined     [2]bool // whether the writers of ordinary [0] and role-assignable [1] groups have been reached
	queue      []int32
	round      int32 // the walk under way, one per level
	layer      int32 // how many steps from its start the principals being expanded are
}

// paths computes every identity's strongest outcome and its path, raises the verdicts of identities that reach
// further than they hold, and reports those paths (MI-PATH).
func (e *engine) paths() {
	ids := e.x.Tenant.Identities
	g := &pathGraph{e: e, byID: make(map[string]int32, len(ids)+len(e.principalReach)/4), kinds: map[string]uint64{},
		done: map[string]uint64{}, scopeUsers: map[string][]scopeUser{}}
	g.nodes = make([]pathNode, len(ids), len(ids)+len(e.principalReach)/4)
	for i := range ids {
		g.nodes[i] = pathNode{id: ids[i].ID, ident: int32(i), own: int32(e.verdicts[i].reach.Level), next: -1}
		g.byID[ids[i].ID] = int32(i)
	}
	// Other principals that hold something worth reaching, in a fixed order so that paths are the same every time.
	var others []string
	for id, p := range e.principalReach {
		if levelSeverity(p.level) >= Medium {
			if _, ok := g.byID[id]; !ok {
				others = append(others, id)
			}
		}
	}
	slices.Sort(others)
	for _, id := range others {
		g.node(id, "")
	}
	g.groupWriters()

	// Sources by level, highest first. Paths are followed to outcomes graded medium or above: one more blob
	// reader changes no verdict, and most identities hold no more than that.
	var levels []int32
	byLevel := map[int32][]int32{}
	for i := range g.nodes {
		if l := g.nodes[i].own; levelSeverity(l) >= Medium {
			if len(byLevel[l]) == 0 {
				levels = append(levels, l)
			}
			byLevel[l] = append(byLevel[l], int32(i))
		}
	}
	slices.Sort(levels)
	slices.Reverse(levels)
	// Layer by layer, each layer in the order of the principals' ids, and ties between equally short paths broken by
	// ids: the path chosen depends on the tenant, never on the order it was read in.
	for _, l := range levels {
		g.round++
		frontier := g.queue[:0]
		for _, n := range byLevel[l] {
			if nd := &g.nodes[n]; !nd.seen {
				nd.seen, nd.level, nd.round, nd.layer = true, l, g.round, 0
				frontier = append(frontier, n)
			}
		}
		for layer := int32(0); len(frontier) > 0; layer++ {
			g.sortByID(frontier)
			g.queue, g.layer = nil, layer
			for _, t := range frontier {
				g.expand(t)
			}
			frontier = g.queue
		}
		g.queue = frontier[:0]
	}
	g.report()
}

// node returns the node of a principal, adding it when it is new.
func (g *pathGraph) node(id string, t data.PrincipalType) int32 {
	if n, ok := g.byID[id]; ok {
		if g.nodes[n].ptype == "" {
			g.nodes[n].ptype = t
		}
		return n
	}
	if t == "" { // not named by an assignment here: what the tenant says it is, so that a group is expanded as one
		if p, ok := g.e.x.Principal(id); ok {
			t = p.Type
		} else if own := g.e.x.OwnersOf(id); len(own) > 0 && own[0].ObjectType != data.OwnedGroup {
			t = data.PrincipalServicePrincipal // an owned application's or service principal's
		}
	}
	n := int32(len(g.nodes))
	g.nodes = append(g.nodes, pathNode{id: id, ptype: t, ident: -1, own: g.e.principalReach[id].level, next: -1})
	g.byID[id] = n
	return n
}

// reach marks p as reaching what t reaches, one step before it.
func (g *pathGraph) reach(p, t int32, s step) {
	nd := &g.nodes[p]
	if nd.seen {
		// Reached again in the same layer: keep the way with the smaller ids, whatever was read first.
		if nd.round == g.round && nd.layer == g.layer+1 && g.before(t, s, nd.next, nd.step) {
			nd.next, nd.step = t, s
		}
		return
	}
	nd.seen, nd.level, nd.next, nd.step = true, g.nodes[t].level, t, s
	nd.round, nd.layer = g.round, g.layer+1
	g.queue = append(g.queue, p)
}

// before orders two ways of taking a step by the ids they name.
func (g *pathGraph) before(t int32, s step, u int32, r step) bool {
	if c := compareFold(g.nodes[t].id, g.nodes[u].id); c != 0 {
		return c < 0
	}
	if s.kind != r.kind {
		return s.kind < r.kind
	}
	idOf := func(s step) (string, string) {
		if s.a != nil {
			return cmp.Or(s.a.ID, s.a.Scope+"/"+s.a.RoleDefinitionID), s.on
		}
		if s.who != nil {
			return s.who.principal + "/" + s.who.roleID, ""
		}
		if s.owns != nil {
			return s.owns.ObjectID, ""
		}
		return "", ""
	}
	sa, so := idOf(s)
	ra, ro := idOf(r)
	return cmp.Or(compareFold(sa, ra), compareFold(so, ro)) < 0
}

// sortByID orders nodes by their principal ids, as Key compares them, groups whose settings were not read last: a
// path through a group known to be open to group writers is shown before one that assumes it.
func (g *pathGraph) sortByID(ns []int32) {
	unread := func(n int32) bool {
		_, read := g.e.x.Group(g.nodes[n].id)
		return !read && g.nodes[n].ptype == data.PrincipalGroup
	}
	slices.SortFunc(ns, func(a, b int32) int {
		if ua, ub := unread(a), unread(b); ua != ub {
			if ua {
				return 1
			}
			return -1
		}
		return compareFold(g.nodes[a].id, g.nodes[b].id)
	})
}

// expand reaches everyone who can become t.
func (g *pathGraph) expand(t int32) {
	x := g.e.x
	nd := &g.nodes[t]
	// Owners first: an owner of a group adds itself to it, an owner of an application or service principal adds a
	// credential to it and signs in as it (BloodHound's AZOwns, then AZAddMembers or AZAddSecret).
	for _, o := range x.OwnersOf(nd.id) {
		owner := o.OwnerID
		if id, ok := x.Identity(owner); ok {
			owner = id.ID // the node of an identity is named as the identity list spells it
		}
		g.reach(g.node(owner, data.PrincipalServicePrincipal), t, step{kind: stepOwn, owns: o})
		nd = &g.nodes[t] // node may have grown the slice
	}
	if nd.ident >= 0 {
		id := &x.Tenant.Identities[nd.ident]
		attached := x.AttachedTo(id)
		if len(attached) > 1 {
			attached = slices.Clone(attached)
			slices.SortFunc(attached, func(a, b *data.Resource) int { return compareFold(a.ID, b.ID) })
		}
		for _, r := range attached {
			g.users(r.ID, r.Type, t)
		}
		if id.Kind == data.UserAssigned && id.ResourceID != "" {
			g.users(id.ResourceID, kindUAI, t)
		}
		return
	}
	known, roleAssignable := g.group(t)
	if !known {
		return // a user or application: what can take it over is not read
	}
	for _, m := range x.Members(nd.id) {
		g.reach(g.node(m, data.PrincipalServicePrincipal), t, step{kind: stepMember})
	}
	ra := 0
	if roleAssignable {
		ra = 1
	}
	if g.joined[ra] {
		return
	}
	g.joined[ra] = true
	for i := range g.writers {
		w := &g.writers[i]
		if roleAssignable && !w.roleAssignable {
			continue
		}
		g.reach(g.node(w.principal, ""), t, step{kind: stepJoin, what: w.what, who: w})
	}
}

// group reports whether node n is a group and whether it is role-assignable. A group that holds Azure roles but was
// not read itself counts as an ordinary group: groups that hold Azure roles rarely are role-assignable, and the
// evidence says that it was not read.
func (g *pathGraph) group(n int32) (known, roleAssignable bool) {
	nd := &g.nodes[n]
	if grp, ok := g.e.x.Group(nd.id); ok {
		return true, grp.RoleAssignable
	}
	return nd.ptype == data.PrincipalGroup, false
}

// users reaches every principal whose role at a scope at or above the resource lets it use the identities of a
// resource of that kind there; each scope and kind once.
func (g *pathGraph) users(resource, kind string, t int32) {
	bit, ok := g.kinds[kind]
	if !ok {
		bit = uint64(1) << min(len(g.kinds), 63) // past 63 kinds, they share a bit and the last is re-walked
		g.kinds[kind] = bit
	}
	visit := func(s string) {
		if g.done[s]&bit != 0 {
			return
		}
		g.done[s] |= bit
		for _, u := range g.usersAt(s) {
			verb := g.e.verbOf(u.role, kind)
			if verb == "" || verb == verbAttach && !g.e.writesCompute[u.a.PrincipalID] {
				continue
			}
			g.reach(g.node(u.a.PrincipalID, u.a.PrincipalType), t, step{kind: stepUse, a: u.a, role: u.role, on: resource,
				kindOf: kind})
		}
	}
	// The scopes above a resource group are the same for every resource in it: walk the group's list, kept once,
	// rather than a new list per resource.
	rg := resourceGroupScope(resource)
	if rg == "" || len(rg) == len(resource) || strings.Count(resource[len(rg):], "/") > 4 {
		for _, s := range g.e.scopesAbove(resource) {
			visit(s)
		}
		return
	}
	visit(resource)
	for _, s := range g.e.scopesAbove(rg) {
		visit(s)
	}
}

// scopeUser is a role assignment that lets its principal use some identity below its scope.
type scopeUser struct {
	a    *data.RoleAssignment
	role *roleInfo
}

// usersAt lists the role assignments made at scope whose role can use an identity on some kind of resource: most
// assignments (Reader, data roles) cannot, and are passed over once per scope rather than once per kind.
func (g *pathGraph) usersAt(scope string) []scopeUser {
	if us, ok := g.scopeUsers[scope]; ok {
		return us
	}
	var us []scopeUser
	for _, a := range g.e.x.AssignmentsAt(scope) {
		info := g.e.assigned(a.RoleDefinitionID, a.Condition)
		if info.resolved && g.usesAny(info) {
			us = append(us, scopeUser{a, info})
		}
	}
	g.scopeUsers[scope] = us
	return us
}

// usesAny reports whether a role can use an identity on any kind of resource: it writes something, runs code, logs
// in, or takes a user-assigned identity.
func (g *pathGraph) usesAny(r *roleInfo) bool {
	for len(g.useful) <= r.idx {
		g.useful = append(g.useful, 0)
	}
	if v := g.useful[r.idx]; v != 0 {
		return v > 0
	}
	use := r.class >= classLateral || r.cond != nil || r.perms.allowsAny(lateralOps, lateralDataOps)
	if !use {
		for _, paths := range codePaths {
			for _, c := range paths {
				use = use || r.perms.allowsAll(c.ops, c.dataOps)
			}
		}
	}
	if !use { // the fallback "<type>/write" of types with no listed path
		for _, a := range r.perms.actions {
			use = use || strings.HasSuffix(strings.ToLower(a), "/write") || strings.HasSuffix(a, "*")
		}
	}
	g.useful[r.idx] = -1
	if use {
		g.useful[r.idx] = 1
	}
	return use
}

// verbOf is exposes through the per-kind slots exposure keeps, without building a key.
func (e *engine) verbOf(info *roleInfo, kind string) string {
	verbs := e.kindVerbs[kind]
	for len(verbs) <= info.idx {
		verbs = append(verbs, verbSlot{})
	}
	if !verbs[info.idx].known {
		verbs[info.idx] = verbSlot{true, e.exposes(info, kind)}
	}
	e.kindVerbs[kind] = verbs
	return verbs[info.idx].verb
}

// groupWriters lists, in the tenant's order, the principals that can change group members.
func (g *pathGraph) groupWriters() {
	t := g.e.x.Tenant
	for _, a := range t.AppRoleAssignments {
		if !strings.EqualFold(a.ResourceAppID, data.MicrosoftGraphAppID) {
			continue
		}
		ra, ok := groupWritePermissions[data.Key(a.AppRoleID)]
		if !ok {
			ra, ok = groupWritePermissionNames[strings.ToLower(a.Permission)]
		}
		if !ok {
			continue
		}
		what := cmp.Or(a.Permission, a.AppRoleID)
		g.writers = append(g.writers, groupWriter{principal: a.PrincipalID, what: what, roleAssignable: ra, id: a.ID,
			roleID: a.AppRoleID, via: EvidenceAppRoleAssignment})
	}
	for _, a := range t.DirectoryRoleAssignments {
		ra, ok := groupWriteRoles[data.Key(a.RoleTemplateID)]
		if !ok || a.DirectoryScopeID != "" && a.DirectoryScopeID != "/" {
			continue
		}
		what := g.e.x.DirectoryRoleName(a.RoleTemplateID)
		if name, found := EntraRoleTemplateName(a.RoleTemplateID); found && (what == "" || data.SameID(what, a.RoleTemplateID)) {
			what = name
		}
		via := EvidenceDirectoryRoleAssignment
		if a.State == data.Eligible {
			what += " (eligible)"
			via = EvidenceDirectoryRoleEligibility
		}
		g.writers = append(g.writers, groupWriter{principal: a.PrincipalID, what: what, roleAssignable: ra, id: a.ID,
			roleID: a.RoleTemplateID, via: via})
	}
}

// levelSeverity grades a reach level as the privilege rules grade what gives it.
func levelSeverity(l int32) Severity {
	switch {
	case l >= levelGraphTier0:
		return Critical
	case l == levelDirWriter || l == levelAllDataWrite || l == levelAllDataRead:
		return High
	case l < 10:
		return Info
	}
	class := azureClass(l % 10)
	scope := levelScope(l)
	if scope == data.ScopeResource {
		return Low
	}
	if s, ok := azureSeverity(class, scope, false); ok {
		return s
	}
	return Low
}

// report turns each identity's path into its verdict and, when the path reaches a grade its own privileges do not,
// an MI-PATH finding.
func (g *pathGraph) report() {
	e := g.e
	r, _ := RuleByID(RulePath)
	texts := make(map[int32]*Evidence) // one item per node on any path: identities downstream share them
	for i := range e.x.Tenant.Identities {
		nd := &g.nodes[i]
		if nd.next < 0 || !g.counts(nd) {
			continue
		}
		v := &e.verdicts[i]
		var chain []int32
		for n := int32(i); n >= 0; n = g.nodes[n].next {
			chain = append(chain, n)
		}
		end := chain[len(chain)-1]
		label := g.label(end)
		lines := make([]*Evidence, 0, len(chain))
		for _, n := range chain[:len(chain)-1] {
			ev, ok := texts[n]
			if !ok {
				ev = g.stepEvidence(n, e.texts.line(g.stepText(n)))
				texts[n] = ev
			}
			lines = append(lines, ev)
		}
		ev, ok := texts[end]
		if !ok {
			nd := &g.nodes[end]
			ev = &Evidence{Text: e.texts.line(g.holdsText(end)), Kind: EvidencePrincipal, ID: nd.id, PrincipalID: nd.id}
			texts[end] = ev
		}
		lines = append(lines, ev)
		steps := len(chain) - 1
		v.reach = Reach{Label: label, Level: int(nd.level), Detail: e.texts.line(g.pathDetail(chain))}
		sev := levelSeverity(nd.level)
		v.privilege = max(v.privilege, sev)
		v.entra = max(v.entra, nd.level)
		id := &e.x.Tenant.Identities[i]
		e.findings = append(e.findings, Finding{
			RuleID:     RulePath,
			Severity:   sev,
			IdentityID: id.ID,
			Title: fmt.Sprintf("%s reaches %s in %s, %s%s", quote(e.identityName(id)), label, data.Plural(steps, "step", "steps"),
				firstWord(steps), g.firstStep(int32(i))),
			Evidence: lines,
			Remediation: "Break the path at the step you can best spare: remove the permission or role that lets the " +
				"identity take its first step (a group-writing permission, a role on another identity's resource, a " +
				"group membership), or remove the roles of the group or identity it leads to. Until then, treat the " +
				"identity as what it reaches. " + armNote + " " + tokenCacheNote,
			References: r.References,
		})
	}
}

// counts reports whether a node's path says more than what it holds itself: it reaches a higher level, graded at
// least as severe, and the node is not tier 0 already (a tier-0 identity can make itself anything; a path adds
// nothing to that verdict). A subscription owner whose path ends in one mailbox permission keeps its own verdict.
func (g *pathGraph) counts(nd *pathNode) bool {
	if nd.level <= nd.own || nd.own >= levelGraphTier0 {
		return false
	}
	return levelSeverity(nd.level) >= levelSeverity(nd.own)
}

// label names what a node's path ends in.
func (g *pathGraph) label(n int32) string {
	nd := &g.nodes[n]
	if nd.ident >= 0 {
		return g.e.verdicts[nd.ident].reach.Label
	}
	switch l := int(nd.own); {
	case l >= levelTenantAdm:
		return LabelTenantAdmin
	case l >= levelGraphTier0:
		return LabelGraphTier0
	case l == levelDirWriter:
		return LabelDirectoryWriter
	case l == levelAllDataWrite:
		return LabelAllDataWrite
	case l == levelAllDataRead:
		return LabelAllDataRead
	case l == levelDirReader:
		return LabelDirectoryReader
	}
	_, label := azureReach(azureClass(nd.own%10), levelScope(nd.own))
	return label
}

// subject names a node as evidence does.
func (g *pathGraph) subject(n int32) string {
	nd := &g.nodes[n]
	if grp, ok := g.e.x.Group(nd.id); ok {
		return "group " + quote(cmp.Or(grp.DisplayName, "unnamed")) + " (" + nd.id + ")"
	}
	return g.e.principalText(nd.id, nd.ptype)
}

// stepText says how node n becomes the next on its path.
// stepEvidence is the step node n takes, with the ids of what allows it: the role assignment it uses, the grant that
// lets it write a group's members, or the group it is a member of.
func (g *pathGraph) stepEvidence(n int32, text string) *Evidence {
	nd := &g.nodes[n]
	ev := &Evidence{Text: text, Kind: EvidencePathStep, PrincipalID: nd.id}
	switch s := nd.step; s.kind {
	case stepMember:
		ev.ID, ev.Via = g.nodes[nd.next].id, EvidenceGroupMembership
	case stepJoin:
		if s.who != nil {
			ev.ID, ev.RoleID, ev.Via = s.who.id, s.who.roleID, s.who.via
		}
		ev.ResourceID = g.nodes[nd.next].id
	case stepUse:
		if s.a != nil {
			ev.ID, ev.RoleID, ev.Scope = s.a.ID, data.LastSegment(s.a.RoleDefinitionID), s.a.Scope
			ev.Via = EvidenceAzureRoleAssignment
		}
		ev.ResourceID = s.on
	case stepOwn:
		ev.ID, ev.Via, ev.ResourceID = s.owns.ObjectID, ownerKind(s.owns.ObjectType), g.nodes[nd.next].id
	}
	return ev
}

// ownerKind is the evidence kind of an ownership of an object of type t.
func ownerKind(t data.OwnedType) EvidenceKind {
	switch t {
	case data.OwnedGroup:
		return EvidenceGroupOwner
	case data.OwnedApplication:
		return EvidenceApplicationOwner
	}
	return EvidenceServicePrincipalOwner
}

func (g *pathGraph) stepText(n int32) string {
	nd := &g.nodes[n]
	next := g.subject(nd.next)
	who := g.subject(n)
	switch s := nd.step; s.kind {
	case stepMember:
		return who + " is a member of " + next
	case stepJoin:
		kind := "which is not role-assignable"
		if _, read := g.e.x.Group(g.nodes[nd.next].id); !read {
			kind = "whose settings were not read (taken as not role-assignable)"
		} else if _, ra := g.group(nd.next); ra {
			kind = "a role-assignable group"
		}
		return fmt.Sprintf("%s holds %s, so it can add itself to %s, %s", who, s.what, next, kind)
	case stepOwn:
		switch o := s.owns; o.ObjectType {
		case data.OwnedGroup:
			return who + " owns " + next + ", so it can add itself to it"
		case data.OwnedApplication:
			return fmt.Sprintf("%s owns application %s (%s), so it can add a credential to it and sign in as %s", who,
				quote(cmp.Or(o.DisplayName, "unnamed")), o.ObjectID, next)
		}
		return who + " owns " + next + ", so it can add a credential to it and sign in as it"
	case stepUse:
		e := g.e
		held := who + " holds " + s.role.name + " at " + e.scopeText(s.a.Scope)
		if s.role.cond != nil && s.a.Condition != "" {
			held += " (its condition: " + s.role.cond.text + ")"
		}
		verb, how := s.role.useOf(s.kindOf)
		on := "on " + e.scopeText(s.on)
		switch verb {
		case verbFederate:
			return held + ", so it can add a federated credential to " + next
		case verbAttach:
			return held + " and writes compute, so it can attach " + next + " to compute it controls"
		case verbGrant:
			return held + ", so it can grant itself the right to use " + next
		}
		return fmt.Sprintf("%s, so it can run code %s (%s) as %s", held, on, how, next)
	}
	return who
}

// holdsText says what the node a path ends in holds.
func (g *pathGraph) holdsText(n int32) string {
	nd := &g.nodes[n]
	if nd.ident >= 0 {
		r := g.e.verdicts[nd.ident].reach
		return g.subject(n) + " reaches " + r.Label + ": " + strings.TrimSuffix(r.Detail, ".")
	}
	if known, _ := g.group(n); known {
		_, holds := g.e.groupPrivilege(nd.id)
		if len(holds) > 0 {
			return g.subject(n) + " holds " + strings.Join(holds, "; ")
		}
	}
	return g.subject(n) + " reaches " + g.label(n)
}

// pathDetail is the reach of an identity whose path counts, in one sentence that follows its label ("tenant admin:
// through a path of 2 steps (MI-PATH): first by adding itself to group "ops" with GroupMember.ReadWrite.All, ending 1
// step later at managed identity "admin" (id), which holds ..."): how the identity starts, where the path ends and what
// that holds. It starts in lower case, as a sentence that continues the label; names keep their own case.
func (g *pathGraph) pathDetail(chain []int32) string {
	steps := len(chain) - 1
	end := chain[steps]
	s := fmt.Sprintf("through a path of %s (%s): %s%s", data.Plural(steps, "step", "steps"), RulePath, firstWord(steps),
		g.firstStep(chain[0]))
	if steps > 1 {
		s += fmt.Sprintf(", ending %s later at %s", data.Plural(steps-1, "step", "steps"), g.subject(end))
	}
	return s + ", which " + g.outcome(end) + "."
}

// firstWord leads the first step of a path of more than one step.
func firstWord(steps int) string {
	if steps > 1 {
		return "first "
	}
	return ""
}

// outcome says what the node a path ends in holds, as a verb phrase: what gives an identity its reach, what a group
// holds, or the reach of anything else.
func (g *pathGraph) outcome(n int32) string {
	nd := &g.nodes[n]
	if nd.ident >= 0 {
		if r := g.e.verdicts[nd.ident].reach; r.Detail != "" {
			return "holds " + strings.TrimSuffix(r.Detail, ".")
		}
	} else if known, _ := g.group(n); known {
		if _, holds := g.e.groupPrivilege(nd.id); len(holds) > 0 {
			return "holds " + strings.Join(holds, "; ")
		}
	}
	return "reaches " + g.label(n)
}

// firstStep says in a few words how an identity starts on its path ("by adding itself to group ..."), for the title
// and the reach.
func (g *pathGraph) firstStep(n int32) string {
	nd := &g.nodes[n]
	next := &g.nodes[nd.next]
	name := func() string {
		if grp, ok := g.e.x.Group(next.id); ok {
			return quote(cmp.Or(grp.DisplayName, next.id))
		}
		return quote(cmp.Or(g.e.x.PrincipalName(next.id), next.id))
	}
	switch nd.step.kind {
	case stepMember:
		return "as a member of group " + name()
	case stepJoin:
		return "by adding itself to group " + name() + " with " + nd.step.what
	case stepOwn:
		switch o := nd.step.owns; o.ObjectType {
		case data.OwnedGroup:
			return "by adding itself to group " + name() + ", which it owns"
		case data.OwnedApplication:
			return "by signing in as application " + quote(cmp.Or(o.DisplayName, next.id)) + ", which it owns"
		}
		return "by signing in as service principal " + name() + ", which it owns"
	}
	switch verb, _ := nd.step.role.useOf(nd.step.kindOf); verb {
	case verbFederate:
		return "by federating to managed identity " + name()
	case verbAttach:
		return "by attaching managed identity " + name()
	case verbGrant:
		return "by granting itself the use of managed identity " + name()
	}
	return "by running code as managed identity " + name()
}

// levelScope is the breadth of scope a reach level of an Azure role carries in its tens (5 for the root management
// group down to 2 for a resource group); a resource otherwise.
func levelScope(l int32) data.ScopeLevel {
	switch l / 10 {
	case 5:
		return data.ScopeRootManagementGroup
	case 4:
		return data.ScopeManagementGroup
	case 3:
		return data.ScopeSubscription
	case 2:
		return data.ScopeResourceGroup
	}
	return data.ScopeResource
}
