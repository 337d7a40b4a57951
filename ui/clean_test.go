package ui

import (
	"bytes"
	"encoding/base64"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/miscope/miscope/data"
)

// hostile is what a crafted snapshot can put in any string, ids included: C0 controls, C1 controls raw and in UTF-8
// (CSI 0x9b), escape sequences (a clipboard write, a window title, a style that hides text), bidi overrides and
// isolates, and zero-width characters.
const hostile = "\x07\x08\x1b]52;c;cHduZWQ=\x07\x1b]0;pwned\x07\u202e\u2066\u200b\ufeff\x9b31m\u009b2J\x1b[38;5;196;8m"

// poison lists what must never reach the terminal or the clipboard raw.
var poison = []string{"cHduZWQ=", "pwned", "196;8m", "\u202e", "\u2066", "\u200b", "\ufeff", "\u009b", "\x08"}

func hostileTenant() (t *data.Tenant, evil, clean, group string) {
	evil, clean, group = "c1"+hostile, "c2-clean", "g1"+hostile
	sub := sub1 + hostile
	res := "/subscriptions/" + sub + "/resourceGroups/rg" + hostile + "/providers/Microsoft.Logic/workflows/la" + hostile
	fn := rg(sub2, "rg-fn") + "/providers/Microsoft.Web/sites/fn-c2"
	return &data.Tenant{
		ID: tenantID, DisplayName: "Contoso" + hostile, CollectedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Subscriptions: []data.Subscription{{ID: sub, DisplayName: "prod" + hostile}, {ID: sub2, DisplayName: "prod-data"}},
		Identities: []data.Identity{
			{ID: evil, AppID: "app" + hostile, DisplayName: "aa-evil" + hostile, Kind: data.SystemAssigned, ResourceID: res},
			{ID: clean, AppID: "app-c2", DisplayName: "bb-clean", Kind: data.SystemAssigned, ResourceID: fn},
		},
		Resources: []data.Resource{
			{ID: res, Name: "la" + hostile, Type: "Microsoft.Logic/workflows", SystemAssignedPrincipalID: evil},
			{ID: fn, Name: "fn-c2", Type: "Microsoft.Web/sites", SystemAssignedPrincipalID: clean},
		},
		Groups:      []data.Group{{ID: group, DisplayName: "grp-shared" + hostile}},
		Memberships: []data.Membership{{IdentityID: evil, GroupID: group}, {IdentityID: clean, GroupID: group}},
		// Owner of the hostile subscription gives findings whose titles and evidence quote it.
		RoleAssignments: []data.RoleAssignment{{ID: "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleAssignments/ra" + hostile,
			PrincipalID: evil, PrincipalType: data.PrincipalServicePrincipal, RoleDefinitionID: ownerRole, Scope: "/subscriptions/" + sub}},
	}, evil, clean, group
}

// raw reports what of poison, or which control, bidi or invalid byte, s still carries; styles (SGR) are allowed
// when styled.
func raw(s string, styled bool) string {
	for _, p := range poison {
		if strings.Contains(s, p) {
			return p
		}
	}
	if !utf8.ValidString(s) {
		return "invalid UTF-8"
	}
	for i, r := range s {
		switch {
		case r == 0x1b && styled:
			seq := s[i+1:]
			end := strings.IndexByte(seq, 'm')
			if end < 0 || !isParams(seq[1:end]) || seq[0] != '[' {
				return "an escape sequence that is not a style: " + seq[:min(len(seq), 12)]
			}
		case r == '\n' || r == '\t' && !styled:
		case unicode.IsControl(r) || r != 0x200d && (unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Bidi_Control, r)):
			return string(r)
		}
	}
	return ""
}

func isParams(s string) bool { return strings.Trim(s, "0123456789;:") == "" }

// Hostile strings, ids included, are cleaned on their way to the terminal and to the clipboard in the list and its
// preview, the detail view (its Subscription line among them), the findings pane and the pivot.
func TestHostileStringsNeverReachTheTerminalOrClipboard(t *testing.T) {
	tn, evil, clean, group := hostileTenant()
	s := start(t, newTestModel(tn), 160, 40)
	s.ready()
	frames := 0
	look := func(where string) {
		t.Helper()
		var frame string
		s.inspect(func(m *Model) { frame = m.View().Content })
		if bad := raw(frame, true); bad != "" {
			t.Errorf("%s: %q reached the terminal:\n%s", where, bad, frame)
		}
		frames++
	}
	selectWhere := func(what string, ok func(label, id string) bool) {
		t.Helper()
		for range 40 {
			var label, id string
			s.inspect(func(m *Model) { label, id = m.top().Selected() })
			if ok(label, id) {
				return
			}
			s.keys("j")
		}
		t.Fatalf("could not select %s; screen:\n%s", what, s.screen())
	}
	look("list")
	selectWhere("the hostile identity", func(_, id string) bool { return id == evil })
	s.waitText("verdict", "holds")
	look("list and the hostile identity's preview")
	s.keys("y")
	look("list after y")
	s.keys("f")
	s.waitFor("the findings pane", func(m *Model) bool { v, ok := m.top().(*findingsView); return ok && v.filled })
	s.waitText("Remediation")
	look("findings pane")
	s.keys("esc")
	s.keys("enter")
	s.waitText("Subscription", "Groups", "grp-shared")
	look("detail")
	s.keys("y")
	selectWhere("the hostile group", func(label, _ string) bool { return strings.HasPrefix(label, "grp-shared") })
	s.keys("y", "enter")
	s.waitFor("the pivot", func(m *Model) bool { p, ok := m.top().(*pivotView); return ok && !p.loading })
	s.waitText("bb-clean")
	look("pivot")
	selectWhere("the hostile identity in the pivot", func(_, id string) bool { return id == evil })
	s.keys("y")
	look("pivot after y")
	selectWhere("the clean identity in the pivot", func(_, id string) bool { return id == clean })
	_ = group
	// The last copy is written by a command that runs after its key; give it time to reach the output.
	time.Sleep(500 * time.Millisecond)
	s.screen()
	if err := s.tm.Quit(); err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(s.tm.FinalOutput(t, teatest.WithFinalTimeout(5*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	// Every clipboard write carries cleaned text: the hostile id from the list and the pivot, and the detail's copy.
	copies := 0
	for rest := out; ; {
		i := bytes.Index(rest, []byte("\x1b]52;c;"))
		if i < 0 {
			break
		}
		rest = rest[i+len("\x1b]52;c;"):]
		end := bytes.IndexAny(rest, "\x07\x1b")
		if end < 0 {
			t.Fatal("an OSC 52 write does not end")
		}
		payload, err := base64.StdEncoding.DecodeString(string(rest[:end]))
		if err != nil {
			t.Errorf("OSC 52 payload is not base64: %q", rest[:end])
			continue
		}
		copies++
		if bad := raw(string(payload), false); bad != "" {
			t.Errorf("%q reached the clipboard in %q", bad, payload)
		}
	}
	if copies < 4 {
		t.Errorf("%d clipboard writes seen, want the 4 copies made", copies)
	}
	// What the program sent to the terminal as a whole carries none of it either.
	for _, p := range poison {
		if bytes.Contains(out, []byte(p)) {
			t.Errorf("%q reached the terminal's byte stream", p)
		}
	}
	if !utf8.Valid(out) {
		t.Error("the terminal's byte stream is not valid UTF-8: a raw C1 byte got through")
	}
}

// The edges are the only way out: no code in the explorer writes to the clipboard except setClipboard, the only
// view it hands the terminal is the cleaned one, and tenant text is cleaned only where it is laid out (text.go).
func TestClipboardAndFrameHaveOneCleanedEdge(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	sub, _ := filepath.Glob("*/*.go")
	files = append(files, sub...)
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			ast.Inspect(fn, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				switch name := sel.Sel.Name; {
				case name == "SetClipboard" && fn.Name.Name != "setClipboard":
					t.Errorf("%s: %s writes to the clipboard without setClipboard", fset.Position(call.Pos()), fn.Name.Name)
				case name == "NewView" && !strings.Contains(string(src[call.Pos()-1:call.End()-1]), "CleanFrame("):
					t.Errorf("%s: a view reaches the terminal without CleanFrame", fset.Position(call.Pos()))
				case (name == "Clean" || name == "CleanText") && filepath.Dir(f) == "." && f != "text.go":
					// Views keep tenant text exactly; only the layout (text.go) cleans it, so no view cleans by hand.
					t.Errorf("%s: %s cleans tenant text by hand: lay it out with shown, cell or wrapped", fset.Position(call.Pos()),
						fn.Name.Name)
				}
				return true
			})
		}
	}
}
