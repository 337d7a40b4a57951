package report

import (
	"encoding/csv"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
)

// hostileTenant is testTenant with hostile strings where evidence and fixes carry them: a group, a role, a federated
// credential that a shell would run if quoted carelessly, and one holding an escape sequence.
func hostileTenant() *data.Tenant {
	tn := testTenant()
	tn.Groups[0].DisplayName = "Tier 0\x1b[2J\u202e\r\nX"
	tn.RoleAssignments[0].ID = "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleAssignments/ra-1"
	tn.FederatedCredentials = append(tn.FederatedCredentials,
		data.FederatedCredential{IdentityID: "mi-deploy", Name: "x'; $(touch /tmp/pwned) `id`",
			Issuer: "https://evil.example\x07", Subject: "repo:*/app:ref:refs/heads/main\x1b]52;c;ZXZpbA==\x07",
			Audiences: []string{"api://AzureADTokenExchange"}},
		data.FederatedCredential{IdentityID: "mi-deploy", Name: "esc\x1b[31m", Issuer: "https://evil.example",
			Subject: "repo:*/app:pull_request", Audiences: []string{"api://AzureADTokenExchange"}})
	tn.RoleDefinitions = append(tn.RoleDefinitions, data.RoleDefinition{ID: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
		RoleName: "Owner\u202e\x1b[1m", Actions: []string{"*"}})
	return tn
}

// TestHostileEvidenceInEveryFormat: tenant strings in evidence reach no human format (Markdown, CSV, SARIF text) with
// a raw control or bidi character, and every format carries the fix: Markdown and SARIF as commands to paste in a
// code block whose quoting holds, a command with an unpasteable argument refused rather than shown.
func TestHostileEvidenceInEveryFormat(t *testing.T) {
	src := data.NewTenantSource(hostileTenant(), data.SourceInfo{Origin: data.OriginSnapshot})
	outputs := map[string]string{}
	for _, format := range []string{"markdown", "csv", "sarif", "json"} {
		outputs[format] = render(t, src, renderOptions{Format: format})
	}
	for format, out := range outputs {
		if strings.ContainsAny(out, "\x1b\x07\u202e\r") {
			t.Errorf("%s carries a raw control or bidi character", format)
		}
	}
	md := outputs["markdown"]
	for _, want := range []string{
		"```sh\n",
		"az role assignment delete --ids /subscriptions/" + sub + "/providers/Microsoft.Authorization/roleAssignments/ra-1\n",
		`az identity federated-credential delete --name 'x'\''; $(touch /tmp/pwned) ` + "`id`'" + ` --identity-name uai-deploy --resource-group rg-id --subscription ` + sub + " --yes\n",
		"# (not shown: an argument holds characters that cannot be pasted safely)\n",
		"az ad group member remove --group g-1 --member-id mi-admin\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if strings.Contains(md, "esc[31m") || strings.Contains(md, "--name esc") {
		t.Error("a command with an escape sequence in an argument is shown")
	}

	var log struct {
		Runs []struct {
			Results []struct {
				RuleID  string `json:"ruleId"`
				Message struct {
					Text     string `json:"text"`
					Markdown string `json:"markdown"`
				} `json:"message"`
				Properties struct {
					Fix []string `json:"fix"`
				} `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(outputs["sarif"]), &log); err != nil {
		t.Fatal(err)
	}
	fixes := 0
	for _, r := range log.Runs[0].Results {
		if len(r.Properties.Fix) > 0 {
			fixes++
			if !strings.Contains(r.Message.Markdown, "```sh\n"+r.Properties.Fix[0]+"\n") {
				t.Errorf("%s: SARIF message does not show its fix: %q", r.RuleID, r.Message.Markdown)
			}
		}
		if strings.ContainsAny(r.Message.Text+r.Message.Markdown+strings.Join(r.Properties.Fix, ""), "\x1b\x07\u202e\r") {
			t.Errorf("%s: SARIF text carries a raw control character", r.RuleID)
		}
	}
	if fixes == 0 {
		t.Error("no SARIF result carries a fix")
	}

	var doc Document
	if err := json.Unmarshal([]byte(outputs["json"]), &doc); err != nil {
		t.Fatal(err)
	}
	refused, exact := false, false
	for _, f := range doc.Findings {
		if f.Fix == nil {
			t.Errorf("%s: fix is null", f.RuleID)
		}
		for _, c := range f.Fix {
			refused = refused || c.Refused && c.Line == "" && strings.Contains(strings.Join(c.Args, " "), "esc\x1b[31m")
			exact = exact || strings.Contains(strings.Join(c.Args, "\x00"), "\x00x'; $(touch /tmp/pwned) `id`\x00")
		}
	}
	if !refused || !exact {
		t.Errorf("JSON fix: refused command kept with its exact arguments %v, hostile name kept exactly %v", refused, exact)
	}
}

// TestFixInEveryFormat: one finding's fix is the same commands in all four formats: JSON as exact arguments and
// rendered lines, Markdown and SARIF as those lines under their notes, CSV as one cell holding them joined into the
// line to paste (a valid shell line, with no line break) and a comment counting the refused one. A finding without
// commands has an empty fix cell.
func TestFixInEveryFormat(t *testing.T) {
	src := data.NewTenantSource(hostileTenant(), data.SourceInfo{Origin: data.OriginSnapshot})
	outputs := map[string]string{}
	for _, format := range []string{"markdown", "csv", "sarif", "json"} {
		outputs[format] = render(t, src, renderOptions{Format: format})
	}
	var doc Document
	if err := json.Unmarshal([]byte(outputs["json"]), &doc); err != nil {
		t.Fatal(err)
	}
	var f *Finding
	empty := ""
	for i := range doc.Findings {
		g := &doc.Findings[i]
		if g.RuleID == "MI-FIC-RISK" && len(g.Fix) > 1 {
			f = g
		}
		if len(g.Fix) == 0 {
			empty = g.Fingerprint
		}
	}
	if f == nil {
		t.Fatal("no MI-FIC-RISK finding with several commands")
	}
	var lines, block []string
	refused := 0
	for _, c := range f.Fix {
		block = append(block, "# "+data.Clean(c.Note)) // human formats clean the tenant text in a note
		if c.Refused {
			refused++
			block = append(block, "# (not shown: an argument holds characters that cannot be pasted safely)")
			continue
		}
		if want, _ := (assess.Command{Args: c.Args}).Line(); c.Line != want || want == "" {
			t.Errorf("JSON line %q, its arguments render as %q", c.Line, want)
		}
		lines = append(lines, c.Line)
		block = append(block, c.Line)
	}
	if refused != 1 || len(lines) == 0 {
		t.Fatalf("the finding has %d refused and %d pasteable commands; the test needs 1 and some", refused, len(lines))
	}

	if !strings.Contains(outputs["markdown"], "```sh\n"+strings.Join(block, "\n")+"\n```") {
		t.Errorf("Markdown lacks the fix block\n%s", strings.Join(block, "\n"))
	}

	var log struct {
		Runs []struct {
			Results []struct {
				PartialFingerprints map[string]string `json:"partialFingerprints"`
				Properties          struct {
					Fix []string `json:"fix"`
				} `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(outputs["sarif"]), &log); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range log.Runs[0].Results {
		for _, fp := range r.PartialFingerprints {
			if fp == f.Fingerprint {
				found = true
				if !slices.Equal(r.Properties.Fix, block) {
					t.Errorf("SARIF fix\n%q\nwant\n%q", r.Properties.Fix, block)
				}
			}
		}
	}
	if !found {
		t.Error("no SARIF result for the finding")
	}

	recs, err := csv.NewReader(strings.NewReader(outputs["csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	cells := map[string]string{}
	for _, rec := range recs[1:] {
		cells[rec[col["fingerprint"]]] = rec[col["fix"]]
	}
	want := strings.Join(lines, " && ") + " # 1 command not shown: an argument holds characters that cannot be pasted safely"
	cell, ok := cells[f.Fingerprint]
	if !ok || cell != want {
		t.Errorf("CSV fix cell\n%q\nwant\n%q", cell, want)
	}
	if err := exec.Command("sh", "-n", "-c", cell).Run(); err != nil || strings.ContainsAny(cell, "\n\r") {
		t.Errorf("the CSV fix is not one valid shell line (%v): %q", err, cell)
	}
	if empty == "" || cells[empty] != "" {
		t.Errorf("a finding without commands has the fix cell %q", cells[empty])
	}
}
