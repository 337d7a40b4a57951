package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/miscope/miscope/data"
)

// Text from the tenant is kept exactly in every view's model (table rows, detail entries, the labels of what a view
// lists) and made safe in one place, here, where it is laid out: shown, cell and wrapped clean it before it is
// measured, since a mark such as \x1b is wider than what it stands for, and before it is styled, since a tenant's
// escape sequence mixed with the program's own styles could no longer be told from them. The frame's edge
// (data.CleanFrame in View) marks anything that reaches the screen some other way, and the clipboard's
// (setClipboard) what is copied. What a user types is cleaned as it is typed (data.CleanInput).

// shown is tenant text as the screen shows it, on one line.
func shown(s string) string { return data.Clean(s) }

// cell is tenant text shown in exactly w cells.
func cell(s string, w int, right bool) string { return fit(shown(s), w, right) }

// errText is how an error reads on screen, where it may quote the tenant: a gap says what it needs.
func errText(err error) string {
	if g, ok := data.AsGap(err); ok {
		return shown(g.Error())
	}
	return shown(err.Error())
}

// width is how many cells tenant text takes on screen.
func width(s string) int { return ansi.StringWidth(shown(s)) }

// wrapped is tenant text shown in lines of at most w cells, broken at spaces and path separators.
func wrapped(s string, w int) []string { return strings.Split(wrapText(shown(s), w), "\n") }

// fit truncates s to w cells by display width (never by bytes) and pads it to exactly w.
func fit(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
	}
	pad := strings.Repeat(" ", max(0, w-sw))
	if right {
		return pad + s
	}
	return s + pad
}

// wrapText wraps s to width w at spaces and path separators, never inside a hyphenated word such as a GUID or a
// resource name (the wrapping library breaks after any hyphen, so hyphens are held by a stand-in while it works).
func wrapText(s string, w int) string {
	const hold = "\u2011" // non-breaking hyphen
	if strings.Contains(s, hold) || !strings.Contains(s, "-") {
		return ansi.Wrap(s, w, " /")
	}
	return strings.ReplaceAll(ansi.Wrap(strings.ReplaceAll(s, "-", hold), w, " /"), hold, "-")
}

// setClipboard is the only way miscope writes to the clipboard (OSC 52). What it copies is cleaned like everything
// shown, ids included, so no escape sequence or bidi trick reaches the clipboard, nor a shell through a paste.
func setClipboard(s string) tea.Cmd { return tea.SetClipboard(data.CleanText(s)) }

// fitLine truncates a line (which may hold styles) to w cells.
func fitLine(s string, w int) string { return ansi.Truncate(s, w, "…") }

// leftCut fits s in w cells by cutting its start: the end of a path is what tells files apart.
func leftCut(s string, w int) string {
	if sw := ansi.StringWidth(s); sw > w && w > 1 {
		return "…" + ansi.TruncateLeft(s, sw-w+1, "")
	}
	return s
}
