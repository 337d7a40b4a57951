package azure_test

import (
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/fakeazure"
)

// TestDefinitionsNamedInConditionsAreKept: a delegation condition names the roles its holder may grant, and the
// assessment judges the holder by them, so their definitions are kept even when nobody holds those roles.
func TestDefinitionsNamedInConditionsAreKept(t *testing.T) {
	const secretsOfficer = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7" // defined in every tenant, held by nobody in the demo
	tenant := demoTenant(t)
	for _, a := range tenant.RoleAssignments {
		if data.SameID(data.LastSegment(a.RoleDefinitionID), secretsOfficer) {
			t.Fatal("the demo tenant assigns Key Vault Secrets Officer; pick a role nobody holds")
		}
	}
	withoutCondition := collect(t, open(t, serve(t, tenant, fakeazure.Options{Deny: denialsOf(t, tenant)})))
	if hasDefinition(withoutCondition, secretsOfficer) {
		t.Fatal("a definition nobody holds or names was kept")
	}
	a := tenant.RoleAssignments[0]
	a.ID += "-delegation"
	a.RoleDefinitionID = "f58310d9-a9f6-439a-9e8d-f62e7b41a168" // Role Based Access Control Administrator
	a.Condition = "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR " +
		"(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {" +
		secretsOfficer + "}))"
	tenant.RoleAssignments = append(tenant.RoleAssignments, a)
	got := collect(t, open(t, serve(t, tenant, fakeazure.Options{Deny: denialsOf(t, tenant)})))
	if !hasDefinition(got, secretsOfficer) {
		t.Errorf("the definition a condition names was dropped; read %d definitions", len(got.RoleDefinitions))
	}
}

func hasDefinition(t *data.Tenant, id string) bool {
	for _, d := range t.RoleDefinitions {
		if data.SameID(d.ID, id) {
			return true
		}
	}
	return false
}
