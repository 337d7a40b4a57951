package ui

import (
	"strconv"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// tablePage is what every page built on a table shares: the table and its filter, the selected row for copy, the
// table drawn with a line when the filter matches nothing, and the keys that move, sort and open.
type tablePage struct {
	t *table
	f *filterLine
}

func newTablePage(t *table) tablePage { return tablePage{t: t, f: &filterLine{t: t}} }

func (p *tablePage) filterLine() *filterLine { return p.f }
func (p *tablePage) counts() string          { return p.t.counts() }

// Selected is the selected row's label and id, for copy.
func (p *tablePage) Selected() (string, string) {
	if r := p.t.selected(); r != nil {
		return r.label, r.id
	}
	return "", ""
}

// body is the table, or the table and a line saying that nothing matches the filter (noun names the rows).
func (p *tablePage) body(c *pageContext, w, h int, noun string) string {
	if len(p.t.view) == 0 && len(p.t.rows) > 0 {
		return p.t.render(w, h, &c.st) + "\nNo " + noun + " matches " + strconv.Quote(p.f.query) + " (esc clears the filter)."
	}
	return p.t.render(w, h, &c.st)
}

// key moves and sorts the table; enter calls open with the selected row.
func (p *tablePage) key(c *pageContext, msg tea.KeyPressMsg, open func(r *row) tea.Cmd) tea.Cmd {
	if cmd, ok := tableKey(c, p.t, msg); ok {
		return cmd
	}
	if key.Matches(msg, c.keys.Open) && open != nil {
		if r := p.t.selected(); r != nil {
			return open(r)
		}
	}
	return nil
}

// layout fits the table to the body, from Update.
func (p *tablePage) layout(c *pageContext, w, h int) { p.t.fit(h) }
