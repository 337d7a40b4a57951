package data

import (
	"sort"
	"strings"
)

// Index joins a Tenant's tenant-wide lists per identity, once, so that every per-identity question is a map look-up.
// It is read-only after NewIndex and safe for concurrent use.
type Index struct {
	Tenant *Tenant

	identities  map[string]*Identity // by object id
	resources   map[string]*Resource // by Key(resource id)
	groups      map[string]*Group
	principals  map[string]*Principal
	roleDefs    map[string]*RoleDefinition          // by Key(GUID)
	dirRoleDefs map[string]*DirectoryRoleDefinition // by Key(template id)
	mgParent    map[string]string                   // Key(mg name) -> Key(parent mg name)
	subMG       map[string]string                   // subscription GUID -> Key(mg name)

	attachedBySA map[string][]*Resource // identity object id -> resources with that system-assigned principal
	attachedByUA map[string][]*Resource // Key(UA identity resource id) -> resources it is attached to
	memberships  map[string][]Membership
	members      map[string][]string // group id -> identity ids
	dirByPrinc   map[string][]DirectoryRoleAssignment
	appByPrinc   map[string][]AppRoleAssignment
	azureByPrinc map[string][]*RoleAssignment // pointers into Tenant.RoleAssignments: 8 bytes each, not a copy
	ficByIdent   map[string][]FederatedCredential
	azureByScope map[string][]*RoleAssignment // Key(scope) -> assignments made there
	gaps         map[string][]Gap             // identity id ("" for tenant-wide) -> gaps
}

// NewIndex builds the joins of t. t must not change afterwards.
func NewIndex(t *Tenant) *Index {
	x := &Index{
		Tenant:       t,
		identities:   make(map[string]*Identity, len(t.Identities)),
		resources:    make(map[string]*Resource, len(t.Resources)),
		groups:       make(map[string]*Group, len(t.Groups)),
		principals:   make(map[string]*Principal, len(t.Principals)),
		roleDefs:     make(map[string]*RoleDefinition, len(t.RoleDefinitions)),
		dirRoleDefs:  make(map[string]*DirectoryRoleDefinition, len(t.DirectoryRoleDefinitions)),
		mgParent:     map[string]string{},
		subMG:        map[string]string{},
		attachedBySA: map[string][]*Resource{},
		attachedByUA: map[string][]*Resource{},
		memberships:  map[string][]Membership{},
		members:      map[string][]string{},
		dirByPrinc:   map[string][]DirectoryRoleAssignment{},
		appByPrinc:   map[string][]AppRoleAssignment{},
		azureByPrinc: map[string][]*RoleAssignment{},
		ficByIdent:   map[string][]FederatedCredential{},
		azureByScope: map[string][]*RoleAssignment{},
		gaps:         map[string][]Gap{},
	}
	for i := range t.Identities {
		x.identities[Key(t.Identities[i].ID)] = &t.Identities[i]
	}
	for i := range t.Resources {
		r := &t.Resources[i]
		x.resources[Key(r.ID)] = r
		if r.SystemAssignedPrincipalID != "" {
			k := Key(r.SystemAssignedPrincipalID)
			x.attachedBySA[k] = append(x.attachedBySA[k], r)
		}
		for _, ua := range r.UserAssignedIdentityIDs {
			x.attachedByUA[Key(ua)] = append(x.attachedByUA[Key(ua)], r)
		}
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
	for _, s := range t.Subscriptions {
		if mg := ManagementGroupOf(s.ManagementGroupID); mg != "" {
			x.subMG[Key(s.ID)] = Key(mg)
		}
	}
	for _, m := range t.Memberships {
		x.memberships[Key(m.IdentityID)] = append(x.memberships[Key(m.IdentityID)], m)
		x.members[Key(m.GroupID)] = append(x.members[Key(m.GroupID)], m.IdentityID)
	}
	for _, a := range t.DirectoryRoleAssignments {
		x.dirByPrinc[Key(a.PrincipalID)] = append(x.dirByPrinc[Key(a.PrincipalID)], a)
	}
	for _, a := range t.AppRoleAssignments {
		x.appByPrinc[Key(a.PrincipalID)] = append(x.appByPrinc[Key(a.PrincipalID)], a)
	}
	for i := range t.RoleAssignments {
		a := &t.RoleAssignments[i]
		x.azureByPrinc[Key(a.PrincipalID)] = append(x.azureByPrinc[Key(a.PrincipalID)], a)
		x.azureByScope[Key(a.Scope)] = append(x.azureByScope[Key(a.Scope)], a)
	}
	for _, f := range t.FederatedCredentials {
		x.ficByIdent[Key(f.IdentityID)] = append(x.ficByIdent[Key(f.IdentityID)], f)
	}
	for _, g := range t.Gaps {
		x.gaps[Key(g.IdentityID)] = append(x.gaps[Key(g.IdentityID)], g)
	}
	return x
}

// Identity returns the identity with that object id.
func (x *Index) Identity(id string) (*Identity, bool) { i, ok := x.identities[Key(id)]; return i, ok }

// Resource returns the resource with that id.
func (x *Index) Resource(id string) (*Resource, bool) { r, ok := x.resources[Key(id)]; return r, ok }

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

// Attached returns the resources an identity is attached to.
func (x *Index) Attached(identityID string) []Resource {
	i, ok := x.Identity(identityID)
	if !ok {
		return nil
	}
	var rs []*Resource
	if i.Kind == UserAssigned {
		rs = x.attachedByUA[Key(i.ResourceID)]
	} else {
		rs = x.attachedBySA[Key(i.ID)]
		if len(rs) == 0 && i.ResourceID != "" {
			if r, ok := x.Resource(i.ResourceID); ok {
				rs = []*Resource{r}
			}
		}
	}
	out := make([]Resource, 0, len(rs))
	for _, r := range rs {
		out = append(out, *r)
	}
	sort.Slice(out, func(a, b int) bool { return Key(out[a].ID) < Key(out[b].ID) })
	return out
}

// Groups returns an identity's groups, direct ones first.
func (x *Index) Groups(identityID string) []GroupMembership {
	ms := x.memberships[Key(identityID)]
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

// Members returns the identities that belong to a group, directly or transitively.
func (x *Index) Members(groupID string) []string { return x.members[Key(groupID)] }

// viaPrincipals lists the principal ids an identity acts as: itself, then each of its groups, with the Via value
// each one gives.
func (x *Index) viaPrincipals(identityID string) (ids, vias []string) {
	ids = append(ids, identityID)
	vias = append(vias, ViaDirect)
	for _, m := range x.memberships[Key(identityID)] {
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
		for _, a := range x.dirByPrinc[Key(p)] {
			out = append(out, DirectoryRole{
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
	return append([]AppRoleAssignment(nil), x.appByPrinc[Key(identityID)]...)
}

// AzureRoles returns the Azure role assignments an identity holds, directly or through its groups.
func (x *Index) AzureRoles(identityID string) []AzureRole {
	var out []AzureRole
	ids, vias := x.viaPrincipals(identityID)
	for n, p := range ids {
		for _, a := range x.azureByPrinc[Key(p)] {
			out = append(out, x.azureRole(*a, vias[n]))
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return x.Level(out[a].Scope) > x.Level(out[b].Scope) })
	return out
}

func (x *Index) azureRole(a RoleAssignment, via string) AzureRole {
	r := AzureRole{RoleDefinitionID: LastSegment(a.RoleDefinitionID), Scope: a.Scope, Via: via, Condition: a.Condition}
	if d, ok := x.RoleDefinition(a.RoleDefinitionID); ok {
		r.RoleName, r.Definition = d.RoleName, d
	} else {
		r.RoleName = "unresolved role definition " + r.RoleDefinitionID
	}
	return r
}

// RoleAssignmentsOf returns the raw Azure role assignments whose principal is id (not through groups).
func (x *Index) RoleAssignmentsOf(principalID string) []*RoleAssignment {
	return x.azureByPrinc[Key(principalID)]
}

// FederatedCredentials returns the federated credentials of an identity.
func (x *Index) FederatedCredentials(identityID string) []FederatedCredential {
	return append([]FederatedCredential(nil), x.ficByIdent[Key(identityID)]...)
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
		out = append(out, x.azureByScope[Key(s)]...)
	}
	return out
}

// AssignmentsAt returns the Azure role assignments (of any principal) made exactly at scope, so that callers walking
// ScopesAbove can work per scope and reuse what they learn about a scope shared by many targets.
func (x *Index) AssignmentsAt(scope string) []*RoleAssignment { return x.azureByScope[Key(scope)] }

// ScopesAbove lists target and every scope above it, narrowest first.
func (x *Index) ScopesAbove(target string) []string {
	var out []string
	segs := segments(target)
	if len(segs) >= 2 && strings.EqualFold(segs[0], "subscriptions") {
		for n := len(segs); n >= 2; n-- {
			if n > 2 && n%2 == 1 { // ARM ids alternate type/name; odd prefixes name no scope
				continue
			}
			out = append(out, "/"+strings.Join(segs[:n], "/"))
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

func (x *Index) appendMGChain(out []string, mg string) []string {
	for range 64 {
		if mg == "" {
			break
		}
		out = append(out, "/providers/Microsoft.Management/managementGroups/"+mg)
		mg = x.mgParent[mg]
	}
	return out
}
