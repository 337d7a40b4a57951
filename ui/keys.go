package ui

import "charm.land/bubbles/v2/key"

// keyMap is every key miscope answers to. Behaviour and the help screen both read it, so they cannot drift.
type keyMap struct {
	Up, Down, Top, Bottom              key.Binding
	HalfDown, HalfUp, PageDown, PageUp key.Binding

	Open, Back, Filter, Findings, Help key.Binding
	PivotRole                          key.Binding
	Export, Copy, CopyView             key.Binding
	Refresh, Quit, ForceQuit           key.Binding

	SortName, SortKind, SortAttached, SortSeverity, SortFindings, SortReach key.Binding
}

func defaultKeys() keyMap {
	b := func(keys []string, help, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return keyMap{
		Up:       b([]string{"k", "up"}, "k/↑", "move up"),
		Down:     b([]string{"j", "down"}, "j/↓", "move down"),
		Top:      b([]string{"g", "home"}, "g", "go to top"),
		Bottom:   b([]string{"G", "end"}, "G", "go to bottom"),
		HalfDown: b([]string{"ctrl+d"}, "ctrl+d", "half page down"),
		HalfUp:   b([]string{"ctrl+u"}, "ctrl+u", "half page up"),
		PageDown: b([]string{"pgdown", "space"}, "pgdn", "page down"),
		PageUp:   b([]string{"pgup"}, "pgup", "page up"),

		Open:      b([]string{"enter"}, "enter", "open / list who shares it"),
		Back:      b([]string{"esc"}, "esc", "back / clear filter"),
		Filter:    b([]string{"/"}, "/", "filter as you type"),
		Findings:  b([]string{"f"}, "f", "findings pane"),
		Help:      b([]string{"?"}, "?", "this help"),
		PivotRole: b([]string{"o"}, "o", "others with this Azure role"),
		Export:    b([]string{"e"}, "e", "export the view"),
		Copy:      b([]string{"y"}, "y", "copy the selected id"),
		CopyView:  b([]string{"Y"}, "Y", "copy the view as Markdown"),
		Refresh:   b([]string{"r"}, "r", "refresh"),
		Quit:      b([]string{"q"}, "q", "quit (top level)"),
		ForceQuit: b([]string{"ctrl+c"}, "ctrl+c", "quit"),

		SortName:     b([]string{"N", "shift+n"}, "N", "sort by name"),
		SortKind:     b([]string{"K", "shift+k"}, "K", "sort by kind"),
		SortAttached: b([]string{"A", "shift+a"}, "A", "sort by attached resource"),
		SortSeverity: b([]string{"S", "shift+s"}, "S", "sort by severity"),
		SortFindings: b([]string{"F", "shift+f"}, "F", "sort by finding count"),
		SortReach:    b([]string{"R", "shift+r"}, "R", "sort by reach"),
	}
}

// ShortHelp is the one-line hint under every view.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Open, k.Back, k.Filter, k.Findings, k.Export, k.Copy, k.Help, k.Quit}
}

// FullHelp is every binding, grouped for the help screen.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.HalfDown, k.HalfUp, k.PageDown, k.PageUp},
		{k.Open, k.Back, k.Filter, k.Findings, k.PivotRole, k.Refresh, k.Help, k.Quit, k.ForceQuit},
		{k.Export, k.Copy, k.CopyView},
		{k.SortName, k.SortKind, k.SortAttached, k.SortSeverity, k.SortFindings, k.SortReach},
	}
}

// sortBindings maps each sort key to the column name it sorts by; views ignore names they have no column for.
func (k keyMap) sortBindings() []sortBinding {
	return []sortBinding{
		{k.SortName, colName}, {k.SortKind, colKind}, {k.SortAttached, colAttached},
		{k.SortSeverity, colSeverity}, {k.SortFindings, colFindings}, {k.SortReach, colReach},
	}
}

type sortBinding struct {
	key key.Binding
	col string
}

// exportKeys are the keys of the export prompt, which takes every key while it is open. Enter writes and esc cancels,
// as everywhere.
type exportKeys struct {
	NextFormat, PrevFormat, CSV, JSON, Markdown key.Binding
	Field, Yes, No                              key.Binding
}

func defaultExportKeys() exportKeys {
	b := func(keys []string, help, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return exportKeys{
		NextFormat: b([]string{"tab", "right"}, "tab/→", "next format"),
		PrevFormat: b([]string{"shift+tab", "left"}, "←", "previous format"),
		CSV:        b([]string{"c"}, "c", "CSV"),
		JSON:       b([]string{"j"}, "j", "JSON"),
		Markdown:   b([]string{"m"}, "m", "Markdown"),
		Field:      b([]string{"up", "down"}, "↑↓", "format / path"),
		Yes:        b([]string{"y", "Y"}, "y", "overwrite"),
		No:         b([]string{"n", "N", "esc"}, "n", "keep the file"),
	}
}
