package assess

import (
	"time"

	"github.com/miscope/miscope/data"
)

// A tiny tenant builder for the rule tests: one tenant root group, a child management group "platform", two
// subscriptions under it, and helpers that add one thing each.

const (
	tenantID = "11111111-1111-1111-1111-111111111111"
	sub1     = "aaaaaaaa-0000-0000-0000-000000000001"
	sub2     = "aaaaaaaa-0000-0000-0000-000000000002"
	mgRoot   = "/providers/Microsoft.Management/managementGroups/" + tenantID
	mgPlat   = "/providers/Microsoft.Management/managementGroups/platform"

	roleOwner        = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	roleContributor  = "b24988ac-6180-42a0-ab88-20f7382dd24c"
	roleReader       = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	roleUAA          = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
	roleVMContrib    = "9980e02c-c2be-4d73-94e8-173b1dc7cf3c"
	roleMIOperator   = "f1a07417-d97a-45cb-824c-7a7467783830"
	roleKVSecretUser = "4633458b-17de-408a-b874-0445c86b69e6"

	dirGlobalAdmin = "62e90394-69f5-4237-9190-012177145e10"
	dirUserAdmin   = "fe930be7-5e62-47db-91af-98c3a49a38b1"
	dirGlobalRead  = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"

	permRoleMgmt  = "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8"
	permGroupRW   = "62a82d76-70ea-41e2-9197-370581804d09"
	permUserReadA = "df021288-bdef-4463-88db-98f22de89214"

	github = "https://token.actions.githubusercontent.com"
)

var collected = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type builder struct{ t data.Tenant }

func newTenant() *builder {
	return &builder{t: data.Tenant{
		ID:          tenantID,
		DisplayName: "Contoso",
		CollectedAt: collected,
		ManagementGroups: []data.ManagementGroup{
			{ID: mgRoot, Name: tenantID, DisplayName: "Tenant Root Group"},
			{ID: mgPlat, Name: "platform", DisplayName: "Platform", ParentID: mgRoot},
		},
		Subscriptions: []data.Subscription{
			{ID: sub1, DisplayName: "Production", ManagementGroupID: mgPlat},
			{ID: sub2, DisplayName: "Development", ManagementGroupID: mgPlat},
		},
	}}
}

func rg(sub, name string) string { return "/subscriptions/" + sub + "/resourceGroups/" + name }

func vmID(sub, group, name string) string {
	return rg(sub, group) + "/providers/Microsoft.Compute/virtualMachines/" + name
}

func uaiID(sub, group, name string) string {
	return rg(sub, group) + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + name
}

// vmIdentity adds a VM in sub1/group with a system-assigned identity whose object id is id.
func (b *builder) vmIdentity(id, group string) string {
	res := vmID(sub1, group, "vm-"+id)
	b.t.Identities = append(b.t.Identities, data.Identity{ID: id, AppID: "app-" + id, DisplayName: id,
		Kind: data.SystemAssigned, ResourceID: res})
	b.t.Resources = append(b.t.Resources, data.Resource{ID: res, Name: "vm-" + id,
		Type: "Microsoft.Compute/virtualMachines", SystemAssignedPrincipalID: id})
	return res
}

// userAssigned adds a user-assigned identity in sub1/rg-identities and attaches it to the given resources (created as
// VMs when they do not exist yet).
func (b *builder) userAssigned(id string, attachTo ...string) string {
	res := uaiID(sub1, "rg-identities", id)
	b.t.Identities = append(b.t.Identities, data.Identity{ID: id, AppID: "app-" + id, DisplayName: id,
		Kind: data.UserAssigned, ResourceID: res})
	b.t.Resources = append(b.t.Resources, data.Resource{ID: res, Name: id,
		Type: "Microsoft.ManagedIdentity/userAssignedIdentities"})
	for _, target := range attachTo {
		found := false
		for i := range b.t.Resources {
			if data.SameID(b.t.Resources[i].ID, target) {
				b.t.Resources[i].UserAssignedIdentityIDs = append(b.t.Resources[i].UserAssignedIdentityIDs, res)
				found = true
			}
		}
		if !found {
			b.t.Resources = append(b.t.Resources, data.Resource{ID: target, Name: data.ResourceName(target),
				Type: data.ResourceType(target), UserAssignedIdentityIDs: []string{res}})
		}
	}
	return res
}

func (b *builder) azure(principal string, ptype data.PrincipalType, role, scope string) {
	b.t.RoleAssignments = append(b.t.RoleAssignments, data.RoleAssignment{
		ID: "ra-" + principal + "-" + role + scope, PrincipalID: principal, PrincipalType: ptype,
		RoleDefinitionID: "/providers/Microsoft.Authorization/roleDefinitions/" + role, Scope: scope})
}

func (b *builder) customRole(id, name string, actions, notActions []string) {
	b.t.RoleDefinitions = append(b.t.RoleDefinitions, data.RoleDefinition{ID: id, RoleName: name, Custom: true,
		Actions: actions, NotActions: notActions})
}

func (b *builder) directory(principal, template, scope string, state data.AssignmentState) {
	b.t.DirectoryRoleAssignments = append(b.t.DirectoryRoleAssignments, data.DirectoryRoleAssignment{
		PrincipalID: principal, RoleTemplateID: template, DirectoryScopeID: scope, State: state})
}

func (b *builder) graph(principal, appRoleID, value string) {
	b.t.AppRoleAssignments = append(b.t.AppRoleAssignments, data.AppRoleAssignment{PrincipalID: principal,
		ResourceAppID: data.MicrosoftGraphAppID, ResourceDisplayName: "Microsoft Graph", AppRoleID: appRoleID,
		Permission: value})
}

func (b *builder) group(id, name string, roleAssignable bool, members ...string) {
	b.t.Groups = append(b.t.Groups, data.Group{ID: id, DisplayName: name, RoleAssignable: roleAssignable})
	for _, m := range members {
		b.t.Memberships = append(b.t.Memberships, data.Membership{IdentityID: m, GroupID: id})
	}
}

func (b *builder) fic(identity, name, issuer, subject string) {
	b.t.FederatedCredentials = append(b.t.FederatedCredentials, data.FederatedCredential{IdentityID: identity,
		Name: name, Issuer: issuer, Subject: subject, Audiences: []string{"api://AzureADTokenExchange"}})
}

func (b *builder) flexFIC(identity, name, issuer, expr string) {
	b.t.FederatedCredentials = append(b.t.FederatedCredentials, data.FederatedCredential{IdentityID: identity,
		Name: name, Issuer: issuer, ClaimsMatchingExpression: expr, Audiences: []string{"api://AzureADTokenExchange"}})
}

// deleted adds a principal the directory answered 404 for.
func (b *builder) deleted(id string, typ data.PrincipalType) {
	b.t.Principals = append(b.t.Principals, data.Principal{ID: id, Type: typ, NotFound: true})
}

func (b *builder) user(id, name string) {
	b.t.Principals = append(b.t.Principals, data.Principal{ID: id, Type: data.PrincipalUser, DisplayName: name})
}

func (b *builder) gap(section data.Section, identity, scope string) {
	b.t.Gaps = append(b.t.Gaps, data.Gap{Section: section, IdentityID: identity, Scope: scope,
		Reason: "403 Forbidden", Needs: "Reader"})
}

func (b *builder) assess() *Result { return Assess(data.NewIndex(&b.t)) }
