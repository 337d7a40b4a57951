package assess_test

import (
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/demo"
)

// TestDemoEscalationThroughGroup: on the demo tenant, func-crm-group-sync holds GroupMember.ReadWrite.All only (high on
// its own), adds itself to the ordinary group grp-platform-operators, whose Contributor on the platform subscription
// runs code as aa-platform-ops, a Privileged Role Administrator: a critical path to tenant admin, step by step. A
// subscription owner whose only path ends in a mailbox permission keeps its own verdict.
func TestDemoEscalationThroughGroup(t *testing.T) {
	tn, err := demo.Tenant()
	if err != nil {
		t.Fatal(err)
	}
	r := assess.Assess(data.NewIndex(tn))
	byName := map[string]string{}
	for _, i := range tn.Identities {
		byName[i.DisplayName] = i.ID
	}
	id := byName["func-crm-group-sync"]
	var path, graph *assess.Finding
	for _, f := range r.For(id) {
		switch f.RuleID {
		case assess.RulePath:
			path = &f
		case assess.RulePrivGraph:
			graph = &f
		}
	}
	if graph == nil || graph.Severity != assess.High {
		t.Fatalf("GroupMember.ReadWrite.All alone should be high: %+v", graph)
	}
	if path == nil || path.Severity != assess.Critical {
		t.Fatalf("no critical MI-PATH for func-crm-group-sync: %+v", r.For(id))
	}
	if got := r.Reach[id].Label; got != assess.LabelTenantAdmin {
		t.Errorf("reach %q, want %q", got, assess.LabelTenantAdmin)
	}
	want := []struct {
		kind  assess.EvidenceKind
		holds []string
	}{
		{assess.EvidencePathStep, []string{`managed identity "func-crm-group-sync"`, "holds GroupMember.ReadWrite.All",
			`can add itself to group "grp-platform-operators"`, "which is not role-assignable"}},
		{assess.EvidencePathStep, []string{`group "grp-platform-operators"`,
			`holds Contributor at subscription "Contoso Platform Management"`, "so it can run code on resource",
			`as managed identity "aa-platform-ops"`}},
		{"", []string{`managed identity "aa-platform-ops"`, "reaches tenant admin", "Privileged Role Administrator"}},
	}
	if len(path.Evidence) != len(want) {
		t.Fatalf("the path has %d lines, want %d: %v", len(path.Evidence), len(want), assess.Texts(path.Evidence))
	}
	for n, w := range want {
		ev := path.Evidence[n]
		if w.kind != "" && ev.Kind != w.kind {
			t.Errorf("step %d is %s, want %s", n+1, ev.Kind, w.kind)
		}
		for _, s := range w.holds {
			if !strings.Contains(ev.Text, s) {
				t.Errorf("step %d %q does not say %q", n+1, ev.Text, s)
			}
		}
	}
	if ev := path.Evidence[1]; ev.Kind == assess.EvidencePathStep && !strings.Contains(ev.ID, "roleAssignments") {
		t.Errorf("the run-code step names no role assignment id: %+v", ev)
	}

	// Its fix breaks the first step: the GroupMember.ReadWrite.All grant, by the ids its evidence carries, with the
	// command MI-PRIV-GRAPH gives for the same grant.
	first := path.Evidence[0]
	wantFix := "az rest --method DELETE --url https://graph.microsoft.com/v1.0/servicePrincipals/" + id +
		"/appRoleAssignments/" + first.ID
	fix := path.Commands()
	if first.ID == "" || first.Via != assess.EvidenceAppRoleAssignment || len(fix) != 1 {
		t.Fatalf("the first step %+v gives %q", first, fix)
	}
	if line, _ := fix[0].Line(); line != wantFix {
		t.Errorf("MI-PATH fix %q, want %q", line, wantFix)
	}
	if g := graph.Commands(); len(g) != 1 || strings.Join(g[0].Args, " ") != wantFix {
		t.Errorf("MI-PRIV-GRAPH removes the same grant with %q", g)
	}

	jump := byName["vm-jumpbox-01"]
	for _, f := range r.For(jump) {
		if f.RuleID == assess.RulePath {
			t.Errorf("vm-jumpbox-01 (subscription owner) got a path finding: %s", f.Title)
		}
	}
	if got := r.Reach[jump].Label; got == assess.LabelTenantAdmin || got == "" {
		t.Errorf("vm-jumpbox-01 reach %q", got)
	}
}
