package ui

import (
	"testing"

	"github.com/miscope/miscope/data/assess"
)

// TestEvidenceLabelNumbersPathSteps: a privilege path reads as numbered steps and what it reaches; other findings'
// evidence stays "evidence".
func TestEvidenceLabelNumbersPathSteps(t *testing.T) {
	path := assess.Finding{RuleID: assess.RulePath, Evidence: []*assess.Evidence{
		{Kind: assess.EvidencePathStep}, {Kind: assess.EvidencePathStep}, {Kind: assess.EvidencePrincipal}}}
	other := assess.Finding{RuleID: assess.RuleExposed, Evidence: []*assess.Evidence{
		{Kind: assess.EvidenceAzureRoleAssignment}, {Kind: assess.EvidenceNote}}}
	for _, c := range []struct {
		f    assess.Finding
		n    int
		want string
	}{
		{path, 0, "step 1"}, {path, 1, "step 2"}, {path, 2, "reaches"},
		{other, 0, "evidence"}, {other, 1, "evidence"},
	} {
		if got := evidenceLabel(c.f, c.n, c.f.Evidence[c.n].Kind); got != c.want {
			t.Errorf("%s evidence %d: %q, want %q", c.f.RuleID, c.n, got, c.want)
		}
	}
}
