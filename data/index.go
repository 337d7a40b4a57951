package data

import (
	"cmp"
	"hash/maphash"
	"maps"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Index joins a Tenant's tenant-wide lists per identity, once, so that every per-identity question is a map look-up.
// It is read-only after NewIndex and safe for concurrent use.
//
// At 500,000 role assignments the joins are a large part of what the explorer holds, so they are built to be small:
// every list of one key shares one backing array with the others and is exactly as long as it needs to be (counted
// first, then filled), lists point into the Tenant rather than copy it, and ARM ids are known by a hash of their
// lowered form rather than by a lowered copy of each.
type Index struct {
	Tenant *Tenant

	identities  map[string]*Identity // by object id
	groups      map[string]*Group
	principals  map[string]*Principal
	roleDefs    map[string]*RoleDefinition          // by Key(GUID)
	dirRoleDefs map[string]*DirectoryRoleDefinition // by Key(template id)
	mgParent    map[string]string                   // Key(mg name) -> Key(parent mg name)
	mgScopes    map[string]string                   // Key(mg name) -> its scope, written once for ScopesAbove
	subMG       map[string]string                   // subscription GUID -> Key(mg name)

	arm          armIDs                 // resource ids, user-assigned identity ids and scopes, numbered
	resources    []*Resource            // by arm number; nil where the number names no resource
	attachedByUA lists[*Resource]       // arm number of a UA identity resource id -> resources it is attached to
	azureByScope lists[*RoleAssignment] // arm number of a scope -> assignments made there

	attachedBySA keyedLists[*Resource] // identity object id -> resources with that system-assigned principal
	memberships  keyedLists[*Membership]
	memberOf     keyedLists[string] // identity id -> group ids, as memberships lists them
	members      keyedLists[string] // group id -> identity ids
	dirByPrinc   keyedLists[*DirectoryRoleAssignment]
	appByPrinc   keyedLists[*AppRoleAssignment]
	azureByPrinc keyedLists[*RoleAssignment]
	ficByIdent   keyedLists[*FederatedCredential]
	owned        keyedLists[*Ownership] // owner id -> what it owns
	owners       keyedLists[*Ownership] // owned group or service principal id -> its owners
	gaps         map[string][]Gap       // identity id ("" for tenant-wide) -> gaps

	signIns  keyedLists[SignIn]           // principal id -> its sign-ins, latest first
	activity keyedLists[ResourceActivity] // principal id -> what it did to Azure resources, latest first
	users    keyedLists[*UserUsage]       // user id -> how it signs in
}

// NewIndex builds the joins of t. t must not change afterwards.
func NewIndex(t *Tenant) *Index {
	x := &Index{
		Tenant:      t,
		identities:  make(map[string]*Identity, len(t.Identities)),
		groups:      make(map[string]*Group, len(t.Groups)),
		principals:  make(map[string]*Principal, len(t.Principals)),
		roleDefs:    make(map[string]*RoleDefinition, len(t.RoleDefinitions)),
		dirRoleDefs: make(map[string]*DirectoryRoleDefinition, len(t.DirectoryRoleDefinitions)),
		mgParent:    map[string]string{},
		mgScopes:    map[string]string{},
		subMG:       map[string]string{},
		arm:         newARMIDs(len(t.Resources)),
		gaps:        map[string][]Gap{},
	}
	for i := range t.Identities {
		x.identities[Key(t.Identities[i].ID)] = &t.Identities[i]
	}
	for i := range t.Resources {
		n := x.arm.add(t.Resources[i].ID)
		x.resources = grow(x.resources, n)
		x.resources[n] = &t.Resources[i] // the last of two resources with one id wins, as a map would have it
	}
	for i := range t.Groups {
		x.groups[Key(t.Groups[i].ID)] = &t.Groups[i]
	}
	for i := range t.Principals {
		x.principals[Key(t.Principals[i].ID)] = &t.Principals[i]
	}
	for i := range t.RoleDefinitions {
		x.roleDefs[Key(LastSegment(t.RoleDefinitions[i].ID))] = &t.RoleDefinitions[i]
	}
	for i := range t.DirectoryRoleDefinitions {
		x.dirRoleDefs[Key(t.DirectoryRoleDefinitions[i].TemplateID)] = &t.DirectoryRoleDefinitions[i]
	}
	for _, mg := range t.ManagementGroups {
		x.mgParent[Key(mg.Name)] = Key(ManagementGroupOf(mg.ParentID))
	}
	for _, mg := range append(slices.Collect(maps.Keys(x.mgParent)), Key(t.ID)) {
		x.mgScopes[mg] = mgScopePrefix + mg
	}
	for _, s := range t.Subscriptions {
		if mg := ManagementGroupOf(s.ManagementGroupID); mg != "" {
			x.subMG[Key(s.ID)] = Key(mg)
		}
	}

	// Resources by the user-assigned identities attached to them: one entry per (resource, identity) pair.
	var uaOf []int32
	var uaRes []*Resource
	for i := range t.Resources {
		r := &t.Resources[i]
		for _, ua := range r.UserAssignedIdentityIDs {
			uaOf, uaRes = append(uaOf, x.arm.add(ua)), append(uaRes, r)
		}
	}
	scopeOf := make([]int32, len(t.RoleAssignments))
	for i := range t.RoleAssignments {
		scopeOf[i] = x.arm.add(t.RoleAssignments[i].Scope)
	}
	x.resources = grow(x.resources, int32(x.arm.len()-1))
	x.attachedByUA = newLists(x.arm.len(), uaOf, func(i int) *Resource { return uaRes[i] })
	uaOf, uaRes = nil, nil
	x.azureByScope = newLists(x.arm.len(), scopeOf, func(i int) *RoleAssignment { return &t.RoleAssignments[i] })
	scopeOf = nil
	x.arm.done()

	all := func(id string) (string, bool) { return id, true }
	x.attachedBySA = groupBy(len(t.Resources), func(i int) (string, bool) {
		id := t.Resources[i].SystemAssignedPrincipalID
		return id, id != ""
	}, func(i int) *Resource { return &t.Resources[i] })
	x.memberships = groupBy(len(t.Memberships), func(i int) (string, bool) { return all(t.Memberships[i].IdentityID) },
		func(i int) *Membership { return &t.Memberships[i] })
	x.memberOf = keyedLists[string]{num: x.memberships.num}
	x.memberOf.lists = lists[string]{all: make([]string, len(x.memberships.all)), start: x.memberships.start}
	for n, m := range x.memberships.all {
		x.memberOf.all[n] = m.GroupID
	}
	x.members = groupBy(len(t.Memberships), func(i int) (string, bool) { return all(t.Memberships[i].GroupID) },
		func(i int) string { return t.Memberships[i].IdentityID })
	dir := t.DirectoryRoleAssignments
	x.dirByPrinc = groupBy(len(dir), func(i int) (string, bool) { return all(dir[i].PrincipalID) },
		func(i int) *DirectoryRoleAssignment { return &dir[i] })
	app := t.AppRoleAssignments
	x.appByPrinc = groupBy(len(app), func(i int) (string, bool) { return all(app[i].PrincipalID) },
		func(i int) *AppRoleAssignment { return &app[i] })
	azure := t.RoleAssignments
	x.azureByPrinc = groupBy(len(azure), func(i int) (string, bool) { return all(azure[i].PrincipalID) },
		func(i int) *RoleAssignment { return &azure[i] })
	fics := t.FederatedCredentials
	x.ficByIdent = groupBy(len(fics), func(i int) (string, bool) { return all(fics[i].IdentityID) },
		func(i int) *FederatedCredential { return &fics[i] })
	x.joinOwners(t)
	x.joinUsage(t)
	for _, g := range t.Gaps {
		x.gaps[Key(g.IdentityID)] = append(x.gaps[Key(g.IdentityID)], g)
	}

	// Attached answers in id order; sorting each list once here lets AttachedTo hand it out as it is.
	sortByID := func(a, b *Resource) int { return compareKeys(a.ID, b.ID) }
	for _, l := range []lists[*Resource]{x.attachedByUA, x.attachedBySA.lists} {
		for b := range l.len() {
			slices.SortStableFunc(l.at(int32(b)), sortByID)
		}
	}
	return x
}

// grow returns s long enough to hold index n.
func grow[T any](s []T, n int32) []T {
	if int(n) < len(s) {
		return s
	}
	return append(s, make([]T, int(n)+1-len(s))...)
}

// lists holds numbered lists in one backing array, list b being all[start[b]:start[b+1]].
type lists[T any] struct {
	all   []T
	start []int32
}

// newLists puts item i (0 <= i < len(listOf)) in list listOf[i] (none when negative), in item order, counting each list's length first
// so that nothing is grown twice or left with spare capacity.
func newLists[T any](n int, listOf []int32, item func(i int) T) lists[T] {
	start := make([]int32, n+1)
	for _, b := range listOf {
		if b >= 0 {
			start[b+1]++
		}
	}
	for b := range n {
		start[b+1] += start[b]
	}
	all := make([]T, start[n])
	next := slices.Clone(start[:n])
	for i, b := range listOf {
		if b >= 0 {
			all[next[b]] = item(i)
			next[b]++
		}
	}
	return lists[T]{all: all, start: start}
}

func (l lists[T]) len() int { return max(len(l.start)-1, 0) }

// at returns list b, or nil when it is empty; its capacity ends where it does, so appending to it copies.
func (l lists[T]) at(b int32) []T {
	if b < 0 || int(b) >= l.len() {
		return nil
	}
	s, e := l.start[b], l.start[b+1]
	if s == e {
		return nil
	}
	return l.all[s:e:e]
}

// keyedLists are lists found by Key(id).
type keyedLists[T any] struct {
	lists[T]
	num map[string]int32
}

// groupBy lists the items of each key, in item order; an item whose key reports false is in no list.
func groupBy[T any](n int, key func(i int) (string, bool), item func(i int) T) keyedLists[T] {
	num := map[string]int32{}
	listOf := make([]int32, n)
	for i := range n {
		id, ok := key(i)
		if !ok {
			listOf[i] = -1
			continue
		}
		k := Key(id)
		b, ok := num[k]
		if !ok {
			b = int32(len(num))
			num[k] = b
		}
		listOf[i] = b
	}
	return keyedLists[T]{newLists(len(num), listOf, item), num}
}

func (l keyedLists[T]) get(id string) []T {
	b, ok := l.num[Key(id)]
	if !ok {
		return nil
	}
	return l.at(b)
}

// armIDs numbers ARM ids as Key compares them, keeping a 64-bit hash of each id's Key rather than the lowered string
// itself (a lowered copy of each resource id was 16 MB at 66,000 resources). Two ids whose hashes collide are told
// apart by the slower clash map.
type armIDs struct {
	seed  maphash.Seed
	num   map[uint64]int32
	clash map[string]int32 // Key(id) -> number, for an id whose hash an other id already has
	ids   []string         // number -> the id as first seen
}

func newARMIDs(n int) armIDs {
	return armIDs{seed: maphash.MakeSeed(), num: make(map[uint64]int32, n), clash: map[string]int32{}}
}

func (a *armIDs) len() int { return len(a.ids) }

// hash is the hash of Key(id), without lowering a copy when id is ASCII and short.
func (a *armIDs) hash(id string) uint64 {
	id = strings.TrimRight(id, "/")
	var buf [256]byte
	if len(id) <= len(buf) {
		ascii := true
		for i := 0; i < len(id) && ascii; i++ {
			c := id[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[i], ascii = c, c < utf8.RuneSelf
		}
		if ascii {
			return maphash.Bytes(a.seed, buf[:len(id)])
		}
	}
	return maphash.String(a.seed, Key(id))
}

// find returns the number of id, or -1.
func (a *armIDs) find(id string) int32 {
	if n, ok := a.num[a.hash(id)]; ok && compareKeys(a.ids[n], id) == 0 {
		return n
	}
	if len(a.clash) > 0 {
		if n, ok := a.clash[Key(id)]; ok {
			return n
		}
	}
	return -1
}

// add numbers id, if it is new.
func (a *armIDs) add(id string) int32 {
	h := a.hash(id)
	n, ok := a.num[h]
	if ok && compareKeys(a.ids[n], id) == 0 {
		return n
	}
	if ok || len(a.clash) > 0 {
		if n, ok := a.clash[Key(id)]; ok {
			return n
		}
	}
	n = int32(len(a.ids))
	a.ids = append(a.ids, id)
	if ok {
		a.clash[Key(id)] = n
	} else {
		a.num[h] = n
	}
	return n
}

// done drops the spare room the id list grew with.
func (a *armIDs) done() { a.ids = slices.Clone(a.ids) }

// compareKeys is strings.Compare(Key(a), Key(b)) without lowering copies when both are ASCII.
func compareKeys(a, b string) int {
	a, b = strings.TrimRight(a, "/"), strings.TrimRight(b, "/")
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		if ca >= utf8.RuneSelf || cb >= utf8.RuneSelf {
			return strings.Compare(Key(a), Key(b))
		}
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return cmp.Compare(ca, cb)
		}
	}
	if n := min(len(a), len(b)); !isASCII(a[n:]) || !isASCII(b[n:]) {
		return strings.Compare(Key(a), Key(b))
	}
	return cmp.Compare(len(a), len(b))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Identity returns the identity with that object id.
func (x *Index) Identity(id string) (*Identity, bool) { i, ok := x.identities[Key(id)]; return i, ok }

// Resource returns the resource with that id.
func (x *Index) Resource(id string) (*Resource, bool) {
	if n := x.arm.find(id); n >= 0 && x.resources[n] != nil {
		return x.resources[n], true
	}
	return nil, false
}

// Group returns the group with that id.
func (x *Index) Group(id string) (*Group, bool) { g, ok := x.groups[Key(id)]; return g, ok }

// RoleDefinition resolves an Azure role definition by GUID or by any of its ARM id forms.
func (x *Index) RoleDefinition(id string) (*RoleDefinition, bool) {
	d, ok := x.roleDefs[Key(LastSegment(id))]
	return d, ok
}

// DirectoryRoleDefinition resolves an Entra role by template id.
func (x *Index) DirectoryRoleDefinition(templateID string) (*DirectoryRoleDefinition, bool) {
	d, ok := x.dirRoleDefs[Key(templateID)]
	return d, ok
}

// PrincipalName names any principal: an identity, group or other principal; "" when unknown.
func (x *Index) PrincipalName(id string) string {
	if i, ok := x.identities[Key(id)]; ok {
		return i.DisplayName
	}
	if g, ok := x.groups[Key(id)]; ok {
		return g.DisplayName
	}
	if p, ok := x.principals[Key(id)]; ok {
		return p.DisplayName
	}
	for _, o := range x.owners.get(id) { // an owned service principal or application, named by its owner's list
		if o.ObjectType != OwnedGroup && o.DisplayName != "" {
			return o.DisplayName
		}
	}
	return ""
}

// Principal returns what is known of a principal that is not an identity.
func (x *Index) Principal(id string) (*Principal, bool) { p, ok := x.principals[Key(id)]; return p, ok }

// Gaps returns the gaps that apply to an identity's section: its own and the tenant-wide ones.
func (x *Index) Gaps(identityID string, s Section) []Gap {
	var out []Gap
	for _, k := range []string{Key(identityID), ""} {
		for _, g := range x.gaps[k] {
			if g.Section == s {
				out = append(out, g)
			}
		}
		if identityID == "" {
			break
		}
	}
	return out
}

// GapErr turns the gaps of a section into the error a Source returns with it: nil, or a *Gap whose reason joins
// every gap's.
func (x *Index) GapErr(identityID string, s Section) error {
	gs := x.Gaps(identityID, s)
	if len(gs) == 0 {
		return nil
	}
	g := gs[0]
	if len(gs) > 1 {
		var reasons []string
		for _, o := range gs {
			reasons = append(reasons, o.Reason)
		}
		g.Reason = strings.Join(reasons, "; ")
	}
	return &g
}

// Attached returns the resources an identity is attached to, in id order.
func (x *Index) Attached(identityID string) []Resource {
	i, ok := x.Identity(identityID)
	if !ok {
		return nil
	}
	rs := x.AttachedTo(i)
	out := make([]Resource, 0, len(rs))
	for _, r := range rs {
		out = append(out, *r)
	}
	return out
}

// AttachedTo is Attached for an identity of the tenant, pointing into the tenant instead of copying: what the
// assessment reads for every identity of a large tenant. The slice is shared; it must not be changed.
func (x *Index) AttachedTo(i *Identity) []*Resource {
	if i.Kind == UserAssigned {
		return x.attachedByUA.at(x.arm.find(i.ResourceID))
	}
	if rs := x.attachedBySA.get(i.ID); len(rs) > 0 || i.ResourceID == "" {
		return rs
	}
	if r, ok := x.Resource(i.ResourceID); ok {
		return []*Resource{r}
	}
	return nil
}

// Groups returns an identity's groups, direct ones first.
func (x *Index) Groups(identityID string) []GroupMembership {
	ms := x.memberships.get(identityID)
	out := make([]GroupMembership, 0, len(ms))
	for _, m := range ms {
		g := Group{ID: m.GroupID, DisplayName: m.GroupID}
		if known, ok := x.Group(m.GroupID); ok {
			g = *known
		}
		out = append(out, GroupMembership{Group: g, Transitive: m.Transitive})
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Transitive != out[b].Transitive {
			return !out[a].Transitive
		}
		return strings.ToLower(out[a].DisplayName) < strings.ToLower(out[b].DisplayName)
	})
	return out
}

// MemberOf returns the ids of the groups an identity belongs to, directly or transitively, in the tenant's order.
// The slice is shared; it must not be changed.
func (x *Index) MemberOf(identityID string) []string { return x.memberOf.get(identityID) }

// Members returns the identities that belong to a group, directly or transitively.
func (x *Index) Members(groupID string) []string { return x.members.get(groupID) }

// viaPrincipals lists the principal ids an identity acts as: itself, then each of its groups, with the Via value
// each one gives.
func (x *Index) viaPrincipals(identityID string) (ids, vias []string) {
	ids = append(ids, identityID)
	vias = append(vias, ViaDirect)
	for _, m := range x.memberships.get(identityID) {
		ids = append(ids, m.GroupID)
		vias = append(vias, ViaGroup(m.GroupID))
	}
	return ids, vias
}

// DirectoryRoles returns the Entra roles an identity holds, directly or through its groups.
func (x *Index) DirectoryRoles(identityID string) []DirectoryRole {
	var out []DirectoryRole
	ids, vias := x.viaPrincipals(identityID)
	for n, p := range ids {
		for _, a := range x.dirByPrinc.get(p) {
			out = append(out, DirectoryRole{
				ID:               a.ID,
				PrincipalID:      a.PrincipalID,
				RoleTemplateID:   a.RoleTemplateID,
				RoleName:         x.DirectoryRoleName(a.RoleTemplateID),
				DirectoryScopeID: a.DirectoryScopeID,
				Via:              vias[n],
				State:            a.State,
			})
		}
	}
	return out
}

// DirectoryRoleName names an Entra role by template id, falling back to the id itself.
func (x *Index) DirectoryRoleName(templateID string) string {
	if d, ok := x.DirectoryRoleDefinition(templateID); ok && d.DisplayName != "" {
		return d.DisplayName
	}
	return templateID
}

// AppRoles returns the application permissions granted to an identity.
func (x *Index) AppRoles(identityID string) []AppRoleAssignment {
	return values(x.appByPrinc.get(identityID))
}

// AzureRoles returns the Azure role assignments an identity holds, directly or through its groups.
func (x *Index) AzureRoles(identityID string) []AzureRole {
	var out []AzureRole
	var levels []ScopeLevel // each scope classified once, not at every comparison of the sort
	ids, vias := x.viaPrincipals(identityID)
	for n, p := range ids {
		for _, a := range x.azureByPrinc.get(p) {
			out = append(out, x.azureRole(*a, vias[n]))
			levels = append(levels, x.Level(a.Scope))
		}
	}
	sort.Stable(byLevel{out, levels})
	return out
}

// byLevel orders roles widest scope first.
type byLevel struct {
	roles  []AzureRole
	levels []ScopeLevel
}

func (b byLevel) Len() int           { return len(b.roles) }
func (b byLevel) Less(i, j int) bool { return b.levels[i] > b.levels[j] }
func (b byLevel) Swap(i, j int) {
	b.roles[i], b.roles[j] = b.roles[j], b.roles[i]
	b.levels[i], b.levels[j] = b.levels[j], b.levels[i]
}

func (x *Index) azureRole(a RoleAssignment, via string) AzureRole {
	r := AzureRole{ID: a.ID, PrincipalID: a.PrincipalID, RoleDefinitionID: LastSegment(a.RoleDefinitionID),
		Scope: a.Scope, Via: via, Condition: a.Condition}
	if d, ok := x.RoleDefinition(a.RoleDefinitionID); ok {
		r.RoleName, r.Definition = d.RoleName, d
	} else {
		r.RoleName = "unresolved role definition " + r.RoleDefinitionID
	}
	return r
}

// RoleAssignmentsOf returns the raw Azure role assignments whose principal is id (not through groups).
func (x *Index) RoleAssignmentsOf(principalID string) []*RoleAssignment {
	return x.azureByPrinc.get(principalID)
}

// FederatedCredentials returns the federated credentials of an identity.
func (x *Index) FederatedCredentials(identityID string) []FederatedCredential {
	return values(x.ficByIdent.get(identityID))
}

// joinOwners indexes ownerships by owner and by what the owner becomes: the group, the service principal, or for an
// application its service principal in this tenant (ServicePrincipalID, or else the principal of its appId as far as
// the tenant names it: an identity or an application service principal read with its credentials). An application whose service principal is not known is
// indexed by its own id, which no principal has.
func (x *Index) joinOwners(t *Tenant) {
	own := t.Ownerships
	if len(own) == 0 {
		return
	}
	spOf := map[string]string{}
	for _, a := range t.Applications {
		if a.AppID != "" {
			spOf[Key(a.AppID)] = a.ID
		}
	}
	for _, i := range t.Identities {
		if i.AppID != "" {
			spOf[Key(i.AppID)] = i.ID
		}
	}
	x.owned = groupBy(len(own), func(i int) (string, bool) { return own[i].OwnerID, true },
		func(i int) *Ownership { return &own[i] })
	x.owners = groupBy(len(own), func(i int) (string, bool) {
		if o := &own[i]; o.ObjectType == OwnedApplication && o.ServicePrincipalID != "" {
			return o.ServicePrincipalID, true
		} else if o.ObjectType == OwnedApplication && o.AppID != "" {
			if sp, ok := spOf[Key(o.AppID)]; ok {
				return sp, true
			}
		}
		return own[i].ObjectID, true
	}, func(i int) *Ownership { return &own[i] })
}

// Owned returns the objects a principal owns, as the tenant lists them.
func (x *Index) Owned(ownerID string) []Ownership { return values(x.owned.get(ownerID)) }

// OwnersOf returns the ownerships that let their owners become principal id: owners of the group or service
// principal with that id, and owners of the application whose service principal it is.
func (x *Index) OwnersOf(id string) []*Ownership { return x.owners.get(id) }

// values copies what ps point at; nil for none.
func values[T any](ps []*T) []T {
	if len(ps) == 0 {
		return nil
	}
	out := make([]T, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}

// Level classifies a scope, telling the tenant root management group from the others.
func (x *Index) Level(scope string) ScopeLevel {
	l := LevelOf(scope)
	if l == ScopeManagementGroup {
		mg := Key(ManagementGroupOf(scope))
		if p, ok := x.mgParent[mg]; ok && p == "" || mg == Key(x.Tenant.ID) {
			return ScopeRootManagementGroup
		}
	}
	return l
}

// Covers reports whether a role assignment at scope applies to the resource (or scope) target: target is at or
// below scope, following the management group hierarchy for subscriptions.
func (x *Index) Covers(scope, target string) bool {
	if scope == "/" {
		return true
	}
	if mg := ManagementGroupOf(scope); mg != "" && LevelOf(scope) >= ScopeManagementGroup {
		if tm := ManagementGroupOf(target); tm != "" {
			return x.mgUnder(Key(tm), Key(mg))
		}
		sub := SubscriptionOf(target)
		if sub == "" {
			return false
		}
		m, ok := x.subMG[sub]
		if !ok {
			m = Key(x.Tenant.ID) // subscriptions sit under the root group by default
		}
		return x.mgUnder(m, Key(mg))
	}
	s, t := Key(scope), Key(target)
	return t == s || strings.HasPrefix(t, s+"/")
}

// mgUnder reports whether management group m is mg or below it.
func (x *Index) mgUnder(m, mg string) bool {
	for range 64 { // hierarchies are at most six levels deep; the bound guards against loops in bad data
		if m == mg {
			return true
		}
		p, ok := x.mgParent[m]
		if !ok || p == "" {
			return false
		}
		m = p
	}
	return false
}

// AssignmentsCovering returns every Azure role assignment (of any principal) whose scope covers target: those made
// at target, at each parent of it, at the management groups above its subscription, and at "/". It walks up from the
// target, so it costs the depth of the hierarchy, not the number of assignments.
func (x *Index) AssignmentsCovering(target string) []*RoleAssignment {
	var out []*RoleAssignment
	for _, s := range x.ScopesAbove(target) {
		out = append(out, x.AssignmentsAt(s)...)
	}
	return out
}

// AssignmentsAt returns the Azure role assignments (of any principal) made exactly at scope, so that callers walking
// ScopesAbove can work per scope and reuse what they learn about a scope shared by many targets.
func (x *Index) AssignmentsAt(scope string) []*RoleAssignment {
	return x.azureByScope.at(x.arm.find(scope))
}

// ScopesAbove lists target and every scope above it, narrowest first.
func (x *Index) ScopesAbove(target string) []string {
	var out []string
	segs := segments(target)
	if len(segs) >= 2 && strings.EqualFold(segs[0], "subscriptions") {
		// A well-formed id's scopes are its own prefixes: no need to write them again.
		clean := target[0] == '/' && target[len(target)-1] != '/' && !strings.Contains(target, "//")
		end := len(target)
		for n := len(segs); n >= 2; n-- {
			if n < len(segs) {
				end -= len(segs[n]) + 1
			}
			if n > 2 && n%2 == 1 { // ARM ids alternate type/name; odd prefixes name no scope
				continue
			}
			if clean {
				out = append(out, target[:end])
			} else {
				out = append(out, "/"+strings.Join(segs[:n], "/"))
			}
		}
		mg, ok := x.subMG[Key(segs[1])]
		if !ok {
			mg = Key(x.Tenant.ID)
		}
		out = x.appendMGChain(out, mg)
	} else if m := ManagementGroupOf(target); m != "" {
		out = x.appendMGChain(out, Key(m))
	}
	return append(out, "/")
}

const mgScopePrefix = "/providers/Microsoft.Management/managementGroups/"

func (x *Index) appendMGChain(out []string, mg string) []string {
	for range 64 {
		if mg == "" {
			break
		}
		s, ok := x.mgScopes[mg]
		if !ok {
			s = mgScopePrefix + mg
		}
		out = append(out, s)
		mg = x.mgParent[mg]
	}
	return out
}
