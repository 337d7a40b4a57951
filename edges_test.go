package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/demo"
	"github.com/miscope/miscope/data/diff"
	"github.com/miscope/miscope/data/report"
	"github.com/miscope/miscope/data/snapshot"
)

// hostileStrings are what a tenant can put in a name, a subject or an id to drive a terminal or disguise itself: C0
// controls, C1 controls (CSI 0x9b among them), escape sequences of every kind, bidi overrides and isolates, and
// zero-width characters. All are valid UTF-8, so JSON can carry them exactly.
var hostileStrings = []string{
	"nul\x00bel\x07bs\x08vt\x0bff\x0cdel\x7f",
	"c1-csi\u009b31m-nel\u0085-st\u009c",
	"csi\x1b[2J\x1b[38;5;196;8mhidden",
	"osc52\x1b]52;c;cHduZWQ=\x07osc8\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\",
	"dcs\x1bPq#0\x1b\\apc\x1b_x\x1b\\title\x1b]0;pwned\x07",
	"invoice\u202egpj.exe",
	"\u2066admin\u2069\u2067rtl\u2069\u200f",
	"ad\u200bmin\ufeff\u2060\u200c\U000E0041",
	"line\r\nbreak\ttab", // last: white space, which a line shows as spaces
}

// hostileTenant is the demo tenant with a hostile string in every kind of tenant text the outputs carry: names of
// identities, groups and the tenant, resource ids, federated credential names and subjects (which the engine quotes
// in its evidence), and role scopes.
func hostileTenant(t *testing.T) *data.Tenant {
	t.Helper()
	tn, err := demo.Tenant()
	if err != nil {
		t.Fatal(err)
	}
	h := func(i int) string { return hostileStrings[i%len(hostileStrings)] }
	tn.DisplayName += h(0)
	for i := range tn.Identities {
		tn.Identities[i].DisplayName += h(i)
	}
	for i := range tn.Groups {
		tn.Groups[i].DisplayName += h(i + 1)
	}
	for i := range tn.FederatedCredentials {
		f := &tn.FederatedCredentials[i]
		f.Name += h(i + 2)
		if f.Subject != "" {
			f.Subject += h(i + 3)
		} else {
			f.ClaimsMatchingExpression += h(i + 3)
		}
	}
	for i := range tn.Principals {
		tn.Principals[i].DisplayName += h(i + 4)
	}
	for i := range tn.Applications {
		tn.Applications[i].DisplayName += h(i + 5)
	}
	// A gap's reason quotes what an API answered: tenant text too.
	tn.Gaps = append(tn.Gaps, data.Gap{Section: data.SectionAzureRoles, IdentityID: tn.Identities[0].ID,
		Scope: "/subscriptions/" + h(6), Reason: "answered " + h(3), Needs: "Reader"})
	return tn
}

// rawInHumanText says which character a human format must not carry raw: a control (newline and, where allowed,
// tab excepted), a format, bidi or tag character (the zero-width joiner excepted), or a byte that is not UTF-8.
func rawInHumanText(s string, allowed string) string {
	if !utf8.ValidString(s) {
		return "invalid UTF-8"
	}
	for _, r := range s {
		if strings.ContainsRune(allowed, r) {
			continue
		}
		if unicode.IsControl(r) || r != 0x200d && (unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Bidi_Control, r)) {
			return fmt.Sprintf("%U", r)
		}
	}
	return ""
}

// rawInJSONFile says which raw byte or rune a JSON file must not hold: every control, bidi or invisible character
// is an escape there.
func rawInJSONFile(b []byte) string {
	return rawInHumanText(string(b), "\n")
}

// Tenant text is exact inside miscope and made safe at each edge: the JSON report and a snapshot give back every
// hostile string exactly, with none of it raw in the file; the terminal frame, the clipboard, CSV, Markdown, SARIF
// text and the explorer's table exports carry none of it raw, and show a visible mark where it was.
func TestHostileTenantTextAtEveryEdge(t *testing.T) {
	tn := hostileTenant(t)
	x := data.NewIndex(tn)
	r := assess.Assess(x)
	info := data.SourceInfo{Origin: data.OriginDemo, Label: "demo tenant"}
	doc := report.Build(x, r, info)

	// The engine keeps tenant text exact: some finding's evidence quotes a hostile subject as the tenant spells it.
	exactEvidence := false
	for _, f := range r.Findings {
		for _, e := range assess.Texts(f.Evidence) {
			for _, h := range hostileStrings {
				exactEvidence = exactEvidence || strings.Contains(e, h)
			}
		}
	}
	if !exactEvidence {
		t.Error("no evidence quotes a hostile string exactly: the engine cleaned tenant text")
	}

	t.Run("snapshot", func(t *testing.T) {
		var b bytes.Buffer
		if err := snapshot.Encode(&b, tn, data.OriginDemo); err != nil {
			t.Fatal(err)
		}
		if bad := rawInJSONFile(b.Bytes()); bad != "" {
			t.Errorf("the snapshot file holds %s raw", bad)
		}
		back, _, err := snapshot.Decode(&b, "hostile.json")
		if err != nil {
			t.Fatal(err)
		}
		if back.DisplayName != tn.DisplayName {
			t.Errorf("tenant name %q, want %q", back.DisplayName, tn.DisplayName)
		}
		for i := range tn.Identities {
			if back.Identities[i].DisplayName != tn.Identities[i].DisplayName {
				t.Errorf("identity name %q, want %q", back.Identities[i].DisplayName, tn.Identities[i].DisplayName)
			}
		}
		if !reflect.DeepEqual(back.FederatedCredentials, tn.FederatedCredentials) ||
			!reflect.DeepEqual(back.Groups, tn.Groups) || !reflect.DeepEqual(back.Principals, tn.Principals) ||
			!reflect.DeepEqual(back.Gaps, tn.Gaps) {
			t.Error("federated credentials, groups, principals or gaps changed on their way through a snapshot")
		}
	})

	t.Run("JSON report", func(t *testing.T) {
		var b bytes.Buffer
		if err := report.WriteJSON(&b, doc); err != nil {
			t.Fatal(err)
		}
		if bad := rawInJSONFile(b.Bytes()); bad != "" {
			t.Errorf("the JSON report holds %s raw", bad)
		}
		var back report.Document
		if err := json.Unmarshal(b.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(&back, doc) {
			t.Error("the JSON report does not give back the document exactly")
		}
		if back.TenantName != tn.DisplayName {
			t.Errorf("tenant name %q, want %q", back.TenantName, tn.DisplayName)
		}
	})

	human := map[string]func(*bytes.Buffer) error{
		"CSV":           func(b *bytes.Buffer) error { return report.WriteCSV(b, doc) },
		"inventory CSV": func(b *bytes.Buffer) error { return report.WriteInventoryCSV(b, doc) },
		"Markdown":      func(b *bytes.Buffer) error { return report.WriteMarkdown(b, doc) },
		"explorer CSV":  func(b *bytes.Buffer) error { return report.WriteTableCSV(b, report.InventoryTable(doc)) },
		"explorer Markdown": func(b *bytes.Buffer) error {
			return report.WriteTableMarkdown(b, report.InventoryTable(doc))
		},
	}
	for name, write := range human {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := write(&b); err != nil {
				t.Fatal(err)
			}
			if bad := rawInHumanText(b.String(), "\n"); bad != "" {
				t.Errorf("%s holds %s raw", name, bad)
			}
			for _, mark := range []string{`\x1b`, `\u202e`, `\u200b`, `\u009b`, `\x07`} {
				if !strings.Contains(strings.ReplaceAll(b.String(), `\\`, `\`), mark) {
					t.Errorf("%s does not show %s where it was", name, mark)
				}
			}
			for _, payload := range []string{"cHduZWQ=", "pwned"} {
				if strings.Contains(b.String(), payload) {
					t.Errorf("%s shows the payload %q of an escape sequence", name, payload)
				}
			}
		})
	}

	t.Run("SARIF", func(t *testing.T) {
		var b bytes.Buffer
		if err := report.WriteSARIF(&b, doc); err != nil {
			t.Fatal(err)
		}
		if bad := rawInJSONFile(b.Bytes()); bad != "" {
			t.Errorf("the SARIF file holds %s raw", bad)
		}
		var v any
		if err := json.Unmarshal(b.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		marked := false
		walkStrings(v, func(s string) {
			if bad := rawInHumanText(s, "\n"); bad != "" {
				t.Errorf("SARIF text %q holds %s", s, bad)
			}
			marked = marked || strings.Contains(s, `\u202e`)
		})
		if !marked {
			t.Error("SARIF text does not show a removed bidi override")
		}
	})

	t.Run("explorer JSON", func(t *testing.T) {
		table := report.InventoryTable(doc)
		var b bytes.Buffer
		if err := report.WriteTableJSON(&b, table); err != nil {
			t.Fatal(err)
		}
		if bad := rawInJSONFile(b.Bytes()); bad != "" {
			t.Errorf("the explorer's JSON export holds %s raw", bad)
		}
		var back struct {
			Rows []map[string]any `json:"rows"`
		}
		if err := json.Unmarshal(b.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		for i, row := range table.Rows {
			if got := back.Rows[i]["displayName"]; got != row[1] {
				t.Errorf("row %d: displayName %q, want %q", i, got, row[1])
			}
		}
	})

	t.Run("diff", func(t *testing.T) {
		clean, err := demo.Tenant()
		if err != nil {
			t.Fatal(err)
		}
		cx := data.NewIndex(clean)
		res := diff.Compare(diff.Side{Info: info, X: cx, R: assess.Assess(cx)}, diff.Side{Info: info, X: x, R: r})
		if len(res.IdentitiesChanged) == 0 && len(res.FindingsChanged)+len(res.FindingsNew) == 0 {
			t.Fatal("the hostile tenant differs in nothing from the demo tenant")
		}
		for _, format := range []string{"text", "markdown"} {
			write, _ := diff.Writer(format, diff.Style{})
			var b bytes.Buffer
			if err := write(&b, res); err != nil {
				t.Fatal(err)
			}
			if bad := rawInHumanText(b.String(), "\n"); bad != "" {
				t.Errorf("diff as %s holds %s raw", format, bad)
			}
			if !strings.Contains(strings.ReplaceAll(b.String(), `\\`, `\`), `\u202e`) {
				t.Errorf("diff as %s does not show a bidi override where it was", format)
			}
		}
		var b bytes.Buffer
		if err := diff.WriteJSON(&b, res); err != nil {
			t.Fatal(err)
		}
		if bad := rawInJSONFile(b.Bytes()); bad != "" {
			t.Errorf("diff as JSON holds %s raw", bad)
		}
		var back struct {
			IdentitiesChanged []diff.IdentityChange `json:"identitiesChanged"`
		}
		if err := json.Unmarshal(b.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		exact := false
		for _, c := range back.IdentitiesChanged {
			if i, ok := x.Identity(c.ID); ok && c.DisplayName == i.DisplayName && c.DisplayName != data.Clean(c.DisplayName) {
				exact = true
			}
		}
		if !exact {
			t.Errorf("diff as JSON does not keep hostile names exactly")
		}
	})

	t.Run("terminal and clipboard", func(t *testing.T) {
		for _, h := range hostileStrings {
			// A view cleans tenant text before it styles it (a style from the tenant would look like its own), and the
			// frame is cleaned once more on its way out, for text that reached it uncleaned.
			frame := data.CleanFrame("\x1b[1mname\x1b[m " + data.Clean(h) + "\n\x1b[7m" + h + "\x1b[0m")
			lines := strings.SplitN(frame, "\n", 2)
			if bad := rawInHumanText(strings.NewReplacer("\x1b[1m", "", "\x1b[m", "").Replace(lines[0]), ""); bad != "" {
				t.Errorf("the frame of %q holds %s raw: %q", h, bad, frame)
			}
			for _, seq := range regexp.MustCompile("\x1b[^\x1b]{0,12}").FindAllString(lines[1], -1) {
				if !regexp.MustCompile(`^\x1b\[[0-9;:]*m`).MatchString(seq) {
					t.Errorf("the frame of %q keeps an escape sequence that is not a style: %q", h, seq)
				}
			}
			if bad := rawInHumanText(regexp.MustCompile(`\x1b\[[0-9;:]*m`).ReplaceAllString(lines[1], ""), "\n"); bad != "" {
				t.Errorf("the frame of %q holds %s raw: %q", h, bad, frame)
			}
			if h != hostileStrings[len(hostileStrings)-1] && (!strings.Contains(lines[0], `\`) || !strings.Contains(lines[1], `\`)) {
				t.Errorf("the frame of %q shows nothing where it was: %q", h, frame)
			}
			if bad := rawInHumanText(data.CleanText(h), "\n\t"); bad != "" {
				t.Errorf("the clipboard text of %q holds %s raw", h, bad)
			}
		}
	})
}

func walkStrings(v any, f func(string)) {
	switch v := v.(type) {
	case string:
		f(v)
	case []any:
		for _, e := range v {
			walkStrings(e, f)
		}
	case map[string]any:
		for k, e := range v {
			f(k)
			walkStrings(e, f)
		}
	}
}
