package assess

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestRulesRegistry: every rule the engine reports is in the registry with all its metadata, in the order of the
// ids, and docs/RULES.md has one section per rule, headed "ID — Title" exactly as the registry says, so that each
// rule's anchor leads to its section.
func TestRulesRegistry(t *testing.T) {
	if !slices.IsSortedFunc(Rules, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("Rules are not in the order of their ids")
	}
	for _, r := range Rules {
		if r.Title == "" || r.Description == "" || r.Severity == "" || r.Help == "" || len(r.References) == 0 {
			t.Errorf("rule %s lacks metadata: %+v", r.ID, r)
		}
		if got, ok := RuleByID(r.ID); !ok || got.ID != r.ID {
			t.Errorf("RuleByID(%s) = %v, %v", r.ID, got.ID, ok)
		}
	}
	if _, ok := RuleByID("MI-NOSUCH"); ok {
		t.Error("RuleByID finds a rule that does not exist")
	}
	for _, id := range []string{RulePrivDirRole, RulePrivGraph, RulePrivGroup, RulePrivAzure, RuleOrphaned,
		RuleShared, RuleFICRisk, RuleStale, RuleExposed, RulePath, RuleSPMigrate, RuleUnused, RuleUnusedGrant, RuleOverscoped,
		RuleUserAsService} {
		if _, ok := RuleByID(id); !ok {
			t.Errorf("rule %s is not in the registry", id)
		}
	}

	doc, err := os.ReadFile("../../docs/RULES.md")
	if err != nil {
		t.Fatal(err)
	}
	heading := regexp.MustCompile(`(?m)^## ([A-Z]+(?:-[A-Z0-9]+)+) — (.+)$`)
	documented := map[string]string{}
	for _, m := range heading.FindAllStringSubmatch(string(doc), -1) {
		if _, dup := documented[m[1]]; dup {
			t.Errorf("docs/RULES.md has two sections for %s", m[1])
		}
		documented[m[1]] = m[2]
	}
	for _, r := range Rules {
		title, ok := documented[r.ID]
		switch {
		case !ok:
			t.Errorf("docs/RULES.md has no section \"## %s — %s\"", r.ID, r.Title)
		case title != r.Title:
			t.Errorf("docs/RULES.md heads %s %q, the registry says %q", r.ID, title, r.Title)
		}
		delete(documented, r.ID)
	}
	for id := range documented {
		t.Errorf("docs/RULES.md documents %s, which is not in the registry", id)
	}
	// The anchor as GitHub writes it for such a heading: lower case, spaces to hyphens, the dash dropped.
	if r, _ := RuleByID(RuleExposed); r.DocsAnchor() != "mi-exposed--another-principal-can-use-this-identity" {
		t.Errorf("DocsAnchor() = %q", r.DocsAnchor())
	}
}
