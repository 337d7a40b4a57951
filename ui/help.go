package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
)

// helpGroups names the groups of helpBindings, in the same order.
var helpGroups = []string{"Move", "Views", "Export and copy", "Sort (again to reverse)", "In the export prompt"}

// helpBindings is every binding: the keymap's groups, then the export prompt's keys.
func (m *Model) helpBindings() [][]key.Binding {
	e := defaultExportKeys()
	return append(m.keys.FullHelp(),
		[]key.Binding{e.NextFormat, e.PrevFormat, e.CSV, e.JSON, e.Markdown, e.Field, e.Yes, e.No})
}

// helpView lists every binding in as many columns as the height needs; groups are spaced apart when that costs no
// extra column.
func (m *Model) helpView(w, h int) string {
	rows := max(1, h)
	build := func(spaced bool) []string {
		var items []string
		for g, bindings := range m.helpBindings() {
			if g > 0 && spaced {
				items = append(items, "")
			}
			items = append(items, m.st.Section.Render(helpGroups[g]))
			for _, b := range bindings {
				items = append(items, helpItem(m, b))
			}
		}
		return items
	}
	items := build(true)
	if tight := build(false); (len(tight)+rows-1)/rows < (len(items)+rows-1)/rows {
		items = tight
	}
	// Fill columns top to bottom; a heading never ends a column away from its keys.
	var columns [][]string
	var col []string
	for n, it := range items {
		heading := n+1 < len(items) && it != "" && !strings.HasPrefix(it, " ")
		if len(col) == rows || heading && len(col) == rows-1 || it == "" && len(col) == 0 {
			if len(col) > 0 {
				columns = append(columns, col)
			}
			col = nil
			if it == "" {
				continue
			}
		}
		col = append(col, it)
	}
	if len(col) > 0 {
		columns = append(columns, col)
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

func helpItem(m *Model, b key.Binding) string {
	hlp := b.Help()
	return " " + m.st.Key.Render(fit(hlp.Key, 8, false)) + " " + hlp.Desc
}
