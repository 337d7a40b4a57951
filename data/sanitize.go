package data

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Tenant strings are kept exactly as read everywhere inside miscope (the model, the assessment, the JSON report and
// snapshots, where JSON escapes make every character harmless); they are made safe only where they leave for a
// terminal, a clipboard or a human format (CSV, Markdown, SARIF text). These functions are that edge. What they take
// out they show visibly, as an escape a reader recognises (\x1b, \u202e), so that a disguised name looks suspicious
// rather than clean.

// Clean makes a string from the tenant safe to show on one line: every control character, escape sequence, invalid
// byte and bidirectional, invisible or tag character is replaced by a visible mark (see Mark); a newline, tab or
// carriage return becomes a space. Zero-width joiners are kept because emoji need them.
func Clean(s string) string {
	if isPlain(s) {
		return s
	}
	return clean(s, modeLine)
}

// CleanInput cleans what a user types or pastes into a field (a filter, a path, a justification): the same
// characters go, but without a mark, since they were never meant to be part of it; whitespace becomes a space.
func CleanInput(s string) string {
	if isPlain(s) {
		return s
	}
	return clean(s, modeInput)
}

// CleanText is Clean for text of several lines, such as a table copied to the clipboard: newlines and tabs are kept,
// everything else Clean marks is marked.
func CleanText(s string) string { return clean(s, modeText) }

// CleanFrame cleans a whole rendered screen on its way to the terminal: it keeps newlines and the SGR sequences
// (ESC [ ... m) that colour and style it, makes a tab a space, and marks everything else Clean marks, so that text
// that reached a view uncleaned still cannot drive the terminal or reorder what is shown, and shows that it was there.
func CleanFrame(s string) string { return clean(s, modeFrame) }

type cleanMode int

const (
	modeLine  cleanMode = iota // one line: whitespace becomes a space
	modeText                   // several lines: newlines and tabs kept
	modeFrame                  // a rendered screen: newlines and styles kept, a tab becomes a space
	modeInput                  // typed or pasted: like a line, with nothing in place of what goes
)

// Mark is the visible stand-in for a character miscope will not pass on: \xNN for a C0 control, DEL or a byte that
// is not UTF-8, \uNNNN (or \UNNNNNNNN) for any other rune. A whole escape sequence is marked by its ESC (\x1b) alone,
// so that its payload (a clipboard write, a window title) is not shown either.
func Mark(r rune) string {
	switch {
	case r < 0x80:
		return `\x` + hex2(byte(r))
	case r <= 0xffff:
		return `\u` + pad(strconv.FormatInt(int64(r), 16), 4)
	}
	return `\U` + pad(strconv.FormatInt(int64(r), 16), 8)
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}

func pad(s string, n int) string { return strings.Repeat("0", max(n-len(s), 0)) + s }

// isPlain is the fast path: printable ASCII needs no work.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// clean returns s itself when nothing needs marking, which is the rule for a frame.
func clean(s string, mode cleanMode) string {
	var b *strings.Builder
	start := 0 // s[start:i] is clean and not yet copied
	cut := func(i, next int, with string) {
		if mode == modeInput && with != " " {
			with = ""
		}
		if b == nil {
			b = &strings.Builder{}
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[start:i])
		b.WriteString(with)
		start = next
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7f:
			i++
		case c == '\n' || c == '\t' || c == '\r':
			switch {
			case mode == modeLine || mode == modeInput, c == '\t' && mode == modeFrame:
				cut(i, i+1, " ")
			case c == '\r':
				cut(i, i+1, Mark('\r'))
			}
			i++
		case c == 0x1b:
			n := 1 + escapeLength(s[i+1:])
			if mode != modeFrame || !isSGR(s[i+1:i+n]) {
				cut(i, i+n, Mark(0x1b))
			}
			i += n
		case c < 0x80: // other C0 controls and DEL
			cut(i, i+1, Mark(rune(c)))
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1: // invalid UTF-8, a raw C1 byte among them
				cut(i, i+1, `\x`+hex2(c))
			case hidden(r):
				cut(i, i+size, Mark(r))
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

// hiddenBMP marks the runes of the Basic Multilingual Plane that Clean marks, so that a frame full of box lines
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

// hidden reports whether a non-ASCII rune is one Clean marks: a C1 control, a format, bidi or tag character (the
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

// JSONWriter passes JSON on to w with every rune Clean would mark, where it is still raw (DEL, a C1 control, a bidi,
// invisible or tag character), written as a \u escape instead: the same string once decoded, so tenant text stays
// exact, but a file that cannot reorder or hide what a terminal shows when someone looks at it. encoding/json
// escapes C0 controls itself; such runes only occur inside JSON strings, where an escape is valid. Each Write must
// hold whole runes, as json.Encoder's and json.Marshal's output does.
func JSONWriter(w io.Writer) io.Writer { return &jsonWriter{w: w} }

type jsonWriter struct {
	w   io.Writer
	buf []byte // what the last Write passed on, kept for the next
}

func (j *jsonWriter) Write(p []byte) (int, error) {
	j.buf = AppendJSONSafe(j.buf[:0], p)
	if _, err := j.w.Write(j.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

// AppendJSONSafe appends the JSON text p to dst with the runes Clean would mark \u-escaped (see JSONWriter).
func AppendJSONSafe(dst, p []byte) []byte {
	start := 0
	for i := 0; i < len(p); {
		if p[i] < 0x7f {
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if r == 0x7f || r != utf8.RuneError && hidden(r) {
			dst = append(dst, p[start:i]...)
			dst = appendUnicodeEscape(dst, r)
			start = i + size
		}
		i += size
	}
	if start == 0 {
		return append(dst, p...)
	}
	return append(dst, p[start:]...)
}

// appendUnicodeEscape writes r as JSON's \uXXXX, a surrogate pair beyond the Basic Multilingual Plane.
func appendUnicodeEscape(dst []byte, r rune) []byte {
	if r > 0xffff {
		hi, lo := utf16.EncodeRune(r)
		return appendUnicodeEscape(appendUnicodeEscape(dst, hi), lo)
	}
	const digits = "0123456789abcdef"
	return append(dst, '\\', 'u', digits[r>>12&0xf], digits[r>>8&0xf], digits[r>>4&0xf], digits[r&0xf])
}
