package data

import (
	"context"
	"errors"
	"testing"
)

const (
	root    = "/providers/Microsoft.Management/managementGroups/tenant-1"
	mgProd  = "/providers/Microsoft.Management/managementGroups/prod"
	vmID    = "/subscriptions/s1/resourceGroups/rg-vm/providers/Microsoft.Compute/virtualMachines/vm1"
	uaID    = "/subscriptions/s1/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-shared"
	appID   = "/subscriptions/s2/resourceGroups/rg-app/providers/Microsoft.Web/sites/app1"
	ownerID = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	readerD = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
)

func testTenant() *Tenant {
	return &Tenant{
		ID: "tenant-1",
		ManagementGroups: []ManagementGroup{
			{ID: root, Name: "tenant-1"},
			{ID: mgProd, Name: "prod", ParentID: root},
		},
		Subscriptions: []Subscription{{ID: "s1", ManagementGroupID: mgProd}, {ID: "s2"}},
		Identities: []Identity{
			{ID: "mi-vm", Kind: SystemAssigned, ResourceID: "/subscriptions/s1/resourcegroups/rg-vm/providers/Microsoft.Compute/virtualMachines/vm1"},
			{ID: "mi-ua", Kind: UserAssigned, ResourceID: uaID},
			{ID: "mi-gone", Kind: SystemAssigned, ResourceID: "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/deleted"},
		},
		Resources: []Resource{
			{ID: vmID, SystemAssignedPrincipalID: "mi-vm",
				UserAssignedIdentityIDs: []string{"/subscriptions/s1/resourcegroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-shared"}},
			{ID: appID, UserAssignedIdentityIDs: []string{uaID}},
		},
		Groups:      []Group{{ID: "g-admins", DisplayName: "Cloud admins", RoleAssignable: true}},
		Memberships: []Membership{{IdentityID: "mi-ua", GroupID: "g-admins"}},
		DirectoryRoleAssignments: []DirectoryRoleAssignment{
			{PrincipalID: "g-admins", RoleTemplateID: "fe930be7-5e62-47db-91af-98c3a49a38b1", DirectoryScopeID: "/", State: Active},
		},
		DirectoryRoleDefinitions: []DirectoryRoleDefinition{{TemplateID: "fe930be7-5e62-47db-91af-98c3a49a38b1", DisplayName: "User Administrator"}},
		RoleDefinitions:          []RoleDefinition{{ID: ownerID, RoleName: "Owner", Actions: []string{"*"}}, {ID: readerD, RoleName: "Reader"}},
		RoleAssignments: []RoleAssignment{
			{PrincipalID: "mi-vm", RoleDefinitionID: "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/" + ownerID, Scope: mgProd},
			{PrincipalID: "mi-vm", RoleDefinitionID: "deadbeef-0000-0000-0000-000000000000", Scope: "/subscriptions/s1/resourceGroups/rg-vm"},
			{PrincipalID: "g-admins", RoleDefinitionID: readerD, Scope: "/subscriptions/s2"},
			{PrincipalID: "user-1", PrincipalType: PrincipalUser, RoleDefinitionID: readerD, Scope: "/subscriptions/s1/resourceGroups/RG-VM"},
		},
		Gaps: []Gap{{Section: SectionFederatedCredentials, IdentityID: "mi-ua", Reason: "403", Needs: "Managed Identity Operator"}},
	}
}

func TestIndexJoinsPerIdentity(t *testing.T) {
	x := NewIndex(testTenant())

	if got := x.Attached("mi-ua"); len(got) != 2 {
		t.Errorf("user-assigned identity attached to %d resources, want 2 (map keys differ in case)", len(got))
	}
	if got := x.Attached("mi-vm"); len(got) != 1 || got[0].ID != vmID {
		t.Errorf("system-assigned identity attached to %v", got)
	}
	if got := x.Attached("mi-gone"); len(got) != 0 {
		t.Errorf("identity whose resource is gone is attached to %v", got)
	}

	roles := x.DirectoryRoles("mi-ua")
	if len(roles) != 1 || roles[0].Via != "group:g-admins" || roles[0].RoleName != "User Administrator" {
		t.Errorf("directory roles through a group: %+v", roles)
	}

	az := x.AzureRoles("mi-vm")
	if len(az) != 2 {
		t.Fatalf("azure roles: %+v", az)
	}
	if az[0].RoleName != "Owner" || az[0].RoleDefinitionID != ownerID || x.Level(az[0].Scope) != ScopeManagementGroup {
		t.Errorf("widest scope first, definition resolved from its subscription form: %+v", az[0])
	}
	if az[1].Definition != nil || az[1].RoleName != "unresolved role definition deadbeef-0000-0000-0000-000000000000" {
		t.Errorf("an unresolved definition must say so: %+v", az[1])
	}
	if ua := x.AzureRoles("mi-ua"); len(ua) != 1 || ua[0].Via != "group:g-admins" {
		t.Errorf("azure role through a group: %+v", ua)
	}
}

func TestIndexScopes(t *testing.T) {
	x := NewIndex(testTenant())
	if got := x.Level(root); got != ScopeRootManagementGroup {
		t.Errorf("tenant root group level = %s", got)
	}
	if !x.Covers(mgProd, vmID) {
		t.Error("a management group covers resources in its subscriptions")
	}
	if x.Covers(mgProd, appID) {
		t.Error("s2 is not under prod")
	}
	if !x.Covers(root, appID) {
		t.Error("the root group covers every subscription")
	}
	if !x.Covers("/subscriptions/s1/resourceGroups/RG-VM", vmID) {
		t.Error("scope comparison must ignore case")
	}
	if x.Covers("/subscriptions/s1/resourceGroups/rg-v", vmID) {
		t.Error("a prefix of a name is not a parent scope")
	}
	got := x.AssignmentsCovering(vmID)
	principals := map[string]bool{}
	for _, a := range got {
		principals[a.PrincipalID] = true
	}
	if len(got) != 3 || !principals["user-1"] || !principals["mi-vm"] {
		t.Errorf("assignments covering the VM: %+v", got)
	}
}

func TestTenantSourceReturnsGapsNotEmptiness(t *testing.T) {
	src := NewTenantSource(testTenant(), SourceInfo{Origin: OriginSnapshot, Label: "test.json"})
	ctx := context.Background()
	fics, err := src.FederatedCredentials(ctx, "mi-ua")
	g, ok := AsGap(err)
	if !ok || len(fics) != 0 {
		t.Fatalf("want a gap, got %v %v", fics, err)
	}
	if got := g.Error(); got != "not readable (needs Managed Identity Operator): 403" {
		t.Errorf("gap reads %q", got)
	}
	if _, err := src.FederatedCredentials(ctx, "mi-vm"); err != nil {
		t.Errorf("another identity has no gap: %v", err)
	}
	if _, err := src.Groups(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown identity: %v", err)
	}
	var pages, n int
	if err := src.Identities(ctx, func(p []Identity) error { pages++; n += len(p); return nil }); err != nil || n != 3 || pages != 1 {
		t.Errorf("identities: %d in %d pages, %v", n, pages, err)
	}
	if src.Info().TenantID != "tenant-1" {
		t.Errorf("info not filled from the tenant: %+v", src.Info())
	}
}
