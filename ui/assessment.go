package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
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

// assessment is a finished assessment with everything the views need precomputed, so applying it in Update is a
// look-up per row.
type assessment struct {
	x     *data.Index
	r     *assess.Result
	facts map[string]*identityFacts    // by object id as the source spells it, which is how the rows carry it
	apps  map[string]*data.Application // application service principals by data.Key(object id), for SP-MIGRATE
	// findingRows are the findings pane's rows, in the engine's order (severity first); fps are the findings'
	// fingerprints, by the same index.
	findingRows []row
	fps         []string
	// widest is the widest text the assessment puts in the list's attached, severity, count and reach columns,
	// measured here so that applying it does not measure 50,000 rows again in Update.
	widest [4]int
	// findingWidest is the widest cell of each column of findingRows.
	findingWidest []int
}

// identityFacts is what the assessment adds to an identity's list row.
type identityFacts struct {
	attached   string // short form of the attached resources of a user-assigned identity
	extra      string // lowercase role names, permissions, groups, resources, severity and reach, for the filter
	sev        assess.Severity
	count      int
	countText  string
	reach      string
	reachLevel int
	incomplete bool // a part of the identity could not be read, so no finding is not proof of none
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
	box := newMailbox()
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
		box.put(assessDoneMsg{a: newAssessment(as.Index, as.Result)})
		return nil
	}
	return tea.Batch(run, box.next(m.ctx))
}

// newAssessment precomputes, off the Update path, what every view needs from a result.
func newAssessment(x *data.Index, r *assess.Result) *assessment {
	a := &assessment{x: x, r: r, facts: make(map[string]*identityFacts, len(x.Tenant.Identities))}
	a.apps = make(map[string]*data.Application, len(x.Tenant.Applications))
	for i := range x.Tenant.Applications {
		a.apps[data.Key(x.Tenant.Applications[i].ID)] = &x.Tenant.Applications[i]
	}
	gaps := len(x.Tenant.Gaps) > 0
	for i := range x.Tenant.Identities {
		id := &x.Tenant.Identities[i]
		f := &identityFacts{count: r.Count(id.ID)}
		f.sev, _ = r.Highest(id.ID)
		if reach, ok := r.Reach[id.ID]; ok {
			f.reach, f.reachLevel = data.Clean(reach.Label), reach.Level
		} else if reach, ok := r.Reach[data.Key(id.ID)]; ok {
			f.reach, f.reachLevel = data.Clean(reach.Label), reach.Level
		}
		f.incomplete = strings.HasPrefix(f.reach, "unknown") || gaps && unreadableSections(x, id.ID) > 0
		var hay strings.Builder
		attached := x.Attached(id.ID)
		for _, res := range attached {
			hay.WriteString(res.Name)
			hay.WriteByte('\x00')
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
			hay.WriteString(g.DisplayName)
			hay.WriteByte('\x00')
		}
		for _, d := range x.DirectoryRoles(id.ID) {
			hay.WriteString(d.RoleName)
			hay.WriteByte('\x00')
		}
		for _, p := range x.AppRoles(id.ID) {
			hay.WriteString(p.Permission)
			hay.WriteByte('\x00')
		}
		for _, az := range x.AzureRoles(id.ID) {
			hay.WriteString(az.RoleName)
			hay.WriteByte('\x00')
		}
		hay.WriteString(f.reach)
		hay.WriteByte('\x00')
		sevText, _ := f.severity()
		hay.WriteString(sevText)
		rules, _ := r.Rules(id.ID)
		for _, rule := range rules {
			hay.WriteByte('\x00')
			hay.WriteString(rule)
		}
		// Clean marks the NUL separators visibly; they go back to NUL so that no query matches across two names.
		f.extra = strings.ReplaceAll(strings.ToLower(data.Clean(hay.String())), `\x00`, "\x00")
		f.countText = strconv.Itoa(f.count)
		for c, cell := range [4]string{f.attached, sevText, f.countText, f.reach} {
			if len(cell) > a.widest[c] {
				a.widest[c] = max(a.widest[c], ansi.StringWidth(cell))
			}
		}
		a.facts[id.ID] = f
	}
	a.findingRows = make([]row, 0, len(r.Findings))
	clean := memoClean()
	a.findingWidest = make([]int, len(findingColumns()))
	a.fps = make([]string, len(r.Findings))
	for i := range r.Findings {
		a.fps[i] = r.Findings[i].Fingerprint()
		a.findingRows = append(a.findingRows, findingRow(a, &r.Findings[i], i, clean))
		widen(a.findingWidest, a.findingRows[i].cells)
	}
	return a
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
func (a *assessment) application(id string) (*data.Application, bool) {
	if _, ok := a.x.Identity(id); ok {
		return nil, false
	}
	app, ok := a.apps[data.Key(id)]
	return app, ok
}

// deletedPrincipal returns the principal a finding names when the directory no longer has it (MI-STALE's dangling
// role assignments).
func (a *assessment) deletedPrincipal(id string) (*data.Principal, bool) {
	if p, ok := a.x.Principal(id); ok && p.NotFound {
		return p, true
	}
	return nil, false
}

// fact looks an identity up by its id, then case-insensitively for a source that spells ids differently.
func (a *assessment) fact(id string) *identityFacts {
	if f, ok := a.facts[id]; ok {
		return f
	}
	if x, ok := a.x.Identity(id); ok {
		return a.facts[x.ID]
	}
	return nil
}

// applyTo fills the assessment's columns of an identity row.
func (a *assessment) applyTo(r *row) {
	f := a.fact(r.id)
	if f == nil {
		r.cells[3], r.cells[4], r.cells[5] = "unknown", "", ""
		return
	}
	if f.attached != "" {
		r.cells[2] = f.attached
	}
	r.cells[3], r.nums[3] = f.severity()
	r.sev = -1
	if f.count > 0 {
		r.sev = int8(f.sev)
	}
	r.cells[4], r.nums[4] = f.countText, int64(f.count)
	r.cells[5], r.nums[5] = f.reach, int64(f.reachLevel)
	r.extra = f.extra
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
		txt := m.spinnerView() + " " + data.Clean(p.Stage)
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
