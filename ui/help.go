package ui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
)

// helpGroups names the groups of helpBindings, in the same order.
var helpGroups = []string{"Move", "Views", "Export and copy", "Triage (findings pane, detail)",
	"Sort (again to reverse)", "While typing a filter", "In the export prompt"}

// helpBindings is every binding: the keymap's groups, then the export prompt's keys.
func (m *Model) helpBindings() [][]key.Binding {
	return append(m.keys.FullHelp(), defaultExportKeys().helpLines())
}

// helpSections are the help screen's groups as lines: a heading, then its keys. The sort group says which keys the
// findings pane answers, since it has no kind, attached, count or reach column.
func (m *Model) helpSections() [][]string {
	var out [][]string
	for g, bindings := range m.helpBindings() {
		sec := []string{m.st.Section.Render(helpGroups[g])}
		for _, b := range bindings {
			sec = append(sec, helpItem(m, b))
		}
		if g == 4 {
			sec = append(sec, " "+m.st.Dim.Render("findings: "+m.keys.SortSeverity.Help().Key+" severity, "+
				m.keys.SortName.Help().Key+" identity"))
		}
		out = append(out, sec)
	}
	if _, ok := m.top().(*detailView); ok {
		// How the detail view's verdicts are reached, in three lines so that it shares the first column at 80x24
		// rather than pushing the keys into a third column too narrow to read; docs/RULES.md has the rest.
		dim := func(s string) string { return " " + m.st.Dim.Render(s) }
		verdicts := []string{m.st.Section.Render("Verdicts (docs/RULES.md)"),
			dim("severity: worst evidence · run: the fix"),
			dim(m.keys.Copy.Help().Key + " on a finding copies its fix commands")}
		out = slices.Insert(out, 3, verdicts)
	}
	return out
}

// helpView lists every binding in columns of h lines. A group is never split between columns unless it is taller
// than a column; groups in one column are spaced apart when that costs no extra column.
func (m *Model) helpView(w, h int) string {
	rows := max(1, h)
	sections := m.helpSections()
	columns := packSections(sections, rows, true)
	if tight := packSections(sections, rows, false); len(tight) < len(columns) {
		columns = tight
	}
	colW := max(20, w/max(1, len(columns)))
	var lines []string
	for r := 0; r < rows; r++ {
		var b strings.Builder
		for _, c := range columns {
			if r < len(c) {
				b.WriteString(fit(c[r], colW, false))
			} else {
				b.WriteString(strings.Repeat(" ", colW))
			}
		}
		lines = append(lines, fitLine(strings.TrimRight(b.String(), " "), w))
	}
	return strings.Join(lines, "\n")
}

// packSections fills columns of rows lines with whole sections, top to bottom; spaced puts a blank line between
// sections that share a column. A section taller than a column is split, and never leaves a heading at the foot of
// one.
func packSections(sections [][]string, rows int, spaced bool) [][]string {
	var columns [][]string
	var col []string
	flush := func() {
		if len(col) > 0 {
			columns = append(columns, col)
		}
		col = nil
	}
	for _, sec := range sections {
		gap := 0
		if spaced && len(col) > 0 {
			gap = 1
		}
		if len(col)+gap+len(sec) > rows && len(col) > 0 {
			flush()
			gap = 0
		}
		if gap > 0 {
			col = append(col, "")
		}
		for n, it := range sec {
			if len(col) == rows || n == 0 && len(col) == rows-1 && len(sec) > 1 {
				flush()
			}
			col = append(col, it)
		}
	}
	flush()
	return columns
}

func helpItem(m *Model, b key.Binding) string {
	hlp := b.Help()
	return " " + m.st.Key.Render(fit(hlp.Key, 8, false)) + " " + hlp.Desc
}
