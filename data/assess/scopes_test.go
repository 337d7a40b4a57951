package assess

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
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
