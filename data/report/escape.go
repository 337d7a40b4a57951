package report

import (
	"strings"

	"github.com/miscope/miscope/data"
)

// mdText escapes a string for running Markdown text, as MarkdownCell does for a cell, and also keeps it from
// starting a heading, list, quote or ordered list.
func mdText(s string) string {
	s = MarkdownCell(s)
	if s != "" && strings.ContainsRune("#+-=>!", rune(s[0])) {
		s = `\` + s
	}
	if n := len(s) - len(strings.TrimLeft(s, "0123456789")); n > 0 && n < len(s) && (s[n] == '.' || s[n] == ')') {
		s = s[:n] + `\` + s[n:] // "1. " would start an ordered list
	}
	return s
}

// mdURL makes a URL safe inside <...>: it can neither close the autolink nor break the line.
func mdURL(u string) string {
	return strings.NewReplacer("<", "%3C", ">", "%3E", " ", "%20").Replace(data.Clean(u))
}
