package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miscope/miscope/data/fakeazure"
	"github.com/miscope/miscope/data/report"
)

// With the managed identity list refused, `report --fail-on` must not pass a pipeline on "0 identities, 0 findings":
// it exits with its own code and says why on standard error, through the real SDKs against the fake Azure.
func TestReportDoesNotPassWhenTheIdentityListIsRefused(t *testing.T) {
	fake.SetDeny(fakeazure.Denial{PathPrefix: "/v1.0/servicePrincipals"})
	defer fake.SetDeny()
	code, out, errOut := runCmd(t, "report", "--auth", "environment", "--no-cache", "--fail-on", "high")
	if code != report.ExitIncomplete || code == report.ExitOK || code == report.ExitFindings || code == exitUsage {
		t.Errorf("exit %d, want %d of its own", code, report.ExitIncomplete)
	}
	if !strings.Contains(errOut, "managed identity list could not be read") ||
		!strings.Contains(errOut, "Application.Read.All") {
		t.Errorf("standard error does not say why: %q", errOut)
	}
	if !strings.Contains(out, `"gaps"`) {
		t.Errorf("the report was not written: %.200s", out)
	}
}

// `collect -o` and `report -o` do not write through a symbolic link another user planted at the output path; with
// --force they do, as asked.
func TestOutputRefusesLinksOfOthersUnlessForced(t *testing.T) {
	for _, cmd := range [][]string{{"collect", "--demo"}, {"report", "--demo", "--format", "csv"}} {
		t.Run(cmd[0], func(t *testing.T) {
			dir := t.TempDir()
			victim := filepath.Join(dir, "victim")
			link := filepath.Join(dir, "out.json")
			if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(victim, link); err != nil {
				t.Skip("no symlinks here:", err)
			}
			if err := os.Lchown(link, 65534, 65534); err != nil {
				t.Skip("cannot make the link belong to another user here:", err)
			}
			code, _, errOut := runCmd(t, append(cmd, "-o", link)...)
			if code == 0 || !strings.Contains(errOut, "symbolic link") || !strings.Contains(errOut, "--force") {
				t.Errorf("exit %d, stderr %q: want a refusal that names --force", code, errOut)
			}
			if b, _ := os.ReadFile(victim); string(b) != "precious" {
				t.Fatalf("the link's target was replaced: %.40q", b)
			}
			if code, _, errOut := runCmd(t, append(cmd, "-o", link, "--force")...); code != 0 {
				t.Fatalf("--force: exit %d: %s", code, errOut)
			}
			if b, _ := os.ReadFile(victim); string(b) == "precious" {
				t.Error("--force did not write through the link")
			}
		})
	}
}
