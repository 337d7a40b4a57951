package assess

// The shared scope table: the role assignments resolved at each scope, who can use the identities below it and the
// evidence written of them, worked out once for every worker. Exposure (MI-EXPOSED) reads it; no rule lives here.

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/miscope/miscope/data"
)

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
	n            int32                        // its number among every shared entry of the assessment, or -1 for one that is not shared
	lines        atomic.Pointer[evidenceLine] // the exposure evidence written of it so far
	a            *data.RoleAssignment
	role         int32 // index into engine.roleList
	level, entra int32 // the principal's whole reach and its Entra reach
	class        azureClass
}

// scopeEntries resolves the role assignments made at scope once for every resource type, in the tenant's order, and
// says whether the result is shared by every worker.
func (e *engine) scopeEntries(scope string) ([]scopeEntry, bool) {
	if es, ok := e.scopes.entriesOf(scope); ok || e.scopes.complete {
		return es, true // when the table is complete, a scope it lacks holds no assignment
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
	complete := true
	for i := range t.RoleAssignments {
		s := t.RoleAssignments[i].Scope
		if seen[s] {
			continue
		}
		seen[s] = true
		es, shared := e.resolveEntries(s)
		if shared && es != nil {
			e.scopes.putEntries(s, es)
		}
		complete = complete && shared
	}
	e.scopes.complete = complete // read by the workers, which start after this returns
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
	out := slices.Clone(es)
	if !shared { // resolved again wherever it is met: its entries are not one per assignment
		for i := range out {
			out[i].n = -1
		}
		return out, false
	}
	first := e.scopes.numbered.Add(int32(len(out))) - int32(len(out))
	for i := range out {
		out[i].n = first + int32(i)
	}
	return out, true
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
	// numbered counts the shared entries: each has its number (scopeEntry.n) below it.
	numbered atomic.Int32
	// complete is set when every scope that holds an assignment has its entries here: from then on entries is
	// only read, and a scope it lacks holds none.
	complete bool
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
	if !t.complete { // once complete, the entries are only read
		t.mu.Lock()
		defer t.mu.Unlock()
	}
	if ok {
		es, found := t.entries[string(k)] // looked up without a copy of the key
		return es, found
	}
	es, found := t.entries[data.Key(scope)]
	return es, found
}

// putEntries keeps es for scope unless another worker was first, and returns the list kept.
func (t *scopeTable) putEntries(scope string, es []scopeEntry) []scopeEntry {
	return keepFirst(&t.mu, t.entries, data.Key(scope), es)
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
	return keepFirst(&t.mu, t.exposers, k, xs)
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
