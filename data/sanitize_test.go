package data

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// What could drive the terminal or disguise a name is replaced by a visible mark, so the name looks as suspicious as
// it is.
func TestCleanMarksWhatCouldDriveOrDisguise(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "vm-web-01", "vm-web-01"},
		{"CSI colour", "evil\x1b[31mred\x1b[0m", `evil\x1bred\x1b`},
		{"OSC title and hyperlink", "a\x1b]0;owned\x07b\x1b]8;;http://x\x1b\\c", `a\x1bb\x1bc`},
		{"OSC 52 clipboard write", "x\x1b]52;c;ZXZpbA==\x07y", `x\x1by`},
		{"C1 CSI", "a\u009b31mb", `a\u009b31mb`},
		{"raw C1 CSI byte", "a\x9b31mb", `a\x9b31mb`},
		{"newline and tab", "line1\nline2\tend\r", "line1 line2 end "},
		{"bidi override", "invoice\u202egpj.exe", `invoice\u202egpj.exe`},
		{"bidi isolates", "\u2066admin\u2069", `\u2066admin\u2069`},
		{"zero width space", "ad\u200bmin", `ad\u200bmin`},
		{"tag characters", "a\U000E0041b", `a\U000e0041b`},
		{"emoji with joiner kept", "team 👩\u200d💻", "team 👩\u200d💻"},
		{"accents kept", "Équipe données", "Équipe données"},
		{"NUL and BEL", "a\x00b\x07c", `a\x00b\x07c`},
		{"DEL", "a\x7fb", `a\x7fb`},
		{"unterminated escape", "a\x1b[31", `a\x1b`},
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

// JSON keeps tenant text exactly but holds none of it raw: C1, DEL, bidi, invisible and tag characters become
// escapes (encoding/json escapes C0 itself), and decode back to the same string.
func TestJSONWriterEscapesWithoutChangingTheText(t *testing.T) {
	in := "a\u009b31m\x7f\u202eb\u2066c\u2069\u200b\ufeff\U000E0041 👩\u200d💻 é"
	b, err := json.Marshal(map[string]string{"name": in})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := JSONWriter(&out).Write(b); err != nil {
		t.Fatal(err)
	}
	if got := string(AppendJSONSafe(nil, b)); got != out.String() {
		t.Errorf("AppendJSONSafe and JSONWriter differ: %s / %s", got, out.String())
	}
	for _, r := range out.String() {
		if r == 0x7f || r >= 0x80 && hidden(r) {
			t.Errorf("%U is raw in %s", r, out.String())
		}
	}
	for _, esc := range []string{`\u009b`, `\u007f`, `\u202e`, `\udb40\udc41`} {
		if !strings.Contains(out.String(), esc) {
			t.Errorf("%s lacks %s", out.String(), esc)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || back["name"] != in {
		t.Errorf("decoded %q (%v), want %q", back["name"], err, in)
	}
}

// What a user types or pastes loses what Clean marks, without a mark: it was never meant to be there.
func TestCleanInputDropsWithoutMarks(t *testing.T) {
	if got := CleanInput("out\x1b[31m.csv\u202e\r\n"); got != "out.csv  " {
		t.Errorf("CleanInput = %q", got)
	}
	if got := CleanInput("plain"); got != "plain" {
		t.Errorf("CleanInput(plain) = %q", got)
	}
}
