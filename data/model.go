// Package data is miscope's domain: a tenant's managed identities and everything that decides whether they are
// dangerous, the Source interface every origin of that data implements, and the cached fetch layer the UI and the
// commands read through. It speaks plain Go types and never imports a UI package.
package data

import (
	"strings"
	"time"
)

// Kind tells a system-assigned identity (born with and bound to one resource) from a user-assigned one (a resource
// of its own that can be attached to many).
type Kind string

const (
	SystemAssigned Kind = "system-assigned"
	UserAssigned   Kind = "user-assigned"
)

// Origin says where a tenant's data came from.
type Origin string

const (
	OriginLive     Origin = "live"
	OriginSnapshot Origin = "snapshot"
	OriginDemo     Origin = "demo"
)

// Well-known application ids.
const (
	MicrosoftGraphAppID = "00000003-0000-0000-c000-000000000000"
)

// Tenant holds everything miscope knows about one Entra ID tenant in the raw, tenant-wide form the APIs give it:
// lists of assignments keyed by principal, not yet joined per identity. A snapshot is a Tenant on disk; the demo
// tenant, the synthetic generator and the fake Azure all start from one. Join it with NewIndex to see it per identity.
type Tenant struct {
	ID          string    `json:"id"`
	DisplayName string    `json:"displayName,omitempty"`
	Cloud       string    `json:"cloud,omitempty"`
	CollectedAt time.Time `json:"collectedAt"`

	ManagementGroups []ManagementGroup `json:"managementGroups,omitempty"`
	Subscriptions    []Subscription    `json:"subscriptions,omitempty"`

	// Identities are the service principals whose servicePrincipalType is ManagedIdentity.
	Identities []Identity `json:"identities"`
	// Resources are Azure resources that carry an identity block, plus the user-assigned identity resources
	// themselves. A system-assigned identity whose resource is absent here (and readable) is stale.
	Resources []Resource `json:"resources,omitempty"`
	// Groups are the groups any identity is a member of, and groups that hold roles.
	Groups []Group `json:"groups,omitempty"`
	// Memberships link identities to their groups, direct or transitive.
	Memberships []Membership `json:"memberships,omitempty"`

	DirectoryRoleDefinitions []DirectoryRoleDefinition `json:"directoryRoleDefinitions,omitempty"`
	// DirectoryRoleAssignments are Entra role assignments (active and eligible) whose principal is an identity or a
	// group.
	DirectoryRoleAssignments []DirectoryRoleAssignment `json:"directoryRoleAssignments,omitempty"`
	// AppRoleAssignments are application permissions granted to identities.
	AppRoleAssignments []AppRoleAssignment `json:"appRoleAssignments,omitempty"`

	// RoleDefinitions are the Azure role definitions referenced by RoleAssignments, built-in and custom.
	RoleDefinitions []RoleDefinition `json:"roleDefinitions,omitempty"`
	// RoleAssignments are Azure RBAC assignments of every principal at the scopes read (management groups,
	// subscriptions and below), so that "who else can use this identity" can be answered.
	RoleAssignments []RoleAssignment `json:"roleAssignments,omitempty"`

	FederatedCredentials []FederatedCredential `json:"federatedCredentials,omitempty"`

	// Principals names the other principals (users, groups, application service principals) that appear in role
	// assignments, so evidence can say who they are.
	Principals []Principal `json:"principals,omitempty"`

	// Applications are application (non managed identity) service principals with secrets or certificates: the
	// candidates to move to a managed identity.
	Applications []Application `json:"applications,omitempty"`

	// Ownerships are the groups, applications and service principals the identities own. An owner changes a
	// group's members and adds credentials to an application or service principal, so it can become what it owns.
	// Written even when empty: a snapshot without the field was made before owners were read (a SectionOwnerships
	// gap when opened), never "owns nothing".
	Ownerships []Ownership `json:"ownerships"`

	// Usage is what the principals were seen to do over a window (data/usage.go); nil when it was not read.
	Usage *Usage `json:"usage,omitempty"`

	// Gaps are the parts that could not be read. A gap is never an empty result.
	Gaps []Gap `json:"gaps,omitempty"`
}

// ManagementGroup is an Azure management group; ParentID is empty for the tenant root group.
type ManagementGroup struct {
	ID          string `json:"id"` // the ARM id: /providers/Microsoft.Management/managementGroups/<name>
	Name        string `json:"name"`
	DisplayName string `json:"displayName,omitempty"`
	ParentID    string `json:"parentId,omitempty"`
}

// Subscription is an Azure subscription and the management group it sits in.
type Subscription struct {
	ID                string `json:"id"` // the GUID
	DisplayName       string `json:"displayName,omitempty"`
	State             string `json:"state,omitempty"`
	ManagementGroupID string `json:"managementGroupId,omitempty"`
}

// Identity is one managed identity: a service principal of type ManagedIdentity.
type Identity struct {
	ID          string `json:"id"`    // service principal object id (the principal id in Azure role assignments)
	AppID       string `json:"appId"` // application (client) id
	DisplayName string `json:"displayName"`
	Kind        Kind   `json:"kind"`
	// ResourceID comes from alternativeNames: the owning resource for a system-assigned identity, the
	// Microsoft.ManagedIdentity/userAssignedIdentities resource for a user-assigned one.
	ResourceID string `json:"resourceId,omitempty"`
	// AlternativeNames are kept verbatim as Graph returned them.
	AlternativeNames []string `json:"alternativeNames,omitempty"`
}

// SubscriptionID is the subscription of the identity's resource id, or "".
func (i Identity) SubscriptionID() string { return SubscriptionOf(i.ResourceID) }

// Resource is an Azure resource that managed identities attach to.
type Resource struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Type     string `json:"type"` // e.g. Microsoft.Compute/virtualMachines
	Location string `json:"location,omitempty"`
	// SystemAssignedPrincipalID is the object id of the resource's system-assigned identity, if it has one.
	SystemAssignedPrincipalID string `json:"systemAssignedPrincipalId,omitempty"`
	// UserAssignedIdentityIDs are the resource ids of the user-assigned identities attached to it.
	UserAssignedIdentityIDs []string `json:"userAssignedIdentityIds,omitempty"`
}

// Group is an Entra group.
type Group struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	// RoleAssignable is isAssignableToRole; Graph's null means false.
	RoleAssignable bool `json:"roleAssignable"`
}

// Membership says that an identity belongs to a group; Transitive is true when only through another group.
type Membership struct {
	IdentityID string `json:"identityId"`
	GroupID    string `json:"groupId"`
	Transitive bool   `json:"transitive,omitempty"`
}

// DirectoryRoleDefinition is an Entra role definition; its ID is the template id for built-in roles.
type DirectoryRoleDefinition struct {
	TemplateID   string `json:"templateId"`
	DisplayName  string `json:"displayName"`
	IsBuiltIn    bool   `json:"isBuiltIn"`
	IsPrivileged bool   `json:"isPrivileged,omitempty"`
}

// AssignmentState tells an active assignment from a PIM-eligible one.
type AssignmentState string

const (
	Active   AssignmentState = "active"
	Eligible AssignmentState = "eligible"
)

// DirectoryRoleAssignment is one Entra role assignment as the tenant-wide list gives it.
type DirectoryRoleAssignment struct {
	ID               string          `json:"id,omitempty"`
	PrincipalID      string          `json:"principalId"`
	RoleTemplateID   string          `json:"roleTemplateId"`
	DirectoryScopeID string          `json:"directoryScopeId"` // "/" for the whole tenant
	State            AssignmentState `json:"state"`
}

// AppRoleAssignment is an application permission granted to an identity.
type AppRoleAssignment struct {
	ID                  string `json:"id,omitempty"`
	PrincipalID         string `json:"principalId"`
	ResourceAppID       string `json:"resourceAppId"`
	ResourceID          string `json:"resourceId,omitempty"` // object id of the resource service principal
	ResourceDisplayName string `json:"resourceDisplayName"`
	AppRoleID           string `json:"appRoleId"`
	// Permission is the app role's value (e.g. Directory.ReadWrite.All); empty when the resource's appRoles could
	// not be read.
	Permission string `json:"permission"`
}

// RoleDefinition is an Azure role definition. Custom roles are judged by their actions, never by their name.
type RoleDefinition struct {
	ID             string   `json:"id"` // the GUID (last segment of the ARM id)
	RoleName       string   `json:"roleName"`
	Custom         bool     `json:"custom,omitempty"`
	Actions        []string `json:"actions,omitempty"`
	NotActions     []string `json:"notActions,omitempty"`
	DataActions    []string `json:"dataActions,omitempty"`
	NotDataActions []string `json:"notDataActions,omitempty"`
}

// PrincipalType is the kind of principal an Azure role assignment names.
type PrincipalType string

const (
	PrincipalUser             PrincipalType = "User"
	PrincipalGroup            PrincipalType = "Group"
	PrincipalServicePrincipal PrincipalType = "ServicePrincipal"
	PrincipalForeignGroup     PrincipalType = "ForeignGroup"
	PrincipalDevice           PrincipalType = "Device"
)

// RoleAssignment is an Azure RBAC role assignment.
type RoleAssignment struct {
	ID               string        `json:"id,omitempty"`
	PrincipalID      string        `json:"principalId"`
	PrincipalType    PrincipalType `json:"principalType"`
	RoleDefinitionID string        `json:"roleDefinitionId"` // the GUID
	Scope            string        `json:"scope"`
	Condition        string        `json:"condition,omitempty"`
}

// FederatedCredential is a federated identity credential on a user-assigned identity.
type FederatedCredential struct {
	IdentityID string   `json:"identityId"` // the identity's service principal object id
	Name       string   `json:"name"`
	Issuer     string   `json:"issuer"`
	Subject    string   `json:"subject,omitempty"`
	Audiences  []string `json:"audiences,omitempty"`
	// ClaimsMatchingExpression is set on flexible credentials instead of Subject.
	ClaimsMatchingExpression string `json:"claimsMatchingExpression,omitempty"`
}

// Principal names a principal that is not a managed identity.
type Principal struct {
	ID          string        `json:"id"`
	Type        PrincipalType `json:"type"`
	DisplayName string        `json:"displayName"`
	// NotFound is true when the directory answered that no object has this id: the principal was deleted and the
	// role assignments that name it are dangling (the portal shows them as "Identity not found", type Unknown).
	NotFound bool `json:"notFound,omitempty"`
}

// Application is an application service principal that signs in with a secret or certificate.
type Application struct {
	ID          string       `json:"id"` // service principal object id
	AppID       string       `json:"appId"`
	DisplayName string       `json:"displayName"`
	Credentials []Credential `json:"credentials"`
	// Hosts are resource ids where the application's code is seen to run in Azure (which is what makes a managed
	// identity a drop-in replacement); empty when unknown.
	Hosts []string `json:"hosts,omitempty"`
}

// OwnedType is the kind of directory object an identity owns.
type OwnedType string

const (
	OwnedGroup            OwnedType = "group"
	OwnedApplication      OwnedType = "application"
	OwnedServicePrincipal OwnedType = "servicePrincipal"
)

// Ownership says that a principal (a managed identity) owns a directory object.
type Ownership struct {
	OwnerID    string    `json:"ownerId"`
	ObjectID   string    `json:"objectId"` // the owned object's id: an application's is its registration, not its service principal
	ObjectType OwnedType `json:"objectType"`
	// AppID is the application (client) id of an owned application or service principal: it links an application
	// to its service principal in the tenant.
	AppID       string `json:"appId,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	// ServicePrincipalID is, for an owned application, its service principal in this tenant when it was read: the
	// principal its owner signs in as.
	ServicePrincipalID string `json:"servicePrincipalId,omitempty"`
}

// Credential is a password or certificate credential of an application.
type Credential struct {
	KeyID       string    `json:"keyId"`
	Type        string    `json:"type"` // "password" or "certificate"
	DisplayName string    `json:"displayName,omitempty"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
}

// Section names one part of an identity that is fetched (and can fail) on its own.
type Section string

const (
	SectionAttached             Section = "attachedResources"
	SectionGroups               Section = "groups"
	SectionDirectoryRoles       Section = "directoryRoles"
	SectionAppRoles             Section = "appRoles"
	SectionAzureRoles           Section = "azureRoles"
	SectionFederatedCredentials Section = "federatedCredentials"
	// Tenant-wide parts.
	SectionIdentities   Section = "identities"
	SectionResources    Section = "resources"
	SectionApplications Section = "applications"
	SectionExposure     Section = "exposure"
	// SectionPrincipals is the names of the other principals that hold Azure roles: without them evidence names a
	// principal by its id.
	SectionPrincipals Section = "principals"
	// SectionOwnerships is what the identities own (groups, applications, service principals): without it a path
	// through an owned object is not seen.
	SectionOwnerships Section = "ownerships"
)

// Sections lists the per-identity sections in the order they are shown.
var Sections = []Section{SectionAttached, SectionGroups, SectionDirectoryRoles, SectionAppRoles, SectionAzureRoles,
	SectionFederatedCredentials}

// Gap is a part that could not be read. IdentityID is empty for a tenant-wide part (then it applies to every
// identity) and Scope narrows it, e.g. to one subscription.
type Gap struct {
	Section    Section `json:"section"`
	IdentityID string  `json:"identityId,omitempty"`
	Scope      string  `json:"scope,omitempty"`
	Reason     string  `json:"reason"`
	// Needs names the permission or role that would make it readable.
	Needs string `json:"needs,omitempty"`
}

// Error turns a gap into the sentence users see: "not readable (needs X): reason".
func (g *Gap) Error() string {
	var b strings.Builder
	b.WriteString("not readable")
	if g.Needs != "" {
		b.WriteString(" (needs ")
		b.WriteString(g.Needs)
		b.WriteString(")")
	}
	if g.Reason != "" {
		b.WriteString(": ")
		b.WriteString(g.Reason)
	}
	return b.String()
}
