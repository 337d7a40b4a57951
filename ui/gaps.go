package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// gapsView lists the parts of the tenant that could not be read, with why and what would make them readable: the
// status bar's "N parts not readable" leads here.
type gapsView struct{ tablePage }

func gapColumns() []column {
	return []column{
		{name: colDetail, title: "SECTION", width: 12},
		{name: colName, title: "WHERE", width: 14, flex: 1},
		{name: colTitle, title: "REASON", width: 16, flex: 2},
		{name: colStatus, title: "NEEDS", width: 12, flex: 1},
	}
}

// openGaps lists the assessment's gaps; before the assessment is known it says so.
func (m *Model) openGaps() tea.Cmd {
	a := m.as.result
	if a == nil {
		return m.setFlash("the parts not readable are known once the assessment is in", false)
	}
	tb := newTable(gapColumns(), colDetail, false)
	rows := make([]row, 0, len(a.r.Gaps))
	for _, g := range a.r.Gaps {
		where, id := "tenant", ""
		switch {
		case g.IdentityID != "":
			id = g.IdentityID
			where = g.IdentityID
			if x, ok := a.x.Identity(g.IdentityID); ok {
				where = displayName(x.DisplayName, x.ID)
			}
		case g.Scope != "":
			where = g.Scope
		}
		cells := []string{string(g.Section), where, g.Reason, g.Needs}
		rows = append(rows, row{cells: cells, nums: make([]int64, len(cells)), id: id, label: where, sev: -1,
			hay: strings.ToLower(strings.Join(cells, "\x00"))})
	}
	tb.setRows(rows)
	m.push(&gapsView{tablePage: newTablePage(tb)})
	return nil
}

func (v *gapsView) hints(c *pageContext) []key.Binding { return c.keys.pivotHints() }
func (v *gapsView) kind() string                       { return "gaps" }
func (v *gapsView) crumb() string                      { return "not readable" }
func (v *gapsView) heading() string                    { return "Parts not readable" }
func (v *gapsView) title(c *pageContext) string        { return v.f.render(c, v.heading()) }
func (v *gapsView) Table() (string, []string, [][]string) {
	cols, rows := v.t.export()
	return v.heading(), cols, rows
}

func (v *gapsView) render(c *pageContext, w, h int) string {
	switch {
	case len(v.t.rows) == 0:
		return "Every part of the tenant was read."
	case len(v.t.view) == 0:
		return v.body(c, w, h, "part")
	}
	// The selected gap whole under the table: reasons and scopes are too long for a column.
	r := v.t.selected()
	if r == nil {
		return v.t.render(w, h, &c.st)
	}
	var more []string
	for i, label := range []string{"where ", "reason", "needs "} {
		if text := r.cells[i+1]; text != "" {
			for n, part := range wrapped(text, max(10, w-9)) {
				if n == 0 {
					part = c.st.Dim.Render(label) + " " + part
				} else {
					part = "       " + part
				}
				more = append(more, fitLine(part, w))
			}
		}
	}
	more = more[:min(len(more), max(0, h-4))]
	return padLines(v.t.render(w, max(3, h-len(more)-1), &c.st), max(3, h-len(more)-1)) + "\n" + strings.Join(more, "\n")
}

// key opens the identity a gap is about.
func (v *gapsView) key(c *pageContext, msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := tableKey(c, v.t, msg); ok {
		return cmd
	}
	if key.Matches(msg, c.keys.Open) {
		if r := v.t.selected(); r != nil && r.id != "" {
			return c.ask(openIdentityMsg{id: r.id})
		}
		return c.ask(flashMsg{text: "this part is tenant-wide: it is about no one identity"})
	}
	return nil
}
