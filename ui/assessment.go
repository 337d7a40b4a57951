package ui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/cache"
)

// assessState is the background assessment: the full read of the tenant, the findings engine over it, and what the
// views learn from it (severity, reach, role and permission text for the filter).
type assessState struct {
	box      *mailbox
	cancel   context.CancelFunc
	running  bool
	progress data.Progress
	since    time.Time // when the current stage began, for its elapsed time
	err      error
	result   *assessment
}

// assessment is one explorer's view of a finished assessment: what every explorer on the same cache makes of it is
// shared (built once, never modified); what this explorer's triage file and baseline change is its own.
type assessment struct {
	*sharedAssessment
	facts []identityFacts // by the shared index (byID)
	// findingRows are the findings pane's rows, made from the shared ones when the pane first needs them, with this
	// explorer's statuses and baseline marks; a row's cells are cloned before one of them changes.
	findingRows []row
}

// sharedAssessment is what the views need precomputed from a result, so that applying it in Update is a look-up per
// row. Every explorer on one cache shares it (cache.Assessed.Derived): nothing in it may be modified.
type sharedAssessment struct {
	x    *data.Index
	r    *assess.Result
	byID map[string]int32             // identity's place in base, by object id as the source spells it
	base []identityBase               // what the assessment says of each identity
	apps map[string]*data.Application // application service principals by data.Key(object id), for SP-MIGRATE
	// findingTemplate are the findings pane's rows, in the engine's order (severity first), every finding open and
	// unmarked; fps are the findings' fingerprints, by the same index.
	findingTemplate []row
	fps             []string
	// widest is the widest text the assessment puts in the list's attached, severity, count and reach columns,
	// measured here so that applying it does not measure 50,000 rows again in Update.
	widest [4]int
	// findingWidest is the widest cell of each column of findingTemplate.
	findingWidest []int
}

// identityBase is what the assessment adds to an identity's list row, counting every finding.
type identityBase struct {
	attached     string // short form of the attached resources of a user-assigned identity
	extra        string // lowercase role names, permissions, groups, resources, severity and reach, for the filter
	allSev       assess.Severity
	allCount     int
	allCountText string
	reach        string
	reachLevel   int
	incomplete   bool   // a part of the identity could not be read, so no finding is not proof of none
	used         string // when it last signed in, as the USED column says it
	usedKey      int64  // the USED column's sort key: longer unused sorts higher
	// cells and nums are the identity's list row with every finding open and no baseline mark: most explorers'
	// rows show exactly this, so they share it (applyTo).
	cells []string
	nums  []int64
}

// identityFacts is an identity's facts in one explorer: its severity and count are of its open findings, which
// depend on the explorer's triage file.
type identityFacts struct {
	*identityBase
	sev       assess.Severity
	count     int
	countText string
}

// severity is the identity's severity cell and its sort key.
func (f *identityFacts) severity() (string, int64) {
	return severityCell(f.sev, f.count > 0, f.incomplete)
}

// assessProgressMsg is a stage's progress as the source reports it, stamped where it was reported.
type assessProgressMsg struct {
	p  data.Progress
	at time.Time
}

type assessDoneMsg struct {
	a   *assessment
	err error
}

// startAssessment reads the whole tenant through the cache and assesses it, in the background.
func (m *Model) startAssessment() tea.Cmd {
	s := &m.as
	if s.cancel != nil {
		s.cancel()
	}
	ctx, cancel := context.WithCancel(m.ctx)
	box := newMailbox(0)
	s.box, s.cancel, s.running, s.err, s.progress = box, cancel, true, nil, data.Progress{Stage: "starting"}
	s.since = time.Time{}
	src := m.src
	run := func() tea.Msg {
		defer box.close()
		// The cache reads and assesses the tenant once for every explorer on it (each session of a server): this one
		// is told the progress of that shared work, whenever it joins.
		as, err := src.Assess(ctx, func(p data.Progress) { box.put(assessProgressMsg{p, time.Now()}) })
		if err != nil {
			if ctx.Err() == nil {
				box.put(assessDoneMsg{err: err})
			}
			return nil
		}
		box.put(assessDoneMsg{a: sessionAssessment(as)})
		return nil
	}
	return tea.Batch(run, box.next(m.ctx))
}

// sharedKey keys the explorer's shared view of an assessment in cache.Assessed.Derived.
type sharedKey struct{}

// sessionAssessment is this explorer's view of the cache's shared assessment: the precomputed part is built by the
// first explorer that asks and shared by the others.
func sessionAssessment(as *cache.Assessed) *assessment {
	sh := as.Derived(sharedKey{}, func(as *cache.Assessed) any { return newSharedAssessment(as.Index, as.Result) })
	return sh.(*sharedAssessment).session()
}

// newAssessment precomputes what the views need from a result for a single explorer.
func newAssessment(x *data.Index, r *assess.Result) *assessment {
	return newSharedAssessment(x, r).session()
}

// session makes one explorer's facts, every finding open until its triage file says otherwise.
func (sh *sharedAssessment) session() *assessment {
	a := &assessment{sharedAssessment: sh, facts: make([]identityFacts, len(sh.base))}
	for i := range sh.base {
		b := &sh.base[i]
		a.facts[i] = identityFacts{identityBase: b, sev: b.allSev, count: b.allCount, countText: b.allCountText}
	}
	return a
}

// newSharedAssessment precomputes, off the Update path, what every view needs from a result.
func newSharedAssessment(x *data.Index, r *assess.Result) *sharedAssessment {
	a := &sharedAssessment{x: x, r: r, byID: make(map[string]int32, len(x.Tenant.Identities)),
		base: make([]identityBase, len(x.Tenant.Identities))}
	a.apps = make(map[string]*data.Application, len(x.Tenant.Applications))
	for i := range x.Tenant.Applications {
		a.apps[data.Key(x.Tenant.Applications[i].ID)] = &x.Tenant.Applications[i]
	}
	gaps := len(x.Tenant.Gaps) > 0
	// One block holds every identity's shared row cells and sort keys.
	cells := make([]string, identityCells*len(x.Tenant.Identities))
	nums := make([]int64, identityCells*len(x.Tenant.Identities))
	for i := range x.Tenant.Identities {
		id := &x.Tenant.Identities[i]
		f := &a.base[i]
		f.allCount = r.Count(id.ID)
		f.allSev, _ = r.Highest(id.ID)
		if reach, ok := r.Reach[id.ID]; ok {
			f.reach, f.reachLevel = reach.Label, reach.Level
		} else if reach, ok := r.Reach[data.Key(id.ID)]; ok {
			f.reach, f.reachLevel = reach.Label, reach.Level
		}
		f.incomplete = strings.HasPrefix(f.reach, "unknown") || gaps && unreadableSections(x, id.ID) > 0
		var hay strings.Builder
		word := func(s string) { hay.WriteString(s); hay.WriteByte('\x00') }
		attached := x.Attached(id.ID)
		for _, res := range attached {
			word(res.Name)
		}
		if id.Kind == data.UserAssigned {
			switch len(attached) {
			case 0:
				f.attached = "unattached"
			case 1:
				f.attached = shortResource(attached[0].ID)
			default:
				f.attached = shortResource(attached[0].ID) + " +" + strconv.Itoa(len(attached)-1)
			}
		}
		for _, g := range x.Groups(id.ID) {
			word(g.DisplayName)
		}
		for _, d := range x.DirectoryRoles(id.ID) {
			word(d.RoleName)
		}
		for _, p := range x.AppRoles(id.ID) {
			word(p.Permission)
		}
		for _, az := range x.AzureRoles(id.ID) {
			word(az.RoleName)
		}
		word(f.reach)
		sevText, _ := severityCell(f.allSev, f.allCount > 0, f.incomplete)
		hay.WriteString(sevText)
		rules, _ := r.Rules(id.ID)
		for _, rule := range rules {
			hay.WriteByte('\x00')
			hay.WriteString(rule)
		}
		// NUL separates the names, so that no query matches across two of them.
		f.extra = strings.ToLower(hay.String())
		f.allCountText = countText(f.allCount)
		f.used, f.usedKey = usedCell(x, id.ID)
		attachedCell := f.attached
		if attachedCell == "" && id.Kind == data.SystemAssigned && id.ResourceID != "" {
			attachedCell = shortResource(id.ResourceID) // as the list shows it before the assessment
		}
		f.cells = cells[identityCells*i : identityCells*(i+1) : identityCells*(i+1)]
		f.nums = nums[identityCells*i : identityCells*(i+1) : identityCells*(i+1)]
		copy(f.cells, []string{displayName(id.DisplayName, id.ID), kindShort(id.Kind), attachedCell, sevText,
			f.allCountText, f.reach, f.used, ""})
		_, f.nums[3] = severityCell(f.allSev, f.allCount > 0, f.incomplete)
		f.nums[4], f.nums[5], f.nums[6] = int64(f.allCount), int64(f.reachLevel), f.usedKey
		for c, cell := range [4]string{f.attached, sevText, f.allCountText, f.reach} {
			if len(cell) > a.widest[c] {
				a.widest[c] = max(a.widest[c], width(cell))
			}
		}
		a.byID[id.ID] = int32(i)
	}
	a.findingTemplate = make([]row, 0, len(r.Findings))
	a.findingWidest = make([]int, len(findingColumns()))
	a.fps = make([]string, len(r.Findings))
	for i := range r.Findings {
		a.fps[i] = r.Findings[i].Fingerprint()
		a.findingTemplate = append(a.findingTemplate, findingRow(a, &r.Findings[i], i))
		widen(a.findingWidest, a.findingTemplate[i].cells)
	}
	return a
}

// usedCell is the USED column of an identity: days since its last sign-in before the read ("<1d", "12d", "52d"),
// "never" when usage was read and shows none, "?" when it could not be read (the detail view says why). Longest
// unused sorts highest; unknown sorts lowest.
func usedCell(x *data.Index, id string) (string, int64) {
	last, _, known := assess.LastUsed(x, id)
	switch {
	case !known:
		return "?", -1
	case last.IsZero():
		return "never", 1 << 40
	}
	days := int64(x.Tenant.Usage.To.Sub(last).Hours() / 24)
	if days < 1 {
		return "<1d", 0
	}
	return strconv.FormatInt(days, 10) + "d", days
}

// smallCounts are the count cells of most identities, so that an explorer's counts cost no strings.
var smallCounts = func() (c [100]string) {
	for i := range c {
		c[i] = strconv.Itoa(i)
	}
	return c
}()

func countText(n int) string {
	if n >= 0 && n < len(smallCounts) {
		return smallCounts[n]
	}
	return strconv.Itoa(n)
}

// rows returns the findings pane's rows, making this explorer's copy of the shared ones the first time; decorate
// writes the explorer's statuses and marks into a new copy.
func (a *assessment) rows(decorate func(a *assessment)) []row {
	if a.findingRows == nil && len(a.findingTemplate) > 0 {
		a.findingRows = slices.Clone(a.findingTemplate)
		if decorate != nil {
			decorate(a)
		}
	}
	return a.findingRows
}

// setFindingCell sets one cell of a finding's row, cloning the row's cells first since they start shared.
func (a *assessment) setFindingCell(i, col int, v string) {
	if a.findingRows == nil || a.findingRows[i].cells[col] == v {
		return
	}
	r := &a.findingRows[i]
	r.cells = slices.Clone(r.cells)
	r.cells[col] = v
}

// unreadableSections counts the sections of an identity that could not be read, its own and the tenant-wide ones.
func unreadableSections(x *data.Index, id string) int {
	n := 0
	for _, sec := range data.Sections {
		if len(x.Gaps(id, sec)) > 0 {
			n++
		}
	}
	return n
}

// application returns the application service principal a finding names when it is not a managed identity
// (SP-MIGRATE findings are about applications).
func (a *sharedAssessment) application(id string) (*data.Application, bool) {
	if _, ok := a.x.Identity(id); ok {
		return nil, false
	}
	app, ok := a.apps[data.Key(id)]
	return app, ok
}

// deletedPrincipal returns the principal a finding names when the directory no longer has it (MI-STALE's dangling
// role assignments).
func (a *sharedAssessment) deletedPrincipal(id string) (*data.Principal, bool) {
	if p, ok := a.x.Principal(id); ok && p.NotFound {
		return p, true
	}
	return nil, false
}

// fact looks an identity up by its id, then case-insensitively for a source that spells ids differently.
func (a *assessment) fact(id string) *identityFacts {
	i, ok := a.byID[id]
	if !ok {
		x, found := a.x.Identity(id)
		if !found {
			return nil
		}
		if i, ok = a.byID[x.ID]; !ok {
			return nil
		}
	}
	return &a.facts[i]
}

// applyTo fills the assessment's columns of an identity row. A row that shows what every explorer shows (its open
// findings are all its findings, no baseline mark) takes the cells and sort keys the explorers share; any other gets
// cells of its own.
func (a *assessment) applyTo(r *row) {
	f := a.fact(r.id)
	if f == nil {
		ownCells(r)
		r.cells[3], r.cells[4], r.cells[5] = "unknown", "", ""
		return
	}
	r.sev = -1
	if f.count > 0 {
		r.sev = int8(f.sev)
	}
	r.extra = f.extra
	b := f.identityBase
	if f.count == b.allCount && f.sev == b.allSev && len(r.cells) == len(b.cells) && r.cells[colChangeIdentity] == "" &&
		r.cells[0] == b.cells[0] && r.cells[1] == b.cells[1] && (f.attached != "" || r.cells[2] == b.cells[2]) {
		r.cells, r.nums = b.cells, b.nums
		return
	}
	ownCells(r)
	if f.attached != "" {
		r.cells[2] = f.attached
	}
	r.cells[3], r.nums[3] = f.severity()
	r.cells[4], r.nums[4] = f.countText, int64(f.count)
	r.cells[5], r.nums[5] = f.reach, int64(f.reachLevel)
	r.cells[6], r.nums[6] = f.used, f.usedKey
}

// ownCells gives a row cells and sort keys of its own before one of them changes: they may be the shared ones.
func ownCells(r *row) {
	r.cells, r.nums = slices.Clone(r.cells), slices.Clone(r.nums)
}

// setIdentityCell sets one cell of an identity row, on cells of the row's own when it changes.
func setIdentityCell(r *row, col int, v string) {
	if r.cells[col] != v {
		ownCells(r)
		r.cells[col] = v
	}
}

// receive takes the assessment's progress and its result.
func (s *assessState) receive(m *Model, msgs []tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	for _, msg := range msgs {
		switch msg := msg.(type) {
		case assessProgressMsg:
			if msg.p.Stage != s.progress.Stage || s.since.IsZero() {
				s.since = msg.at
			}
			s.progress = msg.p
		case assessDoneMsg:
			s.running = false
			s.err = msg.err
			for _, v := range m.stack {
				if d, ok := v.(*detailView); ok {
					d.asErr = msg.err
				}
			}
			if msg.a != nil {
				s.result = msg.a
				cmd = m.applyAssessment()
			}
		}
	}
	return cmd
}

// applyAssessment updates the list's rows in place and sorts them again (in a command for a large list).
func (m *Model) applyAssessment() tea.Cmd {
	a := m.as.result
	t := m.list.t
	m.triageStatuses(m.opts.Now()) // the list's severity and count are of open findings
	for i := range t.rows {
		a.applyTo(&t.rows[i])
	}
	for c, w := range a.widest {
		t.content[2+c] = min(maxContent, max(t.content[2+c], w))
	}
	cmd := tea.Batch(t.resort(), m.compareBaseline())
	for _, v := range m.stack {
		switch v := v.(type) {
		case *detailView:
			v.assessed(a)
		case *findingsView:
			v.fill(m.pageContext, a)
		case *candidatesView:
			v.fill(a)
		}
	}
	return cmd
}

// status is the assessment's part of the status bar.
func (s *assessState) status(m *Model) string {
	switch {
	case s.running:
		p := s.progress
		txt := m.spinnerView() + " " + shown(p.Stage)
		if p.Total > 0 {
			txt += fmt.Sprintf(" %d/%d", p.Done, p.Total)
		} else if p.Done > 0 {
			txt += fmt.Sprintf(" %d", p.Done)
		}
		if !s.since.IsZero() {
			if d := time.Since(s.since); d >= time.Second {
				txt += " · " + d.Truncate(time.Second).String()
			}
		}
		return txt
	case s.err != nil:
		return "assessment failed: " + errText(s.err)
	case s.result != nil:
		txt := data.Plural(len(s.result.r.Findings), "finding", "findings")
		if n := len(s.result.r.Gaps); n > 0 {
			txt += " · " + data.Plural(n, "part", "parts") + " not readable (" + m.keys.Gaps.Help().Key + ")"
		}
		return txt
	}
	return ""
}

// decorateFindings writes this explorer's triage statuses and baseline marks into its new copy of the findings
// pane's rows.
func (c *pageContext) decorateFindings(a *assessment) {
	if c.tri.from == a {
		for i, st := range c.tri.status {
			a.setFindingCell(i, colStatusIndex, statusCell(st))
		}
	}
	if c.base.from == a {
		for i := range a.findingRows {
			a.setFindingCell(i, colChangeFinding, c.base.findingMark(int32(i)))
		}
	}
}
