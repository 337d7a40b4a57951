package assess

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/demo"
)

// TestUsesSomeCoversUseOf: exposure passes over the assignments of roles that usesSome says use no identity, so it
// must never say so of a role that useOf gives a verb for some kind of resource. Held against every built-in role,
// each of them also under a delegation condition, and custom roles with unusual patterns.
func TestUsesSomeCoversUseOf(t *testing.T) {
	kinds := append(slices.Sorted(maps.Keys(codePaths)), kindUAI, "Microsoft.Foo/bars", "microsoft.kusto/clusters")
	tn := &data.Tenant{RoleDefinitions: []data.RoleDefinition{
		{ID: "c1", RoleName: "odd wildcard", Custom: true, Actions: []string{"Microsoft.Foo/*te"}},
		{ID: "c2", RoleName: "assign only", Custom: true, Actions: []string{"Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"}},
		{ID: "c3", RoleName: "login only", Custom: true, DataActions: []string{"Microsoft.Compute/virtualMachines/login/action"}},
		{ID: "c4", RoleName: "reader", Custom: true, Actions: []string{"*/read"}},
		{ID: "c5", RoleName: "pods", Custom: true, DataActions: []string{"Microsoft.ContainerService/managedClusters/pods/*"}},
		{ID: "c7", RoleName: "odd wildcard 2", Custom: true, Actions: []string{"Microsoft.Foo/*/WR*"}},
		{ID: "c8", RoleName: "write all", Custom: true, Actions: []string{"*/write"}},
		{ID: "c6", RoleName: "publish", Custom: true, Actions: []string{"Microsoft.Automation/automationAccounts/runbooks/*/action", "Microsoft.Automation/automationAccounts/runbooks/draft/write", "Microsoft.Automation/automationAccounts/jobs/write"}},
	}}
	e := newEngine(data.NewIndex(tn))
	var roles []*roleInfo
	for _, d := range tn.RoleDefinitions {
		roles = append(roles, e.role(d.ID))
	}
	for _, id := range slices.Sorted(maps.Keys(builtinRoles)) {
		roles = append(roles, e.role(id))
		// Under a condition that lets it grant only Reader, and under one miscope cannot read.
		roles = append(roles, e.assigned(id, "@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] "+
			"ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7}"), e.assigned(id, "unreadable"))
	}
	used, passed := 0, 0
	for _, r := range roles {
		if !r.resolved {
			t.Fatalf("role %s not resolved", r.name)
		}
		if !r.mayUse {
			passed++
		}
		for _, k := range kinds {
			if verb, _ := r.useOf(k); verb != "" {
				used++
				if !r.mayUse {
					t.Errorf("role %q (condition %v) %s on %s, but usesSome says it uses nothing", r.name, r.cond != nil, verb, k)
				}
			}
		}
	}
	// The filter is worth having only if it passes over the roles most assignments hold: Reader and the data roles.
	if used == 0 || passed == 0 {
		t.Fatalf("%d roles use some identity, %d pass over: the check holds nothing", used, passed)
	}
	for _, id := range []string{"acdd72a7-3385-48ef-bd42-f606fba81ae7", "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
		"4633458b-17de-408a-b874-0445c86b69e6"} { // Reader, Storage Blob Data Reader, Key Vault Secrets User
		if r := e.role(id); r.mayUse {
			t.Errorf("role %q counts as using identities", r.name)
		}
	}
}

// TestFoldKey: the shared table finds a scope however it is spelt, as the index does.
func TestFoldKey(t *testing.T) {
	for _, id := range []string{"/subscriptions/S/resourceGroups/RG", "/subscriptions/s/resourcegroups/rg/",
		"/", "", "/providers/Microsoft.Management/managementGroups/Ünïcode", strings.Repeat("/A", 200)} {
		var buf [256]byte
		k, ok := foldKey(id, &buf)
		if ok && string(k) != data.Key(id) {
			t.Errorf("foldKey(%q) = %q, want %q", id, k, data.Key(id))
		}
		if !ok && len(strings.TrimRight(id, "/")) <= len(buf) && !strings.Contains(id, "Ü") {
			t.Errorf("foldKey(%q) did not fold an ASCII id that fits", id)
		}
	}
}

// TestExposureMatchesOracle holds what MI-EXPOSED counts for every identity, through the shared scope table, the
// resource groups' lists, the passing over of roles that use no identity and the per-worker marks, against the rule
// worked out the plain way: every scope above every target, every assignment there judged afresh.
func TestExposureMatchesOracle(t *testing.T) {
	for _, seed := range []int64{3, 7} {
		tn := demo.Synthetic(1500, seed)
		x := data.NewIndex(tn)
		got := map[string]int{}
		for _, f := range Assess(x).Findings {
			if f.RuleID == RuleExposed {
				var n int
				if _, err := fmt.Sscanf(f.Title, "%d role assignment", &n); err != nil {
					t.Fatalf("title %q: %v", f.Title, err)
				}
				got[f.IdentityID] = n
			}
		}

		// The phases before exposure, on one engine, then the rule by its definition.
		e := newEngine(x)
		ids := tn.Identities
		e.verdicts = make([]verdict, len(ids))
		for i := range ids {
			e.assessPrivilege(i, x.AttachedTo(&ids[i]))
		}
		e.principalLevels()
		e.paths()
		checked := 0
		for i := range ids {
			id := &ids[i]
			v := e.verdicts[i]
			want := map[*data.RoleAssignment]bool{}
			type target struct{ id, kind string }
			var targets []target
			for _, r := range x.AttachedTo(id) {
				targets = append(targets, target{r.ID, r.Type})
			}
			if id.Kind == data.UserAssigned && id.ResourceID != "" {
				targets = append(targets, target{id.ResourceID, kindUAI})
			}
			if v.reach.Level > levelRead {
				entra := e.principalReach[id.ID].entra
				for _, tg := range targets {
					for _, s := range x.ScopesAbove(tg.id) {
						for _, a := range x.AssignmentsAt(s) {
							info := e.assigned(a.RoleDefinitionID, a.Condition)
							if e.deleted[a.PrincipalID] || !info.resolved || e.exposes(info, tg.kind) == "" {
								continue
							}
							p := e.principalReach[a.PrincipalID]
							if int(p.level) >= v.reach.Level {
								if p.entra >= levelGraphTier0 || entra <= p.entra && info.class >= e.need(s, v.items) ||
									strings.EqualFold(a.PrincipalID, id.ID) {
									continue
								}
							}
							want[a] = true
						}
					}
				}
			}
			if got[id.ID] != len(want) {
				t.Errorf("seed %d: %s: MI-EXPOSED counts %d assignments, the plain way %d", seed, id.DisplayName,
					got[id.ID], len(want))
			}
			if len(want) > 0 {
				checked++
			}
		}
		if checked < 100 {
			t.Fatalf("seed %d: only %d identities are exposed: the check holds little", seed, checked)
		}
	}
}
