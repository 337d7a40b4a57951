package data

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// hostileText carries what a tenant string can try on a terminal or a clipboard: C0 controls, C1 controls (raw and
// UTF-8, CSI 0x9b among them), escape sequences of every kind, bidi overrides and isolates, and zero-width characters.
const hostileText = "a\x07b\x08c\x1b[2Jd\x1b]52;c;cHduZWQ=\x07e\x1b]0;title\x1b\\f\x1bPq#0\x1b\\g\x1b_apc\x1b\\h\x9b2Ji\u009b31mj" +
	"\u0085k\u202el\u2066m\u2069n\u200bo\ufeffp\u2060q\x1bcr\r"

// leftovers lists what must not survive cleaning.
var leftovers = []string{"\x07", "\x08", "\x1b", "\x9b", "\u009b", "\u0085", "\u202e", "\u2066", "\u2069", "\u200b",
	"\ufeff", "\u2060", "\r", "cHduZWQ=", "title", "apc"}

func TestCleanTextAndFrameMarkWhatCleanMarks(t *testing.T) {
	for name, f := range map[string]func(string) string{"CleanText": CleanText, "CleanFrame": CleanFrame} {
		for _, in := range []string{hostileText, "line one\n" + hostileText + "\nline three"} {
			out := f(in)
			for _, bad := range leftovers {
				if strings.Contains(out, bad) {
					t.Errorf("%s left %q in %q", name, bad, out)
				}
			}
			if !utf8.ValidString(out) {
				t.Errorf("%s gave invalid UTF-8: %q", name, out)
			}
			if strings.Count(out, "\n") != strings.Count(in, "\n") {
				t.Errorf("%s changed the lines: %q", name, out)
			}
			// What is marked is what Clean marks (Clean makes a carriage return a space; these mark it).
			if c := Clean(strings.NewReplacer("\n", " ", "\r", "\\x0d").Replace(in)); strings.ReplaceAll(out, "\n", " ") != c {
				t.Errorf("%s and Clean differ:\n  %q\n  %q", name, out, c)
			}
		}
	}
	// A frame keeps the styles it was rendered with (a clean frame is handed back as it is); a clipboard keeps none.
	if got := CleanText("x\x1b[38;5;196;8my"); got != `x\x1by` {
		t.Errorf("CleanText kept a style: %q", got)
	}
	styled := "\x1b[1;38;2;10;20;30mTitle\x1b[m · list\n\x1b[7m> row\x1b[0m"
	if got := CleanFrame(styled); got != styled {
		t.Errorf("CleanFrame changed a clean frame: %q", got)
	}
	if got := CleanFrame("tab\there"); got != "tab here" {
		t.Errorf("CleanFrame(tab) = %q", got)
	}
	if got := CleanText("a\tb\r\n"); got != "a\tb\\x0d\n" {
		t.Errorf("CleanText kept or lost too much: %q", got)
	}
}
