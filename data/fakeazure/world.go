package fakeazure

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/miscope/miscope/data"
)

// field is one property of a Graph entity, already encoded, so that serving a $select is a concatenation.
type field struct {
	name string
	raw  []byte
}

// entity is a Graph object ready to be served: its encoded properties in order and the properties $filter may
// test, keyed by lower-cased name.
type entity struct {
	id        string
	odataType string // e.g. "#microsoft.graph.servicePrincipal"
	props     map[string]string
	fields    []field
}

// render writes the entity as JSON with only the selected properties (all when sel is nil); withType adds
// @odata.type, which Graph sends on items of collections that mix types and on directoryObjects.
func (e *entity) render(buf *bytes.Buffer, sel map[string]bool, withType bool) {
	buf.WriteByte('{')
	first := true
	if withType {
		buf.WriteString(`"@odata.type":`)
		writeJSON(buf, e.odataType)
		first = false
	}
	for _, f := range e.fields {
		if sel != nil && !sel[strings.ToLower(f.name)] && f.name != "id" {
			continue
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		writeJSON(buf, f.name)
		buf.WriteByte(':')
		buf.Write(f.raw)
	}
	buf.WriteByte('}')
}

func writeJSON(buf *bytes.Buffer, v any) {
	b, _ := json.Marshal(v)
	buf.Write(b)
}

// builder collects the fields of an entity in order.
type builder struct{ e *entity }

func newEntity(id, odataType string) builder {
	return builder{&entity{id: id, odataType: odataType, props: map[string]string{"id": id}}}
}

func (b builder) set(name string, v any) builder {
	var raw []byte
	switch x := v.(type) {
	case nil:
		raw = []byte("null")
	case bool:
		raw = []byte(boolString(x))
	case string:
		if plainJSON(x) {
			raw = append(append(append(make([]byte, 0, len(x)+2), '"'), x...), '"')
			break
		}
		raw, _ = json.Marshal(x)
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			raw = []byte("null")
		}
	}
	b.e.fields = append(b.e.fields, field{name: name, raw: raw})
	return b
}

func (b builder) prop(name, v string) builder {
	b.e.props[strings.ToLower(name)] = v
	return b
}

// world is a tenant turned into what the wire serves, computed once per SetTenant so that requests only look up
// and concatenate.
type world struct {
	t        *data.Tenant
	x        *data.Index
	tenantID string
	started  time.Time // when the data began to be served: usage is moved to it (usage.go)

	// Usage
	usage        usageEvents
	registration map[string]*entity // Key(user id) -> its userRegistrationDetails

	// Graph
	sps         map[string]*entity // every service principal by Key(id)
	spByAppID   map[string]*entity
	spList      []*entity            // managed identities first, then the others
	appList     []*entity            // application objects, which hold most application credentials
	directory   map[string]*entity   // every directory object by Key(id), for /directoryObjects/{id}
	groups      map[string]*entity   // by Key(id)
	groupList   []*entity            // in id order
	users       map[string]*entity   // by Key(id)
	dirRoles    map[string]*entity   // activated directoryRole objects by Key(template id) and Key(object id)
	dirRoleList []*entity            // in template order
	memberOf    map[string][]*entity // Key(sp id) -> direct groups and directory roles
	// groupMemberOf and groupTransitive are the groups a group belongs to, derived from the identities'
	// memberships: T contains G when every identity in G is in T through another group.
	groupMemberOf   map[string][]*entity
	groupTransitive map[string][]*entity
	transitive      map[string][]*entity // Key(sp id) -> all groups and directory roles
	owned           map[string][]*entity // Key(owner id) -> the groups, applications and service principals it owns
	appRoleAssign   map[string][]*entity // Key(principal id) -> app role assignments
	roleAssign      []*entity            // active Entra role assignments
	eligSchedules   []*entity            // PIM eligibility schedules
	eligInstances   []*entity            // PIM eligibility schedule instances
	roleDefs        []*entity            // Entra role definitions
	roleDefByID     map[string]*entity

	// ARM
	subs        []data.Subscription
	subByID     map[string]*data.Subscription
	mgs         []data.ManagementGroup
	mgByName    map[string]*data.ManagementGroup
	rootMG      string // name of the tenant root group
	uamiBySub   map[string][]*data.Identity
	uamiByKey   map[string]*data.Identity // Key(resource id) -> identity
	resources   []armResource             // resources with identity blocks and user-assigned identity resources, by id
	ficByIdent  map[string][]data.FederatedCredential
	roleDefsARM []data.RoleDefinition
	roleDefARM  map[string]*data.RoleDefinition // Key(GUID)
	groupsOf    map[string][]string             // Key(identity id) -> group ids, for assignedTo()
	resByKey    map[string]*armResource
	raBySub     map[string][]data.RoleAssignment // subscription GUID -> assignments made in it
	raCache     sync.Map                         // list key -> []any of rendered role assignments
}

// armResource is a resource as ARM lists it.
type armResource struct {
	id, name, typ, location string
	key                     string // Key(id), for sorting and look-ups
	sub, rg                 string
	identity                map[string]any // nil when it has none
}

// guidFor derives a stable GUID from a string, for ids the tenant does not carry (directory role object ids,
// key ids, app ids of principals).
func guidFor(kind, s string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte(kind+":"+strings.ToLower(s))).String()
}

// created is the fixed creation time the fake reports; the model does not carry one.
var created = time.Date(2024, 3, 14, 9, 26, 53, 0, time.UTC)

func newWorld(t *data.Tenant) *world {
	if t == nil {
		t = &data.Tenant{}
	}
	w := &world{
		t: t, x: data.NewIndex(t), tenantID: t.ID,
		sps: map[string]*entity{}, spByAppID: map[string]*entity{}, directory: map[string]*entity{},
		groups: map[string]*entity{}, users: map[string]*entity{}, dirRoles: map[string]*entity{},
		memberOf: map[string][]*entity{}, groupMemberOf: map[string][]*entity{}, groupTransitive: map[string][]*entity{},
		transitive: map[string][]*entity{}, appRoleAssign: map[string][]*entity{}, owned: map[string][]*entity{},
		roleDefByID: map[string]*entity{},
		subByID:     map[string]*data.Subscription{}, mgByName: map[string]*data.ManagementGroup{},
		uamiBySub: map[string][]*data.Identity{}, uamiByKey: map[string]*data.Identity{},
		ficByIdent: map[string][]data.FederatedCredential{}, roleDefARM: map[string]*data.RoleDefinition{},
		groupsOf: map[string][]string{}, resByKey: map[string]*armResource{}, raBySub: map[string][]data.RoleAssignment{},
		started: time.Now().UTC().Truncate(time.Second), registration: map[string]*entity{},
	}
	if w.tenantID == "" {
		w.tenantID = DefaultTenantID
	}
	w.buildGraph()
	w.buildARM()
	w.buildUsage()
	return w
}

func (w *world) addSP(e *entity) {
	k := data.Key(e.id)
	if _, dup := w.sps[k]; dup {
		return
	}
	w.sps[k] = e
	w.directory[k] = e
	w.spList = append(w.spList, e)
	if a := e.props["appid"]; a != "" {
		w.spByAppID[data.Key(a)] = e
	}
}

func (w *world) buildGraph() {
	t := w.t
	// Managed identities, as Graph shows them.
	for i := range t.Identities {
		id := &t.Identities[i]
		alt := id.AlternativeNames
		if len(alt) == 0 {
			explicit := "isExplicit=False"
			if id.Kind == data.UserAssigned {
				explicit = "isExplicit=True"
			}
			alt = []string{explicit}
			if id.ResourceID != "" {
				alt = append(alt, id.ResourceID)
			}
		}
		keyStart := created
		w.addSP(newEntity(id.ID, "#microsoft.graph.servicePrincipal").
			prop("appId", id.AppID).prop("servicePrincipalType", "ManagedIdentity").prop("displayName", id.DisplayName).
			set("id", id.ID).set("deletedDateTime", nil).set("accountEnabled", true).
			set("alternativeNames", alt).set("appDisplayName", nil).set("appDescription", nil).
			set("appId", id.AppID).set("applicationTemplateId", nil).set("appOwnerOrganizationId", nil).
			set("appRoleAssignmentRequired", false).set("displayName", id.DisplayName).
			set("servicePrincipalType", "ManagedIdentity").
			set("servicePrincipalNames", []string{id.AppID, "https://identity.azure.net/" + guidFor("spn", id.ID)}).
			set("tags", []string{}).set("appRoles", []any{}).set("oauth2PermissionScopes", []any{}).
			set("passwordCredentials", []any{}).
			set("keyCredentials", []any{map[string]any{
				"customKeyIdentifier": strings.ToUpper(strings.ReplaceAll(guidFor("kid", id.ID), "-", ""))[:32],
				"displayName":         nil, "endDateTime": keyStart.AddDate(0, 3, 0).Format(time.RFC3339),
				"key": nil, "keyId": guidFor("key", id.ID), "startDateTime": keyStart.Format(time.RFC3339),
				"type": "AsymmetricX509Cert", "usage": "Verify",
			}}).e)
	}
	// Applications with credentials: the candidates to move to managed identities. Their secrets and certificates
	// live on the application object, as they mostly do; the service principal carries a SAML token-signing
	// certificate (a Sign and a Verify key and the password of the private key, sharing one customKeyIdentifier),
	// which signs tokens for others and is no credential of the application's own.
	for _, a := range t.Applications {
		var pw, keys []any
		for _, c := range a.Credentials {
			if c.Type == "certificate" {
				keys = append(keys, map[string]any{
					"customKeyIdentifier": strings.ToUpper(strings.ReplaceAll(guidFor("kid", c.KeyID), "-", ""))[:32],
					"displayName":         c.DisplayName, "endDateTime": c.End.UTC().Format(time.RFC3339),
					"key": nil, "keyId": c.KeyID, "startDateTime": c.Start.UTC().Format(time.RFC3339),
					"type": "AsymmetricX509Cert", "usage": "Verify",
				})
				continue
			}
			hint := ""
			if len(c.KeyID) >= 3 {
				hint = c.KeyID[:3]
			}
			pw = append(pw, map[string]any{
				"customKeyIdentifier": nil, "displayName": c.DisplayName,
				"endDateTime": c.End.UTC().Format(time.RFC3339), "hint": hint, "keyId": c.KeyID,
				"secretText": nil, "startDateTime": c.Start.UTC().Format(time.RFC3339),
			})
		}
		w.appList = append(w.appList, newEntity(guidFor("application", a.ID), "#microsoft.graph.application").
			prop("appId", a.AppID).prop("displayName", a.DisplayName).
			set("id", guidFor("application", a.ID)).set("deletedDateTime", nil).set("appId", a.AppID).
			set("displayName", a.DisplayName).set("signInAudience", "AzureADMyOrg").
			set("passwordCredentials", orEmpty(pw)).set("keyCredentials", orEmpty(keys)).e)
		signing := guidFor("saml-signing", a.ID)
		skid := strings.ToUpper(strings.ReplaceAll(guidFor("saml-kid", a.ID), "-", ""))
		start, end := created.Format(time.RFC3339), created.AddDate(3, 0, 0).Format(time.RFC3339)
		samlKey := func(keyID, usage string) map[string]any {
			return map[string]any{"customKeyIdentifier": skid, "displayName": "CN=Microsoft Azure Federated SSO Certificate",
				"endDateTime": end, "key": nil, "keyId": keyID, "startDateTime": start, "type": "AsymmetricX509Cert", "usage": usage}
		}
		w.addSP(appSP(a.ID, a.AppID, a.DisplayName, w.tenantID, nil,
			[]any{map[string]any{"customKeyIdentifier": skid, "displayName": nil, "endDateTime": end, "hint": nil,
				"keyId": signing, "secretText": nil, "startDateTime": start}},
			[]any{samlKey(signing, "Sign"), samlKey(guidFor("saml-verify", a.ID), "Verify")}))
	}
	// Resource service principals (Microsoft Graph and the like), with the app roles granted in this tenant.
	type res struct {
		id, appID, name string
		roles           []any
		seen            map[string]bool
	}
	var resOrder []string
	resByID := map[string]*res{}
	for _, a := range t.AppRoleAssignments {
		rid := a.ResourceID
		if rid == "" {
			rid = guidFor("resource-sp", a.ResourceAppID)
		}
		r, ok := resByID[data.Key(rid)]
		if !ok {
			r = &res{id: rid, appID: a.ResourceAppID, name: a.ResourceDisplayName, roles: []any{}, seen: map[string]bool{}}
			resByID[data.Key(rid)] = r
			resOrder = append(resOrder, data.Key(rid))
		}
		if a.Permission != "" && !r.seen[data.Key(a.AppRoleID)] {
			r.seen[data.Key(a.AppRoleID)] = true
			r.roles = append(r.roles, map[string]any{
				"allowedMemberTypes": []string{"Application"}, "description": "Allows the app to " + a.Permission + ".",
				"displayName": a.Permission, "id": a.AppRoleID, "isEnabled": true, "origin": "Application",
				"value": a.Permission,
			})
		}
	}
	for _, k := range resOrder {
		r := resByID[k]
		appID := r.appID
		if appID == "" {
			appID = guidFor("app", r.id)
		}
		w.addSP(appSP(r.id, appID, r.name, "f8cdef31-a31e-4b4a-93e4-5f571e91255a", r.roles, []any{}, []any{}))
	}
	// App role assignments, per principal.
	for _, a := range t.AppRoleAssignments {
		rid := a.ResourceID
		if rid == "" {
			rid = guidFor("resource-sp", a.ResourceAppID)
		}
		id := a.ID
		if id == "" {
			id = strings.TrimRight(uuidB64(guidFor("ara", a.PrincipalID+"/"+a.AppRoleID+"/"+rid)), "=")
		}
		w.appRoleAssign[data.Key(a.PrincipalID)] = append(w.appRoleAssign[data.Key(a.PrincipalID)],
			newEntity(id, "#microsoft.graph.appRoleAssignment").
				prop("principalId", a.PrincipalID).prop("resourceId", rid).prop("appRoleId", a.AppRoleID).
				set("id", id).set("deletedDateTime", nil).set("appRoleId", a.AppRoleID).
				set("createdDateTime", created.Format(time.RFC3339Nano)).
				set("principalDisplayName", w.x.PrincipalName(a.PrincipalID)).set("principalId", a.PrincipalID).
				set("principalType", "ServicePrincipal").set("resourceDisplayName", a.ResourceDisplayName).
				set("resourceId", rid).e)
	}
	// Groups: those identities belong to, and those that appear as principals.
	addGroup := func(id, name string, assignable bool) {
		k := data.Key(id)
		if _, dup := w.groups[k]; dup {
			return
		}
		// Graph answers null for groups made before the property existed; null means not role-assignable.
		var ra any = assignable
		if !assignable && guidFor("null", id)[0] < '8' {
			ra = nil
		}
		e := newEntity(id, "#microsoft.graph.group").prop("displayName", name).
			prop("isAssignableToRole", strings.ToLower(jsonString(ra))).
			set("id", id).set("deletedDateTime", nil).set("classification", nil).
			set("createdDateTime", created.Format(time.RFC3339)).set("creationOptions", []string{}).
			set("description", nil).set("displayName", name).set("expirationDateTime", nil).
			set("groupTypes", []string{}).set("isAssignableToRole", ra).set("mail", nil).set("mailEnabled", false).
			set("mailNickname", strings.ReplaceAll(strings.ToLower(data.Clean(name)), " ", "-")).
			set("membershipRule", nil).set("onPremisesSyncEnabled", nil).set("securityEnabled", true).
			set("securityIdentifier", nil).set("visibility", nil).e
		w.groups[k] = e
		w.directory[k] = e
		w.groupList = append(w.groupList, e)
	}
	for _, g := range t.Groups {
		addGroup(g.ID, g.DisplayName, g.RoleAssignable)
	}
	for _, p := range t.Principals {
		if p.NotFound {
			continue // deleted: the directory answers 404, and its role assignments dangle
		}
		switch p.Type {
		case data.PrincipalGroup:
			addGroup(p.ID, p.DisplayName, false)
		case data.PrincipalUser:
			k := data.Key(p.ID)
			nick := strings.ReplaceAll(strings.ToLower(data.Clean(p.DisplayName)), " ", ".")
			e := newEntity(p.ID, "#microsoft.graph.user").prop("displayName", p.DisplayName).
				set("id", p.ID).set("businessPhones", []string{}).set("displayName", p.DisplayName).
				set("givenName", nil).set("jobTitle", nil).set("mail", nil).set("mobilePhone", nil).
				set("officeLocation", nil).set("preferredLanguage", nil).set("surname", nil).
				set("userPrincipalName", nick+"@contoso.onmicrosoft.com").e
			w.users[k] = e
			w.directory[k] = e
		case data.PrincipalServicePrincipal:
			w.addSP(appSP(p.ID, guidFor("app", p.ID), p.DisplayName, w.tenantID, []any{}, []any{}, []any{}))
		default:
			k := data.Key(p.ID)
			w.directory[k] = newEntity(p.ID, "#microsoft.graph.directoryObject").set("id", p.ID).set("deletedDateTime", nil).e
		}
	}
	for _, m := range t.Memberships {
		if _, ok := w.groups[data.Key(m.GroupID)]; !ok {
			addGroup(m.GroupID, m.GroupID, false)
		}
	}
	sort.Slice(w.groupList, func(a, b int) bool { return w.groupList[a].props["id"] < w.groupList[b].props["id"] })

	// Entra role definitions.
	for _, d := range t.DirectoryRoleDefinitions {
		e := newEntity(d.TemplateID, "#microsoft.graph.unifiedRoleDefinition").
			prop("displayName", d.DisplayName).prop("isBuiltIn", boolString(d.IsBuiltIn)).prop("templateId", d.TemplateID).
			set("id", d.TemplateID).set("description", nil).set("displayName", d.DisplayName).
			set("isBuiltIn", d.IsBuiltIn).set("isEnabled", true).set("isPrivileged", d.IsPrivileged).
			set("resourceScopes", []string{"/"}).set("templateId", d.TemplateID).set("version", "1").
			set("rolePermissions", []any{map[string]any{"allowedResourceActions": []string{}, "condition": nil}}).
			set("inheritsPermissionsFrom", []any{}).e
		w.roleDefs = append(w.roleDefs, e)
		w.roleDefByID[data.Key(d.TemplateID)] = e
	}
	// Entra role assignments, active and eligible; activated directory roles for the active tenant-wide ones.
	roleHolders := map[string][]string{} // Key(template) -> principal ids (active, "/")
	for _, a := range t.DirectoryRoleAssignments {
		scope := a.DirectoryScopeID
		if scope == "" {
			scope = "/"
		}
		id := a.ID
		if a.State == data.Eligible {
			if id == "" {
				id = guidFor("elig", a.PrincipalID+a.RoleTemplateID+scope)
			}
			sched := newEntity(id, "#microsoft.graph.unifiedRoleEligibilitySchedule").
				prop("principalId", a.PrincipalID).prop("roleDefinitionId", a.RoleTemplateID).prop("directoryScopeId", scope).
				set("id", id).set("principalId", a.PrincipalID).set("roleDefinitionId", a.RoleTemplateID).
				set("directoryScopeId", scope).set("appScopeId", nil).set("createdUsing", id).
				set("createdDateTime", created.Format(time.RFC3339Nano)).set("modifiedDateTime", nil).
				set("status", "Provisioned").set("memberType", "Direct").
				set("scheduleInfo", map[string]any{"startDateTime": created.Format(time.RFC3339Nano), "recurrence": nil,
					"expiration": map[string]any{"type": "noExpiration", "endDateTime": nil, "duration": nil}}).e
			w.eligSchedules = append(w.eligSchedules, sched)
			inst := newEntity(id, "#microsoft.graph.unifiedRoleEligibilityScheduleInstance").
				prop("principalId", a.PrincipalID).prop("roleDefinitionId", a.RoleTemplateID).prop("directoryScopeId", scope).
				set("id", id).set("principalId", a.PrincipalID).set("roleDefinitionId", a.RoleTemplateID).
				set("directoryScopeId", scope).set("appScopeId", nil).
				set("startDateTime", created.Format(time.RFC3339Nano)).set("endDateTime", nil).
				set("memberType", "Direct").set("roleEligibilityScheduleId", id).e
			w.eligInstances = append(w.eligInstances, inst)
			continue
		}
		if id == "" {
			id = strings.TrimRight(uuidB64(guidFor("dra", a.PrincipalID+a.RoleTemplateID+scope)), "=") + "-1"
		}
		w.roleAssign = append(w.roleAssign, newEntity(id, "#microsoft.graph.unifiedRoleAssignment").
			prop("principalId", a.PrincipalID).prop("roleDefinitionId", a.RoleTemplateID).prop("directoryScopeId", scope).
			set("id", id).set("principalId", a.PrincipalID).set("resourceScope", scope).
			set("directoryScopeId", scope).set("roleDefinitionId", a.RoleTemplateID).e)
		if scope == "/" {
			roleHolders[data.Key(a.RoleTemplateID)] = append(roleHolders[data.Key(a.RoleTemplateID)], a.PrincipalID)
		}
	}
	var templates []string
	for k := range roleHolders {
		templates = append(templates, k)
	}
	sort.Strings(templates)
	for _, tpl := range templates {
		name := w.x.DirectoryRoleName(tpl)
		oid := guidFor("directoryRole", tpl)
		e := newEntity(oid, "#microsoft.graph.directoryRole").prop("roleTemplateId", tpl).prop("displayName", name).
			set("id", oid).set("deletedDateTime", nil).set("description", nil).set("displayName", name).
			set("roleTemplateId", tpl).e
		w.dirRoles[tpl] = e
		w.dirRoles[oid] = e
		w.directory[oid] = e
		w.dirRoleList = append(w.dirRoleList, e)
	}
	// memberOf and transitiveMemberOf of each identity: groups, then the directory roles held directly or
	// through a group.
	groupsOf := map[string][]data.Membership{}
	for _, m := range t.Memberships {
		groupsOf[data.Key(m.IdentityID)] = append(groupsOf[data.Key(m.IdentityID)], m)
		w.groupsOf[data.Key(m.IdentityID)] = append(w.groupsOf[data.Key(m.IdentityID)], m.GroupID)
	}
	holds := map[string]map[string]bool{} // Key(principal) -> set of template keys
	for tpl, ps := range roleHolders {
		for _, p := range ps {
			if holds[data.Key(p)] == nil {
				holds[data.Key(p)] = map[string]bool{}
			}
			holds[data.Key(p)][tpl] = true
		}
	}
	for i := range t.Identities {
		k := data.Key(t.Identities[i].ID)
		var direct, all []*entity
		directRoles, allRoles := map[string]bool{}, map[string]bool{}
		for tpl := range holds[k] {
			directRoles[tpl], allRoles[tpl] = true, true
		}
		for _, m := range groupsOf[k] {
			g := w.groups[data.Key(m.GroupID)]
			all = append(all, g)
			if !m.Transitive {
				direct = append(direct, g)
			}
			for tpl := range holds[data.Key(m.GroupID)] {
				allRoles[tpl] = true
			}
		}
		for _, tpl := range templates {
			if directRoles[tpl] {
				direct = append(direct, w.dirRoles[tpl])
			}
			if allRoles[tpl] {
				all = append(all, w.dirRoles[tpl])
			}
		}
		if len(all) > 0 {
			w.memberOf[k], w.transitive[k] = direct, all
		}
	}
	w.buildGroupParents(groupsOf, holds, templates)
	w.buildOwned()
}

// buildOwned lists what each owner owns as ownedObjects answers it: the directory's own object where the tenant has
// it (a group, a service principal, an application found by its appId), otherwise a plain one of the owned type.
func (w *world) buildOwned() {
	for _, o := range w.t.Ownerships {
		k := data.Key(o.ObjectID)
		var e *entity
		switch o.ObjectType {
		case data.OwnedGroup:
			e = w.groups[k]
		case data.OwnedServicePrincipal:
			e = w.sps[k]
		case data.OwnedApplication:
			for _, a := range w.appList {
				if data.SameID(a.props["id"], o.ObjectID) {
					e = a
				}
			}
		}
		if e == nil {
			b := newEntity(o.ObjectID, "#microsoft.graph."+string(o.ObjectType)).prop("displayName", o.DisplayName).
				set("id", o.ObjectID).set("deletedDateTime", nil)
			if o.ObjectType != data.OwnedGroup {
				b = b.prop("appId", o.AppID).set("appId", o.AppID)
			}
			e = b.set("displayName", o.DisplayName).e
		}
		w.owned[data.Key(o.OwnerID)] = append(w.owned[data.Key(o.OwnerID)], e)
	}
}

// buildGroupParents derives group nesting from the identities' memberships: group T contains group G when every
// identity in G is also in T, and only transitively. That is the nesting a reader reconstructs from Graph (a group
// reached through another of the identity's groups is a transitive membership), so the tenant reads back the same.
func (w *world) buildGroupParents(groupsOf map[string][]data.Membership, holds map[string]map[string]bool, templates []string) {
	cand := map[string]map[string]bool{} // Key(G) -> candidate parents
	for _, ms := range groupsOf {
		trans := map[string]bool{}
		for _, m := range ms {
			if m.Transitive {
				trans[data.Key(m.GroupID)] = true
			}
		}
		for _, m := range ms {
			g := data.Key(m.GroupID)
			c, seen := cand[g]
			if !seen {
				c = map[string]bool{}
				for t := range trans {
					if t != g {
						c[t] = true
					}
				}
				cand[g] = c
				continue
			}
			for t := range c {
				if !trans[t] {
					delete(c, t)
				}
			}
		}
	}
	for _, ge := range w.groupList {
		g := data.Key(ge.id)
		parents := cand[g]
		var all, direct []*entity
		for _, pe := range w.groupList { // group order keeps answers stable
			p := data.Key(pe.id)
			if !parents[p] {
				continue
			}
			all = append(all, pe)
			through := false
			for q := range parents {
				if q != p && cand[q][p] {
					through = true
					break
				}
			}
			if !through {
				direct = append(direct, pe)
			}
		}
		for _, tpl := range templates {
			if holds[g][tpl] {
				all = append(all, w.dirRoles[tpl])
				direct = append(direct, w.dirRoles[tpl])
			}
		}
		if len(all) > 0 {
			w.groupMemberOf[g], w.groupTransitive[g] = direct, all
		}
	}
}

// appSP builds an application service principal.
func appSP(id, appID, name, owner string, roles, pw, keys []any) *entity {
	if roles == nil {
		roles = []any{}
	}
	return newEntity(id, "#microsoft.graph.servicePrincipal").
		prop("appId", appID).prop("servicePrincipalType", "Application").prop("displayName", name).
		set("id", id).set("deletedDateTime", nil).set("accountEnabled", true).set("alternativeNames", []string{}).
		set("appDisplayName", name).set("appDescription", nil).set("appId", appID).
		set("applicationTemplateId", nil).set("appOwnerOrganizationId", owner).
		set("appRoleAssignmentRequired", false).set("displayName", name).
		set("servicePrincipalType", "Application").set("servicePrincipalNames", []string{appID}).
		set("signInAudience", "AzureADMyOrg").set("tags", []string{}).set("appRoles", roles).
		set("oauth2PermissionScopes", []any{}).set("passwordCredentials", pw).set("keyCredentials", keys).e
}

func orEmpty(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// uuidB64 gives the opaque look of Graph assignment ids.
func uuidB64(g string) string {
	u := uuid.MustParse(g)
	return b64url(u[:])
}

func (w *world) buildARM() {
	t := w.t
	w.subs = t.Subscriptions
	for i := range w.subs {
		w.subByID[data.Key(w.subs[i].ID)] = &w.subs[i]
	}
	w.mgs = t.ManagementGroups
	for i := range w.mgs {
		mg := &w.mgs[i]
		w.mgByName[data.Key(mg.Name)] = mg
		if mg.ParentID == "" && w.rootMG == "" {
			w.rootMG = mg.Name
		}
	}
	if w.rootMG == "" && len(w.mgs) > 0 {
		w.rootMG = w.tenantID
	}
	for i := range t.Identities {
		if id := &t.Identities[i]; id.Kind == data.UserAssigned && id.ResourceID != "" {
			w.uamiByKey[data.Key(id.ResourceID)] = id
		}
	}
	seen := map[string]bool{}
	for _, r := range t.Resources {
		k := data.Key(r.ID)
		if seen[k] {
			continue
		}
		seen[k] = true
		ar := armResource{id: r.ID, key: k, name: r.Name, typ: r.Type, location: r.Location,
			sub: data.SubscriptionOf(r.ID), rg: data.ResourceGroupOf(r.ID)}
		if ar.name == "" {
			ar.name = data.ResourceName(r.ID)
		}
		if ar.typ == "" {
			ar.typ = data.ResourceType(r.ID)
		}
		if ar.location == "" {
			ar.location = "westeurope"
		}
		ar.identity = w.identityBlock(r)
		w.resources = append(w.resources, ar)
	}
	for i := range t.Identities {
		id := &t.Identities[i]
		if id.Kind != data.UserAssigned || id.ResourceID == "" {
			continue
		}
		sub := data.SubscriptionOf(id.ResourceID)
		w.uamiBySub[sub] = append(w.uamiBySub[sub], id)
		if !seen[data.Key(id.ResourceID)] {
			seen[data.Key(id.ResourceID)] = true
			w.resources = append(w.resources, armResource{id: id.ResourceID, key: data.Key(id.ResourceID), name: data.ResourceName(id.ResourceID),
				typ: "Microsoft.ManagedIdentity/userAssignedIdentities", location: "westeurope", sub: sub,
				rg: data.ResourceGroupOf(id.ResourceID)})
		}
	}
	sort.SliceStable(w.resources, func(a, b int) bool { return w.resources[a].key < w.resources[b].key })
	for i := range w.resources {
		w.resByKey[w.resources[i].key] = &w.resources[i]
	}
	for _, a := range t.RoleAssignments {
		if sub := data.SubscriptionOf(a.Scope); sub != "" {
			w.raBySub[sub] = append(w.raBySub[sub], a)
		}
	}
	for _, f := range t.FederatedCredentials {
		w.ficByIdent[data.Key(f.IdentityID)] = append(w.ficByIdent[data.Key(f.IdentityID)], f)
	}
	w.roleDefsARM = t.RoleDefinitions
	for i := range w.roleDefsARM {
		w.roleDefARM[data.Key(data.LastSegment(w.roleDefsARM[i].ID))] = &w.roleDefsARM[i]
	}
}

// identityBlock is the identity property of a resource, as ARM shows it.
func (w *world) identityBlock(r data.Resource) map[string]any {
	sa, ua := r.SystemAssignedPrincipalID != "", len(r.UserAssignedIdentityIDs) > 0
	if !sa && !ua {
		return nil
	}
	b := map[string]any{}
	switch {
	case sa && ua:
		b["type"] = "SystemAssigned, UserAssigned"
	case sa:
		b["type"] = "SystemAssigned"
	default:
		b["type"] = "UserAssigned"
	}
	if sa {
		b["principalId"] = r.SystemAssignedPrincipalID
		b["tenantId"] = w.tenantID
	}
	if ua {
		m := map[string]any{}
		for _, id := range r.UserAssignedIdentityIDs {
			v := map[string]any{}
			if i, ok := w.uamiLookup(id); ok {
				v["principalId"], v["clientId"] = i.ID, i.AppID
			}
			m[id] = v
		}
		b["userAssignedIdentities"] = m
	}
	return b
}

// uamiLookup finds a user-assigned identity by its resource id.
func (w *world) uamiLookup(resourceID string) (*data.Identity, bool) {
	i, ok := w.uamiByKey[data.Key(resourceID)]
	return i, ok
}

// plainJSON reports whether s can be quoted as JSON without escaping (most ids and names can).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
