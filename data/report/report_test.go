package report

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/demo"
)

const (
	sub         = "aaaaaaaa-0000-0000-0000-000000000001"
	hostileName = "=cmd|' /C calc'!A0\x1b]52;c;ZXZpbA==\x07 `x` <script>|#"
)

// testTenant holds one identity per interesting case, one of them with a hostileName name, and a gap.
func testTenant() *data.Tenant {
	vm := "/subscriptions/" + sub + "/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-1"
	uai := "/subscriptions/" + sub + "/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-deploy"
	return &data.Tenant{
		ID:            "11111111-1111-1111-1111-111111111111",
		DisplayName:   "Contoso",
		CollectedAt:   time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Subscriptions: []data.Subscription{{ID: sub, DisplayName: "Production"}},
		Identities: []data.Identity{
			{ID: "mi-admin", AppID: "app-1", DisplayName: hostileName, Kind: data.SystemAssigned, ResourceID: vm},
			{ID: "mi-deploy", AppID: "app-2", DisplayName: "uai-deploy", Kind: data.UserAssigned, ResourceID: uai},
			{ID: "mi-quiet", AppID: "app-3", DisplayName: "quiet", Kind: data.SystemAssigned, ResourceID: vm + "x"},
		},
		Resources: []data.Resource{
			{ID: vm, Name: "vm-1", Type: "Microsoft.Compute/virtualMachines", SystemAssignedPrincipalID: "mi-admin"},
			{ID: vm + "x", Name: "vm-1x", Type: "Microsoft.Compute/virtualMachines", SystemAssignedPrincipalID: "mi-quiet"},
			{ID: uai, Name: "uai-deploy", Type: "Microsoft.ManagedIdentity/userAssignedIdentities"},
		},
		Groups:      []data.Group{{ID: "g-1", DisplayName: "Tier 0", RoleAssignable: true}},
		Memberships: []data.Membership{{IdentityID: "mi-admin", GroupID: "g-1"}},
		DirectoryRoleAssignments: []data.DirectoryRoleAssignment{{PrincipalID: "g-1",
			RoleTemplateID: "62e90394-69f5-4237-9190-012177145e10", DirectoryScopeID: "/", State: data.Active}},
		AppRoleAssignments: []data.AppRoleAssignment{{PrincipalID: "mi-admin", ResourceAppID: data.MicrosoftGraphAppID,
			ResourceDisplayName: "Microsoft Graph", AppRoleID: "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
			Permission: "RoleManagement.ReadWrite.Directory"}},
		RoleAssignments: []data.RoleAssignment{
			{PrincipalID: "mi-admin", PrincipalType: data.PrincipalServicePrincipal,
				RoleDefinitionID: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", Scope: "/subscriptions/" + sub},
			{PrincipalID: "u-1", PrincipalType: data.PrincipalUser,
				RoleDefinitionID: "9980e02c-c2be-4d73-94e8-173b1dc7cf3c", Scope: vm},
		},
		FederatedCredentials: []data.FederatedCredential{{IdentityID: "mi-deploy", Name: "pr",
			Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:contoso/app:pull_request",
			Audiences: []string{"api://AzureADTokenExchange"}}},
		Principals: []data.Principal{{ID: "u-1", Type: data.PrincipalUser, DisplayName: "-2+3 Mallory\u202e"}},
		Applications: []data.Application{{ID: "sp-1", AppID: "a-1", DisplayName: "@Billing", Credentials: []data.Credential{
			{KeyID: "k", Type: "password", Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
				End: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)}}}},
		Gaps: []data.Gap{{Section: data.SectionAzureRoles, IdentityID: "mi-quiet", Reason: "403", Needs: "Reader"}},
	}
}

func source(origin data.Origin) data.Source {
	return data.NewTenantSource(testTenant(), data.SourceInfo{Origin: origin})
}

func run(t *testing.T, opts renderOptions) string {
	t.Helper()
	return render(t, source(data.OriginSnapshot), opts)
}

func keys(m any) []string {
	var ks []string
	for k := range m.(map[string]any) {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// hasKeys fails unless every name of the public schema is present.
func hasKeys(t *testing.T, what string, m any, names ...string) {
	t.Helper()
	got := keys(m)
	for _, n := range names {
		if !slices.Contains(got, n) {
			t.Errorf("%s lacks %q (has %v)", what, n, got)
		}
	}
}

func TestJSONSchemaV1(t *testing.T) {
	out := run(t, renderOptions{Format: "json"})
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	hasKeys(t, "document", doc, "schemaVersion", "tenantId", "source", "collectedAt", "identities", "findings", "gaps")
	if doc["schemaVersion"] != float64(1) || doc["source"] != "snapshot" || doc["tenantId"] != testTenant().ID {
		t.Errorf("header = %v %v %v", doc["schemaVersion"], doc["source"], doc["tenantId"])
	}
	if _, err := time.Parse(time.RFC3339, doc["collectedAt"].(string)); err != nil {
		t.Errorf("collectedAt: %v", err)
	}
	ids := doc["identities"].([]any)
	if len(ids) != 3 {
		t.Fatalf("%d identities", len(ids))
	}
	var admin map[string]any
	for _, i := range ids {
		hasKeys(t, "identity", i, "id", "appId", "displayName", "kind", "resourceId", "attachedResources", "appRoles",
			"groups", "directoryRoles", "azureRoles", "federatedCredentials")
		for _, list := range []string{"attachedResources", "appRoles", "groups", "directoryRoles", "azureRoles",
			"federatedCredentials"} {
			// A section that could not be read, and of which nothing was read, is null: never the [] of "none".
			unread, _ := i.(map[string]any)["notReadable"].([]any)
			if v := i.(map[string]any)[list]; slices.Contains(unread, any(list)) && v == nil {
				continue
			}
			if _, ok := i.(map[string]any)[list].([]any); !ok {
				t.Errorf("identity %v: %s is not an array", i.(map[string]any)["id"], list)
			}
		}
		if i.(map[string]any)["id"] == "mi-admin" {
			admin = i.(map[string]any)
		}
	}
	hasKeys(t, "appRole", admin["appRoles"].([]any)[0], "resourceAppId", "resourceDisplayName", "permission", "appRoleId")
	hasKeys(t, "group", admin["groups"].([]any)[0], "id", "displayName", "roleAssignable", "transitive")
	dr := admin["directoryRoles"].([]any)[0]
	hasKeys(t, "directoryRole", dr, "roleTemplateId", "roleName", "directoryScopeId", "via")
	if dr.(map[string]any)["via"] != "group:g-1" || dr.(map[string]any)["directoryScopeId"] != "/" {
		t.Errorf("directory role = %v", dr)
	}
	ar := admin["azureRoles"].([]any)[0]
	hasKeys(t, "azureRole", ar, "roleDefinitionId", "roleName", "scope", "via")
	if ar.(map[string]any)["roleDefinitionId"] != "8e3af657-a8ff-443c-a75c-2fe8c4bcb635" {
		t.Errorf("azure role = %v", ar)
	}
	for _, i := range ids {
		if i.(map[string]any)["id"] == "mi-deploy" {
			hasKeys(t, "federatedCredential", i.(map[string]any)["federatedCredentials"].([]any)[0], "name", "issuer",
				"subject", "audiences")
		}
	}
	fs := doc["findings"].([]any)
	if len(fs) == 0 {
		t.Fatal("no findings")
	}
	for _, f := range fs {
		hasKeys(t, "finding", f, "ruleId", "severity", "identityId", "title", "evidence", "remediation")
	}
	gaps := doc["gaps"].([]any)
	if len(gaps) != 1 {
		t.Fatalf("gaps = %v", gaps)
	}
	hasKeys(t, "gap", gaps[0], "section", "identityId", "reason")
	if strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Error("the JSON carries control or bidi characters from the tenant")
	}
}

func TestSARIF(t *testing.T) {
	out := run(t, renderOptions{Format: "sarif"})
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID   string `json:"id"`
						Help struct {
							Text string `json:"text"`
						} `json:"help"`
						ShortDescription struct {
							Text string `json:"text"`
						} `json:"shortDescription"`
						Properties struct {
							Docs         string `json:"docs"`
							SeverityRule string `json:"severityRule"`
						} `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					LogicalLocations []struct {
						Name               string `json:"name"`
						FullyQualifiedName string `json:"fullyQualifiedName"`
					} `json:"logicalLocations"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || !strings.Contains(log.Schema, "sarif-2.1.0") || len(log.Runs) != 1 {
		t.Fatalf("version %q schema %q runs %d", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	var ruleIDs []string
	for _, r := range run.Tool.Driver.Rules {
		ruleIDs = append(ruleIDs, r.ID)
		if r.Help.Text == "" || r.ShortDescription.Text == "" {
			t.Errorf("rule %s lacks help", r.ID)
		}
		// Each rule says where it is documented and how its severity is decided, from the registry.
		reg, _ := assess.RuleByID(r.ID)
		if r.Properties.Docs != "docs/RULES.md#"+reg.DocsAnchor() || r.Properties.SeverityRule != reg.Severity || reg.Severity == "" {
			t.Errorf("rule %s: docs %q, severity rule %q", r.ID, r.Properties.Docs, r.Properties.SeverityRule)
		}
	}
	var want []string
	for _, r := range assess.Rules {
		want = append(want, r.ID)
	}
	if !slices.Equal(ruleIDs, want) {
		t.Errorf("rules = %v, want %v", ruleIDs, want)
	}
	if len(run.Results) == 0 {
		t.Fatal("no results")
	}
	levels := map[string]bool{}
	for _, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s points at rule %d", r.RuleID, r.RuleIndex)
		}
		if !slices.Contains([]string{"error", "warning", "note"}, r.Level) {
			t.Errorf("level %q", r.Level)
		}
		levels[r.Level] = true
		if len(r.Locations) != 1 || len(r.Locations[0].LogicalLocations) != 1 ||
			!strings.Contains(r.Locations[0].LogicalLocations[0].FullyQualifiedName, "/identities/") {
			t.Errorf("result %s has no logical location: %+v", r.RuleID, r.Locations)
		}
		if r.Message.Text == "" {
			t.Errorf("result %s has no message", r.RuleID)
		}
	}
	if !levels["error"] {
		t.Error("a critical finding should map to level error")
	}
}

func TestCSVIsSafe(t *testing.T) {
	for _, inventory := range []bool{false, true} {
		out := run(t, renderOptions{Format: "csv", Inventory: inventory})
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) < 2 {
			t.Fatalf("inventory %v: %d records", inventory, len(recs))
		}
		for _, rec := range recs {
			for _, c := range rec {
				if c != "" && strings.ContainsRune("=+-@", rune(strings.TrimLeft(c, " ")[0])) {
					t.Errorf("inventory %v: cell %q can run as a formula", inventory, c)
				}
				if data.Clean(c) != c {
					t.Errorf("inventory %v: cell %q carries control characters", inventory, c)
				}
			}
		}
		if !strings.Contains(out, "'=cmd|") {
			t.Errorf("inventory %v: the hostileName name is not neutralised:\n%s", inventory, out)
		}
	}
	out := run(t, renderOptions{Format: "csv"})
	recs, _ := csv.NewReader(strings.NewReader(out)).ReadAll()
	if !slices.Equal(recs[0], []string{"severity", "ruleId", "identityId", "identityName", "title", "evidence",
		"remediation", "fix", "references", "fingerprint", "status", "decision", "justification", "decidedBy", "decidedAt",
		"expires", "baselineState"}) {
		t.Errorf("header = %v", recs[0])
	}
	if len(recs)-1 != len(assess.Assess(data.NewIndex(testTenant())).Findings) {
		t.Errorf("%d rows, want one per finding", len(recs)-1)
	}
}

func TestMarkdownEscapes(t *testing.T) {
	out := run(t, renderOptions{Format: "markdown"})
	if strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Error("control characters reach the Markdown")
	}
	if strings.Contains(out, "<script>") || strings.Contains(out, " `x` ") {
		t.Error("HTML or code from the tenant reaches the Markdown unescaped")
	}
	for _, want := range []string{"## Summary by severity", "## Summary by rule", "## Not readable", "## Findings",
		"| MI-PRIV-DIRROLE |", "&lt;script&gt;\\|#"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	// Every table row keeps its shape: a hostileName cell cannot add a column.
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cols := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
		if cols != 3 && cols != 8 && cols != 6 {
			t.Errorf("table row with %d pipes: %q", cols, line)
		}
	}
	fence := "" // inside a fenced code block (a fix's commands), "#" starts a shell comment, not a heading
	for _, line := range strings.Split(out, "\n") {
		switch {
		case fence == "" && strings.HasPrefix(line, "```"):
			fence = strings.TrimRight(line, "abcdefghijklmnopqrstuvwxyz")
			continue
		case fence != "":
			if line == fence {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "# miscope") && !strings.HasPrefix(line, "## ") &&
			!strings.HasPrefix(line, "### ") {
			t.Errorf("a tenant string starts a heading: %q", line)
		}
	}
	if fence != "" {
		t.Errorf("a code block is left open by fence %q", fence)
	}
}

func TestMdText(t *testing.T) {
	cases := map[string]string{
		"# title":        `\# title`,
		"1. item":        `1\. item`,
		"a|b":            `a\|b`,
		"<img src=x>":    "&lt;img src=x&gt;",
		"[x](http://e)":  `\[x\](http://e)`,
		"line\nnext":     "line next",
		"- bullet":       `\- bullet`,
		"plain text 2.0": "plain text 2.0",
	}
	for in, want := range cases {
		if got := mdText(in); got != want {
			t.Errorf("mdText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDeterministic(t *testing.T) {
	for _, f := range []string{"json", "csv", "markdown", "sarif"} {
		a := run(t, renderOptions{Format: f})
		b := run(t, renderOptions{Format: f})
		if a != b {
			t.Errorf("%s differs between two runs", f)
		}
	}
}

// BenchmarkReport50k builds and writes the JSON report of an assessed 50,000-identity tenant, which is what
// `miscope report` adds to the assessment.
func BenchmarkReport50k(b *testing.B) {
	tn := demo.Synthetic(50_000, 1)
	x := data.NewIndex(tn)
	r := assess.Assess(x)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d := Build(x, r, data.SourceInfo{Origin: data.OriginDemo})
		if err := WriteJSON(io.Discard, d); err != nil {
			b.Fatal(err)
		}
	}
}
