package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/demo"
	"github.com/miscope/miscope/data/snapshot"
)

// ownerSnapshot writes the demo tenant with one more Owner assignment, which gives one new critical finding.
func ownerSnapshot(t *testing.T, path string) {
	t.Helper()
	tn, err := demo.Tenant()
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, i := range tn.Identities {
		if i.DisplayName == "app-sandbox-demo" {
			id = i.ID
		}
	}
	tn.RoleAssignments = append(tn.RoleAssignments, data.RoleAssignment{
		ID:          "/subscriptions/3f1c61b1-80a9-48ba-b146-eabf83608fce/providers/Microsoft.Authorization/roleAssignments/0e0e0e0e-0000-4000-8000-000000000001",
		PrincipalID: id, PrincipalType: data.PrincipalServicePrincipal,
		RoleDefinitionID: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", Scope: "/subscriptions/3f1c61b1-80a9-48ba-b146-eabf83608fce"})
	if err := snapshot.Save(path, tn, data.OriginSnapshot); err != nil {
		t.Fatal(err)
	}
}

func TestDiffCommand(t *testing.T) {
	dir := t.TempDir()
	changed := filepath.Join(dir, "changed.json.gz")
	ownerSnapshot(t, changed)

	code, out, errOut := runCmd(t, "diff", "--demo", changed)
	if code != 0 || !strings.Contains(out, "+ Owner at /subscriptions/3f1c61b1-80a9-48ba-b146-eabf83608fce") ||
		!strings.Contains(out, "+ new      critical MI-PRIV-AZURE app-sandbox-demo") {
		t.Fatalf("diff exit %d: %s\n%s", code, errOut, out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("diff coloured output that is not a terminal")
	}

	// A pipeline gate: flags after the operands too, the JSON on stdout and why it failed on stderr.
	code, out, errOut = runCmd(t, "diff", "demo", changed, "--format", "json", "--fail-on-new", "high")
	if code != 1 || !strings.Contains(errOut, "1 new finding at or above high") ||
		!strings.Contains(errOut, "critical MI-PRIV-AZURE app-sandbox-demo mi1-") {
		t.Errorf("--fail-on-new high: exit %d, stderr %q", code, errOut)
	}
	var doc struct {
		SchemaVersion int `json:"schemaVersion"`
		FindingsNew   []struct {
			RuleID string `json:"ruleId"`
		} `json:"findingsNew"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.SchemaVersion != 1 || len(doc.FindingsNew) != 1 {
		t.Errorf("diff JSON: %v %+v", err, doc)
	}
	if code, _, errOut := runCmd(t, "diff", changed, "--demo", "--fail-on-new", "info"); code != 0 {
		t.Errorf("the other way round nothing is new, yet exit %d: %s", code, errOut)
	}
	for _, args := range [][]string{{"diff", "--demo"}, {"diff", "--demo", changed, "--format", "xml"},
		{"diff", "--demo", changed, "--fail-on-new", "severe"}, {"diff", "--history", dir},
		{"diff", "--demo", filepath.Join(dir, "missing.json")}} {
		if code, _, errOut := runCmd(t, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and why", args, code, errOut)
		}
	}
}

func TestCollectHistoryKeepsTheNewestAndDiffsThem(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "history")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// Three older snapshots, one of them the changed tenant as the newest of those.
	for _, stamp := range []string{"20261101T000000Z", "20261108T000000Z"} {
		if code, _, errOut := runCmd(t, "collect", "--demo", "-o", filepath.Join(dir, "miscope-"+stamp+".json.gz")); code != 0 {
			t.Fatal(errOut)
		}
	}
	ownerSnapshot(t, filepath.Join(dir, "miscope-20261115T000000Z.json.gz"))
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a snapshot"), 0o600)
	if code, _, errOut := runCmd(t, "collect", "--demo", "--history", dir, "--keep", "2"); code != 0 {
		t.Fatalf("collect --history: %s", errOut)
	}
	snaps, err := historySnapshots(dir)
	if err != nil || len(snaps) != 2 || filepath.Base(snaps[0]) != "miscope-20261115T000000Z.json.gz" {
		t.Fatalf("history after --keep 2: %v %v", snaps, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Error("pruning the history removed a file that is not a snapshot")
	}
	// The newest is the demo tenant again, so the Owner assignment is gone and its finding resolved.
	code, out, errOut := runCmd(t, "diff", "--history", dir)
	if code != 0 || !strings.Contains(out, "- Owner at /subscriptions/3f1c61b1-80a9-48ba-b146-eabf83608fce") ||
		!strings.Contains(out, "- resolved critical MI-PRIV-AZURE app-sandbox-demo") {
		t.Errorf("diff --history: exit %d %s\n%s", code, errOut, out)
	}
	if code, _, _ := runCmd(t, "collect", "--demo", "--history", dir, "-o", "x.json"); code != 2 {
		t.Error("collect with both --history and -o was not refused")
	}
}
