package assess

// The privilege rules, MI-PRIV-DIRROLE, MI-PRIV-GRAPH, MI-PRIV-AZURE and MI-PRIV-GROUP: what an identity holds
// itself, graded by the reference tiers, and its reach.

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/miscope/miscope/data"
)

// Remediations are the same for every finding of a rule (the evidence names what to change), so they are shared
// rather than written per finding.
const (
	remediateDirRole = "Remove the directory role assignment from the identity (or from the group that passes it on), " +
		"or replace it with a narrower role scoped to an administrative unit. Eligible assignments count: remove " +
		"them in Privileged Identity Management. " + tokenCacheNote
	remediateAzure = "Replace the role assignment with the narrowest built-in role the workload needs at the " +
		"narrowest scope (the resource, or its own resource group); a workload should never be able to grant " +
		"access. " + armNote
	remediateGroup = "Remove the identity from the group, or assign what it needs to it directly so that the " +
		"group's other members and owners cannot widen it. " + tokenCacheNote
)

// assessPrivilege applies the four privilege rules to identity i and sets its verdict.
func (e *engine) assessPrivilege(i int, attached []*data.Resource) {
	x := e.x
	id := &x.Tenant.Identities[i]
	var items []heldRole
	key := data.Key(id.ID)
	var top reachItem
	top.label, top.detail = LabelNone, "no directory role, application permission or Azure role"
	unresolved := false
	var highest Severity
	entra := levelNone // what its directory roles and application permissions reach, for exposure

	// Resource groups of the identity's own resources: a role there is the workload's own business.
	e.ownRGs = e.ownRGs[:0]
	e.noteOwnRG(id.ResourceID)
	for _, r := range attached {
		e.noteOwnRG(r.ID)
	}

	// MI-PRIV-DIRROLE
	ev := e.scratch[:0]
	for _, r := range x.DirectoryRoles(id.ID) {
		sev, tier0, ok := e.directoryRole(r.RoleTemplateID, r.DirectoryScopeID)
		if !ok {
			continue
		}
		line := e.dirRoleLine(r)
		ev = append(ev, evidence{sev, dirRoleEvidence(r, line)})
		switch {
		case tier0:
			entra = max(entra, levelTenantAdm)
		case sev >= Medium:
			entra = max(entra, levelDirWriter)
		}
		switch {
		case tier0:
			better(&top, levelTenantAdm, LabelTenantAdmin, withReason(line, entraReason(r.RoleTemplateID)))
		case entraReadOnly(r.RoleTemplateID):
			better(&top, levelDirReader, LabelDirectoryReader, line)
		default:
			better(&top, levelDirWriter, LabelDirectoryWriter, line)
		}
	}
	highest = max(highest, e.add(RulePrivDirRole, id.ID, ev, func(t evidence) string {
		return fmt.Sprintf("Holds a privileged directory role: %s", t.Text)
	}, remediateDirRole))

	// MI-PRIV-GRAPH
	ev = ev[:0]
	var held []heldPermission
	for _, a := range x.AppRoles(id.ID) {
		p, ok := classifyPermission(a)
		api := cmp.Or(a.ResourceDisplayName, a.ResourceAppID)
		if !ok {
			ev = append(ev, evidence{Info, appRoleEvidence(a, fmt.Sprintf("app role %s on %s could not be resolved to a permission name",
				a.AppRoleID, quote(api)))})
			continue
		}
		if p.Severity < Low {
			continue
		}
		line := fmt.Sprintf("%s on %s (app role %s)", p.Value, quote(api), a.AppRoleID)
		if p.Tier0 {
			line += ", tier 0"
		}
		ev = append(ev, evidence{p.Severity, appRoleEvidence(a, line)})
		held = append(held, heldPermission{p.Severity, p.Value})
		switch {
		case p.Tier0:
			entra = max(entra, levelGraphTier0)
		case p.Severity >= High:
			entra = max(entra, levelDirWriter)
		}
		switch {
		case p.Tier0:
			better(&top, levelGraphTier0, LabelGraphTier0, withReason(line, p.Why))
		case p.Data && p.ReadOnly:
			better(&top, levelAllDataRead, LabelAllDataRead, line)
		case p.Data:
			better(&top, levelAllDataWrite, LabelAllDataWrite, line)
		case p.ReadOnly:
			better(&top, levelDirReader, LabelDirectoryReader, line)
		default:
			better(&top, levelDirWriter, LabelDirectoryWriter, line)
		}
	}
	highest = max(highest, e.add(RulePrivGraph, id.ID, ev, func(t evidence) string {
		return "Holds an application permission: " + t.Text
	}, remediateGraphFor(held, e.texts)))

	// MI-PRIV-AZURE
	ev = ev[:0]
	for _, r := range e.azureRoles(id.ID, key) {
		info := e.assigned(r.defID(), r.Condition)
		if !info.resolved {
			unresolved = true
			ev = append(ev, evidence{Low, azureRoleEvidence(r, fmt.Sprintf("role definition %s could not be resolved, at %s, %s",
				r.defID(), e.scopeText(r.Scope), e.viaText(r.via())))})
			continue
		}
		class := info.class // a condition on a granting role is judged by the roles it lets it grant
		level := e.level(r.Scope)
		if class >= classDataRead {
			items = append(items, heldRole{r.Scope, class})
		}
		lvl, label := azureReach(class, level)
		sev, fire := azureGrade(r.RoleDefinitionID, info.custom || r.Condition != "", class, level, e.isOwnRG(r.Scope))
		if !fire && lvl < top.level && !top.beatenBy(lvl) {
			continue // most roles are narrow: describe only those that matter
		}
		// The line is written into a scratch buffer first: most lines only lose a tie for the reach, and are kept
		// only when they win it or are evidence.
		e.lineBuf = e.appendAzureRoleLine(e.lineBuf[:0], info, r.RoleDefinitionID, e.scopeText(r.Scope), r.group,
			r.Condition)
		if !fire && !top.beatenBy(lvl) && (lvl != top.level || label != top.label || compareFold(e.lineBuf, top.detail) >= 0) {
			continue // better would not take it
		}
		line := string(e.lineBuf)
		better(&top, lvl, label, line)
		if fire {
			ev = append(ev, evidence{sev, azureRoleEvidence(r, line)})
		}
	}
	highest = max(highest, e.add(RulePrivAzure, id.ID, ev, func(t evidence) string {
		return "Holds a privileged Azure role: " + t.Text
	}, remediateAzure))

	// MI-PRIV-GROUP
	ev = ev[:0]
	var groups []data.GroupMembership
	if len(e.x.MemberOf(id.ID)) > 0 {
		groups = x.Groups(id.ID)
	}
	for _, g := range groups {
		sev, holds := e.groupPrivilege(g.ID)
		if g.RoleAssignable && sev < Low {
			sev = Low
		}
		if !g.RoleAssignable && sev < Medium {
			continue
		}
		line := "member of group " + quote(g.DisplayName) + " (" + g.ID + ")"
		if g.RoleAssignable {
			line += ", role-assignable"
		}
		if g.Transitive {
			line += ", through a nested group"
		}
		if len(holds) > 0 {
			line += "; the group holds " + strings.Join(holds, "; ")
		} else {
			line += "; the group holds no roles today but can be given directory roles"
		}
		ev = append(ev, evidence{sev, Evidence{Text: line, Kind: EvidenceGroupMembership, ID: g.ID, PrincipalID: id.ID}})
	}
	highest = max(highest, e.add(RulePrivGroup, id.ID, ev, func(t evidence) string {
		return "Member of a privileged group: " + cutAt(t.Text, ";")
	}, remediateGroup))

	// A verdict never claims "clean" over a part that could not be read.
	gaps := e.reachGaps(id.ID)
	var detail string
	switch {
	case top.level <= levelRead && gaps != "":
		// The detail continues its label: "not readable: appRoles (needs Reader)."
		top = reachItem{levelUnknown, LabelNotReadable, gaps + "."}
		detail = e.texts.line(top.detail)
	case top.level <= levelRead && unresolved:
		top = reachItem{levelUnknown, LabelUnresolved, "a role definition could not be resolved; what it grants is unknown."}
		detail = e.texts.line(top.detail)
	default:
		// It starts with a name (a role, a permission), spelt as the tenant or Microsoft spells it. Thousands of
		// identities share a verdict's wording: it is written into the scratch buffer and copied only when new.
		b := append(append(e.lineBuf[:0], top.detail...), '.')
		if gaps != "" {
			b = append(append(append(b, " Not readable, so there may be more: "...), gaps...), '.')
		}
		detail, e.lineBuf = e.texts.lineOf(b), b
	}
	// Thousands of identities share a verdict's wording: keep one copy of each.
	e.verdicts[i] = verdict{reach: Reach{Label: top.label, Detail: detail, Level: top.level}, privilege: highest,
		entra: int32(entra), items: items}
	e.scratch = ev[:0]
}

func (e *engine) noteOwnRG(resourceID string) {
	if rg := resourceGroupScope(resourceID); rg != "" {
		e.ownRGs = append(e.ownRGs, rg)
	}
}

func (e *engine) isOwnRG(scope string) bool {
	if e.level(scope) != data.ScopeResourceGroup {
		return false
	}
	scope = strings.TrimRight(scope, "/")
	for _, rg := range e.ownRGs {
		if strings.EqualFold(rg, scope) {
			return true
		}
	}
	return false
}

// azureRoles lists an identity's Azure role assignments, direct ones first, then those of each of its groups, in
// the tenant's order; Index.AzureRoles also sorts them by scope, which the engine does not need.
func (e *engine) azureRoles(identityID, key string) []heldAssignment {
	var out []heldAssignment
	for _, a := range e.x.RoleAssignmentsOf(identityID) {
		out = append(out, heldAssignment{RoleAssignment: a})
	}
	for _, g := range e.x.MemberOf(identityID) {
		for _, a := range e.x.RoleAssignmentsOf(g) {
			out = append(out, heldAssignment{RoleAssignment: a, group: g})
		}
	}
	return out
}

// heldAssignment is an Azure role assignment an identity holds, directly or through group: the tenant's own
// assignment, not a copy, since an identity below a busy scope holds thousands.
type heldAssignment struct {
	*data.RoleAssignment
	group string
}

func (h heldAssignment) defID() string { return data.LastSegment(h.RoleDefinitionID) }

// via is how the identity holds it, as data.AzureRole.Via says it.
func (h heldAssignment) via() string {
	if h.group == "" {
		return data.ViaDirect
	}
	return data.ViaGroup(h.group)
}

// directoryRole grades an Entra role: the reference grade first (tiers.go), then the tenant's isPrivileged flag for a
// role the published lists do not know (a new or custom role). A role scoped to an administrative unit is one step
// lower than the same role over the whole tenant.
func (e *engine) directoryRole(templateID, directoryScope string) (sev Severity, tier0, ok bool) {
	if g, found := EntraRoleGrade(templateID); found {
		if g.Severity < Low {
			return Info, false, false
		}
		sev, tier0 = g.Severity, g.Tier0()
	} else if _, known := EntraRoleTemplateName(templateID); known {
		return Info, false, false // a built-in role neither the reference nor Microsoft counts as privileged
	} else if d, found := e.x.DirectoryRoleDefinition(templateID); found && d.IsPrivileged {
		sev = High
	} else {
		return Info, false, false
	}
	if directoryScope != "" && directoryScope != "/" {
		tier0 = false
		sev = max(sev-1, Low)
	}
	return sev, tier0, true
}

func (e *engine) dirRoleLine(r data.DirectoryRole) string {
	scope := cmp.Or(r.DirectoryScopeID, "/")
	state := "active"
	if r.State == data.Eligible {
		state = "eligible (activation through Privileged Identity Management)"
	}
	return fmt.Sprintf("%s (%s) at directory scope %s, %s, %s", directoryRoleName(r), r.RoleTemplateID,
		quote(scope), state, e.viaText(r.Via))
}

// directoryRoleName names a role by the tenant's definition, or by the published list when the definition was not
// read.
func directoryRoleName(r data.DirectoryRole) string {
	if r.RoleName == "" || data.SameID(r.RoleName, r.RoleTemplateID) {
		if name, ok := EntraRoleTemplateName(r.RoleTemplateID); ok {
			return name
		}
	}
	return r.RoleName
}

// entraReason is why the reference grades an Entra role as it does, in this project's words, or "".
func entraReason(templateID string) string {
	g, _ := EntraRoleGrade(templateID)
	return g.Path
}

// withReason adds the reason for a grade to a reach's detail (not to the evidence, which names facts only).
func withReason(line, reason string) string {
	if reason == "" {
		return line
	}
	return line + ": " + strings.ToLower(reason[:1]) + strings.TrimSuffix(reason[1:], ".")
}

// entraReadOnly reports whether a built-in Entra role only reads.
func entraReadOnly(templateID string) bool {
	g, ok := EntraRoleGrade(templateID)
	return ok && g.ReadOnly
}

// groupPrivilege grades what a group holds by itself: its directory roles and Azure roles, as an identity holding
// them directly would be graded.
func (e *engine) groupPrivilege(groupID string) (Severity, []string) {
	var sev Severity
	var holds []string
	for _, r := range e.x.DirectoryRoles(groupID) {
		s, _, ok := e.directoryRole(r.RoleTemplateID, r.DirectoryScopeID)
		if !ok {
			continue
		}
		sev = max(sev, s)
		holds = append(holds, fmt.Sprintf("%s at directory scope %s", directoryRoleName(r),
			quote(cmp.Or(r.DirectoryScopeID, "/"))))
	}
	for _, a := range e.x.RoleAssignmentsOf(groupID) {
		info := e.assigned(a.RoleDefinitionID, a.Condition)
		if !info.resolved {
			holds = append(holds, "unresolved role definition "+a.RoleDefinitionID+" at "+e.scopeText(a.Scope))
			continue
		}
		class := info.class
		s, fire := azureGrade(a.RoleDefinitionID, info.custom || a.Condition != "", class, e.level(a.Scope),
			e.isOwnRG(a.Scope))
		if !fire {
			continue
		}
		sev = max(sev, s)
		holds = append(holds, info.name+" at "+e.scopeText(a.Scope))
	}
	return sev, holds
}

// azureSeverity is the severity of holding a role of a class at a scope (docs/RULES.md explains the grid). A role
// on one resource never fires: what it risks is the resource's own business, and MI-EXPOSED covers the identities
// attached to it.
func azureSeverity(c azureClass, level data.ScopeLevel, ownRG bool) (Severity, bool) {
	switch level {
	case data.ScopeRootManagementGroup, data.ScopeManagementGroup:
		switch c {
		case classGrant:
			return Critical, true
		case classWrite, classLateral, classData, classConfig, classDataRead:
			return High, true
		}
	case data.ScopeSubscription:
		switch c {
		case classGrant:
			return Critical, true
		case classWrite:
			return High, true
		case classLateral, classData, classConfig, classDataRead:
			return Medium, true
		}
	case data.ScopeResourceGroup:
		switch c {
		case classGrant:
			if ownRG {
				return Low, true
			}
			return Medium, true
		case classWrite:
			if ownRG { // a workload managing its own resource group is the normal, least-privilege shape
				return Info, false
			}
			return Medium, true
		case classLateral, classData, classConfig, classDataRead:
			return Low, true
		}
	}
	return Info, false
}

// azureGrade is azureSeverity corrected by the reference tier of a built-in role (docs/RULES.md): a tier-0 role over
// a subscription or wider is at least high (critical when it grants access), a tier-2 or tier-3 role at most low.
// A custom role, a role limited by a condition and a role grades.json departs for are graded by their actions alone.
func azureGrade(roleDefinitionID string, byActions bool, c azureClass, level data.ScopeLevel, ownRG bool) (Severity, bool) {
	sev, fire := azureSeverity(c, level, ownRG)
	g, ok := AzureRoleGrade(roleDefinitionID)
	if !ok || byActions || g.Departs != "" {
		return sev, fire
	}
	wide := level == data.ScopeSubscription || level == data.ScopeManagementGroup ||
		level == data.ScopeRootManagementGroup
	switch {
	case g.Tier == 0 && wide:
		floor := High
		if c == classGrant {
			floor = Critical
		}
		return max(sev, floor), true
	case g.Tier >= 2 && fire:
		return min(sev, Low), true
	}
	return sev, fire
}

// appendAzureRoleLine appends how evidence names an Azure role an identity holds (through group, when not "").
func (e *engine) appendAzureRoleLine(b []byte, info *roleInfo, defID, scopeText, group, condition string) []byte {
	b = append(b, info.name...)
	b = append(b, " ("...)
	b = append(b, data.LastSegment(defID)...)
	b = append(b, ") at "...)
	b = append(b, scopeText...)
	b = append(b, ", "...)
	if group == "" {
		b = append(b, e.viaText(data.ViaDirect)...)
	} else {
		b = e.appendViaGroup(b, group)
	}
	if info.custom {
		b = append(b, ", custom role judged by its actions: "...)
		b = append(b, info.class.word()...)
	}
	if condition != "" {
		b = append(b, ", with a condition: "...)
		b = append(b, condition...)
	}
	return b
}
