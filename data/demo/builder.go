package demo

import (
	"crypto/sha1"
	"strings"
	"time"

	"github.com/miscope/miscope/data"
)

// builder assembles a Tenant the way the APIs would describe it, one readable call per fact. Ids are derived from
// names, so the same code always gives the same tenant.
type builder struct {
	t *data.Tenant
}

// ident is what a builder call returns for an identity: enough to attach it and grant it roles.
type ident struct {
	ID         string // service principal object id
	ResourceID string // ARM id: the owning resource, or the user-assigned identity resource
}

func newBuilder(tenantID, displayName string, collectedAt time.Time) *builder {
	return &builder{t: &data.Tenant{ID: tenantID, DisplayName: displayName, Cloud: "AzureCloud", CollectedAt: collectedAt}}
}

// guid derives a stable, well-formed version-4-looking GUID from a name.
func guid(parts ...string) string {
	h := sha1.Sum([]byte(strings.Join(parts, "\x00")))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return formatGUID(h[:16])
}

const hexDigits = "0123456789abcdef"

func formatGUID(b []byte) string {
	var out [36]byte
	appendGUID(out[:0], b)
	return string(out[:])
}

func appendGUID(dst []byte, b []byte) []byte {
	for i, c := range b[:16] {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

// managementGroupID is the ARM id of a management group.
func managementGroupID(name string) string {
	return "/providers/Microsoft.Management/managementGroups/" + name
}

// rootGroup adds the tenant root group, which is named after the tenant id.
func (b *builder) rootGroup() string {
	id := managementGroupID(b.t.ID)
	b.t.ManagementGroups = append(b.t.ManagementGroups, data.ManagementGroup{ID: id, Name: b.t.ID,
		DisplayName: "Tenant Root Group"})
	return id
}

// managementGroup adds a management group under parent (an ARM id) and returns its ARM id.
func (b *builder) managementGroup(name, displayName, parent string) string {
	id := managementGroupID(name)
	b.t.ManagementGroups = append(b.t.ManagementGroups, data.ManagementGroup{ID: id, Name: name,
		DisplayName: displayName, ParentID: parent})
	return id
}

// subscription adds an enabled subscription in a management group and returns its GUID.
func (b *builder) subscription(displayName, mg string) string {
	id := guid("subscription", displayName)
	b.t.Subscriptions = append(b.t.Subscriptions, data.Subscription{ID: id, DisplayName: displayName,
		State: "Enabled", ManagementGroupID: mg})
	return id
}

// rg is the ARM id of a resource group.
func rg(sub, name string) string { return "/subscriptions/" + sub + "/resourceGroups/" + name }

// resource adds an Azure resource without an identity and returns its ARM id. typ is "Provider/type", possibly
// nested ("Microsoft.Web/sites/slots" needs a parent, so only top-level types are used here).
func (b *builder) resource(group, typ, name, location string) string {
	id := group + "/providers/" + typ + "/" + name
	b.t.Resources = append(b.t.Resources, data.Resource{ID: id, Name: name, Type: typ, Location: location})
	return id
}

// resourceAt returns the resource with that id; the builder only asks for ids it made.
func (b *builder) resourceAt(id string) *data.Resource {
	for i := range b.t.Resources {
		if b.t.Resources[i].ID == id {
			return &b.t.Resources[i]
		}
	}
	panic("demo: no resource " + id)
}

// entraForm writes a resource id the way Entra's alternativeNames do: "resourcegroups" in lower case, everything
// else as ARM has it.
func entraForm(id string) string {
	return strings.Replace(id, "/resourceGroups/", "/resourcegroups/", 1)
}

// systemAssigned turns on the system-assigned identity of an existing resource. Its service principal is named
// after the resource, as Azure does.
func (b *builder) systemAssigned(resourceID string) ident {
	r := b.resourceAt(resourceID)
	id := ident{ID: guid("sp", resourceID), ResourceID: resourceID}
	r.SystemAssignedPrincipalID = id.ID
	b.addIdentity(id, r.Name, data.SystemAssigned)
	return id
}

// systemAssignedOn adds a resource together with its system-assigned identity.
func (b *builder) systemAssignedOn(group, typ, name, location string) ident {
	return b.systemAssigned(b.resource(group, typ, name, location))
}

// staleSystemAssigned adds the service principal of a system-assigned identity whose resource has been deleted
// while its service principal lingers: it is in Identities but not in Resources.
func (b *builder) staleSystemAssigned(group, typ, name string) ident {
	resourceID := group + "/providers/" + typ + "/" + name
	id := ident{ID: guid("sp", resourceID), ResourceID: resourceID}
	b.addIdentity(id, name, data.SystemAssigned)
	return id
}

// userAssigned adds a user-assigned identity: its Microsoft.ManagedIdentity resource and its service principal.
func (b *builder) userAssigned(group, name, location string) ident {
	resourceID := b.resource(group, "Microsoft.ManagedIdentity/userAssignedIdentities", name, location)
	id := ident{ID: guid("sp", resourceID), ResourceID: resourceID}
	b.addIdentity(id, name, data.UserAssigned)
	return id
}

func (b *builder) addIdentity(id ident, name string, kind data.Kind) {
	explicit := "isExplicit=False"
	if kind == data.UserAssigned {
		explicit = "isExplicit=True"
	}
	b.t.Identities = append(b.t.Identities, data.Identity{
		ID:               id.ID,
		AppID:            guid("app", id.ResourceID),
		DisplayName:      name,
		Kind:             kind,
		ResourceID:       entraForm(id.ResourceID),
		AlternativeNames: []string{explicit, entraForm(id.ResourceID)},
	})
}

// attach attaches user-assigned identities to a resource.
func (b *builder) attach(resourceID string, uas ...ident) {
	r := b.resourceAt(resourceID)
	for _, ua := range uas {
		r.UserAssignedIdentityIDs = append(r.UserAssignedIdentityIDs, ua.ResourceID)
	}
}

// group adds an Entra security group and returns its object id.
func (b *builder) group(displayName string, roleAssignable bool) string {
	id := guid("group", displayName)
	b.t.Groups = append(b.t.Groups, data.Group{ID: id, DisplayName: displayName, RoleAssignable: roleAssignable})
	return id
}

// member makes identities direct members of a group.
func (b *builder) member(group string, ids ...ident) {
	for _, i := range ids {
		b.t.Memberships = append(b.t.Memberships, data.Membership{IdentityID: i.ID, GroupID: group})
	}
}

// transitiveMember records membership through a nested group.
func (b *builder) transitiveMember(group string, i ident) {
	b.t.Memberships = append(b.t.Memberships, data.Membership{IdentityID: i.ID, GroupID: group, Transitive: true})
}

// principal adds a user, group or application service principal that appears in role assignments.
func (b *builder) principal(typ data.PrincipalType, displayName string) string {
	id := guid("principal", string(typ), displayName)
	b.t.Principals = append(b.t.Principals, data.Principal{ID: id, Type: typ, DisplayName: displayName})
	return id
}

// deletedPrincipal adds a principal the directory no longer has: role assignments still name it, by id only, as
// Azure keeps them after the principal is deleted. seed only makes its id.
func (b *builder) deletedPrincipal(typ data.PrincipalType, seed string) string {
	id := guid("deleted-principal", string(typ), seed)
	b.t.Principals = append(b.t.Principals, data.Principal{ID: id, Type: typ, NotFound: true})
	return id
}

// directoryRole assigns an Entra role tenant-wide to an identity or group.
func (b *builder) directoryRole(principalID, templateID string, state data.AssignmentState) {
	b.t.DirectoryRoleAssignments = append(b.t.DirectoryRoleAssignments, data.DirectoryRoleAssignment{
		ID:               guid("dirrole", principalID, templateID, string(state)),
		PrincipalID:      principalID,
		RoleTemplateID:   templateID,
		DirectoryScopeID: "/",
		State:            state,
	})
}

// graphResource is a first-party API's service principal in the tenant.
type graphResource struct {
	appID, objectID, displayName string
}

// appRole grants an application permission of an API to an identity.
func (b *builder) appRole(principalID string, api graphResource, p graphPermission) {
	b.t.AppRoleAssignments = append(b.t.AppRoleAssignments, data.AppRoleAssignment{
		ID:                  guid("approle", principalID, api.appID, p.appRoleID),
		PrincipalID:         principalID,
		ResourceAppID:       api.appID,
		ResourceID:          api.objectID,
		ResourceDisplayName: api.displayName,
		AppRoleID:           p.appRoleID,
		Permission:          p.value,
	})
}

// azureRole assigns an Azure role at a scope. The assignment id is the ARM id, as the role assignments list gives it.
func (b *builder) azureRole(principalID string, typ data.PrincipalType, roleID, scope string) {
	name := guid("roleassignment", principalID, roleID, scope)
	b.t.RoleAssignments = append(b.t.RoleAssignments, data.RoleAssignment{
		ID:               strings.TrimRight(scope, "/") + "/providers/Microsoft.Authorization/roleAssignments/" + name,
		PrincipalID:      principalID,
		PrincipalType:    typ,
		RoleDefinitionID: roleID,
		Scope:            scope,
	})
}

// identityRole assigns an Azure role to a managed identity (a service principal).
func (b *builder) identityRole(i ident, roleID, scope string) {
	b.azureRole(i.ID, data.PrincipalServicePrincipal, roleID, scope)
}

// fic adds a federated credential with the one audience Entra accepts.
func (b *builder) fic(i ident, name, issuer, subject string) {
	b.t.FederatedCredentials = append(b.t.FederatedCredentials, data.FederatedCredential{
		IdentityID: i.ID, Name: name, Issuer: issuer, Subject: subject, Audiences: []string{tokenExchange}})
}

// flexibleFIC adds a federated credential that matches claims by expression instead of an exact subject.
func (b *builder) flexibleFIC(i ident, name, issuer, expression string) {
	b.t.FederatedCredentials = append(b.t.FederatedCredentials, data.FederatedCredential{
		IdentityID: i.ID, Name: name, Issuer: issuer, ClaimsMatchingExpression: expression,
		Audiences: []string{tokenExchange}})
}

// application adds an application service principal that signs in with the given credentials and returns the
// service principal's object id.
func (b *builder) application(displayName string, hosts []string, creds ...data.Credential) string {
	for n := range creds {
		creds[n].KeyID = guid("key", displayName, creds[n].DisplayName, creds[n].Type)
	}
	b.t.Applications = append(b.t.Applications, data.Application{
		ID: guid("appsp", displayName), AppID: guid("appid", displayName), DisplayName: displayName,
		Credentials: creds, Hosts: hosts})
	return guid("appsp", displayName)
}

// ownsApplication makes an identity an owner of an application added with application: its registration's object
// id, its appId and its name, as Graph's ownedObjects lists them.
func (b *builder) ownsApplication(i ident, displayName string) {
	b.t.Ownerships = append(b.t.Ownerships, data.Ownership{OwnerID: i.ID, ObjectID: guid("appreg", displayName),
		ObjectType: data.OwnedApplication, AppID: guid("appid", displayName), DisplayName: displayName,
		ServicePrincipalID: guid("appsp", displayName)})
}

// ownsGroup makes an identity an owner of a group.
func (b *builder) ownsGroup(i ident, group, displayName string) {
	b.t.Ownerships = append(b.t.Ownerships, data.Ownership{OwnerID: i.ID, ObjectID: group,
		ObjectType: data.OwnedGroup, DisplayName: displayName})
}
