package assess

import (
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
)

// The cleanup command names every assignment left behind, and nothing else.
func TestStaleFindingsCarryTheCleanupCommand(t *testing.T) {
	b := newTenant()
	b.vmIdentity("mi", "rg-app")
	b.t.Resources = nil // the VM is gone
	b.azure("mi", data.PrincipalServicePrincipal, roleContributor, rg(sub1, "rg-data"))
	b.deleted("u-gone", data.PrincipalUser)
	b.azure("u-gone", data.PrincipalUser, roleContributor, rg(sub1, "rg-app"))
	b.azure("u-gone", data.PrincipalUser, roleReader, "/subscriptions/"+sub1)
	b.user("u-here", "Still Here")
	b.azure("u-here", data.PrincipalUser, roleReader, "/subscriptions/"+sub1)
	r := b.assess()

	want := map[string]string{
		"mi":     "az role assignment delete --ids ra-mi-" + roleContributor + rg(sub1, "rg-data"),
		"u-gone": "az role assignment delete --ids ra-u-gone-" + roleReader + "/subscriptions/" + sub1 + " ra-u-gone-" + roleContributor + rg(sub1, "rg-app"),
	}
	for id, cmd := range want {
		var fs []Finding
		for _, f := range r.For(id) {
			if f.RuleID == RuleStale {
				fs = append(fs, f)
			}
		}
		if len(fs) != 1 {
			t.Fatalf("%s: findings %+v, want one MI-STALE", id, fs)
		}
		if !strings.Contains(fs[0].Remediation, cmd) {
			t.Errorf("%s: remediation %q lacks %q", id, fs[0].Remediation, cmd)
		}
	}
	if fs := r.For("u-gone"); !strings.Contains(fs[0].Title, "2 role assignments of a deleted user u-gone") {
		t.Errorf("title %q", fs[0].Title)
	}
	if fs := r.For("u-here"); len(fs) != 0 {
		t.Errorf("a principal that exists has findings: %+v", fs)
	}
}

// Each assignment left behind gets its own delete command, with the exact assignment id; a federated credential
// finding gets the command that deletes each risky credential of the identity.
func TestStaleAndFederatedFixCommands(t *testing.T) {
	b := newTenant()
	b.vmIdentity("mi", "rg-app")
	b.deleted("u-gone", data.PrincipalUser)
	b.azure("u-gone", data.PrincipalUser, roleContributor, rg(sub1, "rg-app"))
	b.azure("u-gone", data.PrincipalUser, roleReader, "/subscriptions/"+sub1)
	b.userAssigned("ua", vmID(sub1, "rg-app", "vm-mi"))
	b.fic("ua", "pr", github, "repo:contoso/app:pull_request")
	b.fic("ua", "sound", github, "repo:contoso@1/app@2:environment:prod")
	r := b.assess()

	stale := findingOf(t, r, RuleStale, "u-gone")
	want := [][]string{
		{"az", "role", "assignment", "delete", "--ids", "ra-u-gone-" + roleContributor + rg(sub1, "rg-app")},
		{"az", "role", "assignment", "delete", "--ids", "ra-u-gone-" + roleReader + "/subscriptions/" + sub1},
	}
	if len(stale.Fix) != len(want) {
		t.Fatalf("fix %+v, want %d commands", stale.Fix, len(want))
	}
	for i, c := range stale.Fix {
		if strings.Join(c.Args, " ") != strings.Join(want[i], " ") {
			t.Errorf("command %d: %q, want %q (in the order of the evidence)", i, c.Args, want[i])
		}
	}

	fic := findingOf(t, r, RuleFICRisk, "ua")
	if len(fic.Fix) != 1 {
		t.Fatalf("fix %+v, want one command: the sound credential is not deleted", fic.Fix)
	}
	got := strings.Join(fic.Fix[0].Args, " ")
	if got != "az identity federated-credential delete --name pr --identity-name ua --resource-group rg-identities "+
		"--subscription "+sub1+" --yes" {
		t.Errorf("fix %q", got)
	}
}

func findingOf(t *testing.T, r *Result, rule, id string) Finding {
	t.Helper()
	for _, f := range r.For(id) {
		if f.RuleID == rule {
			return f
		}
	}
	t.Fatalf("no %s finding for %s: %+v", rule, id, r.For(id))
	return Finding{}
}
