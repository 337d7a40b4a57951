package fakeazure

import (
	"fmt"

	"github.com/miscope/miscope/data"
)

// Ids of the test tenant.
const (
	testTenantID = "11111111-2222-3333-4444-555555555555"
	testSubA     = "aaaaaaaa-0000-0000-0000-000000000001"
	testSubB     = "aaaaaaaa-0000-0000-0000-000000000002"
	graphSPID    = "99999999-0000-0000-0000-000000000001"
	readWriteAll = "19dbc75e-c2e2-444c-a770-ec69d8559fc7" // Directory.ReadWrite.All
	ownerRole    = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	readerRole   = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	globalAdmin  = "62e90394-69f5-4237-9190-012177145e10"
)

func guidN(prefix string, n int) string { return fmt.Sprintf("%s-0000-4000-8000-%012d", prefix, n) }

// testTenant builds a tenant of n managed identities spread over two subscriptions under a management group:
// every third is user-assigned (with a federated credential), every identity has a resource, a group, an app role
// and a role assignment, and a person holds Reader at the management group.
func testTenant(n int) *data.Tenant {
	t := &data.Tenant{
		ID: testTenantID, DisplayName: "Fabrikam Test",
		ManagementGroups: []data.ManagementGroup{
			{ID: "/providers/Microsoft.Management/managementGroups/" + testTenantID, Name: testTenantID, DisplayName: "Tenant Root Group"},
			{ID: "/providers/Microsoft.Management/managementGroups/prod", Name: "prod", DisplayName: "Production",
				ParentID: "/providers/Microsoft.Management/managementGroups/" + testTenantID},
		},
		Subscriptions: []data.Subscription{
			{ID: testSubA, DisplayName: "Prod A", ManagementGroupID: "/providers/Microsoft.Management/managementGroups/prod"},
			{ID: testSubB, DisplayName: "Dev B"},
		},
		Groups: []data.Group{
			{ID: guidN("90909090", 1), DisplayName: "Automation", RoleAssignable: true},
			{ID: guidN("90909090", 2), DisplayName: "All workloads"},
		},
		DirectoryRoleDefinitions: []data.DirectoryRoleDefinition{{TemplateID: globalAdmin, DisplayName: "Global Administrator", IsBuiltIn: true, IsPrivileged: true}},
		RoleDefinitions: []data.RoleDefinition{
			{ID: ownerRole, RoleName: "Owner", Actions: []string{"*"}},
			{ID: readerRole, RoleName: "Reader", Actions: []string{"*/read"}},
			{ID: "cccccccc-0000-0000-0000-000000000001", RoleName: "Deployer", Custom: true,
				Actions: []string{"Microsoft.Resources/deployments/*"}},
		},
		Principals: []data.Principal{{ID: guidN("a5e2a5e2", 1), Type: data.PrincipalUser, DisplayName: "Ada Admin"}},
		RoleAssignments: []data.RoleAssignment{{PrincipalID: guidN("a5e2a5e2", 1), PrincipalType: data.PrincipalUser,
			RoleDefinitionID: readerRole, Scope: "/providers/Microsoft.Management/managementGroups/prod"}},
		Applications: []data.Application{{ID: guidN("a0a0a0a0", 1), AppID: guidN("a1d0a1d0", 1), DisplayName: "legacy-sync",
			Credentials: []data.Credential{{KeyID: guidN("cecececc", 1), Type: "password", DisplayName: "prod secret"}}}},
	}
	for i := 0; i < n; i++ {
		sub := testSubA
		if i%2 == 1 {
			sub = testSubB
		}
		id := data.Identity{ID: guidN("1d1d1d1d", i), AppID: guidN("cccccccc", i), DisplayName: fmt.Sprintf("mi-%04d", i)}
		rg := fmt.Sprintf("/subscriptions/%s/resourceGroups/rg-%d", sub, i%5)
		if i%3 == 0 {
			id.Kind = data.UserAssigned
			id.ResourceID = rg + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + id.DisplayName
			id.AlternativeNames = []string{"isExplicit=True", id.ResourceID}
			t.Resources = append(t.Resources, data.Resource{ID: rg + "/providers/Microsoft.Web/sites/app-" + id.DisplayName,
				Type: "Microsoft.Web/sites", Location: "northeurope", UserAssignedIdentityIDs: []string{id.ResourceID}})
			t.FederatedCredentials = append(t.FederatedCredentials, data.FederatedCredential{IdentityID: id.ID,
				Name: "github", Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:fabrikam/app:ref:refs/heads/main",
				Audiences: []string{"api://AzureADTokenExchange"}})
		} else {
			id.Kind = data.SystemAssigned
			id.ResourceID = rg + "/providers/Microsoft.Compute/virtualMachines/vm-" + id.DisplayName
			id.AlternativeNames = []string{"isExplicit=False", id.ResourceID}
			t.Resources = append(t.Resources, data.Resource{ID: id.ResourceID, Type: "Microsoft.Compute/virtualMachines",
				Location: "westeurope", SystemAssignedPrincipalID: id.ID})
		}
		t.Identities = append(t.Identities, id)
		t.Memberships = append(t.Memberships, data.Membership{IdentityID: id.ID, GroupID: guidN("90909090", 1+i%2)})
		t.AppRoleAssignments = append(t.AppRoleAssignments, data.AppRoleAssignment{PrincipalID: id.ID,
			ResourceAppID: data.MicrosoftGraphAppID, ResourceID: graphSPID, ResourceDisplayName: "Microsoft Graph",
			AppRoleID: readWriteAll, Permission: "Directory.ReadWrite.All"})
		t.RoleAssignments = append(t.RoleAssignments, data.RoleAssignment{PrincipalID: id.ID,
			PrincipalType: data.PrincipalServicePrincipal, RoleDefinitionID: ownerRole, Scope: rg})
	}
	if n > 0 {
		t.DirectoryRoleAssignments = []data.DirectoryRoleAssignment{{PrincipalID: t.Identities[0].ID,
			RoleTemplateID: globalAdmin, DirectoryScopeID: "/", State: data.Active}}
	}
	return t
}
