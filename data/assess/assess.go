package assess

import (
	"cmp"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

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

// maxEvidence bounds the evidence of one finding; the rest is counted, so a tenant with thousands of principals on
// one subscription still gives a finding that can be read.
const maxEvidence = 25

// Assess applies every rule to the joined tenant. It reads x only and is deterministic: the same tenant gives the same
// result, sorted.
func Assess(x *data.Index) *Result {
	e := newEngine(x)
	ids := x.Tenant.Identities
	e.verdicts = make([]verdict, len(ids))

	// Privilege first, for every identity: the other rules grade by it, and exposure compares principals by it.
	// Each phase runs on every core over chunks of the identities, each worker with its own memos; each identity's
	// verdict has its own slot, so workers write them where they belong and nothing is merged.
	_, found := parallel(len(ids), func(f *engine, lo, hi int) {
		for i := lo; i < hi; i++ {
			f.assessPrivilege(i, x.AttachedTo(&ids[i]))
		}
	}, e.fork)
	e.take(found)
	e.principalLevels()
	// The paths are walked on one core. Meanwhile another resolves the role assignments of every scope for exposure
	// (what it reads of principals is settled by now) and orders the identities for it.
	var order []int32
	var resolving sync.WaitGroup
	resolver := e.fork()
	resolving.Go(func() {
		resolver.resolveScopes()
		order = exposureOrder(ids)
	})
	// What each identity can become, before exposure and the placement rules grade by its privilege.
	e.paths()
	resolving.Wait()
	_, found = parallel(len(ids), func(f *engine, lo, hi int) {
		for _, n := range order[lo:hi] {
			i := int(n)
			attached := x.AttachedTo(&ids[i])
			f.enterGroup(resourceGroupScope(ids[i].ResourceID))
			f.orphaned(i, attached)
			f.shared(i, attached)
			f.stale(i, attached)
			f.federated(i)
			f.exposed(i, attached)
		}
	}, e.fork)
	e.take(found)
	e.scopes = nil // what exposure kept is not needed for the rest, which builds the result beside it
	e.applications()
	e.dangling()
	return e.result()
}

// exposureOrder is the order in which exposure takes the identities: resource group by resource group, so that a
// worker meets the scopes of one group together. The resource group keys are folded once: sorting 50,000 identities
// compares them millions of times.
func exposureOrder(ids []data.Identity) []int32 {
	order := make([]int32, len(ids))
	rgKeys := make([]string, len(ids))
	for i := range ids {
		order[i] = int32(i)
		rgKeys[i] = data.Key(resourceGroupScope(ids[i].ResourceID))
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := strings.Compare(rgKeys[a], rgKeys[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return order
}

// compareFold orders ARM ids as comparing their data.Key forms does, without lowering copies of ASCII ids; a may be
// text still being written.
func compareFold[T string | []byte](a T, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		if ca >= utf8.RuneSelf || cb >= utf8.RuneSelf {
			return strings.Compare(data.Key(string(a)), data.Key(b))
		}
		ca, cb = lowerASCII(ca), lowerASCII(cb)
		if ca != cb {
			return cmp.Compare(ca, cb)
		}
	}
	return strings.Compare(data.Key(string(a[min(len(a), len(b)):])), data.Key(b[min(len(a), len(b)):]))
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// parallel runs work over [0, n) in chunks that workers, one per core, take in turn, and returns the workers'
// engines and their findings by chunk, so that joined in order the result does not depend on scheduling.
func parallel(n int, work func(f *engine, lo, hi int), fork func() *engine) ([]*engine, [][]Finding) {
	const chunk = 512
	chunks := (n + chunk - 1) / chunk
	workers := max(1, min(runtime.GOMAXPROCS(0), chunks))
	forks := make([]*engine, workers)
	out := make([][]Finding, chunks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		f := fork()
		forks[w] = f
		wg.Go(func() {
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				work(f, c*chunk, min(n, (c+1)*chunk))
				out[c], f.findings = f.findings, nil
			}
		})
	}
	wg.Wait()
	return forks, out
}

// take appends the workers' findings in chunk order, growing the list once rather than copying it as it doubles.
func (e *engine) take(chunks [][]Finding) {
	n := 0
	for _, fs := range chunks {
		n += len(fs)
	}
	e.findings = slices.Grow(e.findings, n)
	for i, fs := range chunks {
		e.findings = append(e.findings, fs...)
		chunks[i] = nil
	}
}

// fork makes a worker engine: its own memos and findings, and the tenant-wide names, the verdicts and the principals'
// levels shared.
func (e *engine) fork() *engine {
	f := newMemos(e.x)
	f.now, f.subNames, f.mgNames, f.texts = e.now, e.subNames, e.mgNames, e.texts
	f.verdicts, f.principalReach, f.writesCompute, f.deleted = e.verdicts, e.principalReach, e.writesCompute, e.deleted
	// The roles resolved so far keep their indexes in every worker, so that what one worker resolves at a scope
	// (scopeTable) reads the same in another; a role a worker meets later gets an index of its own past them.
	f.roles, f.rolesRaw = maps.Clone(e.roles), maps.Clone(e.rolesRaw)
	f.roleList, f.sharedRoles = slices.Clip(e.roleList), len(e.roleList)
	f.scopes = e.scopes
	return f
}

// verdict is what the privilege rules found of one identity, which the later rules grade by.
type verdict struct {
	reach     Reach
	privilege Severity   // its highest privilege finding
	entra     int32      // what its directory roles and application permissions reach
	items     []heldRole // its Azure roles of data access and above
}

type engine struct {
	x   *data.Index
	now time.Time

	findings []Finding
	verdicts []verdict // by index in the tenant's identities; each is written by the one worker that assesses it

	// Memos: a tenant repeats the same few role definitions, scopes and principals across many assignments, so
	// each is judged once. Raw strings key the fast maps; ARM casing varies, so misses fall back to data.Key.
	roles          map[string]*roleInfo
	rolesRaw       map[string]*roleInfo
	roleList       []*roleInfo               // by roleInfo.idx
	sharedRoles    int                       // roleList[:sharedRoles] are the same in every worker
	scopes         *scopeTable               // shared by every worker
	kindVerbs      map[string][]verbSlot     // resource type -> verbs by role index
	verbs          map[codeKey]string        // role and resource type -> what the role lets its holder do to identities
	principals     map[string]int            // principal key -> reach level of a principal that is not an identity
	principalRaw   map[string]int            // raw principal id -> reach level
	principalReach map[string]principalReach // raw principal id -> its reach, for exposure
	writesCompute  map[string]bool           // raw principal id -> whether it can write compute an identity can be attached to
	deleted        map[string]bool           // principal id, as given and in either case -> Graph answered 404 for it
	exposers       map[codeKey][]exposer     // scope above resources and resource type -> who can use identities attached below
	group          *groupMemos               // exposure: resource group lists, kept while identities of one group are taken
	verbIdx        map[string]uint16         // verb -> its index in scopes.verbs
	verbNames      []string                  // this worker's copy of scopes.verbs
	scopeLevels    map[string]data.ScopeLevel
	above          map[string][]string // raw resource group or subscription id -> ScopesAbove
	subNames       map[string]string   // subscription GUID -> display name
	mgNames        map[string]string   // management group name key -> display name
	ownRGs         []string            // scratch: resource groups of the identity being assessed
	principalTexts map[string]string   // raw principal id -> how evidence names it
	mgCovers       map[codeKey]bool    // management group scope and subscription -> whether it is above
	scopeTexts     map[string]string   // raw scope -> how evidence names it
	scratch        []evidence
	lines          []*Evidence                   // scratch: exposure's evidence while it is gathered
	counted        map[*data.RoleAssignment]bool // scratch: exposure's assignments counted for an identity on several resources
	slab           []Evidence                    // where this worker keeps exposure evidence, a block at a time
	entryScratch   []scopeEntry                  // scratch: a scope's assignments while they are resolved
	lineBuf        []byte                        // scratch: an evidence line while it is written
	texts          *evidenceTexts                // shared by every worker
}

// evidenceTexts keeps one copy of each evidence line for the whole assessment: the same principal's role on a
// subscription is evidence for thousands of identities below it, and every worker meets it, so a line is written once
// and every finding that shows it points at the same string.
type evidenceTexts struct {
	mu    sync.Mutex
	lines map[string]string
}

func newEvidenceTexts() *evidenceTexts {
	return &evidenceTexts{lines: map[string]string{}}
}

// line returns the shared copy of s.
func (t *evidenceTexts) line(s string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.lines[s]; ok {
		return c
	}
	t.lines[s] = s
	return s
}

type codeKey struct{ role, kind string }

func newMemos(x *data.Index) *engine {
	e := &engine{
		x:              x,
		now:            x.Tenant.CollectedAt,
		roles:          map[string]*roleInfo{},
		rolesRaw:       map[string]*roleInfo{},
		kindVerbs:      map[string][]verbSlot{},
		verbs:          map[codeKey]string{},
		principals:     map[string]int{},
		principalRaw:   map[string]int{},
		exposers:       map[codeKey][]exposer{},
		verbIdx:        map[string]uint16{},
		scopeLevels:    map[string]data.ScopeLevel{},
		above:          map[string][]string{},
		principalTexts: map[string]string{},
		mgCovers:       map[codeKey]bool{},
		scopeTexts:     map[string]string{},
	}
	return e
}

func newEngine(x *data.Index) *engine {
	e := newMemos(x)
	e.subNames, e.mgNames = map[string]string{}, map[string]string{}
	e.texts = newEvidenceTexts()
	e.scopes = newScopeTable()
	if e.now.IsZero() {
		e.now = time.Now()
	}
	// Deleted principals are few; exposure asks about every assignment's principal, so the look-up is one map read
	// of the id as the assignment spells it (GUIDs come in lower or upper case) rather than a lowered copy each time.
	e.deleted = map[string]bool{}
	for _, p := range x.Tenant.Principals {
		if p.NotFound {
			e.deleted[p.ID], e.deleted[strings.ToLower(p.ID)], e.deleted[strings.ToUpper(p.ID)] = true, true, true
		}
	}
	for _, s := range x.Tenant.Subscriptions {
		e.subNames[data.Key(s.ID)] = s.DisplayName
	}
	for _, m := range x.Tenant.ManagementGroups {
		e.mgNames[data.Key(m.Name)] = m.DisplayName
	}
	return e
}

// evidence is one item of a finding with the severity it contributes.
type evidence struct {
	sev Severity
	Evidence
}

// newEvidence keeps v in the worker's current block of evidence rather than in an allocation of its own.
func (e *engine) newEvidence(v Evidence) *Evidence {
	if len(e.slab) == 0 {
		e.slab = make([]Evidence, 256)
	}
	p := &e.slab[0]
	*p, e.slab = v, e.slab[1:]
	return p
}

// note is evidence with no object of its own.
func note(text string) Evidence { return Evidence{Text: text, Kind: EvidenceNote} }

// more is the note that counts the evidence a finding does not list.
func (e *engine) more(n int) *Evidence {
	v := note(e.texts.line(fmt.Sprintf("... and %d more", n)))
	return &v
}

// add records a finding whose severity is the highest of its evidence; the title names the worst item.
func (e *engine) add(rule string, id string, ev []evidence, title func(top evidence) string, remediation string) Severity {
	if len(ev) == 0 {
		return Info
	}
	slices.SortStableFunc(ev, func(a, b evidence) int {
		if a.sev != b.sev {
			return cmp.Compare(b.sev, a.sev)
		}
		return cmp.Or(strings.Compare(a.Text, b.Text), strings.Compare(a.ID, b.ID))
	})
	ev = slices.CompactFunc(ev, func(a, b evidence) bool { return a.Text == b.Text && a.ID == b.ID })
	// One array holds the finding's items, rather than one allocation each.
	n := min(len(ev), maxEvidence)
	items := make([]Evidence, n)
	lines := make([]*Evidence, n, n+1)
	for i := range n {
		items[i] = ev[i].Evidence
		items[i].Text = e.texts.line(ev[i].Text)
		lines[i] = &items[i]
	}
	if len(ev) > maxEvidence {
		lines = append(lines, e.more(len(ev)-maxEvidence))
	}
	r, _ := RuleByID(rule)
	e.findings = append(e.findings, Finding{
		RuleID:      rule,
		Severity:    ev[0].sev,
		IdentityID:  id,
		Title:       title(ev[0]),
		Evidence:    lines,
		Remediation: remediation,
		References:  r.References,
	})
	return ev[0].sev
}

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
	switch {
	case top.level <= levelRead && gaps != "":
		// The detail continues its label: "not readable: appRoles (needs Reader)."
		top = reachItem{levelUnknown, LabelNotReadable, gaps + "."}
	case top.level <= levelRead && unresolved:
		top = reachItem{levelUnknown, LabelUnresolved, "a role definition could not be resolved; what it grants is unknown."}
	default:
		top.detail += "." // it starts with a name (a role, a permission), spelt as the tenant or Microsoft spells it
		if gaps != "" {
			top.detail += " Not readable, so there may be more: " + gaps + "."
		}
	}
	// Thousands of identities share a verdict's wording: keep one copy of each.
	e.verdicts[i] = verdict{reach: Reach{Label: top.label, Detail: e.texts.line(top.detail), Level: top.level}, privilege: highest,
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

// resourceGroupScope returns the "/subscriptions/<s>/resourceGroups/<g>" prefix of an ARM id, or "", without
// allocating.
func resourceGroupScope(id string) string {
	const subs, rgs = "/subscriptions/", "resourceGroups/"
	if len(id) <= len(subs) || !strings.EqualFold(id[:len(subs)], subs) {
		return ""
	}
	n := len(subs)
	slash := strings.IndexByte(id[n:], '/')
	if slash <= 0 {
		return ""
	}
	n += slash + 1
	if len(id) <= n+len(rgs) || !strings.EqualFold(id[n:n+len(rgs)], rgs) {
		return ""
	}
	n += len(rgs)
	if end := strings.IndexByte(id[n:], '/'); end >= 0 {
		n += end
	} else {
		n = len(id)
	}
	return id[:n]
}

// level is e.x.Level, once per scope.
func (e *engine) level(scope string) data.ScopeLevel {
	// Scopes inside a subscription are told apart by their shape, without a look-up; management groups need the
	// hierarchy to tell the root.
	if hasPrefixFold(scope, "/subscriptions/") {
		switch n := strings.Count(strings.TrimRight(scope, "/"), "/"); {
		case n == 2:
			return data.ScopeSubscription
		case n == 4 && len(resourceGroupScope(scope)) == len(strings.TrimRight(scope, "/")):
			return data.ScopeResourceGroup
		case n > 4 && resourceGroupScope(scope) != "":
			return data.ScopeResource
		}
	}
	if l, ok := e.scopeLevels[scope]; ok {
		return l
	}
	l := e.x.Level(scope)
	e.scopeLevels[scope] = l
	return l
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

// roleInfo is a role definition as the engine judges it.
type roleInfo struct {
	idx      int
	name     string
	custom   bool
	perms    permissions
	class    azureClass
	resolved bool
	// cond is set on a granting role held under a condition: what the condition lets it grant.
	cond *grantCondition
	// computes caches writesCompute: 1 yes, -1 no, 0 not judged yet.
	computes int8
	// mayUse is false when the role can use no identity on any kind of resource (useOf gives nothing for every
	// kind): Reader and the data roles, most of a tenant's assignments, which exposure then passes over.
	mayUse bool
}

// role resolves and classifies a role definition once: the tenant's definition when it was read (a custom role is
// judged by its actions), the built-in table when it was not; otherwise it is unresolved.
func (e *engine) role(id string) *roleInfo {
	if info, ok := e.rolesRaw[id]; ok {
		return info
	}
	k := data.Key(data.LastSegment(id))
	if info, ok := e.roles[k]; ok {
		e.rolesRaw[id] = info
		return info
	}
	info := &roleInfo{idx: len(e.roleList)}
	b, builtin := builtinRoles[k]
	if d, ok := e.x.RoleDefinition(id); ok && (len(d.Actions) > 0 || len(d.DataActions) > 0 || !builtin) {
		info.name, info.custom, info.perms, info.resolved = d.RoleName, d.Custom, permissionsOf(d), true
	} else if builtin {
		info.name, info.perms, info.resolved = b.Name, b.permissions(), true
		if ok && d.RoleName != "" {
			info.name = d.RoleName
		}
	}
	if info.resolved {
		info.class = info.perms.class()
		if builtin && b.Class != classNone && !info.custom {
			info.class = b.Class
		}
		info.mayUse = info.usesSome()
	}
	e.roleList = append(e.roleList, info)
	e.roles[k] = info
	e.rolesRaw[id] = info
	return info
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

// scopeText names a scope for evidence: its breadth, its display name where known, and the exact id.
func (e *engine) scopeText(scope string) string {
	if t, ok := e.scopeTexts[scope]; ok {
		return t
	}
	t := e.describeScope(scope)
	e.scopeTexts[scope] = t
	return t
}

func (e *engine) describeScope(scope string) string {
	level := e.level(scope)
	switch level {
	case data.ScopeRootManagementGroup, data.ScopeManagementGroup:
		if scope == "/" {
			return "the tenant root (/)"
		}
		if n := e.mgNames[data.Key(data.ManagementGroupOf(scope))]; n != "" {
			return fmt.Sprintf("%s %s (%s)", level, quote(n), scope)
		}
	case data.ScopeSubscription:
		if n := e.subNames[data.SubscriptionOf(scope)]; n != "" {
			return fmt.Sprintf("%s %s (%s)", level, quote(n), scope)
		}
	case data.ScopeResourceGroup:
		return fmt.Sprintf("%s %s (%s)", level, quote(data.ResourceGroupOf(scope)), scope)
	case data.ScopeResource:
		return fmt.Sprintf("resource %s (%s)", quote(data.ResourceName(scope)), scope)
	}
	return fmt.Sprintf("%s %s", level, scope)
}

func (e *engine) viaText(via string) string {
	if g, ok := strings.CutPrefix(via, "group:"); ok {
		return string(e.appendViaGroup(nil, g))
	}
	return "direct"
}

// appendViaGroup appends how evidence says a role is held through group g.
func (e *engine) appendViaGroup(b []byte, g string) []byte {
	b = append(b, "through group "...)
	b = append(b, quote(cmp.Or(e.x.PrincipalName(g), "unnamed"))...)
	b = append(b, " ("...)
	b = append(b, g...)
	return append(b, ')')
}

func (e *engine) identityName(id *data.Identity) string {
	return cmp.Or(id.DisplayName, id.ID)
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

// result sorts the findings and builds the per-identity index.
func (e *engine) result() *Result {
	// Sort an order of indices with the keys computed once: findings are large and ids need lowering.
	keys := make([]string, len(e.findings))
	order := make([]int, len(e.findings))
	for i := range e.findings {
		keys[i], order[i] = data.Key(e.findings[i].IdentityID), i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := &e.findings[i], &e.findings[j]
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			strings.Compare(a.RuleID, b.RuleID),
			strings.Compare(keys[i], keys[j]),
			strings.Compare(a.Title, b.Title),
			cmp.Compare(i, j),
		)
	})
	r := &Result{Reach: make(map[string]Reach, len(e.verdicts)), byIdentity: map[string]span{}}
	for i := range e.verdicts {
		r.Reach[e.x.Tenant.Identities[i].ID] = e.verdicts[i].reach
	}
	e.verdicts = nil
	// Each identity's positions, counted first so that they all fit in one list.
	for _, i := range order {
		s := r.byIdentity[keys[i]]
		s.n++
		r.byIdentity[keys[i]] = s
	}
	var next int32
	for k, s := range r.byIdentity {
		r.byIdentity[k] = span{start: next}
		next += s.n
	}
	r.positions = make([]int32, next)
	for n, i := range order {
		s := r.byIdentity[keys[i]]
		r.positions[s.start+s.n] = int32(n)
		s.n++
		r.byIdentity[keys[i]] = s
	}
	// Put the findings in that order where they are, following each cycle of the permutation, rather than into a
	// second list as long as the first.
	fs := e.findings
	for i := range order {
		if order[i] < 0 || order[i] == i {
			continue
		}
		tmp, j := fs[i], i
		for {
			k := order[j]
			order[j] = -1
			if k == i {
				fs[j] = tmp
				break
			}
			fs[j], j = fs[k], k
		}
	}
	r.Findings, e.findings = fs, nil
	r.Gaps = append([]data.Gap(nil), e.x.Tenant.Gaps...)
	slices.SortStableFunc(r.Gaps, func(a, b data.Gap) int {
		return cmp.Or(
			strings.Compare(string(a.Section), string(b.Section)),
			strings.Compare(a.IdentityID, b.IdentityID),
			strings.Compare(a.Scope, b.Scope),
			strings.Compare(a.Reason, b.Reason),
		)
	})
	return r
}

func quote(s string) string { return `"` + s + `"` }

func cutAt(s, sep string) string {
	before, _, _ := strings.Cut(s, sep)
	return before
}

// dirRoleEvidence is a directory role held by an identity: the assignment, or the eligibility schedule when it is
// eligible.
func dirRoleEvidence(r data.DirectoryRole, text string) Evidence {
	kind := EvidenceDirectoryRoleAssignment
	if r.State == data.Eligible {
		kind = EvidenceDirectoryRoleEligibility
	}
	return Evidence{Text: text, Kind: kind, ID: r.ID, PrincipalID: r.PrincipalID, RoleID: r.RoleTemplateID,
		Scope: cmp.Or(r.DirectoryScopeID, "/")}
}

func appRoleEvidence(a data.AppRoleAssignment, text string) Evidence {
	return Evidence{Text: text, Kind: EvidenceAppRoleAssignment, ID: a.ID, PrincipalID: a.PrincipalID, RoleID: a.AppRoleID,
		ResourceID: a.ResourceID}
}

func azureRoleEvidence(r heldAssignment, text string) Evidence {
	return Evidence{Text: text, Kind: EvidenceAzureRoleAssignment, ID: r.ID, PrincipalID: r.PrincipalID,
		RoleID: r.defID(), Scope: r.Scope}
}
