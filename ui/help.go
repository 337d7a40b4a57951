package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
)

// helpGroups names the groups of keyMap.FullHelp, in the same order.
var helpGroups = []string{"Move", "Views", "Export and copy", "Sort (again to reverse)"}

// helpView lists every binding of the keymap in as many columns as the height needs.
func (m *Model) helpView(w, h int) string {
	var items []string
	for g, bindings := range m.keys.FullHelp() {
		if g > 0 {
			items = append(items, "")
		}
		items = append(items, m.st.Section.Render(helpGroups[g]))
		for _, b := range bindings {
			items = append(items, helpItem(m, b))
		}
	}
	rows := max(1, h)
	cols := (len(items) + rows - 1) / rows
	colW := max(20, w/max(1, cols))
	var lines []string
	for r := 0; r < min(rows, len(items)); r++ {
		var b strings.Builder
		for c := 0; c < cols; c++ {
			i := c*rows + r
			if i >= len(items) {
				break
			}
			b.WriteString(fit(items[i], colW, false))
		}
		lines = append(lines, fitLine(b.String(), w))
	}
	return strings.Join(lines, "\n")
}

func helpItem(m *Model, b key.Binding) string {
	hlp := b.Help()
	return " " + m.st.Key.Render(fit(hlp.Key, 8, false)) + " " + hlp.Desc
}
