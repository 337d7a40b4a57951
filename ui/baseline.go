package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/cache"
	"github.com/miscope/miscope/data/diff"
)

// This file is the explorer's --baseline: an earlier read of the tenant, read and assessed in the background, then
// compared with the current one in a command. The list and the findings pane get a CHG column (new, chg, upd), c shows
// only what changed, and the detail view says what was added and removed in each section.

// Change marks, as the CHG column writes them.
const (
	markNew     = "new" // an identity or finding the baseline does not have
	markChanged = "chg" // an identity whose holdings or findings changed
	markUpdated = "upd" // a finding of the same rule on the same identity whose evidence or severity changed
)

// changeColumn is the CHG column; it is only there when a baseline is given.
var changeColumn = column{name: colChange, title: "CHG", width: 3}

// Cell positions of the CHG column in identity and finding rows; rows always carry the cell, tables show it only
// with a baseline.
const (
	colChangeIdentity = 7
	colChangeFinding  = 5
)

// baselineState is the baseline and how the current assessment compares with it.
type baselineState struct {
	src     *cache.Cache
	loading bool
	err     error
	base    diff.Side
	// for is the assessment the comparison below was made with.
	from       *assessment
	identities map[string]*diff.IdentityChange // by data.Key(id): changed identities
	added      map[string]bool                 // by data.Key(id): identities the baseline does not have
	findings   []assess.BaselineState          // by index in from's findings
	absent     int
	// changedOnly shows only new and changed identities and findings.
	changedOnly bool
}

type baselineLoadedMsg struct {
	side diff.Side
	err  error
}

type baselineComparedMsg struct {
	from       *assessment
	identities map[string]*diff.IdentityChange
	added      map[string]bool
	findings   []assess.BaselineState
	absent     int
}

// loadBaseline reads and assesses the baseline in a command.
func (m *Model) loadBaseline() tea.Cmd {
	b := &m.base
	if b.src == nil {
		return nil
	}
	b.loading = true
	src, ctx := b.src, m.ctx
	return func() tea.Msg {
		x, err := src.Index(ctx, nil)
		if err != nil {
			return baselineLoadedMsg{err: err}
		}
		return baselineLoadedMsg{side: diff.Side{Info: src.Info(), X: x, R: assess.Assess(x)}}
	}
}

// compareBaseline compares the current assessment with the baseline in a command, once both are known.
func (m *Model) compareBaseline() tea.Cmd {
	b := &m.base
	a := m.as.result
	if b.src == nil || b.base.X == nil || a == nil || b.from == a {
		return nil
	}
	base := b.base
	return func() tea.Msg {
		cur := diff.Side{Info: m.src.Info(), X: a.x, R: a.r}
		r := diff.Compare(base, cur)
		msg := baselineComparedMsg{from: a, identities: map[string]*diff.IdentityChange{}, added: map[string]bool{}}
		for i := range r.IdentitiesChanged {
			msg.identities[data.Key(r.IdentitiesChanged[i].ID)] = &r.IdentitiesChanged[i]
		}
		for _, id := range r.IdentitiesAdded {
			msg.added[data.Key(id.ID)] = true
		}
		match := assess.MatchFindings(base.R.Findings, a.r.Findings)
		msg.findings, msg.absent = match.State, len(match.Absent)
		// A finding that is new or changed (or moved in severity) changes its identity too.
		for i, st := range match.State {
			changedSeverity := st != assess.BaselineNew && base.R.Findings[match.Was[i]].Severity != a.r.Findings[i].Severity
			if st == assess.BaselineNew || st == assess.BaselineUpdated || changedSeverity {
				k := data.Key(a.r.Findings[i].IdentityID)
				if _, ok := msg.identities[k]; !ok && !msg.added[k] {
					msg.identities[k] = &diff.IdentityChange{}
				}
			}
		}
		return msg
	}
}

// baselineUpdate handles the baseline's messages.
func (m *Model) baselineUpdate(msg tea.Msg) (tea.Cmd, bool) {
	b := &m.base
	switch msg := msg.(type) {
	case baselineLoadedMsg:
		b.loading, b.err, b.base = false, msg.err, msg.side
		if msg.err != nil {
			return m.setFlash("the baseline could not be read: "+errText(msg.err), true), true
		}
		return m.compareBaseline(), true
	case baselineComparedMsg:
		if msg.from != m.as.result {
			return m.compareBaseline(), true // the assessment was refreshed meanwhile
		}
		b.from, b.identities, b.added, b.findings, b.absent = msg.from, msg.identities, msg.added, msg.findings,
			msg.absent
		return m.applyBaseline(), true
	}
	return nil, false
}

// identityMark is an identity's CHG cell.
func (b *baselineState) identityMark(id string) string {
	k := data.Key(id)
	switch {
	case b.from == nil:
		return ""
	case b.added[k]:
		return markNew
	case b.identities[k] != nil:
		return markChanged
	}
	return ""
}

// findingMark is a finding's CHG cell, by its index in the compared assessment.
func (b *baselineState) findingMark(i int32) string {
	if b.from == nil || int(i) >= len(b.findings) {
		return ""
	}
	switch b.findings[i] {
	case assess.BaselineNew:
		return markNew
	case assess.BaselineUpdated:
		return markUpdated
	}
	return ""
}

// applyBaseline writes the marks into the rows and filters again.
func (m *Model) applyBaseline() tea.Cmd {
	b := &m.base
	a := b.from
	for i := range a.findingRows { // none until the findings pane first opens: it takes the marks then
		a.setFindingCell(i, colChangeFinding, b.findingMark(int32(i)))
	}
	t := m.list.t
	for i := range t.rows {
		setIdentityCell(&t.rows[i], colChangeIdentity, b.identityMark(t.rows[i].id))
	}
	t.refilter(t.selectedID())
	for _, v := range m.stack {
		if fv, ok := v.(*findingsView); ok {
			fv.t.refilter(fv.t.selectedID())
		}
	}
	return nil
}

// keepIdentity is the identity list's filter beyond the query: with c, only new and changed identities.
func (b *baselineState) keepIdentity(r *row) bool {
	return !b.changedOnly || len(r.cells) > colChangeIdentity && r.cells[colChangeIdentity] != ""
}

// keepFinding is the findings pane's: with c, only new and updated findings.
func (b *baselineState) keepFinding(r *row) bool {
	return !b.changedOnly || len(r.cells) > colChangeFinding && r.cells[colChangeFinding] != ""
}

// toggleChanged is c: show only what changed since the baseline, or everything again.
func (m *Model) toggleChanged() tea.Cmd {
	b := &m.base
	if b.src == nil {
		return m.setFlash("no baseline: start miscope with --baseline OLD to see what changed", false)
	}
	if b.from == nil {
		return m.setFlash("still comparing with the baseline…", false)
	}
	b.changedOnly = !b.changedOnly
	t := m.list.t
	t.refilter(t.selectedID())
	for _, v := range m.stack {
		if fv, ok := v.(*findingsView); ok {
			fv.t.refilter(fv.t.selectedID())
		}
	}
	return nil
}

// baselineTitle is what a view's title adds while c is on.
func (c *pageContext) baselineTitle() string {
	if !c.base.changedOnly {
		return ""
	}
	return "  " + c.st.Dim.Render("changed since the baseline")
}

// changeHint is c in a footer, when there is a baseline.
func (c *pageContext) changeHint() []key.Binding {
	if c.base.src == nil {
		return nil
	}
	if c.base.changedOnly {
		return []key.Binding{hint(c.keys.Changed, "show all")}
	}
	return []key.Binding{hint(c.keys.Changed, "changed only")}
}

// sectionChanges are the detail view's lines of what changed in one section since the baseline.
func (b *baselineState) sectionChanges(id string, sec data.Section, title string) []entry {
	if b == nil || b.from == nil {
		return nil
	}
	c := b.identities[data.Key(id)]
	if c == nil {
		return nil
	}
	var es []entry
	for _, s := range c.Sections {
		if s.Section != sec {
			continue
		}
		for _, a := range s.Added {
			es = append(es, entry{section: title, text: "added", detail: a + " (since the baseline)", style: styleWrap})
		}
		for _, r := range s.Removed {
			es = append(es, entry{section: title, text: "removed", detail: r + " (since the baseline)", style: styleWrap})
		}
	}
	return es
}

// findingChange is what the detail view adds to a finding's line: new or updated since the baseline.
func (b *baselineState) findingChange(a *assessment, f *assess.Finding) string {
	if b == nil || b.from == nil || b.from != a {
		return ""
	}
	fp := f.Fingerprint()
	for i := range a.r.Findings {
		if a.fps[i] == fp && strings.EqualFold(a.r.Findings[i].IdentityID, f.IdentityID) {
			switch b.findings[i] {
			case assess.BaselineNew:
				return "new"
			case assess.BaselineUpdated:
				return "updated"
			}
			return ""
		}
	}
	return ""
}
