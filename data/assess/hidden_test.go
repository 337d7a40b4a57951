package assess

import (
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/demo"
)

// An unreadable applications list can hide no SP-MIGRATE finding above what Hidden says: every one the rule gives on
// a large synthetic tenant, and on the demo tenant, is at most that.
func TestHiddenCoversWhatTheApplicationsRuleGives(t *testing.T) {
	ceiling, ok := Hidden(data.Gap{Section: data.SectionApplications})
	if !ok {
		t.Fatal("an unreadable applications list hides nothing, says Hidden")
	}
	contoso, err := demo.Tenant()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, tn := range []*data.Tenant{demo.Synthetic(3000, 5), contoso} {
		for _, f := range Assess(data.NewIndex(tn)).Findings {
			if f.RuleID != RuleSPMigrate {
				continue
			}
			seen++
			if f.Severity > ceiling {
				t.Errorf("SP-MIGRATE on %s is %s, above the %s an applications gap is said to hide", f.IdentityID,
					f.Severity, ceiling)
			}
		}
	}
	if seen == 0 {
		t.Fatal("no SP-MIGRATE finding to compare with")
	}
	if s, ok := Hidden(data.Gap{Section: data.SectionFederatedCredentials}); !ok || s != Critical {
		t.Errorf("an unreadable identity section hides up to %s (%v), want critical", s, ok)
	}
	if _, ok := Hidden(data.Gap{Section: data.SectionPrincipals}); ok {
		t.Error("principal names decide no finding, yet their gap is said to hide one")
	}
}
