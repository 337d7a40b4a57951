package data

import "testing"

func TestKindFromAlternativeNames(t *testing.T) {
	ua := "/subscriptions/s1/resourcegroups/RG/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-app"
	vm := "/subscriptions/s1/resourcegroups/VM/providers/Microsoft.Compute/virtualMachines/vm1"
	tests := []struct {
		name  string
		in    []string
		kind  Kind
		resID string
	}{
		{"user-assigned", []string{"isExplicit=True", ua}, UserAssigned, ua},
		{"system-assigned", []string{"isExplicit=False", vm}, SystemAssigned, vm},
		{"order does not matter", []string{vm, "isExplicit=False"}, SystemAssigned, vm},
		{"no marker, UA shape", []string{ua}, UserAssigned, ua},
		{"no marker, other shape", []string{vm}, SystemAssigned, vm},
		{"lowercase marker", []string{"isexplicit=true", ua}, UserAssigned, ua},
	}
	for _, tt := range tests {
		kind, id := KindFromAlternativeNames(tt.in)
		if kind != tt.kind || id != tt.resID {
			t.Errorf("%s: got %s %q, want %s %q", tt.name, kind, id, tt.kind, tt.resID)
		}
	}
}

func TestScopeHelpers(t *testing.T) {
	rid := "/subscriptions/AAAA/resourceGroups/rg-web/providers/Microsoft.Web/sites/app1"
	if got := SubscriptionOf(rid); got != "aaaa" {
		t.Errorf("SubscriptionOf = %q", got)
	}
	if got := ResourceGroupOf(rid); got != "rg-web" {
		t.Errorf("ResourceGroupOf = %q", got)
	}
	if got := ResourceType(rid); got != "Microsoft.Web/sites" {
		t.Errorf("ResourceType = %q", got)
	}
	if got := ResourceType(rid + "/slots/staging"); got != "Microsoft.Web/sites/slots" {
		t.Errorf("nested ResourceType = %q", got)
	}
	levels := map[string]ScopeLevel{
		"/": ScopeRootManagementGroup,
		"/providers/Microsoft.Management/managementGroups/mg1": ScopeManagementGroup,
		"/subscriptions/s1":                  ScopeSubscription,
		"/subscriptions/s1/resourceGroups/r": ScopeResourceGroup,
		rid:                                  ScopeResource,
		"/subscriptions/s1/resourcegroups/r": ScopeResourceGroup,
	}
	for scope, want := range levels {
		if got := LevelOf(scope); got != want {
			t.Errorf("LevelOf(%s) = %s, want %s", scope, got, want)
		}
	}
	if !SameID("/subscriptions/S1/resourcegroups/RG", "/subscriptions/s1/resourceGroups/rg/") {
		t.Error("SameID must ignore case and a trailing slash")
	}
	if got := LastSegment("/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/acdd72a7"); got != "acdd72a7" {
		t.Errorf("LastSegment = %q", got)
	}
}
