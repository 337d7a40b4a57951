package assess

// Reach: what an identity can ultimately do, as one ordered level and a short label, and what every principal
// reaches for the rules that compare principals (exposure, paths).

import (
	"slices"
	"strings"

	"github.com/miscope/miscope/data"
)

// Reach levels. Azure reaches sit at scope*10+class (a resource-group contributor is 26, a management-group owner
// 47, under the tenant root group 57); Entra reaches sit around them where their blast radius does: reading the
// directory above reading one resource's configuration, the content of every user's mail or files above one
// subscription's data, directory writes above a subscription, a path to Global Administrator above everything.
const (
	levelNone         = 0
	levelRead         = 1
	levelUnknown      = 2
	levelDirReader    = 5
	levelAllDataRead  = 38
	levelAllDataWrite = 39
	levelDirWriter    = 40
	levelGraphTier0   = 90
	levelTenantAdm    = 100
)

// Labels of the reach verdicts. Each fits the identity list's reach column (14 characters) at 80 columns; an Azure
// reach is "<scope> <class>" for the classes that act on the scope itself (root, mg, sub, rg, res) and the class
// alone for data and configuration.
const (
	LabelTenantAdmin     = "tenant admin"
	LabelGraphTier0      = "Graph tier 0"
	LabelDirectoryWriter = "dir writer"
	LabelDirectoryReader = "dir reader"
	LabelAllDataWrite    = "all data write" // the content of every user: mail, files, chats
	LabelAllDataRead     = "all data read"
	LabelDataWrite       = "data write" // Azure data in the role's scope
	LabelDataRead        = "data read"
	LabelConfigWrite     = "config write"
	LabelReadOnly        = "read only"
	LabelNone            = "none"
	LabelNotReadable     = "not readable"
	LabelUnresolved      = "unknown role"
)

// reachItem is one thing an identity can do, as a candidate for its reach verdict.
type reachItem struct {
	level  int
	label  string
	detail string
}

// better keeps the stronger of cur and the item given; of two equally strong, the one whose detail sorts first, so
// that the verdict does not depend on the order the tenant was read in.
func better(cur *reachItem, level int, label, detail string) {
	if cur.beatenBy(level) || level == cur.level && label == cur.label && compareFold(detail, cur.detail) < 0 {
		*cur = reachItem{level, label, detail}
	}
}

// beatenBy reports whether a reach of that level says more than r; "none" gives way to anything that was seen.
func (r *reachItem) beatenBy(level int) bool {
	return level > r.level || r.label == LabelNone && r.level == levelNone
}

// azureReach turns a class at a scope into a reach level and label.
func azureReach(c azureClass, level data.ScopeLevel) (int, string) {
	rank := 1
	word := "res"
	switch level {
	case data.ScopeRootManagementGroup:
		rank, word = 5, "root"
	case data.ScopeManagementGroup:
		rank, word = 4, "mg"
	case data.ScopeSubscription:
		rank, word = 3, "sub"
	case data.ScopeResourceGroup:
		rank, word = 2, "rg"
	}
	switch c {
	case classNone:
		return levelNone, LabelNone
	case classRead:
		return levelRead, LabelReadOnly
	case classDataRead, classConfig, classData:
		return rank*10 + int(c), c.word()
	}
	return rank*10 + int(c), word + " " + c.word()
}

// reachGaps describes the gaps that hide part of what an identity can do, or "".
func (e *engine) reachGaps(identityID string) string {
	var parts []string
	for _, s := range []data.Section{data.SectionGroups, data.SectionDirectoryRoles, data.SectionAppRoles,
		data.SectionAzureRoles} {
		for _, g := range e.x.Gaps(identityID, s) {
			p := string(s)
			if g.Needs != "" {
				p += " (needs " + g.Needs + ")"
			}
			if g.Scope != "" {
				p += " at " + g.Scope
			}
			parts = append(parts, p)
		}
	}
	parts = slices.Compact(parts)
	return strings.Join(parts, ", ")
}

// principalLevels gives every principal a reach before exposure is judged, in one pass over the tenant's
// assignments: an identity has its own verdict (which counts its groups); any other principal what its own directory
// roles, application permissions and Azure roles give it (its groups are not known). Keyed by the principal id as the
// assignments spell it, so that look-ups need no lowering.
func (e *engine) principalLevels() {
	t := e.x.Tenant
	e.principalReach = map[string]principalReach{}
	e.writesCompute = map[string]bool{}
	raise := func(id string, entra bool, l int) {
		p := e.principalReach[id]
		switch {
		case entra && int32(l) > p.entra:
			p.entra = int32(l)
		case !entra && int32(l) > p.level:
			p.level = int32(l)
		default:
			return
		}
		e.principalReach[id] = p
	}
	for _, a := range t.DirectoryRoleAssignments {
		if sev, tier0, ok := e.directoryRole(a.RoleTemplateID, a.DirectoryScopeID); ok {
			switch {
			case tier0:
				raise(a.PrincipalID, true, levelTenantAdm)
			case sev >= Medium:
				raise(a.PrincipalID, true, levelDirWriter)
			}
		}
	}
	for _, a := range t.AppRoleAssignments {
		if p, ok := classifyPermission(a); ok && p.Tier0 {
			raise(a.PrincipalID, true, levelGraphTier0)
		} else if ok && p.Severity >= High {
			raise(a.PrincipalID, true, levelDirWriter)
		}
	}
	for id, p := range e.principalReach {
		raise(id, false, int(p.entra))
	}
	for i := range t.RoleAssignments {
		a := &t.RoleAssignments[i]
		info := e.assigned(a.RoleDefinitionID, a.Condition)
		if !info.resolved {
			continue
		}
		class := info.class
		l, _ := azureReach(class, e.level(a.Scope))
		raise(a.PrincipalID, false, l)
		if !e.writesCompute[a.PrincipalID] && info.writesCompute() {
			e.writesCompute[a.PrincipalID] = true
		}
	}
	for _, m := range t.Memberships { // an identity writes what its groups write
		if e.writesCompute[m.GroupID] {
			e.writesCompute[m.IdentityID] = true
		}
	}
	for i := range t.Identities {
		v := &e.verdicts[i]
		e.principalReach[t.Identities[i].ID] = principalReach{level: int32(v.reach.Level), entra: v.entra}
	}
}

// principalReach is what a principal reaches as a whole, and through Entra alone.
type principalReach struct{ level, entra int32 }
