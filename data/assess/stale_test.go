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
