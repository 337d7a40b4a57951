package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/triage"
)

var triageNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// decidedTenant writes a triage file for testTenant: critical findings accepted, one of them long ago so the decision
// expired, one a false positive, a finding of lower severity fix planned, and one decision on a finding that no
// longer exists. It returns the file's path and the findings by rule.
func decidedTenant(t *testing.T) (string, map[string][]assess.Finding) {
	t.Helper()
	r := assess.Assess(data.NewIndex(testTenant()))
	byRule := map[string][]assess.Finding{}
	for _, f := range r.Findings {
		byRule[f.RuleID] = append(byRule[f.RuleID], f)
	}
	path := filepath.Join(t.TempDir(), "miscope-triage.yaml")
	var crit, other []assess.Finding
	for _, f := range r.Findings {
		if f.Severity == assess.Critical {
			crit = append(crit, f)
		} else {
			other = append(other, f)
		}
	}
	if len(crit) < 4 || len(other) < 2 {
		t.Fatalf("the test tenant should have four critical findings and two others: %d %d", len(crit), len(other))
	}
	decide := func(f assess.Finding, d triage.Decision, at time.Time, why string) {
		e := triage.NewEntry(f.Fingerprint(), d, why, "alice <SHA256:abc>", at, time.Time{})
		e.Rule, e.Identity = f.RuleID, f.IdentityID
		if _, err := triage.Decide(path, e); err != nil {
			t.Fatal(err)
		}
	}
	decide(crit[0], triage.Accepted, triageNow.Add(-100*24*time.Hour), "accepted last quarter")
	for _, f := range crit[1:3] {
		decide(f, triage.Accepted, triageNow.Add(-24*time.Hour), "break-glass automation, owned by the platform team")
	}
	decide(crit[3], triage.FalsePositive, triageNow, "the group is empty")
	decide(other[0], triage.FixPlanned, triageNow, "ticket SEC-42")
	gone := triage.NewEntry("mi1-000000000000000000000000", triage.Accepted, "an identity since deleted", "bob",
		triageNow, time.Time{})
	gone.Rule, gone.Name = assess.RulePrivAzure, "old-vm"
	if _, err := triage.Decide(path, gone); err != nil {
		t.Fatal(err)
	}
	return path, byRule
}

func runWith(t *testing.T, opts renderOptions) string {
	t.Helper()
	return render(t, source(data.OriginSnapshot), opts)
}

func TestDecisionsInEveryFormat(t *testing.T) {
	path, _ := decidedTenant(t)

	out := runWith(t, renderOptions{Format: "json", Triage: path})
	var doc Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	statuses := map[string]int{}
	for _, f := range doc.Findings {
		statuses[f.Status]++
		if !strings.HasPrefix(f.Fingerprint, "mi1-") {
			t.Errorf("finding %s has no fingerprint", f.RuleID)
		}
		if (f.Status == "open") != (f.Decision == nil) {
			t.Errorf("status %s with decision %+v", f.Status, f.Decision)
		}
		if f.Status == "expired" && (f.Decision == nil || !f.Decision.Expired || f.Decision.Expires == "") {
			t.Errorf("an expired decision does not say so: %+v", f.Decision)
		}
	}
	if statuses["expired"] != 1 || statuses["false-positive"] != 1 || statuses["fix-planned"] != 1 ||
		statuses["accepted"] == 0 || statuses["open"] == 0 {
		t.Errorf("statuses = %v", statuses)
	}
	if doc.Summary.Open != statuses["open"]+statuses["expired"] {
		t.Errorf("summary open %d, statuses %v", doc.Summary.Open, statuses)
	}
	if len(doc.ResolvedDecisions) != 1 || doc.ResolvedDecisions[0].Name != "old-vm" {
		t.Errorf("resolved decisions = %+v", doc.ResolvedDecisions)
	}

	out = runWith(t, renderOptions{Format: "csv", Triage: path})
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	fp := 0
	for _, rec := range recs[1:] {
		if rec[col["status"]] == "false-positive" {
			fp++
			if rec[col["justification"]] != "the group is empty" || rec[col["decidedBy"]] != "alice <SHA256:abc>" ||
				rec[col["decision"]] != "false-positive" {
				t.Errorf("CSV row of the false positive: %v", rec)
			}
		}
	}
	if fp != 1 {
		t.Errorf("%d CSV rows are false positives, want 1", fp)
	}

	out = runWith(t, renderOptions{Format: "markdown", Triage: path})
	for _, want := range []string{"## Triage", "### Decisions", "### Resolved decisions", "old-vm",
		"Status: expired (reopened: the accepted decision expired", "Status: false-positive (decided false-positive by",
		"ticket SEC-42"} {
		if !strings.Contains(out, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}

	out = runWith(t, renderOptions{Format: "sarif", Triage: path})
	validateSARIF(t, out)
	var log struct {
		Runs []struct {
			Results []struct {
				Suppressions []struct {
					Kind, Status, Justification string
				} `json:"suppressions"`
				Properties struct {
					Status string `json:"status"`
				} `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	suppressed := map[string]string{}
	for _, r := range log.Runs[0].Results {
		switch len(r.Suppressions) {
		case 0:
			if st := r.Properties.Status; st != "open" && st != "expired" {
				t.Errorf("a %s finding is not suppressed", st)
			}
		case 1:
			s := r.Suppressions[0]
			if s.Kind != "external" || s.Justification == "" {
				t.Errorf("suppression %+v", s)
			}
			suppressed[r.Properties.Status] = s.Status
		}
	}
	if suppressed["accepted"] != "accepted" || suppressed["false-positive"] != "accepted" ||
		suppressed["fix-planned"] != "underReview" || suppressed["expired"] != "" || suppressed["open"] != "" {
		t.Errorf("suppressions by status: %v", suppressed)
	}
}

func TestFailOnCountsOpenFindingsOnlyAndSaysWhich(t *testing.T) {
	path, byRule := decidedTenant(t)
	// The expired critical finding is open again and one was never decided, so --fail-on critical still fails, and
	// says which.
	var log bytes.Buffer
	if n := FailOnSummary(&log, document(t, source(data.OriginSnapshot), renderOptions{Triage: path}), assess.Critical); n != 2 {
		t.Fatalf("%d open critical findings with an expired decision on one, want 2", n)
	}
	if !strings.Contains(log.String(), "--fail-on critical: 2 open findings at or above it") ||
		strings.Count(log.String(), "(its decision expired)") != 1 || strings.Count(log.String(), "\n") != 3 {
		t.Errorf("stderr does not say which finding tripped --fail-on:\n%s", log.String())
	}
	// Accept every critical finding again: nothing open at critical.
	for _, fs := range byRule {
		for _, f := range fs {
			if f.Severity == assess.Critical {
				triage.Decide(path, triage.NewEntry(f.Fingerprint(), triage.Accepted, "renewed", "alice", triageNow,
					time.Time{}))
			}
		}
	}
	var stderr bytes.Buffer
	if n := FailOnSummary(&stderr, document(t, source(data.OriginSnapshot), renderOptions{Triage: path}), assess.Critical); n != 0 || stderr.Len() != 0 {
		t.Errorf("every critical finding decided: %d open, stderr %q", n, stderr.String())
	}
	// Without decisions every finding counts, by rule, and the list stops after five.
	var out bytes.Buffer
	n := len(assess.Assess(data.NewIndex(testTenant())).Findings)
	if got := FailOnSummary(&out, document(t, source(data.OriginSnapshot), renderOptions{}), assess.Info); got != n {
		t.Fatalf("--fail-on info: %d open, want %d", got, n)
	}
	if !strings.Contains(out.String(), "open findings at or above it (") || strings.Count(out.String(), "\n") != 7 ||
		!strings.Contains(out.String(), "… and "+strconv.Itoa(n-5)+" more") {
		t.Errorf("stderr for %d findings:\n%s", n, out.String())
	}
}

func TestBaselineStates(t *testing.T) {
	base := testTenant()
	base.RoleAssignments = slices.DeleteFunc(base.RoleAssignments, func(a data.RoleAssignment) bool {
		return a.RoleDefinitionID == "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	})
	base.FederatedCredentials[0].Name = "pr-old"
	base.Identities = append(base.Identities, data.Identity{ID: "mi-gone", AppID: "app-9", DisplayName: "uai-gone",
		Kind: data.UserAssigned, ResourceID: "/subscriptions/" + sub + "/resourceGroups/rg-id/providers/" +
			"Microsoft.ManagedIdentity/userAssignedIdentities/uai-gone"})
	baseline := data.NewTenantSource(base, data.SourceInfo{Origin: data.OriginSnapshot})

	out := runWith(t, renderOptions{Format: "json", Baseline: baseline})
	var doc Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	states := map[string][]string{}
	for _, f := range doc.Findings {
		states[f.BaselineState] = append(states[f.BaselineState], f.RuleID+" "+f.IdentityID)
	}
	if !slices.Contains(states["new"], "MI-PRIV-AZURE mi-admin") {
		t.Errorf("the Owner assignment is not new: %v", states)
	}
	if !slices.Contains(states["updated"], "MI-FIC-RISK mi-deploy") {
		t.Errorf("the renamed federated credential is not updated: %v", states)
	}
	if len(states["unchanged"]) == 0 || len(states[""]) != 0 {
		t.Errorf("states = %v", states)
	}
	if len(doc.AbsentFindings) != 1 || doc.AbsentFindings[0].IdentityID != "mi-gone" ||
		doc.AbsentFindings[0].BaselineState != "absent" {
		t.Errorf("absent = %+v", doc.AbsentFindings)
	}

	out = runWith(t, renderOptions{Format: "sarif", Baseline: baseline})
	validateSARIF(t, out)
	var log struct {
		Runs []struct {
			Results []struct {
				Kind          string `json:"kind"`
				BaselineState string `json:"baselineState"`
			} `json:"results"`
		} `json:"runs"`
	}
	json.Unmarshal([]byte(out), &log)
	got := map[string]int{}
	for _, r := range log.Runs[0].Results {
		got[r.BaselineState]++
		if r.BaselineState == "absent" && r.Kind != "pass" {
			t.Errorf("an absent result is kind %q", r.Kind)
		}
	}
	if got["new"] != len(states["new"]) || got["updated"] != len(states["updated"]) ||
		got["unchanged"] != len(states["unchanged"]) || got["absent"] != 1 || got[""] != 0 {
		t.Errorf("SARIF baseline states %v, JSON %v", got, states)
	}
}

// TestSARIFLocationsAndFingerprints: every result has an artifact location GitHub code scanning accepts and a
// partial fingerprint that is the finding's own, so it survives a run from another source or in another order.
func TestSARIFLocationsAndFingerprints(t *testing.T) {
	out := runWith(t, renderOptions{Format: "sarif"})
	validateSARIF(t, out)
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	var fps []string
	for _, f := range assess.Assess(data.NewIndex(testTenant())).Findings {
		fps = append(fps, f.Fingerprint())
	}
	for i, r := range log.Runs[0].Results {
		uri := r.Locations[0].PhysicalLocation.ArtifactLocation.URI
		if !strings.HasPrefix(uri, "tenants/11111111-1111-1111-1111-111111111111/") || strings.ContainsAny(uri, " \x1b|`<>") {
			t.Errorf("result %s artifact %q", r.RuleID, uri)
		}
		if r.PartialFingerprints[sarifFingerprintKey] != fps[i] {
			t.Errorf("result %d fingerprint %v, want %s", i, r.PartialFingerprints, fps[i])
		}
	}
	if got := ArtifactURI("t", assess.RulePrivAzure, "vm 1/a"); got != "tenants/t/identities/vm%201%2Fa" {
		t.Errorf("ArtifactURI = %q", got)
	}
	if got := ArtifactURI("t", assess.RuleSPMigrate, "billing"); got != "tenants/t/applications/billing" {
		t.Errorf("ArtifactURI of an application = %q", got)
	}
}

// validateSARIF checks a SARIF document against the SARIF 2.1.0 JSON schema (OASIS, errata 01) kept in testdata.
func validateSARIF(t *testing.T, doc string) {
	t.Helper()
	if err := sarifSchemaErr(t, doc); err != nil {
		t.Errorf("SARIF does not validate against the 2.1.0 schema: %v", err)
	}
}

func TestSchemaCheckRejectsInvalidSARIF(t *testing.T) {
	for _, bad := range []string{
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "R"}]}]}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"},
			"suppressions": [{"kind": "triage"}]}]}]}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"},
			"baselineState": "old"}]}]}`,
	} {
		if sarifSchemaErr(t, bad) == nil {
			t.Errorf("the schema check accepted %s", bad)
		}
	}
}

func sarifSchemaErr(t *testing.T, doc string) error {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	schemaDoc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif-schema-2.1.0.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}
