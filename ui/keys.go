package ui

import "charm.land/bubbles/v2/key"

// keyMap is every key miscope answers to. Behaviour and the help screen both read it, so they cannot drift.
type keyMap struct {
	Up, Down, Top, Bottom              key.Binding
	HalfDown, HalfUp, PageDown, PageUp key.Binding

	Open, Back, Filter, Findings, Help key.Binding
	PivotRole, Gaps                    key.Binding
	Export, Copy, CopyView             key.Binding
	Refresh, Quit, ForceQuit           key.Binding

	// Triage: decide on a finding, reopen it, show decided findings; and the decision form's own keys.
	Decide, Reopen, ShowDecided    key.Binding
	Changed                        key.Binding
	FormNext, FormPrev, FormChoice key.Binding
	FormChoicePrev                 key.Binding // the left half of FormChoice: the previous decision

	SortName, SortKind, SortAttached, SortSeverity, SortFindings, SortReach, SortUsed key.Binding

	// Candidates switches between the managed identities and the user accounts that should become one.
	Candidates key.Binding
	// Preview turns the preview pane beside the list off and on (wide terminals).
	Preview key.Binding

	// While the filter is being typed, letters are text: only these keys act.
	FilterKeep, FilterClear, FilterErase, FilterEraseAll, FilterMove key.Binding
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
		Gaps:      b([]string{"!"}, "!", "parts not readable, and why"),
		Export:    b([]string{"e"}, "e", "export the view"),
		Copy:      b([]string{"y"}, "y", "copy the selected id or fix"),
		CopyView:  b([]string{"Y"}, "Y", "copy the view as Markdown"),
		Refresh:   b([]string{"r"}, "r", "refresh"),
		Quit:      b([]string{"q"}, "q", "quit (top level)"),
		ForceQuit: b([]string{"ctrl+c"}, "ctrl+c", "quit"),

		Decide:         b([]string{"a"}, "a", "decide on the finding (accept…)"),
		Reopen:         b([]string{"u"}, "u", "reopen a decided finding"),
		ShowDecided:    b([]string{"d"}, "d", "show decided findings too"),
		Changed:        b([]string{"c"}, "c", "only what changed (--baseline)"),
		FormNext:       b([]string{"tab", "down"}, "tab/↓", "next field"),
		FormPrev:       b([]string{"shift+tab", "up"}, "↑", "previous field"),
		FormChoice:     b([]string{"left", "right"}, "←→", "choose the decision"),
		FormChoicePrev: b([]string{"left"}, "←", "previous decision"),

		SortName:     b([]string{"N", "shift+n"}, "N", "sort by name"),
		SortKind:     b([]string{"K", "shift+k"}, "K", "sort by kind"),
		SortAttached: b([]string{"A", "shift+a"}, "A", "sort by attached resource"),
		SortSeverity: b([]string{"S", "shift+s"}, "S", "sort by severity"),
		SortFindings: b([]string{"F", "shift+f"}, "F", "sort by finding count"),
		SortReach:    b([]string{"R", "shift+r"}, "R", "sort by reach"),
		SortUsed:     b([]string{"U", "shift+u"}, "U", "sort by last use"),
		Candidates:   b([]string{"tab"}, "tab", "identities ⇄ user accounts to move"),
		Preview:      b([]string{"p"}, "p", "preview pane on/off (wide terminals)"),

		FilterKeep:     b([]string{"enter"}, "enter", "keep the filter"),
		FilterClear:    b([]string{"esc"}, "esc", "clear the filter"),
		FilterErase:    b([]string{"backspace"}, "⌫", "erase a letter"),
		FilterEraseAll: b([]string{"ctrl+u"}, "ctrl+u", "erase the filter"),
		FilterMove:     b([]string{"up", "down", "pgup", "pgdown"}, "↑↓", "move"),
	}
}

// hint is a binding with the shorter description the footer has room for.
func hint(b key.Binding, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
}

// The footer of each view: its most useful keys first, ending with help. The footer drops keys from the end (never
// help) when the terminal is too narrow for all of them.

func (k keyMap) listHints() []key.Binding {
	return []key.Binding{hint(k.Open, "open"), hint(k.Filter, "filter"), hint(k.Findings, "findings"),
		hint(k.Candidates, "users"),
		hint(k.Export, "export"), hint(k.Copy, "copy id"), hint(k.Help, "help"), hint(k.Quit, "quit")}
}

// detailHints offers enter and o only when the line under the cursor answers them.
func (k keyMap) detailHints(pivot, role bool) []key.Binding {
	var hs []key.Binding
	if pivot {
		hs = append(hs, hint(k.Open, "who shares it"))
	}
	if role {
		hs = append(hs, hint(k.PivotRole, "others with the role"))
	}
	// y copies the id of the line under the cursor, or a finding's fix, or a command: the status line says which.
	return append(hs, hint(k.Back, "back"), hint(k.Export, "export"), hint(k.Copy, "copy"), hint(k.Help, "help"))
}

func (k keyMap) findingsHints(showDecided bool) []key.Binding {
	show := hint(k.ShowDecided, "show decided")
	if showDecided {
		show = hint(k.ShowDecided, "open only")
	}
	return []key.Binding{hint(k.Open, "open"), hint(k.Decide, "decide"), hint(k.Reopen, "reopen"), show,
		hint(k.Filter, "filter"), hint(k.Help, "help"), hint(k.Copy, "copy fix"), hint(k.Export, "export"),
		hint(k.Back, "back")}
}

// formHints are the footer while the decision form is open.
func (k keyMap) formHints() []key.Binding {
	return []key.Binding{hint(k.Open, "save"), hint(k.FormNext, "next field"), hint(k.FormChoice, "decision"),
		hint(k.Back, "cancel")}
}

func (k keyMap) candidateHints() []key.Binding {
	return []key.Binding{hint(k.Open, "its finding"), hint(k.Candidates, "identities"), hint(k.Filter, "filter"),
		hint(k.Export, "export"), hint(k.Copy, "copy id"), hint(k.Help, "help")}
}

func (k keyMap) pivotHints() []key.Binding {
	return []key.Binding{hint(k.Open, "open"), hint(k.Filter, "filter"), hint(k.Back, "back"),
		hint(k.Export, "export"), hint(k.Help, "help")}
}

// filterHints are the footer while the filter is typed into, where ? and q are text.
func (k keyMap) filterHints() []key.Binding {
	return []key.Binding{hint(k.FilterKeep, "keep"), hint(k.FilterClear, "clear"), k.FilterMove}
}

func (k keyMap) helpHints() []key.Binding { return []key.Binding{hint(k.Back, "close")} }

// pair shows two bindings that mirror each other as one line of the help screen, so every key fits at 80x24.
func pair(a, b key.Binding, keys, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(append(a.Keys(), b.Keys()...)...), key.WithHelp(keys, desc))
}

// FullHelp is every binding, grouped for the help screen.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{pair(k.Up, k.Down, "k/j ↑↓", "move up / down"), pair(k.Top, k.Bottom, "g/G", "go to top / bottom"),
			pair(k.HalfUp, k.HalfDown, "ctrl+u/d", "half page up / down"),
			pair(k.PageUp, k.PageDown, "pgup/dn", "page up / down")},
		{k.Open, k.Back, k.Filter, pair(k.Findings, k.Candidates, "f/tab", "findings / users to move"), k.PivotRole, pair(k.Refresh, k.Gaps, "r/!", "refresh / not readable"), k.Help,
			pair(k.Quit, k.ForceQuit, "q ctrl+c", "quit (top level / anywhere)")},
		{pair(k.Export, k.Preview, "e/p", "export view / preview pane"),
			pair(k.Copy, k.CopyView, "y/Y", "copy id or fix / Markdown view")},
		{pair(k.Decide, k.Reopen, "a/u", "decide / reopen a finding"), k.ShowDecided, k.Changed,
			pair(pair(k.FormNext, k.FormPrev, "", ""), k.FormChoice, "tab ←→", "form: next field / decision")},
		{pair(k.SortName, k.SortKind, "N/K", "sort by name / kind"),
			pair(k.SortAttached, k.SortSeverity, "A/S", "sort by attached / severity"),
			pair(pair(k.SortFindings, k.SortReach, "", ""), k.SortUsed, "F/R/U", "sort by findings / reach / use")},
		{k.FilterKeep, k.FilterClear, pair(k.FilterErase, k.FilterEraseAll, "⌫ ctrl+u", "erase a letter / all"),
			k.FilterMove},
	}
}

// sortBindings maps each sort key to the column name it sorts by; views ignore names they have no column for.
func (k keyMap) sortBindings() []sortBinding {
	return []sortBinding{
		{k.SortName, colName}, {k.SortKind, colKind}, {k.SortAttached, colAttached},
		{k.SortSeverity, colSeverity}, {k.SortFindings, colFindings}, {k.SortReach, colReach},
		{k.SortUsed, colUsed},
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
	// While the path has the focus the arrows move in it, so only these change the format, and these move the focus.
	NextFormatOnPath, PrevFormatOnPath, ToPath, ToFormat key.Binding
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

		NextFormatOnPath: b([]string{"tab"}, "tab", "next format"),
		PrevFormatOnPath: b([]string{"shift+tab"}, "shift+tab", "previous format"),
		ToPath:           b([]string{"down"}, "↓", "path"),
		ToFormat:         b([]string{"up"}, "↑", "format"),
	}
}

// helpLines are the export prompt's keys for the help screen.
func (e exportKeys) helpLines() []key.Binding {
	return []key.Binding{pair(e.NextFormat, e.PrevFormat, "tab/→ ←", "next / previous format"),
		pair(e.CSV, e.JSON, "c j m", "CSV / JSON / Markdown"), e.Field,
		pair(e.Yes, e.No, "y/n", "overwrite / keep the file")}
}

// hints are the export prompt's footer for where its focus is; enter and esc are the keymap's own.
func (e exportKeys) hints(k keyMap, stage exportStage, clip, onPath bool) []key.Binding {
	formats := key.NewBinding(key.WithKeys(append(append(append(e.NextFormat.Keys(), e.CSV.Keys()...),
		e.JSON.Keys()...), e.Markdown.Keys()...)...),
		key.WithHelp("tab/"+e.CSV.Help().Key+"/"+e.JSON.Help().Key+"/"+e.Markdown.Help().Key, "format"))
	cancel := hint(k.Back, "cancel")
	switch {
	case stage == exportConfirming:
		return []key.Binding{e.Yes, e.No}
	case stage == exportWriting:
		return nil
	case clip:
		return []key.Binding{hint(k.Open, "copy"), formats, cancel}
	case onPath:
		// On the path the arrows move the text cursor, so only tab changes the format.
		return []key.Binding{hint(k.Open, "write"), key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "format")),
			hint(e.Field, "format / path"), cancel}
	}
	return []key.Binding{hint(k.Open, "write"), formats, hint(e.Field, "path"), cancel}
}
