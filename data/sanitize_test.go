package data

import (
	"strings"
	"testing"
)

func TestCleanRemovesWhatCouldDriveOrDisguise(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "vm-web-01", "vm-web-01"},
		{"CSI colour", "evil\x1b[31mred\x1b[0m", "evilred"},
		{"OSC title and hyperlink", "a\x1b]0;owned\x07b\x1b]8;;http://x\x1b\\c", "abc"},
		{"OSC 52 clipboard write", "x\x1b]52;c;ZXZpbA==\x07y", "xy"},
		{"C1 CSI", "a\u009b31mb", "a31mb"},
		{"newline and tab", "line1\nline2\tend\r", "line1 line2 end "},
		{"bidi override", "invoice\u202egpj.exe", "invoicegpj.exe"},
		{"bidi isolates", "\u2066admin\u2069", "admin"},
		{"zero width space", "ad\u200bmin", "admin"},
		{"tag characters", "a\U000E0041b", "ab"},
		{"emoji with joiner kept", "team 👩\u200d💻", "team 👩\u200d💻"},
		{"accents kept", "Équipe données", "Équipe données"},
		{"NUL and BEL", "a\x00b\x07c", "abc"},
		{"unterminated escape", "a\x1b[31", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clean(tt.in)
			if got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.ContainsAny(got, "\x1b\x07\x00\u202e") {
				t.Errorf("Clean(%q) left a control character: %q", tt.in, got)
			}
		})
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"a\x1b[1mb", "\u202e", "x\x1b]0;t\x07", "ok"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Clean(s)
		for _, r := range got {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
				t.Fatalf("Clean(%q) = %q keeps %U", s, got, r)
			}
		}
		if Clean(got) != got {
			t.Fatalf("Clean is not idempotent on %q", s)
		}
	})
}
