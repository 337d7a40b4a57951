package assess

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/miscope/miscope/data"
)

// resourcesReadable reports whether the tenant's resources were read well enough to say that a resource is absent:
// no gap hides resources or attachments for this identity, some subscription was read, and the target's subscription
// was among those read.
func (e *engine) resourcesReadable(id *data.Identity, target string) bool {
	for _, s := range []data.Section{data.SectionResources, data.SectionAttached} {
		for _, g := range e.x.Gaps(id.ID, s) {
			if g.Scope == "" || target == "" || e.x.Covers(g.Scope, target) {
				return false
			}
		}
	}
	if len(e.x.Tenant.Subscriptions) == 0 {
		return false // no subscription was readable, so no resource could be seen
	}
	if sub := data.SubscriptionOf(target); sub != "" {
		if _, ok := e.subNames[sub]; !ok {
			return false // collected with --subscription and this one was left out
		}
	}
	return true
}

// graded is a placement finding's severity: that of identity i's privilege findings, at least low and at most
// high, because an unused or widely shared identity matters in proportion to what it can do.
func (e *engine) graded(i int) Severity {
	return max(min(e.verdicts[i].privilege, High), Low)
}

// orphaned is MI-ORPHANED: a user-assigned identity attached to nothing.
func (e *engine) orphaned(i int, attached []*data.Resource) {
	id := &e.x.Tenant.Identities[i]
	if id.Kind != data.UserAssigned || len(attached) > 0 || !e.resourcesReadable(id, "") {
		return
	}
	sev := min(e.graded(i), Medium)
	line := fmt.Sprintf("user-assigned identity %s is attached to no resource", id.ResourceID)
	if r := e.verdicts[i].reach; r.Level > levelUnknown {
		line += "; it can still act as " + r.Label
	}
	e.add(RuleOrphaned, id.ID, []evidence{{sev, identityEvidence(id, line)}}, func(evidence) string {
		return "User-assigned identity " + quote(e.identityName(id)) + " is attached to no resource"
	}, "Delete the identity if nothing uses it, or remove its role assignments, permissions and federated "+
		"credentials until a workload needs them. "+tokenCacheNote+" "+noteARM)
}

// sharedThreshold is how many resources make a user-assigned identity widely shared.
const sharedThreshold = 5

// shared is MI-SHARED: a user-assigned identity attached to many resources or across subscriptions.
func (e *engine) shared(i int, attached []*data.Resource) {
	id := &e.x.Tenant.Identities[i]
	if id.Kind != data.UserAssigned || len(attached) < 2 {
		return
	}
	subs := map[string]bool{}
	for _, r := range attached {
		subs[data.SubscriptionOf(r.ID)] = true
	}
	if len(attached) < sharedThreshold && len(subs) < 2 {
		return
	}
	sev := e.graded(i)
	var ev []evidence
	head := fmt.Sprintf("attached to %d resources in %d subscription(s)", len(attached), len(subs))
	ev = append(ev, evidence{sev, identityEvidence(id, head)})
	for _, r := range attached {
		ev = append(ev, evidence{Info, resourceEvidence(r.ID, fmt.Sprintf("attached to %s %s (%s)", r.Type,
			quote(r.Name), r.ID))})
	}
	e.add(RuleShared, id.ID, ev, func(evidence) string {
		return fmt.Sprintf("User-assigned identity %s is %s", quote(e.identityName(id)), head)
	}, "Give each workload, or at least each subscription, its own user-assigned identity with only the "+
		"permissions it needs; whoever controls any one of these resources holds this identity.")
}

// federated is MI-FIC-RISK: each federated credential read as an expression (federation.go) and graded up on a
// privileged identity.
func (e *engine) federated(i int) {
	id := &e.x.Tenant.Identities[i]
	fics := e.x.FederatedCredentials(id.ID)
	if len(fics) == 0 {
		return
	}
	priv := e.verdicts[i].privilege
	var ev []evidence
	for _, f := range fics {
		t := readTrust(f, e.x.Tenant.ID)
		top, risky := t.worst()
		sev := top.sev
		if risky && priv >= High {
			sev = min(sev+1, Critical) // graded up: the identity is privileged
		}
		reasons := t.reasons()
		if priv == Critical && sev < Medium {
			sev = Medium
			reasons = append(reasons, "any federated credential on an identity with tier-0 privileges widens who can become it")
		}
		if len(reasons) == 0 {
			continue
		}
		what := "subject " + quote(f.Subject)
		if f.ClaimsMatchingExpression != "" {
			what = "claims-matching expression " + quote(f.ClaimsMatchingExpression)
		}
		iss := quote(f.Issuer)
		if t.issuer.name != "" {
			iss += " (" + t.issuer.name + ")"
		}
		ev = append(ev, evidence{sev, Evidence{Text: fmt.Sprintf("credential %s: issuer %s, %s: %s", quote(f.Name),
			iss, what, strings.Join(reasons, "; ")), Kind: EvidenceFederatedCredential, ID: f.Name,
			PrincipalID: id.ID, ResourceID: id.ResourceID, Issuer: f.Issuer,
			Subject: cmp.Or(f.ClaimsMatchingExpression, f.Subject)}})
	}
	e.add(RuleFICRisk, id.ID, ev, func(t evidence) string {
		return "Risky federated credential on " + quote(e.identityName(id)) + ": " + cutAt(strings.TrimPrefix(t.Text, "credential "), ":")
	}, "Trust only known issuers and one workload each: for GitHub Actions a protected environment "+
		"(repo:OWNER@OWNER_ID/REPO@REPO_ID:environment:NAME, or an expression that pins claims['repository_id']); "+
		"never a pattern over the owner, organisation or group; delete credentials nobody uses. A token already "+
		"exchanged stays valid until it expires.")
	e.fixLast(RuleFICRisk, id.ID, func(f *Finding) []Command { return federatedFixes(id, f.Evidence) })
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
	type target struct {
		id, kind string
		text     func() Evidence // the evidence that heads the target's principals, written only when shown
	}
	targets := make([]target, 0, len(attached)+1)
	for _, r := range attached {
		targets = append(targets, target{r.ID, r.Type, func() Evidence {
			return resourceEvidence(r.ID, fmt.Sprintf("on %s %s (%s):", r.Type, quote(r.Name), r.ID))
		}})
	}
	if id.Kind == data.UserAssigned && id.ResourceID != "" {
		targets = append(targets, target{id.ResourceID, kindUAI, func() Evidence {
			return resourceEvidence(id.ResourceID, fmt.Sprintf("on the user-assigned identity resource %s:", id.ResourceID))
		}})
	}
	items := v.items
	entra := e.principalReach[id.ID].entra
	lines := e.lines[:0]
	defer func() { e.lines = lines[:0] }()
	// count is of distinct assignments, as the title says and the fix deletes them; one assignment above several of
	// the identity's resources is shown under each (total lines), counted once.
	count, total, shown, latent := 0, 0, 0, 0
	var seen map[*data.RoleAssignment]bool // only where several targets can share an assignment; kept per worker
	if len(targets) > 1 {
		if e.counted == nil {
			e.counted = make(map[*data.RoleAssignment]bool)
		}
		seen = e.counted
		defer clear(seen)
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
				if seen == nil || !seen[x.a] {
					count++
					if seen != nil {
						seen[x.a] = true
					}
				}
				total++
				if x.verb == e.scopes.latent {
					latent++
				}
				if shown < maxExposureEvidence {
					if !headed {
						head := t.text()
						lines, headed = append(lines, &head), true
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
	title := fmt.Sprintf("%d role assignment%s let%s less privileged principals use %s (%s)", count, plural(count),
		verbS(count), quote(e.identityName(id)), v.reach.Label)
	if latent == total {
		sev = Low
		title = fmt.Sprintf("%d role assignment%s could let principals attach %s (%s) once they can write compute (latent)",
			count, plural(count), quote(e.identityName(id)), v.reach.Label)
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

// exposerEvidence is the evidence of an exposer shown at scope s ("user "Ann" (id) holds Contributor at ...: can run
// code as the identity there"), written by the first worker that shows it and shared by every identity below the
// scope, whatever the type of its resource.
func (e *engine) exposerEvidence(x *exposer, s string) *Evidence {
	verb := e.verbName(x.verb)
	for n := x.lines.Load(); n != nil; n = n.next {
		if n.verb == verb && n.scope == s {
			return n.ev
		}
	}
	a := x.a
	ev := e.newEvidence(Evidence{Text: e.principalText(a.PrincipalID, a.PrincipalType) + " holds " +
		e.roleList[x.role].name + " at " + e.scopeText(s) + ": " + verb,
		Kind: EvidenceAzureRoleAssignment, ID: a.ID, PrincipalID: a.PrincipalID,
		RoleID: data.LastSegment(a.RoleDefinitionID), Scope: a.Scope})
	node := &evidenceLine{scope: s, verb: verb, ev: ev}
	for {
		head := x.lines.Load()
		for n := head; n != nil; n = n.next {
			if n.verb == verb && n.scope == s {
				return n.ev // another worker wrote the same line first
			}
		}
		node.next = head
		if x.lines.CompareAndSwap(head, node) {
			return ev
		}
	}
}

// evidenceLine is one exposure evidence line of a scope entry: the entry shown at a scope (as spelt) with a verb.
type evidenceLine struct {
	scope, verb string
	ev          *Evidence
	next        *evidenceLine
}

// scopeExposers are the exposers of one scope.
type scopeExposers struct {
	scope    string
	exposers []exposer
}

// exposerChain gives the exposers of target itself and, narrowest scope first, those of every scope above it that
// holds some. The part from the resource group up is shared by every resource in the group, so it is gathered once
// per group and type.
func (e *engine) exposerChain(target, kind string) (own []exposer, chain []scopeExposers) {
	rg := resourceGroupScope(target)
	if rg == "" || len(rg) == len(target) || strings.Count(target[len(rg):], "/") > 4 {
		// Not below a resource group, or nested: walk every scope.
		for _, s := range e.x.ScopesAbove(target) {
			if xs := e.exposersAt(s, kind); len(xs) > 0 {
				chain = append(chain, scopeExposers{s, xs})
			}
		}
		return nil, chain
	}
	k := codeKey{rg, kind}
	chain, ok := e.group.chains[k]
	if !ok {
		for _, s := range e.scopesAbove(rg) {
			if xs := e.exposersAt(s, kind); len(xs) > 0 {
				chain = append(chain, scopeExposers{s, xs})
			}
		}
		e.group.chains[k] = chain
	}
	return e.exposersAt(target, kind), chain
}

// groupMemos are the exposers a worker keeps of resource groups while it takes the identities of one resource group
// (workers take them group by group): a resource group's lists serve the identities in it and are dropped with it,
// so that what exposure holds at once is bounded by the scopes above resource groups rather than growing with the
// tenant. What they are made of, the assignments resolved at each scope and the evidence written of them, is kept in
// the shared table for the whole assessment.
type groupMemos struct {
	rg       string
	exposers map[codeKey][]exposer
	chains   map[codeKey][]scopeExposers
}

// enterGroup readies the memos for an identity in resource group rg ("" for none).
func (e *engine) enterGroup(rg string) {
	if e.group != nil && compareFold(e.group.rg, rg) == 0 {
		return
	}
	e.group = &groupMemos{rg: rg, exposers: map[codeKey][]exposer{}, chains: map[codeKey][]scopeExposers{}}
}

// scopesAbove is Index.ScopesAbove with the part above a resource group computed once per resource group.
func (e *engine) scopesAbove(target string) []string {
	rg := resourceGroupScope(target)
	if rg == "" || len(rg) == len(target) {
		if s, ok := e.above[target]; ok {
			return s
		}
		s := e.x.ScopesAbove(target)
		e.above[target] = s
		return s
	}
	above, ok := e.above[rg]
	if !ok {
		above = e.x.ScopesAbove(rg)
		e.above[rg] = above
	}
	if strings.Count(target[len(rg):], "/") > 4 { // a nested resource: let the index list its parents
		return e.x.ScopesAbove(target)
	}
	return append([]string{target}, above...)
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

// coversScope is Index.Covers without allocating in the common case: a scope above target in the same subscription.
func (e *engine) coversScope(scope, target string) bool {
	if scope == "/" {
		return true
	}
	scope, target = strings.TrimRight(scope, "/"), strings.TrimRight(target, "/")
	if hasPrefixFold(scope, "/subscriptions/") {
		return len(target) >= len(scope) && strings.EqualFold(target[:len(scope)], scope) &&
			(len(target) == len(scope) || target[len(scope)] == '/')
	}
	// A management group: whether it is above the target's subscription, once per pair.
	sub := target
	if hasPrefixFold(target, "/subscriptions/") {
		if n := strings.IndexByte(target[len("/subscriptions/"):], '/'); n >= 0 {
			sub = target[:len("/subscriptions/")+n]
		}
	}
	k := codeKey{scope, sub}
	if v, ok := e.mgCovers[k]; ok {
		return v
	}
	v := e.x.Covers(scope, sub)
	e.mgCovers[k] = v
	return v
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// kindUAI marks the probe for the user-assigned identity resource itself.
const kindUAI = "#userAssignedIdentity"

// exposersAt lists, once per scope and resource type, the principals whose roles at that scope let them use an
// identity attached to a resource of that type below it, in the tenant's order. The lists of scopes above resources
// are kept in the table every worker shares, and each worker keeps those it met; a single resource's list serves
// the identities attached to it, usually one, and is not worth keeping.
func (e *engine) exposersAt(scope, kind string) []exposer {
	rg := resourceGroupScope(scope)
	if rg != "" && len(rg) != len(scope) {
		entries, _ := e.scopeEntries(scope)
		return e.exposersOf(entries, kind)
	}
	k := codeKey{scope, kind}
	if rg != "" { // a resource group's own scope
		if xs, ok := e.group.exposers[k]; ok {
			return xs
		}
		entries, _ := e.scopeEntries(scope)
		xs := e.exposersOf(entries, kind)
		e.group.exposers[k] = xs
		return xs
	}
	if xs, ok := e.exposers[k]; ok {
		return xs
	}
	xs, ok := e.scopes.exposersOf(k)
	if !ok {
		entries, shared := e.scopeEntries(scope)
		xs = e.exposersOf(entries, kind)
		if shared {
			xs = e.scopes.putExposers(k, xs)
		}
	}
	e.exposers[k] = xs
	return xs
}

// exposersOf picks from the resolved assignments of a scope those that let their principal use an identity on a
// resource of kind.
func (e *engine) exposersOf(entries []scopeEntry, kind string) []exposer {
	if len(entries) == 0 {
		return nil
	}
	verbs := e.kindVerbs[kind] // by role index: what the role does to identities on this kind of resource
	n := 0
	for i := range entries {
		r := int(entries[i].role)
		for len(verbs) <= r {
			verbs = append(verbs, verbSlot{})
		}
		if !verbs[r].known {
			verbs[r] = verbSlot{true, e.exposes(e.roleList[r], kind)}
		}
		if verbs[r].verb != "" {
			n++
		}
	}
	e.kindVerbs[kind] = verbs
	if n == 0 {
		return nil
	}
	out := make([]exposer, n)
	n = 0
	for i := range entries {
		en := &entries[i]
		verb := verbs[en.role].verb
		if verb == "" {
			continue
		}
		if verb == verbAttach && !e.writesCompute[en.a.PrincipalID] {
			verb = verbLatent // the right to assign alone attaches the identity to nothing
		}
		x := &out[n]
		x.scopeEntry, x.verb, x.level, x.entra, x.class = en, e.verbIndex(verb), en.level, en.entra, en.class
		n++
	}
	return out
}

type verbSlot struct {
	known bool
	verb  string
}

// scopeEntry is one resolved role assignment at a scope, with what the engine knows of its principal.
type scopeEntry struct {
	lines        atomic.Pointer[evidenceLine] // the exposure evidence written of it so far
	a            *data.RoleAssignment
	role         int32 // index into engine.roleList
	level, entra int32 // the principal's whole reach and its Entra reach
	class        azureClass
}

// scopeEntries resolves the role assignments made at scope once for every resource type, in the tenant's order, and
// says whether the result is shared by every worker.
func (e *engine) scopeEntries(scope string) ([]scopeEntry, bool) {
	if es, ok := e.scopes.entriesOf(scope); ok {
		return es, true
	}
	es, shared := e.resolveEntries(scope)
	if shared && es != nil { // most resources hold no assignment: finding none again costs less than keeping it
		es = e.scopes.putEntries(scope, es)
	}
	return es, shared
}

// resolveScopes resolves the assignments at every scope that holds some into the table the workers share.
func (e *engine) resolveScopes() {
	t := e.x.Tenant
	seen := map[string]bool{}
	for i := range t.RoleAssignments {
		s := t.RoleAssignments[i].Scope
		if seen[s] {
			continue
		}
		seen[s] = true
		if es, shared := e.resolveEntries(s); shared && es != nil {
			e.scopes.putEntries(s, es)
		}
	}
}

// resolveEntries resolves the assignments at scope, and says whether every role they name has the same index in
// every worker (so that the result may be shared).
func (e *engine) resolveEntries(scope string) ([]scopeEntry, bool) {
	as := e.x.AssignmentsAt(scope)
	if len(as) == 0 {
		return nil, true
	}
	es := e.entryScratch[:0] // most assignments are passed over: the list kept is cut to those that are not
	defer func() { e.entryScratch = es[:0] }()
	shared := true
	for _, a := range as {
		if e.deleted[a.PrincipalID] {
			continue // a deleted principal uses nothing; MI-STALE reports its assignment
		}
		info := e.assigned(a.RoleDefinitionID, a.Condition)
		if !info.resolved || !info.mayUse {
			continue // unresolved: reported where it is held, what it allows is unknown; or it uses no identity
		}
		shared = shared && info.idx < e.sharedRoles
		class := info.class
		p := e.principalReach[a.PrincipalID]
		es = append(es, scopeEntry{a: a, role: int32(info.idx), class: class, level: p.level, entra: p.entra})
	}
	if len(es) == 0 {
		return []scopeEntry{}, shared // resolved, and none uses identities: kept as such, at no cost
	}
	return slices.Clone(es), shared
}

// scopeTable is what the workers have resolved at each scope and, at each scope and resource type, who can use the
// identities below: every worker reads and extends the same table, so that each is worked out once even where
// workers take identities whose resources share scopes. Resolved assignments are kept by the scope as the index
// compares it (data.Key), since resource ids and role assignment scopes spell "resourceGroups" in either case; the
// exposers by the scope as spelt, since their evidence shows it.
type scopeTable struct {
	mu       sync.Mutex
	entries  map[string][]scopeEntry
	exposers map[codeKey][]exposer
	// verbs are the distinct verbs of exposers (a handful), which exposers name by index; latent is verbLatent's.
	verbs  []string
	latent uint16
}

func newScopeTable() *scopeTable {
	return &scopeTable{entries: map[string][]scopeEntry{}, exposers: map[codeKey][]exposer{}, verbs: []string{verbLatent}}
}

// verbIndex is the index of verb in the shared table, added when new. Each worker remembers the indexes it asked for:
// only it adds to its memo, and the table's list only grows, its old entries never moving.
func (e *engine) verbIndex(verb string) uint16 {
	if i, ok := e.verbIdx[verb]; ok {
		return i
	}
	t := e.scopes
	t.mu.Lock()
	i := slices.Index(t.verbs, verb)
	if i < 0 {
		i = len(t.verbs)
		t.verbs = append(t.verbs, verb)
	}
	t.mu.Unlock()
	e.verbIdx[verb] = uint16(i)
	return uint16(i)
}

// verbName is the verb at index i of the shared table, read through the worker's copy of it: another worker may be
// adding to the table.
func (e *engine) verbName(i uint16) string {
	if int(i) >= len(e.verbNames) {
		e.scopes.mu.Lock()
		e.verbNames = slices.Clone(e.scopes.verbs)
		e.scopes.mu.Unlock()
	}
	return e.verbNames[i]
}

func (t *scopeTable) entriesOf(scope string) ([]scopeEntry, bool) {
	var buf [256]byte
	k, ok := foldKey(scope, &buf)
	t.mu.Lock()
	defer t.mu.Unlock()
	if ok {
		es, found := t.entries[string(k)] // looked up without a copy of the key
		return es, found
	}
	es, found := t.entries[data.Key(scope)]
	return es, found
}

// putEntries keeps es for scope unless another worker was first, and returns the list kept.
func (t *scopeTable) putEntries(scope string, es []scopeEntry) []scopeEntry {
	k := data.Key(scope)
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.entries[k]; ok {
		return c
	}
	t.entries[k] = es
	return es
}

// foldKey writes data.Key(id) into buf when id is ASCII and fits, and says whether it did.
func foldKey(id string, buf *[256]byte) ([]byte, bool) {
	id = strings.TrimRight(id, "/")
	if len(id) > len(buf) {
		return nil, false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c >= utf8.RuneSelf {
			return nil, false
		}
		buf[i] = lowerASCII(c)
	}
	return buf[:len(id)], true
}

func (t *scopeTable) exposersOf(k codeKey) ([]exposer, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	xs, ok := t.exposers[k]
	return xs, ok
}

// putExposers keeps xs for k unless another worker was first, and returns the list kept.
func (t *scopeTable) putExposers(k codeKey, xs []exposer) []exposer {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.exposers[k]; ok {
		return c
	}
	t.exposers[k] = xs
	return xs
}

// exposes says what a role lets its holder do to identities attached to a resource of kind, or "".
func (e *engine) exposes(info *roleInfo, kind string) string {
	k := codeKey{strconv.Itoa(info.idx), kind}
	if v, ok := e.verbs[k]; ok {
		return v
	}
	v, how := info.useOf(kind)
	if how != "" {
		v += " (" + how + ")"
	}
	e.verbs[k] = v
	return v
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

func (e *engine) principalText(id string, t data.PrincipalType) string {
	if s, ok := e.principalTexts[id]; ok {
		return s
	}
	kind := "principal"
	switch t {
	case data.PrincipalUser:
		kind = "user"
	case data.PrincipalGroup:
		kind = "group"
	case data.PrincipalServicePrincipal:
		kind = "service principal"
	case data.PrincipalForeignGroup:
		kind = "foreign group"
	}
	if _, ok := e.x.Identity(id); ok {
		kind = "managed identity"
	}
	name := cmp.Or(e.x.PrincipalName(id), "unnamed")
	s := kind + " " + quote(name) + " (" + id + ")"
	e.principalTexts[id] = s
	return s
}

func verbS(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// longLived is the credential lifetime above which a secret is noted as long-lived.
const longLived = 365 * 24 * time.Hour

// applications is SP-MIGRATE.
func (e *engine) applications() {
	for i := range e.x.Tenant.Applications {
		app := &e.x.Tenant.Applications[i]
		if len(app.Credentials) == 0 {
			continue
		}
		// A managed identity's service principal carries an Azure-managed certificate; it is never a secret to rotate.
		if _, ok := e.x.Identity(app.ID); ok {
			continue
		}
		name := cmp.Or(app.DisplayName, app.ID)
		sev := Low
		var ev []evidence
		active, secrets, certs := 0, 0, 0
		for _, c := range app.Credentials {
			kind := "certificate"
			if strings.EqualFold(c.Type, "password") {
				kind = "secret"
				secrets++
			} else {
				certs++
			}
			line := fmt.Sprintf("%s %s (%s)", kind, quote(c.DisplayName), c.KeyID)
			s := Low
			switch {
			case !c.End.IsZero() && c.End.Before(e.now):
				line += fmt.Sprintf(", expired on %s: delete it", c.End.UTC().Format("2006-01-02"))
				s = Info
			default:
				active++
				line += ", valid until " + c.End.UTC().Format("2006-01-02")
				if kind == "secret" && !c.Start.IsZero() && c.End.Sub(c.Start) > longLived {
					line += fmt.Sprintf(", long-lived (%d days)", int(c.End.Sub(c.Start).Hours()/24))
					s = Medium
				}
			}
			ev = append(ev, evidence{s, Evidence{Text: line, Kind: EvidenceApplicationCredential, ID: c.KeyID,
				PrincipalID: app.ID}})
		}
		if len(app.Hosts) > 0 && active > 0 {
			sev = Medium
			for _, h := range app.Hosts {
				ev = append(ev, evidence{Info, resourceEvidence(h, "runs in Azure on "+h+", which can have a managed identity")})
			}
		}
		if active == 0 {
			sev = Info
		}
		for _, v := range ev {
			sev = max(sev, v.sev)
		}
		// The finding's severity is the application's, not its worst line's.
		ev = append(ev, evidence{sev, Evidence{Text: fmt.Sprintf("application %s (app id %s) signs in with %d secret(s) and %d certificate(s), %d still valid",
			quote(name), app.AppID, secrets, certs, active), Kind: EvidencePrincipal, ID: app.ID, PrincipalID: app.ID}})
		e.add(RuleSPMigrate, app.ID, ev, func(evidence) string {
			return "Application " + quote(name) + " signs in with a secret or certificate and could use a managed identity"
		}, "Move the workload to a managed identity (or workload identity federation where it runs outside Azure), "+
			"then remove the application's secrets and certificates. Until then keep secrets short-lived and delete "+
			"expired ones.")
	}
}

// identityEvidence is evidence about an identity as a whole.
func identityEvidence(id *data.Identity, text string) Evidence {
	return Evidence{Text: text, Kind: EvidencePrincipal, ID: id.ID, PrincipalID: id.ID, ResourceID: id.ResourceID}
}

func resourceEvidence(resourceID, text string) Evidence {
	return Evidence{Text: text, Kind: EvidenceResource, ID: resourceID, ResourceID: resourceID}
}
