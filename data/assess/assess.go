package assess

import (
	"cmp"
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

// maxEvidence bounds the evidence of one finding; the rest is counted, so a tenant with thousands of principals on
// one subscription still gives a finding that can be read.
const maxEvidence = 25

// Options tune an assessment's run, never its result.
type Options struct {
	// Workers bounds the cores the engine works on; 0 means every core. An explorer leaves one core to the keyboard,
	// so typing stays quick while the assessment runs.
	Workers int
}

// Assess applies every rule to the joined tenant on every core. It reads x only and is deterministic: the same
// tenant gives the same result, sorted.
func Assess(x *data.Index) *Result { return AssessWith(x, Options{}) }

// AssessWith is Assess run as o says.
func AssessWith(x *data.Index, o Options) *Result {
	e := newEngine(x)
	e.workers = o.Workers
	ids := x.Tenant.Identities
	e.verdicts = make([]verdict, len(ids))

	// Privilege first, for every identity: the other rules grade by it, and exposure compares principals by it.
	// Each phase runs on every core over chunks of the identities, each worker with its own memos; each identity's
	// verdict has its own slot, so workers write them where they belong and nothing is merged.
	_, found := e.parallel(len(ids), func(f *engine, lo, hi int) {
		for i := lo; i < hi; i++ {
			f.assessPrivilege(i, x.AttachedTo(&ids[i]))
		}
	})
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
	_, found = e.parallel(len(ids), func(f *engine, lo, hi int) {
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
	})
	e.take(found)
	e.scopes = nil // what exposure kept is not needed for the rest, which builds the result beside it
	e.applications()
	e.dangling()
	e.usage()
	e.serviceUsers()
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

// parallel runs work over [0, n) in chunks that workers, one per core (or e.workers), each a fork of e, take in turn,
// and returns the workers' engines and their findings by chunk, so that joined in order the result does not depend
// on scheduling.
func (e *engine) parallel(n int, work func(f *engine, lo, hi int)) ([]*engine, [][]Finding) {
	const chunk = 512
	chunks := (n + chunk - 1) / chunk
	cores := runtime.GOMAXPROCS(0)
	if e.workers > 0 {
		cores = min(cores, e.workers)
	}
	workers := max(1, min(cores, chunks))
	fork := e.fork
	forks := make([]*engine, workers)
	out := make([][]Finding, chunks)
	var next atomic.Int64
	drain := func(f *engine) {
		for {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			work(f, c*chunk, min(n, (c+1)*chunk))
			out[c], f.findings = f.findings, nil
		}
	}
	if workers == 1 { // on the caller's goroutine, which may run on a thread of lowered priority (data.InBackground)
		forks[0] = fork()
		drain(forks[0])
		return forks, out
	}
	var wg sync.WaitGroup
	for w := range workers {
		f := fork()
		forks[w] = f
		wg.Go(func() { drain(f) })
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
	usageGaps      []data.Gap                    // usage rules that could not be applied, and why
	workers        int                           // the most cores to work on; 0 for every core
	planes         map[*roleInfo][]string        // role -> resource applications whose sign-ins use it (usage.go)
	lines          []*Evidence                   // scratch: exposure's evidence while it is gathered
	counted        map[*data.RoleAssignment]bool // scratch: exposure's unnumbered assignments counted for an identity on several resources
	marks          []uint32                      // scratch: by entry number, the epoch of the identity that last counted it
	epoch          uint32
	slab           []Evidence       // where this worker keeps exposure evidence, a block at a time
	targets        []exposureTarget // scratch: where exposure looks for the identity being assessed
	entryScratch   []scopeEntry     // scratch: a scope's assignments while they are resolved
	lineBuf        []byte           // scratch: an evidence line while it is written
	texts          *evidenceTexts   // shared by every worker
}

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

// result sorts the findings and builds the per-identity index.
func (e *engine) result() *Result {
	// Sort an order of indices with the keys computed once: findings are large and ids need lowering.
	// Within a severity, findings read by identity name, then rule: what a reader scans for.
	appNames := map[string]string{}
	for i := range e.x.Tenant.Applications {
		if app := &e.x.Tenant.Applications[i]; len(app.Credentials) > 0 {
			appNames[data.Key(app.ID)] = strings.ToLower(app.DisplayName)
		}
	}
	if u := e.x.Tenant.Usage; u != nil {
		for i := range u.Users {
			appNames[data.Key(u.Users[i].ID)] = strings.ToLower(cmp.Or(u.Users[i].DisplayName, u.Users[i].UserPrincipalName))
		}
	}
	keys := make([]string, len(e.findings))
	names := make([]string, len(e.findings))
	order := make([]int, len(e.findings))
	for i := range e.findings {
		keys[i], order[i] = data.Key(e.findings[i].IdentityID), i
		names[i] = keys[i]
		if id, ok := e.x.Identity(e.findings[i].IdentityID); ok && id.DisplayName != "" {
			names[i] = strings.ToLower(id.DisplayName)
		} else if name := appNames[keys[i]]; name != "" {
			names[i] = name
		}
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := &e.findings[i], &e.findings[j]
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			strings.Compare(names[i], names[j]),
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
	// A usage gap says which rules it kept from being assessed, in place of the tenant's own words for it.
	r.Gaps = append([]data.Gap(nil), e.x.Tenant.Gaps...)
	for _, u := range e.usageGaps {
		i := slices.IndexFunc(r.Gaps, func(g data.Gap) bool { return g.Section == u.Section && g.IdentityID == "" })
		if i < 0 {
			r.Gaps = append(r.Gaps, u)
		} else {
			r.Gaps[i].Reason = u.Reason
		}
	}
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

func verbS(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}
