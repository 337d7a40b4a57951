package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// reportFingerprints runs `miscope report` with args and returns each finding's fingerprint by rule and identity.
func reportFingerprints(t *testing.T, args ...string) map[string]string {
	t.Helper()
	code, out, errOut := runCmd(t, append([]string{"report", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("report %v: exit %d: %s", args, code, errOut)
	}
	var doc struct {
		Findings []struct {
			RuleID      string `json:"ruleId"`
			IdentityID  string `json:"identityId"`
			Fingerprint string `json:"fingerprint"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	fps := map[string]string{}
	for _, f := range doc.Findings {
		fps[f.RuleID+"|"+strings.ToLower(f.IdentityID)] = f.Fingerprint
	}
	return fps
}

// TestFingerprintsAreTheSameFromEverySource reads the demo tenant four ways, embedded, from a snapshot, live from the
// fake Azure through the real SDKs, and from a snapshot of that live read, and gets every finding with the same
// fingerprint.
func TestFingerprintsAreTheSameFromEverySource(t *testing.T) {
	dir := t.TempDir()
	demo := reportFingerprints(t, "--demo")
	snap, liveSnap := filepath.Join(dir, "demo.json.gz"), filepath.Join(dir, "live.json.gz")
	if code, _, errOut := runCmd(t, "collect", "--demo", "-o", snap); code != 0 {
		t.Fatalf("collect: %s", errOut)
	}
	ws := "--workspace=c0ffee00-1111-2222-3333-444455556666" // usage with the Azure activity, as the demo has it
	if code, _, errOut := runCmd(t, "collect", "--auth", "environment", "--no-cache", ws, "-o", liveSnap); code != 0 {
		t.Fatalf("collect live: %s", errOut)
	}
	live := reportFingerprints(t, "--auth", "environment", "--no-cache", ws)
	if len(demo) < 20 {
		t.Fatalf("the demo tenant should give many findings, got %d", len(demo))
	}
	same := func(name string, want, got map[string]string, skip func(key string) bool) {
		t.Helper()
		for k, fp := range want {
			if skip(k) {
				continue
			}
			if got[k] != fp {
				t.Errorf("%s: %s has fingerprint %q, want %q", name, k, got[k], fp)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: %s is not a finding of the other read", name, k)
			}
		}
	}
	// A live read cannot see where an application runs (the demo tenant says), so SP-MIGRATE's evidence is less
	// there: the same in every read of a live tenant, not the demo's.
	same("snapshot of the demo tenant", demo, reportFingerprints(t, "--snapshot", snap), func(string) bool { return false })
	same("live", demo, live, func(k string) bool { return strings.HasPrefix(k, "SP-MIGRATE|") })
	same("snapshot of the live read", live, reportFingerprints(t, "--snapshot", liveSnap), func(string) bool { return false })
}
