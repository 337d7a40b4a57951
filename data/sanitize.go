package data

import (
	"strings"
	"unicode"
)

// Clean makes a string that came from the tenant safe to print or export: it removes escape sequences and every
// control character (a newline or tab becomes a space) and every bidirectional or invisible formatting character, so a
// hostile display name can neither drive the terminal nor disguise itself. Zero-width joiners are kept because
// emoji need them.
func Clean(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := decodeRune(s[i:])
		i += size
		switch {
		case r == 0x1b: // ESC: drop the whole sequence that follows
			i += escapeLength(s[i:])
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r == unicode.ReplacementChar && size == 1: // invalid UTF-8
			b.WriteRune(unicode.ReplacementChar)
		case unicode.IsControl(r):
		case r == 0x200d:
			b.WriteRune(r)
		case unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Bidi_Control, r):
		case r >= 0xE0000 && r <= 0xE007F: // tag characters hide text
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isPlain is the fast path: printable ASCII needs no work.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func decodeRune(s string) (rune, int) {
	for _, r := range s {
		if r == unicode.ReplacementChar {
			if strings.HasPrefix(s, "\uFFFD") {
				return r, 3
			}
			return r, 1
		}
		return r, len(string(r))
	}
	return 0, 1
}

// escapeLength measures an escape sequence after its ESC: CSI (ESC [ ... final byte), OSC/DCS/APC/PM/SOS (up to BEL
// or ESC \), or a two-byte escape.
func escapeLength(s string) int {
	if s == "" {
		return 0
	}
	switch s[0] {
	case '[':
		for i := 1; i < len(s); i++ {
			if c := s[i]; c >= 0x40 && c <= 0x7e {
				return i + 1
			}
		}
		return len(s)
	case ']', 'P', '_', '^', 'X':
		for i := 1; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return len(s)
	}
	return 1
}
