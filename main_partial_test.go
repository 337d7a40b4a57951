package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miscope/miscope/data/fakeazure"
)

// With the managed identity list refused, `report --fail-on` must not pass a pipeline on "0 identities, 0 findings":
// it exits with its own code and says why on standard error, through the real SDKs against the fake Azure.
func TestReportDoesNotPassWhenTheIdentityListIsRefused(t *testing.T) {
	fake.SetDeny(fakeazure.Denial{PathPrefix: "/v1.0/servicePrincipals"})
	defer fake.SetDeny()
	for _, failOn := range [][]string{nil, {"--fail-on", "high"}} {
		code, out, errOut := runCmd(t, append([]string{"report", "--auth", "environment", "--no-cache"}, failOn...)...)
		if code != exitIncomplete || code == exitOK || code == exitFindings || code == exitUsage {
			t.Errorf("%v: exit %d, want %d of its own", failOn, code, exitIncomplete)
		}
		if !strings.Contains(errOut, "managed identity list could not be read") ||
			!strings.Contains(errOut, "Application.Read.All") {
			t.Errorf("%v: standard error does not say why: %q", failOn, errOut)
		}
		if !strings.Contains(out, `"gaps"`) {
			t.Errorf("%v: the report was not written: %.200s", failOn, out)
		}
	}
}

// `collect -o` and `report -o` do not write through a symbolic link another user planted at the output path; with
// --force they do, as asked.
func TestOutputRefusesLinksOfOthersUnlessForced(t *testing.T) {
	for _, cmd := range [][]string{{"collect", "--demo"}, {"report", "--demo", "--format", "csv"}} {
		t.Run(cmd[0], func(t *testing.T) {
			dir := t.TempDir()
			victim := filepath.Join(dir, "victim")
			link := filepath.Join(dir, "out."+map[string]string{"collect": "json", "report": "csv"}[cmd[0]])
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
