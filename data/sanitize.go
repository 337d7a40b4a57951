package data

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
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

// CleanText is Clean for text of several lines, such as a table copied to the clipboard: newlines and tabs are kept
// (a carriage return is dropped), and everything Clean removes is removed.
func CleanText(s string) string { return cleanKeeping(s, false) }

// CleanFrame cleans a whole rendered screen on its way to the terminal: it keeps newlines and the SGR sequences
// (ESC [ ... m) that colour and style it, and removes everything else Clean removes, so that text that reached a view
// uncleaned still cannot drive the terminal or reorder what is shown. A tab becomes a space.
func CleanFrame(s string) string { return cleanKeeping(s, true) }

// cleanKeeping returns s itself when nothing needs removing, which is the rule for a frame.
func cleanKeeping(s string, frame bool) string {
	var b *strings.Builder
	start := 0 // s[start:i] is clean and not yet copied
	cut := func(i, next int, with string) {
		if b == nil {
			b = &strings.Builder{}
			b.Grow(len(s))
		}
		b.WriteString(s[start:i])
		b.WriteString(with)
		start = next
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7f || c == '\n':
			i++
		case c == '\t':
			if frame {
				cut(i, i+1, " ")
			}
			i++
		case c == 0x1b:
			n := 1 + escapeLength(s[i+1:])
			if !frame || !isSGR(s[i+1:i+n]) {
				cut(i, i+n, "")
			}
			i += n
		case c < 0x80: // other C0 controls and DEL
			cut(i, i+1, "")
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1: // invalid UTF-8, a raw C1 byte among them
				cut(i, i+1, "\uFFFD")
			case hidden(r):
				cut(i, i+size, "")
			}
			i += size
		}
	}
	if b == nil {
		return s
	}
	b.WriteString(s[start:])
	return b.String()
}

// hiddenBMP marks the runes of the Basic Multilingual Plane that Clean removes, so that a frame full of box lines
// and names costs a look-up per rune rather than a search of three Unicode tables.
var hiddenBMP = sync.OnceValue(func() *[0x10000 / 64]uint64 {
	var m [0x10000 / 64]uint64
	for r := rune(0x80); r < 0x10000; r++ {
		if r != 0x200d && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Bidi_Control, r)) {
			m[r/64] |= 1 << (r % 64)
		}
	}
	return &m
})

// hidden reports whether a non-ASCII rune is one Clean removes: a C1 control, a format, bidi or tag character (the
// zero-width joiner excepted: emoji need it).
func hidden(r rune) bool {
	if r < 0x10000 {
		return hiddenBMP()[r/64]&(1<<(r%64)) != 0
	}
	return unicode.Is(unicode.Cf, r) || r >= 0xE0000 && r <= 0xE007F
}

// isSGR reports whether an escape sequence (after its ESC) only sets colours and styles: "[" parameters "m".
func isSGR(seq string) bool {
	if len(seq) < 2 || seq[0] != '[' || seq[len(seq)-1] != 'm' {
		return false
	}
	for i := 1; i < len(seq)-1; i++ {
		if c := seq[i]; (c < '0' || c > '9') && c != ';' && c != ':' {
			return false
		}
	}
	return true
}
