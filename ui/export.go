package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// This file is where the export (e) and copy (y, Y) keys land. Every view implements Tabular, so both take exactly
// what the view shows, after filter and sort.

// exportState is the export prompt's state; the zero value is closed.
type exportState struct{}

// exportUpdate lets an open export prompt take messages before the views do. It reports whether it took msg.
func (m *Model) exportUpdate(msg tea.Msg) (tea.Cmd, bool) { return nil, false }

// exportView is the prompt line shown in place of the view's title while the prompt is open, or "".
func (m *Model) exportView(w int) string { return "" }

// startExport opens the export prompt for the current view.
func (m *Model) startExport() tea.Cmd { return nil }

// maxCopy is the most a copy sends through the terminal; OSC 52 payloads beyond it are cut by many terminals, so a
// larger copy is refused rather than truncated silently.
const maxCopy = 100_000

// copySelected copies the id of the item under the cursor with OSC 52, which reaches the user's own clipboard over
// SSH too.
func (m *Model) copySelected() tea.Cmd {
	label, id := m.top().Selected()
	if id == "" {
		return m.setFlash("nothing selected to copy", true)
	}
	return tea.Batch(tea.SetClipboard(id), m.setFlash(fmt.Sprintf("copied %s: %s", label, id), false))
}

// copyView copies the current view as a Markdown table.
func (m *Model) copyView() tea.Cmd {
	title, cols, rows := m.top().Table()
	md := markdownTable(title, cols, rows)
	if len(md) > maxCopy {
		return m.setFlash(fmt.Sprintf("view too large to copy (%d rows, %d KB): filter it or export it with e",
			len(rows), len(md)/1024), true)
	}
	return tea.Batch(tea.SetClipboard(md), m.setFlash(fmt.Sprintf("copied %s as Markdown (%s)", title,
		plural(len(rows), "row", "rows")), false))
}

// markdownTable renders cells that are already cleaned; pipes, backslashes and Markdown markers are escaped so a
// tenant string cannot break the table or inject links.
func markdownTable(title string, cols []string, rows [][]string) string {
	var b strings.Builder
	b.WriteString("**" + mdEscape(title) + "**\n\n|")
	for _, c := range cols {
		b.WriteString(" " + mdEscape(c) + " |")
	}
	b.WriteString("\n|")
	for range cols {
		b.WriteString(" --- |")
	}
	for _, r := range rows {
		b.WriteString("\n|")
		for _, c := range r {
			b.WriteString(" " + mdEscape(c) + " |")
		}
	}
	b.WriteByte('\n')
	return b.String()
}

var mdReplacer = strings.NewReplacer(`\`, `\\`, `|`, `\|`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `&lt;`, `>`, `&gt;`, "\n", " ", "\r", " ")

func mdEscape(s string) string { return mdReplacer.Replace(s) }
