package ui

import (
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
)

// findingsView is the findings pane: every finding of the assessment, highest severity first, filterable; enter
// opens the identity.
type findingsView struct {
	t      *table
	f      *filterLine
	filled bool
	from   *assessment // the assessment the rows came from
}

func findingColumns() []column {
	return []column{
		{name: colSeverity, title: "SEVERITY", width: 9, numeric: true, sev: true},
		{name: colRule, title: "RULE", width: 10, flex: 1},
		{name: colIdentity, alias: colName, title: "IDENTITY", width: 14, flex: 2},
		{name: colTitle, title: "FINDING", width: 20, flex: 4},
		{name: colStatus, title: "STATUS", width: 9},
	}
}

// colStatusIndex is the status column's place in findingColumns; the triage file fills it in.
const colStatusIndex = 4

// findingRow is one finding as the pane shows it. Evidence and remediation are not copied into the row: the pane
// reads them from the finding for the selected row and for export, which keeps 50,000 findings' evidence in memory
// once. The filter searches what the table shows (severity, rule, identity, title) and the identity's id.
func findingRow(a *sharedAssessment, f *assess.Finding, i int) row {
	cells := []string{f.Severity.String(), f.RuleID, subjectName(a, f.IdentityID), f.Title, "open", ""}
	return row{
		cells: cells,
		nums:  severityNums(f.Severity),
		id:    f.RuleID + ":" + f.IdentityID + ":" + strconv.Itoa(i),
		ref:   f.IdentityID,
		src:   int32(i),
		sev:   int8(f.Severity),
	}
}

// subjectName names what a finding is about: an identity, or an application (SP-MIGRATE) marked as one, since it has
// no identity view; its id when it has no name.
func subjectName(a *sharedAssessment, id string) string {
	if app, ok := a.application(id); ok {
		return "app " + displayName(app.DisplayName, id)
	}
	if p, ok := a.deletedPrincipal(id); ok {
		kind := strings.ToLower(string(p.Type))
		if p.Type == data.PrincipalServicePrincipal {
			kind = "service principal"
		}
		return "deleted " + kind + " " + id
	}
	return displayName(a.x.PrincipalName(id), id)
}

// matchFinding is the findings filter: what the table shows and the identity's id, searched where they are (a
// lowercase copy of 50,000 findings' text would cost megabytes).
func matchFinding(r *row, q string) bool {
	for _, c := range r.cells {
		if containsFold(c, q) {
			return true
		}
	}
	return containsFold(r.ref, q)
}

// findingNums are the sort keys of a finding row; only the severity varies, so rows share one slice per severity.
var findingNums = func() [][]int64 {
	out := make([][]int64, assess.Critical+1)
	for s := range out {
		out[s] = []int64{int64(s), 0, 0, 0}
	}
	return out
}()

func severityNums(s assess.Severity) []int64 {
	if s < 0 || int(s) >= len(findingNums) {
		return []int64{int64(s), 0, 0, 0}
	}
	return findingNums[s]
}

// evidenceText is a finding's evidence on one line.
func evidenceText(f *assess.Finding) string { return strings.Join(assess.Texts(f.Evidence), "; ") }

// finding returns the finding a row shows.
func (v *findingsView) finding(r *row) *assess.Finding { return &v.from.r.Findings[r.src] }

// fingerprint returns the fingerprint of a finding of the pane's assessment, computed once when it was assessed.
func (v *findingsView) fingerprint(f *assess.Finding) string {
	if r := v.t.selected(); r != nil && &v.from.r.Findings[r.src] == f {
		return v.from.fps[r.src]
	}
	return f.Fingerprint()
}

func newFindingsView() *findingsView {
	// The engine's order is already by severity, so the pane keeps it until the user sorts.
	t := newTable(findingColumns(), "", false)
	t.match = matchFinding
	return &findingsView{t: t, f: &filterLine{t: t}}
}

// fill takes the assessment's rows once it is known, and again after a refresh.
func (v *findingsView) fill(c *pageContext, a *assessment) {
	if a != nil && a != v.from {
		v.t.setMeasuredRows(a.rows(c.decorateFindings), a.findingWidest)
		v.filled, v.from = true, a
	}
}

// openFindings shows the findings pane, going back to it when it is already open.
func (m *Model) openFindings() tea.Cmd {
	for i, v := range m.stack {
		if _, ok := v.(*findingsView); ok {
			m.stack = m.stack[:i+1]
			return nil
		}
	}
	v := newFindingsView()
	v.t.keep = func(r *row) bool { return m.tri.keepRow(r) && m.base.keepFinding(r) }
	if m.base.src != nil {
		v.t.cols = append(v.t.cols, changeColumn)
		v.t.content = append(v.t.content, 0)
	}
	v.fill(m.pageContext, m.as.result)
	m.push(v)
	return nil
}

func (v *findingsView) filterLine() *filterLine { return v.f }
func (v *findingsView) kind() string            { return "findings" }
func (v *findingsView) crumb() string           { return "findings" }

func (v *findingsView) counts() string {
	if !v.filled {
		return ""
	}
	return v.t.counts()
}

func (v *findingsView) title(c *pageContext) string {
	return v.f.render(c, "Findings") + c.triageTitle() + c.baselineTitle()
}

func (v *findingsView) hints(c *pageContext) []key.Binding {
	hs := c.keys.findingsHints(c.tri.showDecided)
	if r := v.t.selected(); r != nil && v.filled {
		if _, all := fixLines(v.finding(r)); all == "" { // y copies the object id of a finding without a fix
			for i, h := range hs {
				if slices.Equal(h.Keys(), c.keys.Copy.Keys()) {
					hs[i] = hint(c.keys.Copy, "copy id")
				}
			}
		}
	}
	return append(hs[:4:4], append(c.changeHint(), hs[4:]...)...)
}

// Table is the pane's findings after filter and sort, with their evidence, remediation and fix (as y copies it).
func (v *findingsView) Table() (string, []string, [][]string) { return v.tableLater()() }

// tableLater takes the rows in view now and leaves writing out every finding's evidence (a quarter of a second at
// 50,000 findings) to the command that calls the result. The rows and the findings they point at never change once
// built, so the command may read them.
func (v *findingsView) tableLater() func() (string, []string, [][]string) {
	var cols []string
	for _, c := range v.t.cols {
		cols = append(cols, c.title)
	}
	cols = append(cols, "EVIDENCE", "REMEDIATION", "FIX")
	view, rows, from := slices.Clone(v.t.view), v.t.rows, v.from
	ncols := len(v.t.cols) // rows carry the CHG cell even when the pane has no baseline column
	return func() (string, []string, [][]string) {
		out := make([][]string, len(view))
		for n, i := range view {
			r := &rows[i]
			f := &from.r.Findings[r.src]
			_, fix := fixLines(f) // the line y copies
			out[n] = append(slices.Clip(slices.Clone(r.cells[:min(len(r.cells), ncols)])), evidenceText(f),
				f.Remediation, fix)
		}
		return "Findings", cols, out
	}
}

// Selected is the selected finding's fix, its commands joined into one line to paste, as the detail view copies
// it; for a finding without commands (a redesign, or none pasteable), the object id of what it is about: the id a
// user pastes into the portal or a ticket, where the pane's own row key would mean nothing.
func (v *findingsView) Selected() (string, string) {
	r := v.t.selected()
	if r == nil {
		return "", ""
	}
	if _, all := fixLines(v.finding(r)); all != "" { // written when asked: 50,000 rows need none
		return "the fix commands of " + r.cells[2] + "'s finding", all
	}
	return "the object id of " + r.cells[2], r.ref
}

func (v *findingsView) render(c *pageContext, w, h int) string {
	switch {
	case !v.filled && c.as.err != nil:
		return c.st.Error.Render("error: ") + "the assessment failed: " + errText(c.as.err) + "\n\nPress r to try again."
	case !v.filled:
		return c.spinnerView() + " assessing the tenant… findings appear when it is done."
	case len(v.t.rows) == 0:
		out := "No findings: no identity matched a rule."
		if n := len(c.as.result.r.Gaps); n > 0 {
			out += "\n" + c.st.Gap.Render(data.Plural(n, "part was", "parts were")+" not readable, so this is not proof of safety.")
		}
		return out
	case len(v.t.view) == 0 && v.f.query == "":
		return "No open findings: " + data.Plural(c.tri.decidedCount(), "finding has", "findings have") +
			" a decision that holds (" + c.keys.ShowDecided.Help().Key + " shows them)."
	case len(v.t.view) == 0:
		return v.t.render(w, h, &c.st) + "\nNo finding matches " + strconv.Quote(v.f.query) + " (esc clears the filter)."
	}
	// Show the selected finding's evidence under the table when there is room: as many lines as fit in up to half
	// the body, then its remediation.
	if h < 12 {
		return v.t.render(w, h, &c.st)
	}
	r := v.t.selected()
	if r == nil {
		return v.t.render(w, h, &c.st)
	}
	// The preview takes half the body, or what the table's rows leave when they are fewer; the fix is shown whole,
	// however long: the preview grows for it, leaving the table a few rows (tableHeight, as layout fitted it).
	free := h - 1 - len(v.t.view) // what the table's heading and rows leave
	lines := v.preview(c, v.finding(r), w, max(h/2, free), max(h-6, free))
	tableH := h - len(lines)
	return padLines(v.t.render(w, tableH, &c.st), tableH) + "\n" + strings.Join(lines, "\n")
}

// layout fits the table to what the selected finding's evidence below it leaves, from Update, as render lays them
// out.
func (v *findingsView) layout(c *pageContext, w, h int) {
	v.t.fit(v.tableHeight(c, w, h))
}

// tableHeight is the table's part of h lines of body: all of it, or what the selected finding's evidence leaves.
func (v *findingsView) tableHeight(c *pageContext, w, h int) int {
	r := v.t.selected()
	if !v.filled || len(v.t.view) == 0 || h < 12 || r == nil {
		return h
	}
	free := h - 1 - len(v.t.view)
	return h - len(v.preview(c, v.finding(r), w, max(h/2, free), max(h-6, free)))
}

// preview is the evidence, remediation and fix of a finding in about limit lines of w cells (at most most, for a long
// fix): one line per piece of evidence and a count of what did not fit, the remediation in two lines, and the fix's
// commands wrapped whole, never cut.
func (v *findingsView) preview(c *pageContext, f *assess.Finding, w, limit, most int) []string {
	// The selected finding's title, which the table's column cuts, heads its evidence in place of the word
	// "Evidence": whole in two lines, which holds most titles at 80 columns.
	title := wrapped(f.Title, w)
	if len(title) > 2 {
		title = append(title[:1], fitLine(strings.Join(title[1:], " "), w))
	}
	for i := range title {
		title[i] = c.st.Section.Render(title[i])
	}
	lines := v.details(c, f, w, limit-len(title)+1, most-len(title)+1)
	for i, l := range lines {
		if l == c.st.Section.Render("Evidence") {
			return slices.Concat(lines[:i], title, lines[i+1:])
		}
	}
	return append(title, lines...)
}

// details are the preview's evidence, remediation and fix in limit lines, up to most when the fix needs them.
func (v *findingsView) details(c *pageContext, f *assess.Finding, w, limit, most int) []string {
	rem := wrapped(f.Remediation, w-2)
	fix := rem[:min(len(rem), 2)]
	cmds := v.fixPreview(c, f, w, most-4-len(fix)) // the lines that stay: two headings, an evidence line, a decision
	limit = min(max(limit, len(cmds)+4+len(fix)), most)
	room := max(1, limit-2-len(fix)-len(cmds)) // the two headings
	ev := f.Evidence
	// Lines the evidence leaves go to the remediation, which is cut short only when they run out.
	fix = rem[:min(len(rem), len(fix)+max(0, room-len(ev)))]
	if len(fix) < len(rem) {
		fix[len(fix)-1] = fitLine(fix[len(fix)-1]+" …", w-2)
	}
	var lines []string
	if _, note := c.decisionNote(v.fingerprint(f)); note != "" {
		lines = append(lines, fitLine(c.st.Section.Render("Decision ")+shown(note), w))
	}
	lines = append(lines, c.st.Section.Render("Evidence"))
	for n, e := range ev {
		if n == room-1 && len(ev) > room {
			lines = append(lines, c.st.Dim.Render(fitLine("  … "+data.Plural(len(ev)-n, "more line", "more lines")+
				" (e exports them all)", w)))
			break
		}
		lines = append(lines, fitLine("  "+shown(e.Text), w))
	}
	lines = append(lines, c.st.Section.Render("Remediation"))
	for _, l := range fix {
		lines = append(lines, fitLine("  "+l, w))
	}
	return append(lines, cmds...)
}

// fixPreview is a finding's fix under its heading, each command wrapped over as many lines as it needs within w
// cells, in at most limit lines: the commands that do not fit whole are counted, not cut. None without commands.
func (v *findingsView) fixPreview(c *pageContext, f *assess.Finding, w, limit int) []string {
	cmds, all := fixLines(f)
	if len(cmds) == 0 {
		return nil
	}
	head := "Fix"
	switch y := c.keys.Copy.Help().Key; {
	case all != "" && len(cmds) == 1:
		head += " (" + y + " copies it)"
	case all != "":
		head += " (" + y + " copies them as one line)"
	}
	lines := []string{c.st.Section.Render(head)}
	for n, cmd := range cmds {
		text := cmd.line
		if text == "" {
			text = cmd.shown // its note and why it is not shown
		}
		parts := wrapped(text, w-4)
		reserve := 0 // a line to count the commands after this one, should they not fit
		if n < len(cmds)-1 {
			reserve = 1
		}
		if len(lines)+len(parts)+reserve > limit {
			lines = append(lines, c.st.Dim.Render(fitLine("  … "+data.Plural(len(cmds)-n, "more command", "more commands")+
				" ("+c.keys.Copy.Help().Key+" copies them all, the detail view lists them)", w)))
			break
		}
		for i, l := range parts {
			indent := "  "
			if i > 0 {
				indent = "    "
			}
			lines = append(lines, indent+l)
		}
	}
	return lines
}

func (v *findingsView) key(c *pageContext, msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := tableKey(c, v.t, msg); ok {
		return cmd
	}
	if key.Matches(msg, c.keys.ShowDecided) {
		c.tri.showDecided = !c.tri.showDecided
		v.t.refilter(v.t.selectedID())
		return nil
	}
	if r := v.t.selected(); r != nil {
		if cmd, ok := c.triageKeyOf(msg, v.finding(r), v.from.fps[r.src]); ok {
			return cmd
		}
	} else if cmd, ok := c.triageKeyOf(msg, nil, ""); ok {
		return cmd
	}
	if key.Matches(msg, c.keys.Open) {
		if r := v.t.selected(); r != nil {
			if _, ok := v.from.application(r.ref); ok {
				// An application has no identity view: its finding is all there is, and its evidence is below.
				return c.ask(flashMsg{text: strings.TrimPrefix(subjectName(v.from.sharedAssessment, r.ref), "app ") +
					" is an application, not a managed identity: its evidence is below; " + c.keys.Copy.Help().Key +
					" copies its object id"})
			}
			if _, ok := v.from.deletedPrincipal(r.ref); ok {
				// A deleted principal has nothing left to show but the role assignments its finding lists.
				return c.ask(flashMsg{text: r.ref + " no longer exists in the directory: the role assignments it " +
					"left behind are below; " + c.keys.Copy.Help().Key + " copies its object id"})
			}
			return c.ask(openIdentityMsg{id: r.ref, fingerprint: v.from.fps[r.src]})
		}
	}
	return nil
}
