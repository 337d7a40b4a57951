package assess

// MI-UNUSED, MI-UNUSED-GRANT and MI-OVERSCOPED: least privilege judged from what identities were seen to use. None of
// them fires over a gap: without sign-in (or activity) evidence, "no sign-in" is unknown, and the result's gaps say
// which rules were not assessed and what would let them be.

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/miscope/miscope/data"
)

// usageWindow describes the span usage evidence covers, for evidence lines.
type usageWindow struct {
	from, to time.Time
	text     string // "in the 30 days to 2026-11-20 (Log Analytics workspace)"
}

func newUsageWindow(u *data.Usage) usageWindow {
	src := map[string]string{data.UsageWorkspace: "Log Analytics workspace", data.UsageGraph: "Entra sign-in logs",
		data.UsageDemo: "demo tenant"}[u.Source]
	days := int(u.To.Sub(u.From).Hours()/24 + 0.5)
	text := fmt.Sprintf("in the %s to %s", data.Plural(days, "day", "days"), day(u.To))
	if src != "" {
		text += " (" + src + ")"
	}
	return usageWindow{u.From, u.To, text}
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// within says whether a sign-in or action at t falls in the window.
func (w usageWindow) within(t time.Time) bool { return !t.IsZero() && !t.Before(w.from) }

// grant is one thing an identity holds and the resource applications whose sign-ins exercise it. Its words are
// written only when a rule shows it (describe): most grants are used, and a tenant holds hundreds of thousands.
type grant struct {
	sev Severity
	// planes are the resource application ids a sign-in to which uses the grant; empty when miscope cannot tell
	// (a data action of a service it does not map), and then the grant is never called unused.
	planes []string

	azure *data.RoleAssignment
	info  *roleInfo
	app   *data.AppRoleAssignment
	perm  string
	dir   *data.DirectoryRole
}

// aadGraphAppID is Azure AD Graph, which older tools still use to exercise directory roles.
const aadGraphAppID = "00000002-0000-0000-c000-000000000000"

var (
	armPlane   = []string{data.AzureResourceManagerAppID}
	graphPlane = []string{data.MicrosoftGraphAppID, aadGraphAppID}
)

// grants lists what an identity holds directly that usage can judge: Azure roles above Reader, application
// permissions and directory roles, each graded as the privilege rules grade it. Roles held through a group are the
// group's, shared by its other members, and are judged by MI-UNUSED only.
func (e *engine) grants(id *data.Identity) []grant {
	var out []grant
	for _, a := range e.x.RoleAssignmentsOf(id.ID) {
		info := e.assigned(data.LastSegment(a.RoleDefinitionID), a.Condition)
		if !info.resolved || info.class <= classRead {
			continue
		}
		out = append(out, grant{sev: -1, planes: e.planesOf(info), azure: a, info: info}) // graded when shown
	}
	for _, a := range e.x.AppRoles(id.ID) {
		if !data.SameID(a.PrincipalID, id.ID) {
			continue
		}
		p, ok := classifyPermission(a)
		if !ok || p.Severity < Low {
			continue
		}
		out = append(out, grant{sev: p.Severity, planes: []string{a.ResourceAppID}, app: &a, perm: p.Value})
	}
	for _, r := range e.x.DirectoryRoles(id.ID) {
		if r.Via != data.ViaDirect {
			continue
		}
		sev, _, ok := e.directoryRole(r.RoleTemplateID, r.DirectoryScopeID)
		if !ok {
			sev = Low
		}
		out = append(out, grant{sev: max(sev, Low), planes: graphPlane, dir: &r})
	}
	return out
}

// planesOf are the resource applications whose sign-ins exercise an Azure role, worked out once per role and
// worker (roles are shared between workers, so the memo is the worker's own).
func (e *engine) planesOf(info *roleInfo) []string {
	if p, ok := e.planes[info]; ok {
		return p
	}
	if e.planes == nil {
		e.planes = map[*roleInfo][]string{}
	}
	var planes []string
	if len(info.perms.actions) > 0 {
		planes = append(planes, armPlane...)
	}
	for _, da := range info.perms.dataActions {
		p := data.DataPlaneAppID(da)
		if p == "" {
			planes = nil // a service miscope does not map: whether the role is used cannot be told
			break
		}
		if !slices.Contains(planes, p) {
			planes = append(planes, p)
		}
	}
	e.planes[info] = planes
	return planes
}

// grade is the grant's severity as the privilege rules grade it; an Azure role is graded only when a rule shows it.
func (e *engine) grade(g *grant) Severity {
	if g.sev < 0 {
		a := g.azure
		sev, fire := azureGrade(a.RoleDefinitionID, g.info.custom || a.Condition != "", g.info.class, e.level(a.Scope),
			e.isOwnRG(a.Scope))
		if !fire {
			sev = Low
		}
		g.sev = sev
	}
	return g.sev
}

// describe is the grant's evidence and, in a few words, what it is.
func (e *engine) describe(g grant) (Evidence, string) {
	switch {
	case g.azure != nil:
		r := heldAssignment{RoleAssignment: g.azure}
		scope := e.scopeText(g.azure.Scope)
		return azureRoleEvidence(r, g.info.name+" ("+r.defID()+") at "+scope), g.info.name + " at " + scope
	case g.app != nil:
		what := g.perm + " on " + quote(cmp.Or(g.app.ResourceDisplayName, g.app.ResourceAppID))
		return appRoleEvidence(*g.app, what+" (app role "+g.app.AppRoleID+")"), what
	default:
		return dirRoleEvidence(*g.dir, e.dirRoleLine(*g.dir)), "directory role " + directoryRoleName(*g.dir)
	}
}

// withNotes ends a remediation with the token-cache notes (rules.go) of what it removes: an application permission
// or directory role rides in the token, an Azure role assignment is checked at each request, a membership that
// carries an Azure role rides in the token's group claims.
func withNotes(remediation string, ev []evidence) string {
	var kinds int
	for _, v := range ev {
		switch v.Kind {
		case EvidenceAppRoleAssignment, EvidenceDirectoryRoleAssignment, EvidenceDirectoryRoleEligibility:
			kinds |= 1
		case EvidenceAzureRoleAssignment:
			kinds |= 2
		case EvidenceGroupMembership:
			kinds |= 4
		}
	}
	if kinds == 0 {
		return remediation
	}
	return remediation + " " + noteSets[kinds]
}

// noteSets are the notes for each set of kinds withNotes meets, joined once.
var noteSets = func() [8]string {
	var out [8]string
	for k := 1; k < 8; k++ {
		var notes []string
		for bit, n := range []string{noteToken, noteARM, noteARMMembership} {
			if k&(1<<bit) != 0 {
				notes = append(notes, n)
			}
		}
		out[k] = strings.Join(notes, " ")
	}
	return out
}()

// used says whether any sign-in in the window exercises the grant; a grant whose planes are unknown counts as used.
func (g grant) used(u data.UsageOf, w usageWindow) (data.SignIn, bool) {
	if len(g.planes) == 0 {
		return data.SignIn{}, true
	}
	for _, p := range g.planes {
		if s, ok := u.SignedInTo(p); ok && w.within(s.Last) {
			return s, true
		}
	}
	return data.SignIn{}, false
}

// signInText says how a principal used a resource application: "signed in to Azure Storage 3,100 times, last on
// 2026-11-20".
func signInText(s data.SignIn) string {
	name := cmp.Or(data.ResourceAppName(s.ResourceAppID), s.ResourceName, s.ResourceAppID, "a resource")
	if s.Count > 0 {
		return "signed in to " + name + " " + data.Plural(s.Count, "time", "times") + ", last on " + day(s.Last)
	}
	return "last signed in to " + name + " on " + day(s.Last)
}

// usage applies the usage rules to every identity. It runs after the other rules: MI-UNUSED grades an identity by
// the worst of its other findings.
func (e *engine) usage() {
	u := e.x.Tenant.Usage
	if g := e.x.UsageGap(data.SectionSignIns); g != nil {
		e.notAssessed(g, RuleUnused, RuleUnusedGrant, RuleOverscoped)
		return
	}
	w := newUsageWindow(u)
	// Findings name identities by their id as the tenant spells it: no need to fold case.
	worst := make(map[string]Severity, len(e.x.Tenant.Identities))
	for i := range e.findings {
		k := e.findings[i].IdentityID
		worst[k] = max(worst[k], e.findings[i].Severity)
	}
	activity := e.x.UsageGap(data.SectionActivity)
	if activity != nil {
		e.notAssessed(activity, RuleOverscoped)
	}
	ids := e.x.Tenant.Identities
	_, found := e.parallel(len(ids), func(f *engine, lo, hi int) {
		for i := lo; i < hi; i++ {
			f.usageOf(&ids[i], worst[ids[i].ID], w, activity == nil)
		}
	})
	e.take(found)
}

// usageOf applies the usage rules to one identity.
func (e *engine) usageOf(id *data.Identity, worst Severity, w usageWindow, activity bool) {
	use := e.x.Usage(id.ID)
	e.ownRGs = e.ownRGs[:0]
	e.noteOwnRG(id.ResourceID)
	gs := e.grants(id)
	last := use.Last()
	if !w.within(last) {
		e.unused(id, gs, worst, last, w)
		return
	}
	e.unusedGrants(id, gs, use, w)
	if activity {
		e.overscoped(id, use, w)
	}
}

// notAssessed records in the result's gaps that rules could not be applied, and why. A tenant that carries no usage
// and says nothing of it (one built in memory) is simply not judged by them; every source says why it has none.
func (e *engine) notAssessed(g *data.Gap, rules ...string) {
	if e.x.Tenant.Usage == nil && !slices.ContainsFunc(e.x.Tenant.Gaps, func(t data.Gap) bool { return t.Section == g.Section }) {
		return
	}
	e.usageGaps = append(e.usageGaps, data.Gap{Section: g.Section, Scope: g.Scope, Needs: g.Needs,
		Reason: strings.Join(rules, ", ") + " not assessed: " + cmp.Or(g.Reason, "not readable")})
}

// unused is MI-UNUSED: an identity with privilege and no sign-in in the window.
func (e *engine) unused(id *data.Identity, gs []grant, worst Severity, last time.Time, w usageWindow) {
	sev := worst
	var ev []evidence
	for i := range gs {
		g := &gs[i]
		sev = max(sev, e.grade(g))
		item, _ := e.describe(*g)
		ev = append(ev, evidence{g.sev, item})
	}
	// Roles held through groups count as privilege; the fix is to leave the group.
	for _, gid := range e.x.MemberOf(id.ID) {
		for _, a := range e.x.RoleAssignmentsOf(gid) {
			if info := e.assigned(data.LastSegment(a.RoleDefinitionID), a.Condition); info.resolved && info.class > classRead {
				sev = max(sev, Low)
				ev = append(ev, evidence{Low, Evidence{Text: fmt.Sprintf("member of group %s (%s), which holds %s at %s",
					quote(cmp.Or(e.x.PrincipalName(gid), "unnamed")), gid, info.name, e.scopeText(a.Scope)),
					Kind: EvidenceGroupMembership, ID: gid, PrincipalID: id.ID}})
				break
			}
		}
	}
	if sev < Medium && len(ev) == 0 {
		return // no privilege to speak of: an idle reader is not a finding
	}
	sev = max(sev, Low)
	seen := "never seen signing in"
	if !last.IsZero() {
		seen = "last signed in on " + day(last)
	}
	ev = append(ev, evidence{sev, identityEvidence(id, "no sign-in "+w.text+"; "+seen)})
	name := e.identityName(id)
	remediation := "Remove the identity if nothing needs it: delete a user-assigned identity, turn off a system-assigned " +
		"one on its resource. Until then remove its grants (the commands below), so that an unused identity holds " +
		"nothing worth taking."
	remediation = withNotes(remediation, ev)
	e.add(RuleUnused, id.ID, ev, func(evidence) string {
		return "Unused: " + quote(name) + " holds privilege and has not signed in " + cutAt(w.text, " (")
	}, remediation)
	if id.Kind == data.UserAssigned && id.ResourceID != "" {
		e.fixLast(RuleUnused, id.ID, func(f *Finding) []Command {
			cmds := []Command{{Note: "delete the unused user-assigned identity (its role assignments stay behind: delete them too)",
				Args: []string{"az", "identity", "delete", "--ids", id.ResourceID}}}
			f.Fix = nil
			return append(cmds, f.Commands()...)
		})
	}
}

// unusedGrants is MI-UNUSED-GRANT: grants an identity that does sign in never exercised in the window.
func (e *engine) unusedGrants(id *data.Identity, gs []grant, use data.UsageOf, w usageWindow) {
	ev := make([]evidence, 0, len(gs)+1)
	var remove, keep []string
	unused := 0
	for _, g := range gs {
		if _, ok := g.used(use, w); !ok {
			unused++
		}
	}
	if unused == 0 {
		return
	}
	// What it uses is named, up to a few: the evidence and remediation say what to keep, not all of it.
	const keepShown = 3
	used := 0
	for _, g := range gs {
		s, ok := g.used(use, w)
		if ok {
			used++
			if used > keepShown {
				continue
			}
			_, what := e.describe(g)
			if len(g.planes) > 0 {
				keep = append(keep, what+" ("+signInText(s)+")")
			} else {
				keep = append(keep, what+" (whether it is used cannot be told from sign-ins)")
			}
			continue
		}
		item, what := e.describe(g)
		sev := e.grade(&g)
		names := make([]string, 0, len(g.planes))
		for _, p := range g.planes {
			names = append(names, cmp.Or(data.ResourceAppName(p), p))
		}
		if g.dir != nil { // Graph and Azure AD Graph: name the one users know
			names = names[:1]
		}
		item.Text += ": no sign-in to " + strings.Join(names, " or ") + " " + w.text
		ev = append(ev, evidence{sev, item})
		remove = append(remove, what)
	}
	if used > keepShown {
		keep = append(keep, data.Plural(used-keepShown, "more grant it uses", "more grants it uses"))
	}
	for _, k := range keep {
		ev = append(ev, evidence{Info, note("keep " + k)})
	}
	remediation := "Remove the grants it has not used " + cutAt(w.text, " (") + ": " + strings.Join(remove, "; ") + "."
	if len(keep) > 0 {
		remediation += " Keep what it uses: " + strings.Join(keep, "; ") + "."
	}
	remediation = withNotes(remediation, ev)
	name := e.identityName(id)
	e.add(RuleUnusedGrant, id.ID, ev, func(top evidence) string {
		return quote(name) + " has " + data.Plural(len(remove), "grant", "grants") + " it never used: " + cutAt(top.Text, ":")
	}, remediation)
}

// overscoped is MI-OVERSCOPED: an Azure role at subscription or management group scope for an identity whose
// recorded actions touch a few resources only.
func (e *engine) overscoped(id *data.Identity, use data.UsageOf, w usageWindow) {
	const few = 5
	for _, a := range e.x.RoleAssignmentsOf(id.ID) {
		level := e.level(a.Scope)
		if level < data.ScopeSubscription {
			continue
		}
		info := e.assigned(data.LastSegment(a.RoleDefinitionID), a.Condition)
		if !info.resolved || info.class <= classRead || len(info.perms.actions) == 0 {
			continue
		}
		var touched []data.ResourceActivity
		for _, act := range use.Activity {
			if w.within(act.Last) && e.x.Covers(a.Scope, act.ResourceID) {
				touched = append(touched, act)
			}
		}
		if len(touched) == 0 || len(touched) > few {
			continue
		}
		narrow := commonScope(touched)
		if narrow == "" || e.level(narrow) >= level {
			continue
		}
		role, roleID := info.name, data.LastSegment(a.RoleDefinitionID)
		if fit, ok := fittingRole(touched, info.class); ok {
			roleID = fit
			d, _, _ := BuiltinRoleDefinition(fit)
			role = d.RoleName
		}
		sev := Low
		if info.class >= classWrite {
			sev = Medium
		}
		r := heldAssignment{RoleAssignment: a}
		ev := []evidence{{sev, azureRoleEvidence(r, fmt.Sprintf("%s (%s) at %s", info.name, r.defID(), e.scopeText(a.Scope)))}}
		for _, t := range touched {
			ev = append(ev, evidence{Info, resourceEvidence(t.ResourceID, fmt.Sprintf("acted on %s %s, last on %s",
				t.ResourceID, data.Plural(t.Count, "time", "times"), day(t.Last)))})
		}
		name := e.identityName(id)
		e.add(RuleOverscoped, id.ID, ev, func(evidence) string {
			return fmt.Sprintf("%s holds %s at %s but acts on %s only", quote(name), info.name, level,
				data.Plural(len(touched), "resource", "resources"))
		}, fmt.Sprintf("Give it %s at %s instead, then delete the assignment at %s. The activity log records writes "+
			"only: if the identity also reads elsewhere, give it Reader there.", role, e.scopeText(narrow), e.scopeText(a.Scope)))
		principalID, assignmentID, scope := a.PrincipalID, a.ID, a.Scope
		e.fixLast(RuleOverscoped, id.ID, func(*Finding) []Command {
			del := Command{Note: "then delete the broad assignment", Args: []string{"az", "role", "assignment", "delete", "--ids", assignmentID}}
			if assignmentID == "" {
				del.Args = []string{"az", "role", "assignment", "delete", "--assignee", principalID, "--role", r.defID(), "--scope", scope}
			}
			return []Command{{Note: "grant the narrower role first", Args: []string{"az", "role", "assignment", "create",
				"--assignee-object-id", principalID, "--assignee-principal-type", "ServicePrincipal", "--role", roleID,
				"--scope", narrow}}, del}
		})
	}
}

// commonScope is the narrowest scope that holds every resource acted on: the resource itself, their resource group,
// or their subscription; "" when they span subscriptions.
func commonScope(touched []data.ResourceActivity) string {
	first := touched[0].ResourceID
	same := func(f func(string) string) bool {
		for _, t := range touched[1:] {
			if !strings.EqualFold(f(t.ResourceID), f(first)) {
				return false
			}
		}
		return f(first) != ""
	}
	switch {
	case same(func(s string) string { return data.Key(s) }):
		return first
	case same(data.ResourceGroupOf) && same(data.SubscriptionOf):
		return "/subscriptions/" + data.SubscriptionOf(first) + "/resourceGroups/" + data.ResourceGroupOf(first)
	case same(data.SubscriptionOf):
		return "/subscriptions/" + data.SubscriptionOf(first)
	}
	return ""
}

// fittingRoles are the built-in roles that write one kind of resource only, for a role that writes everything.
var fittingRoles = map[string]string{
	"microsoft.web/sites":                        "de139f84-1756-47ae-9be6-808fbbe84772", // Website Contributor
	"microsoft.compute/virtualmachines":          "9980e02c-c2be-4d73-94e8-173b1dc7cf3c", // Virtual Machine Contributor
	"microsoft.storage/storageaccounts":          "17d1049b-9a84-46fb-8f53-869881c3d3ab", // Storage Account Contributor
	"microsoft.keyvault/vaults":                  "f25e0fa2-a7c8-4377-a976-54943a77a395", // Key Vault Contributor
	"microsoft.network/virtualnetworks":          "4d97b98b-1d4f-4787-a291-c67834d212e7", // Network Contributor
	"microsoft.sql/servers":                      "6d8ee4ec-f05a-4a1d-8b00-a9b17e38b437", // SQL Server Contributor
	"microsoft.logic/workflows":                  "87a39d53-fc1b-424a-814c-f7e04687dc9e", // Logic App Contributor
	"microsoft.documentdb/databaseaccounts":      "5bd9cd88-fe45-4216-938b-f97437e15450", // DocumentDB Account Contributor
	"microsoft.containerservice/managedclusters": "ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8", // Azure Kubernetes Service Contributor Role
}

// fittingRole is the built-in role that writes the one kind of resource acted on, for a role that writes every kind;
// false when the resources are of several kinds, or the role grants access (its narrower form is itself).
func fittingRole(touched []data.ResourceActivity, class azureClass) (string, bool) {
	if class != classWrite {
		return "", false
	}
	kind := ""
	for _, t := range touched {
		k := strings.ToLower(data.ResourceType(t.ResourceID))
		if kind != "" && k != kind {
			return "", false
		}
		kind = k
	}
	id, ok := fittingRoles[kind]
	if !ok {
		return "", false
	}
	_, _, published := BuiltinRoleDefinition(id)
	return id, published
}

// GrantUse is one grant an identity holds directly and what its sign-ins say of it, for the views and reports that
// set grants beside their use.
type GrantUse struct {
	Kind  EvidenceKind // the kind of assignment: an Azure role, an application permission, a directory role
	ID    string       // the assignment's id
	Grant string       // the grant in a few words: "Contributor at subscription "Production" (/subscriptions/…)"
	// Resources name the resource applications a sign-in to which uses the grant; empty when sign-ins cannot tell.
	Resources []string
	Used      bool
	// SignIn is the sign-in that shows the grant used, when there is one.
	SignIn data.SignIn
}

// GrantUses sets each grant an identity holds directly beside its sign-ins in the usage window, in the order the
// engine judges them; nil when the identity's sign-ins cannot be read (then nothing is "unused").
func GrantUses(x *data.Index, identityID string) []GrantUse {
	id, ok := x.Identity(identityID)
	if !ok || x.UsageGap(data.SectionSignIns) != nil {
		return nil
	}
	e := newEngine(x)
	e.noteOwnRG(id.ResourceID)
	w := newUsageWindow(x.Tenant.Usage)
	use := x.Usage(id.ID)
	var out []GrantUse
	for _, g := range e.grants(id) {
		ev, what := e.describe(g)
		gu := GrantUse{Kind: ev.Kind, ID: ev.ID, Grant: what}
		for _, p := range g.planes {
			if g.dir != nil && p == aadGraphAppID {
				continue
			}
			gu.Resources = append(gu.Resources, cmp.Or(data.ResourceAppName(p), p))
		}
		gu.SignIn, gu.Used = g.used(use, w)
		out = append(out, gu)
	}
	return out
}

// LastUsed is an identity's last sign-in and whether it falls in the usage window; known is false when sign-ins
// cannot be read.
func LastUsed(x *data.Index, identityID string) (last time.Time, inWindow, known bool) {
	if x.UsageGap(data.SectionSignIns) != nil {
		return time.Time{}, false, false
	}
	last = x.Usage(identityID).Last()
	return last, newUsageWindow(x.Tenant.Usage).within(last), true
}
