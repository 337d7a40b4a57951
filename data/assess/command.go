package assess

import (
	"strings"
	"unicode"
)

// Line renders the command for a POSIX shell (bash, zsh): every argument that is not plainly safe is put in single
// quotes, inside which the shell expands nothing, and a single quote inside is written as '\”. An argument holding
// a control, bidirectional or invisible formatting character is not rendered at all: pasted into a terminal it could
// run something else or read differently than it runs, so ok is false and the command must not be offered.
func (c Command) Line() (line string, ok bool) {
	var b strings.Builder
	for i, a := range c.Args {
		if !pasteable(a) {
			return "", false
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(shellQuote(a))
	}
	return b.String(), len(c.Args) > 0
}

// shellQuote quotes one argument for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !shellSafe(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellSafe are the characters a shell takes literally outside quotes.
func shellSafe(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-_./:@,+", r)
}

// pasteable reports whether s can stand in a command a user pastes: printable text only.
func pasteable(s string) bool {
	for _, r := range s {
		if r == unicode.ReplacementChar || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
			unicode.Is(unicode.Bidi_Control, r) || r >= 0xE0000 && r <= 0xE007F {
			return false
		}
	}
	return true
}

// PasteLine joins commands into the one line a user pastes to run them all, in order, each only if the one before
// succeeded (&&), as the explorer copies a fix and the CSV report writes it. A command that cannot be pasted safely
// is left out and counted in refused; line is empty when none can be pasted.
func PasteLine(cmds []Command) (line string, refused int) {
	var lines []string
	for _, c := range cmds {
		if l, ok := c.Line(); ok {
			lines = append(lines, l)
		} else {
			refused++
		}
	}
	return strings.Join(lines, " && "), refused
}
