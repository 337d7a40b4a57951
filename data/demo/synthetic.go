package demo

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"strings"

	"github.com/miscope/miscope/data"
)

// Synthetic generates a tenant of n managed identities with a realistic mix, the same for the same (n, seed): about
// 60% system-assigned on VMs, App Service, Functions, Logic Apps, Container Apps, AKS node pools and so on; n/500+3
// subscriptions under a management group hierarchy; about ten Azure role assignments per identity, most of them held
// by people and groups rather than identities; group memberships; Graph permissions, directory roles and broad Azure
// roles at the low rates seen in real tenants; federated credentials; orphaned, shared and stale identities; and
// application service principals with secrets.
//
// It is built for scale tests (50,000 identities and 500,000 role assignments in well under two seconds) and keeps
// memory low: ids and names are carved out of shared string blocks, scopes are shared between assignments, and
// role assignment ids are left empty (ARM names them by GUID; nothing in miscope reads them).
func Synthetic(n int, seed int64) *data.Tenant {
	t, _ := SyntheticContext(context.Background(), n, seed)
	return t
}

// SyntheticContext is Synthetic that stops, returning ctx's error, as soon as ctx ends: a large tenant takes a while.
func SyntheticContext(ctx context.Context, n int, seed int64) (*data.Tenant, error) {
	if n < 0 {
		n = 0
	}
	g := newSynth(n, seed)
	g.ctx = ctx
	for _, step := range []func(){g.hierarchy, g.identities, g.groupsAndPrincipals, g.roleAssignments, g.applications,
		g.ownerships, g.usage} {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		step()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return g.t, nil
}

// ownerships makes a few identities owners of a group or an application, as automation that created them through
// Graph is. Chosen by position, not by the random source, so the rest of the tenant is the same with or without them.
func (g *synth) ownerships() {
	t := g.t
	for i := synthOwnerEvery / 2; i < len(t.Identities); i += synthOwnerEvery {
		k := i / synthOwnerEvery
		o := data.Ownership{OwnerID: t.Identities[i].ID}
		if len(t.Applications) > 0 && k%3 == 2 {
			a := &t.Applications[k%len(t.Applications)]
			o.ObjectID, o.ObjectType, o.AppID, o.DisplayName = g.guid(), data.OwnedApplication, a.AppID, a.DisplayName
			o.ServicePrincipalID = a.ID
		} else if len(g.groupIDs) > 0 {
			grp := &t.Groups[k%len(t.Groups)]
			o.ObjectID, o.ObjectType, o.DisplayName = grp.ID, data.OwnedGroup, grp.DisplayName
		} else {
			continue
		}
		t.Ownerships = append(t.Ownerships, o)
	}
}

// Mix of the synthetic tenant, per identity unless said otherwise.
const (
	synthSystemAssigned   = 0.60
	synthStale            = 0.005 // of system-assigned: the resource is gone
	synthOrphaned         = 0.04  // of user-assigned: attached to nothing
	synthShared           = 0.015 // of user-assigned: attached to many resources, across subscriptions
	synthFederated        = 0.25  // of user-assigned: has federated credentials
	synthGraphPermissions = 0.15
	synthDirectoryRole    = 0.003
	synthEligibleRole     = 0.001
	synthGroupMember      = 0.30
	synthOwnerEvery       = 250 // one identity in so many owns a group or an application
	synthRolesPerIdentity = 10  // Azure role assignments in the tenant per identity, all principals together
	synthDirectPerIdent   = 4   // of those, held by the identity itself (on average)
)

// Where system-assigned identities live, weighted as seen in tenants: compute first.
type synthHost struct {
	typ, prefix string
	weight      int
}

func (h synthHost) w() int { return h.weight }

var synthHosts = []synthHost{
	{"Microsoft.Compute/virtualMachines", "vm", 30},
	{"Microsoft.Web/sites", "app", 22},
	{"Microsoft.Web/sites", "func", 15},
	{"Microsoft.Logic/workflows", "logic", 9},
	{"Microsoft.App/containerApps", "ca", 7},
	{"Microsoft.DataFactory/factories", "adf", 5},
	{"Microsoft.Sql/servers", "sql", 4},
	{"Microsoft.Automation/automationAccounts", "aa", 3},
	{"Microsoft.ContainerService/managedClusters", "aks", 2},
	{"Microsoft.Compute/virtualMachineScaleSets", "vmss", 3},
}

var (
	synthApps = []string{"lims", "mes", "portal", "crm", "erp", "hr", "billing", "analytics", "etl", "search", "catalog",
		"orders", "payments", "inventory", "notify", "reporting", "gateway", "auth", "ml", "docs", "trials", "pharmacovig",
		"supply", "quality", "labeling", "regulatory", "finance", "warehouse", "iot", "backup"}
	synthEnvs      = []string{"prod", "prod", "prod", "test", "dev", "uat"}
	synthLocations = []string{"westeurope", "northeurope", "eastus2", "swedencentral", "uksouth"}
	synthFirst     = []string{"Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn",
		"Noor", "Mei", "Lars", "Ines", "Tomas", "Amara", "Kenji", "Sofia", "Omar", "Freya"}
	synthLast = []string{"Schmidt", "Okafor", "Nakamura", "Garcia", "Johansson", "Dubois", "Rossi", "Kowalski", "Singh",
		"Murphy", "Novak", "Silva", "Haddad", "Larsen", "Chen", "Moreau", "Fischer", "Costa", "Brennan", "Ivanova"}
)

type weightedRole struct {
	id     string
	weight int
}

func (r weightedRole) w() int { return r.weight }

// Roles held by people and groups, weighted: mostly read and scoped write, a few that run code or grant access.
var synthPeopleRoles = []weightedRole{
	{roleReader, 40}, {roleContributor, 18}, {roleWebsiteContributor, 8}, {roleVMContributor, 5},
	{roleKeyVaultSecretsUser, 6}, {roleStorageBlobDataReader, 6}, {roleStorageBlobDataContributor, 5},
	{roleVMAdminLogin, 3}, {roleLogicAppContributor, 2}, {roleOwner, 2}, {roleUserAccessAdministrator, 1},
	{roleManagedIdentityOperator, 1}, {roleAutomationContributor, 1}, {roleKeyVaultAdministrator, 1},
	{roleManagedIdentityContributor, 1},
}

// Roles identities hold on data and their own resource group: narrow, as most are.
var synthIdentityRoles = []weightedRole{
	{roleKeyVaultSecretsUser, 25}, {roleStorageBlobDataReader, 20}, {roleStorageBlobDataContributor, 15},
	{roleReader, 12}, {roleAcrPull, 8}, {roleStorageQueueDataContributor, 6}, {roleServiceBusDataSender, 6},
	{roleMonitoringMetricsPublisher, 5}, {roleContributor, 2}, {roleKeyVaultCryptoEncryption, 1},
}

var (
	synthReadPermissions = []graphPermission{permUserReadAll, permGroupReadAll, permDirectoryReadAll,
		permAuditLogReadAll, permApplicationReadAll}
	synthHighPermissions  = []graphPermission{permMailRead, permSitesReadAll, permFilesReadAll, permMailSend}
	synthTier0Permissions = []graphPermission{permRoleManagementRW, permAppRoleAssignmentRW, permApplicationRW,
		permDirectoryRW, permGroupMemberRW, permUserRW, permApplicationRWOwnedBy}
	synthPrivilegedDirRoles = []string{dirGlobalAdministrator, dirPrivilegedRoleAdministrator,
		dirApplicationAdministrator, dirCloudApplicationAdmin, dirUserAdministrator, dirGroupsAdministrator,
		dirIntuneAdministrator, dirExchangeAdministrator, dirSecurityAdministrator}
	synthReaderDirRoles = []string{dirGlobalReader, dirDirectoryReaders, dirSecurityReader, dirReportsReader}
)

// synth holds the generator's state. Strings come from a shared arena so that a tenant of 50,000 identities costs a
// few thousand allocations for its text rather than millions.
type synth struct {
	ctx   context.Context
	polls int
	t     *data.Tenant
	n     int
	rng   *rand.Rand
	pcg   *rand.PCG
	str   arena
	ids   string // block of pre-formatted GUIDs, handed out 36 bytes at a time

	graph graphResource
	mgs   []string // management group ARM ids that subscriptions hang from
	subs  []synthSub
	rgs   []synthRG
	// hostIdx lists resources that can host code (the system-assigned hosts and extra compute), by index.
	hostIdx    []int
	groupIDs   []string
	users      []string
	peopleGrps []string
	appSPs     []string
}

type synthSub struct {
	id, scope string
	rgs       []int // indexes into synth.rgs
}

type synthRG struct {
	id             string // ARM id, with "resourceGroups"
	sub            int    // index into synth.subs
	name           string
	vault, storage string // data resources every resource group has
	registry       string // only some resource groups have one
}

func newSynth(n int, seed int64) *synth {
	pcg := rand.NewPCG(uint64(seed), 0x6d6973636f7065) // "miscope"
	g := &synth{n: n, pcg: pcg, rng: rand.New(pcg)}
	tenantID := g.guid()
	g.t = &data.Tenant{
		ID:          tenantID,
		DisplayName: "Synthetic Pharma",
		Cloud:       "AzureCloud",
		CollectedAt: collectedAt,
		Identities:  make([]data.Identity, 0, n),
		// System-assigned hosts, user-assigned identity resources, what those attach to, and data resources.
		Resources:                make([]data.Resource, 0, n+n/2+n/4+16),
		RoleAssignments:          make([]data.RoleAssignment, 0, n*synthRolesPerIdentity+n/10+16),
		RoleDefinitions:          append(append([]data.RoleDefinition(nil), builtinRoles...), customRoles...),
		DirectoryRoleDefinitions: append([]data.DirectoryRoleDefinition(nil), directoryRoles...),
	}
	g.graph = graphResource{data.MicrosoftGraphAppID, g.guid(), "Microsoft Graph"}
	return g
}

// guid returns the next random GUID (version 4 form) from the seeded generator.
func (g *synth) guid() string {
	if len(g.ids) < 36 {
		const batch = 1024
		buf := make([]byte, 0, 36*batch)
		var raw [16]byte
		for range batch {
			binary.LittleEndian.PutUint64(raw[:8], g.pcg.Uint64())
			binary.LittleEndian.PutUint64(raw[8:], g.pcg.Uint64())
			raw[6] = raw[6]&0x0f | 0x40
			raw[8] = raw[8]&0x3f | 0x80
			buf = appendGUID(buf, raw[:])
		}
		g.ids = string(buf)
	}
	s := g.ids[:36]
	g.ids = g.ids[36:]
	return s
}

// stopped says, every thousand calls, whether the context has ended; the long loops then stop early.
func (g *synth) stopped() bool {
	g.polls++
	return g.polls%1024 == 0 && g.ctx != nil && g.ctx.Err() != nil
}

func (g *synth) chance(p float64) bool { return g.rng.Float64() < p }

func pick[T any](g *synth, xs []T) T { return xs[g.rng.IntN(len(xs))] }

func weighted[T interface{ w() int }](g *synth, xs []T) T {
	total := 0
	for _, x := range xs {
		total += x.w()
	}
	r := g.rng.IntN(total)
	for _, x := range xs {
		if r -= x.w(); r < 0 {
			return x
		}
	}
	return xs[len(xs)-1]
}

// hierarchy creates the management groups, subscriptions and resource groups.
func (g *synth) hierarchy() {
	t := g.t
	rootID := managementGroupID(t.ID)
	t.ManagementGroups = []data.ManagementGroup{
		{ID: rootID, Name: t.ID, DisplayName: "Tenant Root Group"},
		{ID: managementGroupID("synthetic"), Name: "synthetic", DisplayName: "Synthetic Pharma", ParentID: rootID},
		{ID: managementGroupID("synthetic-platform"), Name: "synthetic-platform", DisplayName: "Platform",
			ParentID: managementGroupID("synthetic")},
		{ID: managementGroupID("synthetic-landing-zones"), Name: "synthetic-landing-zones", DisplayName: "Landing Zones",
			ParentID: managementGroupID("synthetic")},
		{ID: managementGroupID("synthetic-corp"), Name: "synthetic-corp", DisplayName: "Corp",
			ParentID: managementGroupID("synthetic-landing-zones")},
		{ID: managementGroupID("synthetic-online"), Name: "synthetic-online", DisplayName: "Online",
			ParentID: managementGroupID("synthetic-landing-zones")},
		{ID: managementGroupID("synthetic-sandbox"), Name: "synthetic-sandbox", DisplayName: "Sandbox",
			ParentID: managementGroupID("synthetic")},
	}
	for _, mg := range t.ManagementGroups[1:] {
		g.mgs = append(g.mgs, mg.ID)
	}

	nSubs := g.n/500 + 3
	perSub := max(1, g.n/nSubs)
	rgsPerSub := max(3, perSub/15)
	t.Subscriptions = make([]data.Subscription, 0, nSubs)
	g.subs = make([]synthSub, 0, nSubs)
	g.rgs = make([]synthRG, 0, nSubs*rgsPerSub)
	for s := range nSubs {
		var mg, label string
		switch {
		case s == 0:
			mg, label = managementGroupID("synthetic-platform"), "platform"
		case s%7 == 6:
			mg, label = managementGroupID("synthetic-sandbox"), "sandbox"
		case s%3 == 2:
			mg, label = managementGroupID("synthetic-online"), "online"
		default:
			mg, label = managementGroupID("synthetic-corp"), "corp"
		}
		id := g.guid()
		g.str.begin()
		g.str.w("Synthetic ")
		g.str.w(label)
		g.str.w(" ")
		g.str.num(s+1, 3)
		t.Subscriptions = append(t.Subscriptions, data.Subscription{ID: id, DisplayName: g.str.end(), State: "Enabled",
			ManagementGroupID: mg})
		sub := synthSub{id: id, scope: g.str.join("/subscriptions/", id)}
		for r := range rgsPerSub {
			app, env := pick(g, synthApps), pick(g, synthEnvs)
			g.str.begin()
			g.str.w("rg-")
			g.str.w(app)
			g.str.w("-")
			g.str.w(env)
			g.str.w("-")
			g.str.num(r+1, 3)
			name := g.str.end()
			rgID := g.str.join(sub.scope, "/resourceGroups/", name)
			loc := pick(g, synthLocations)
			rgv := synthRG{id: rgID, sub: s, name: name}
			rgv.vault = g.resource(rgID, "Microsoft.KeyVault/vaults", "kv", app, env, len(g.rgs), loc)
			rgv.storage = g.resource(rgID, "Microsoft.Storage/storageAccounts", "st", app, env, len(g.rgs), loc)
			if g.chance(0.2) {
				rgv.registry = g.resource(rgID, "Microsoft.ContainerRegistry/registries", "acr", app, env, len(g.rgs), loc)
			}
			sub.rgs = append(sub.rgs, len(g.rgs))
			g.rgs = append(g.rgs, rgv)
		}
		g.subs = append(g.subs, sub)
	}
}

// resource adds a resource named <prefix>-<app>-<env>-<k> (storage and registry names have no dashes, as Azure
// requires) and returns its ARM id.
func (g *synth) resource(rgID, typ, prefix, app, env string, k int, location string) string {
	id, name := g.resourceID(rgID, typ, prefix, app, env, k)
	g.t.Resources = append(g.t.Resources, data.Resource{ID: id, Name: name, Type: typ, Location: location})
	return id
}

func (g *synth) resourceID(rgID, typ, prefix, app, env string, k int) (id, name string) {
	sep := "-"
	if prefix == "st" || prefix == "acr" {
		sep = ""
	}
	g.str.begin()
	g.str.w(rgID)
	g.str.w("/providers/")
	g.str.w(typ)
	g.str.w("/")
	nameStart := g.str.len()
	g.str.w(prefix)
	g.str.w(sep)
	g.str.w(app)
	g.str.w(sep)
	g.str.w(env)
	g.str.w(sep)
	g.str.num(k, 5)
	nameLen := g.str.len() - nameStart
	id = g.str.end()
	return id, id[len(id)-nameLen:]
}

// entraForm writes id the way alternativeNames do, with "resourcegroups" in lower case.
func (g *synth) entraForm(id string) string {
	i := strings.Index(id, "/resourceGroups/")
	if i < 0 {
		return id
	}
	return g.str.join(id[:i], "/resourcegroups/", id[i+len("/resourceGroups/"):])
}

func (g *synth) identities() {
	t := g.t
	alt := make([]string, 2*g.n) // every identity's alternativeNames, carved from one block
	for i := range g.n {
		if g.stopped() {
			return
		}
		rgv := &g.rgs[g.rng.IntN(len(g.rgs))]
		app := rgv.name[3 : strings.IndexByte(rgv.name[3:], '-')+3]
		env := pick(g, synthEnvs)
		loc := pick(g, synthLocations)
		names := alt[2*i : 2*i+2 : 2*i+2]
		ident := data.Identity{ID: g.guid(), AppID: g.guid(), AlternativeNames: names}
		if g.chance(synthSystemAssigned) {
			h := weighted(g, synthHosts)
			id, name := g.resourceID(rgv.id, h.typ, h.prefix, app, env, i)
			ident.Kind, ident.DisplayName = data.SystemAssigned, name
			ident.ResourceID = g.entraForm(id)
			names[0], names[1] = "isExplicit=False", ident.ResourceID
			if !g.chance(synthStale) {
				g.hostIdx = append(g.hostIdx, len(t.Resources))
				t.Resources = append(t.Resources, data.Resource{ID: id, Name: name, Type: h.typ, Location: loc,
					SystemAssignedPrincipalID: ident.ID})
			}
		} else {
			id := g.resource(rgv.id, "Microsoft.ManagedIdentity/userAssignedIdentities", "id", app, env, i, loc)
			ident.Kind, ident.DisplayName = data.UserAssigned, t.Resources[len(t.Resources)-1].Name
			ident.ResourceID = g.entraForm(id)
			names[0], names[1] = "isExplicit=True", ident.ResourceID
			g.attachUserAssigned(id, rgv, app, env, i, loc)
			if g.chance(synthFederated) {
				g.federatedCredentials(ident.ID, app, i)
			}
		}
		t.Identities = append(t.Identities, ident)
		g.identityRoles(ident.ID, rgv)
		g.entraAccess(ident.ID)
	}
}

// attachUserAssigned attaches a new user-assigned identity: usually to a compute resource of its own resource group,
// sometimes to an existing host, rarely to nothing or to many resources across subscriptions.
func (g *synth) attachUserAssigned(uaID string, rgv *synthRG, app, env string, k int, loc string) {
	t := g.t
	switch {
	case g.chance(synthOrphaned):
		return
	case g.chance(synthShared) && len(g.hostIdx) > 8:
		for range 5 + g.rng.IntN(6) {
			g.attachTo(&t.Resources[g.hostIdx[g.rng.IntN(len(g.hostIdx))]], uaID)
		}
	case g.chance(0.5) && len(g.hostIdx) > 0:
		g.attachTo(&t.Resources[g.hostIdx[g.rng.IntN(len(g.hostIdx))]], uaID)
	default:
		h := pick(g, synthHosts[:5])
		g.hostIdx = append(g.hostIdx, len(t.Resources))
		g.resource(rgv.id, h.typ, h.prefix, app, env, k, loc)
		r := &t.Resources[len(t.Resources)-1]
		r.UserAssignedIdentityIDs = []string{uaID}
	}
}

// attachTo attaches a user-assigned identity to a resource once.
func (g *synth) attachTo(r *data.Resource, uaID string) {
	for _, id := range r.UserAssignedIdentityIDs {
		if id == uaID {
			return
		}
	}
	r.UserAssignedIdentityIDs = append(r.UserAssignedIdentityIDs, uaID)
}

func (g *synth) federatedCredentials(identityID, app string, k int) {
	t := g.t
	for range 1 + g.rng.IntN(2) {
		f := data.FederatedCredential{IdentityID: identityID, Issuer: issuerGitHub, Audiences: tokenAudiences}
		repo := g.str.join("repo:synthetic-pharma/", app, "-service")
		switch r := g.rng.Float64(); {
		case r < 0.70:
			f.Name, f.Subject = "github-production", g.str.join(repo, ":environment:production")
		case r < 0.90:
			f.Name = "aks-workload"
			f.Issuer = g.str.join("https://westeurope.oic.prod-aks.azure.com/", t.ID, "/", g.guid(), "/")
			f.Subject = g.str.join("system:serviceaccount:", app, ":", app, "-api")
		case r < 0.95:
			f.Name, f.Subject = "github-main", g.str.join(repo, ":ref:refs/heads/main")
		case r < 0.98:
			f.Name, f.Subject = "github-pull-requests", g.str.join(repo, ":pull_request")
		case r < 0.99:
			f.Name, f.Issuer, f.Subject = "partner", "https://idp.partner.example/oidc", app
		default:
			f.Name, f.ClaimsMatchingExpression = "github-any-branch",
				g.str.join("claims['sub'] matches '", repo, ":ref:refs/heads/*'")
		}
		if len(t.FederatedCredentials) > 0 && t.FederatedCredentials[len(t.FederatedCredentials)-1].IdentityID == identityID &&
			t.FederatedCredentials[len(t.FederatedCredentials)-1].Name == f.Name {
			continue // names are unique per identity
		}
		t.FederatedCredentials = append(t.FederatedCredentials, f)
	}
}

// tokenAudiences is shared by every synthetic federated credential; nothing mutates it.
var tokenAudiences = []string{tokenExchange}

// identityRoles grants an identity its own Azure roles: narrow data roles in its resource group, and rarely a broad
// one.
func (g *synth) identityRoles(id string, rgv *synthRG) {
	t := g.t
	first := len(t.RoleAssignments)
	add := func(role, scope string) {
		for _, a := range t.RoleAssignments[first:] {
			if a.RoleDefinitionID == role && a.Scope == scope {
				return // Azure refuses the same role twice at one scope
			}
		}
		t.RoleAssignments = append(t.RoleAssignments, data.RoleAssignment{PrincipalID: id,
			PrincipalType: data.PrincipalServicePrincipal, RoleDefinitionID: role, Scope: scope})
	}
	for range g.rng.IntN(2*synthDirectPerIdent + 1) {
		target := rgv
		if g.chance(0.2) { // data in another resource group of the tenant
			target = &g.rgs[g.rng.IntN(len(g.rgs))]
		}
		role := weighted(g, synthIdentityRoles).id
		scope := target.id
		switch role {
		case roleKeyVaultSecretsUser, roleKeyVaultCryptoEncryption:
			scope = target.vault
		case roleStorageBlobDataReader, roleStorageBlobDataContributor, roleStorageQueueDataContributor:
			scope = target.storage
		case roleAcrPull:
			if target.registry != "" {
				scope = target.registry
			}
		}
		add(role, scope)
	}
	switch r := g.rng.Float64(); {
	case r < 0.0005:
		add(roleOwner, pick(g, g.mgs))
	case r < 0.0025:
		add(roleOwner, g.subOf(rgv).scope)
	case r < 0.0075:
		add(roleContributor, g.subOf(rgv).scope)
	case r < 0.0085:
		add(roleUserAccessAdministrator, g.subOf(rgv).scope)
	case r < 0.0095:
		add(roleCustomDeploymentOperator, g.subOf(rgv).scope)
	case r < 0.0100:
		add(roleRetired, rgv.id)
	case r < 0.0200:
		add(roleReader, g.subOf(rgv).scope)
	}
}

func (g *synth) subOf(rgv *synthRG) *synthSub { return &g.subs[rgv.sub] }

// entraAccess grants Graph permissions and directory roles at realistic rates.
func (g *synth) entraAccess(id string) {
	t := g.t
	if g.chance(synthGraphPermissions) {
		for range 1 + g.rng.IntN(3) {
			var p graphPermission
			switch r := g.rng.Float64(); {
			case r < 0.86:
				p = pick(g, synthReadPermissions)
			case r < 0.98:
				p = pick(g, synthHighPermissions)
			default:
				p = pick(g, synthTier0Permissions)
			}
			t.AppRoleAssignments = append(t.AppRoleAssignments, data.AppRoleAssignment{PrincipalID: id,
				ResourceAppID: g.graph.appID, ResourceID: g.graph.objectID, ResourceDisplayName: g.graph.displayName,
				AppRoleID: p.appRoleID, Permission: p.value})
		}
	}
	switch r := g.rng.Float64(); {
	case r < synthDirectoryRole:
		g.dirRole(id, pick(g, synthPrivilegedDirRoles), data.Active)
	case r < synthDirectoryRole+synthEligibleRole:
		g.dirRole(id, pick(g, synthPrivilegedDirRoles), data.Eligible)
	case r < synthDirectoryRole+synthEligibleRole+0.004:
		g.dirRole(id, pick(g, synthReaderDirRoles), data.Active)
	}
}

func (g *synth) dirRole(principal, template string, state data.AssignmentState) {
	g.t.DirectoryRoleAssignments = append(g.t.DirectoryRoleAssignments, data.DirectoryRoleAssignment{
		PrincipalID: principal, RoleTemplateID: template, DirectoryScopeID: "/", State: state})
}

// groupsAndPrincipals creates the Entra groups identities belong to, the people and application service principals
// that hold Azure roles, and the memberships.
func (g *synth) groupsAndPrincipals() {
	t := g.t
	nGroups := max(4, g.n/100)
	t.Groups = make([]data.Group, 0, nGroups)
	g.groupIDs = make([]string, 0, nGroups)
	for k := range nGroups {
		app := synthApps[k%len(synthApps)]
		assignable := k%40 == 3 // a few role-assignable groups
		g.str.begin()
		if assignable {
			g.str.w("grp-entra-")
		} else {
			g.str.w("grp-")
		}
		g.str.w(app)
		g.str.w("-identities-")
		g.str.num(k+1, 4)
		id := g.guid()
		t.Groups = append(t.Groups, data.Group{ID: id, DisplayName: g.str.end(), RoleAssignable: assignable})
		g.groupIDs = append(g.groupIDs, id)
		if assignable {
			g.dirRole(id, pick(g, synthPrivilegedDirRoles[2:]), data.Active)
		}
	}
	t.Memberships = make([]data.Membership, 0, int(float64(g.n)*synthGroupMember*1.3)+4)
	for i := range t.Identities {
		if g.stopped() {
			return
		}
		if !g.chance(synthGroupMember) {
			continue
		}
		id := t.Identities[i].ID
		first := g.rng.IntN(nGroups)
		t.Memberships = append(t.Memberships, data.Membership{IdentityID: id, GroupID: g.groupIDs[first]})
		switch r := g.rng.Float64(); {
		case r < 0.15:
			if second := g.rng.IntN(nGroups); second != first {
				t.Memberships = append(t.Memberships, data.Membership{IdentityID: id, GroupID: g.groupIDs[second]})
			}
		case r < 0.22:
			if second := g.rng.IntN(nGroups); second != first {
				t.Memberships = append(t.Memberships, data.Membership{IdentityID: id, GroupID: g.groupIDs[second],
					Transitive: true})
			}
		}
	}

	nUsers := max(3, g.n/25)
	nPeopleGroups := max(2, g.n/250)
	nAppSPs := max(1, g.n/500)
	t.Principals = make([]data.Principal, 0, nUsers+nPeopleGroups+nAppSPs)
	for k := range nUsers {
		g.str.begin()
		g.str.w(synthFirst[k%len(synthFirst)])
		g.str.w(" ")
		g.str.w(synthLast[(k/len(synthFirst))%len(synthLast)])
		if k >= len(synthFirst)*len(synthLast) {
			g.str.w(" ")
			g.str.num(k/(len(synthFirst)*len(synthLast))+1, 1)
		}
		id := g.guid()
		t.Principals = append(t.Principals, data.Principal{ID: id, Type: data.PrincipalUser, DisplayName: g.str.end()})
		g.users = append(g.users, id)
	}
	for k := range nPeopleGroups {
		id := g.guid()
		t.Principals = append(t.Principals, data.Principal{ID: id, Type: data.PrincipalGroup,
			DisplayName: g.appName("sg-", k, "-engineers-")})
		g.peopleGrps = append(g.peopleGrps, id)
	}
	for k := range nAppSPs {
		id := g.guid()
		t.Principals = append(t.Principals, data.Principal{ID: id, Type: data.PrincipalServicePrincipal,
			DisplayName: g.appName("sp-", k, "-deployer-")})
		g.appSPs = append(g.appSPs, id)
	}
}

// appName is the k-th name of a kind of principal that serves one of the synthetic applications, such as
// sg-billing-engineers-003.
func (g *synth) appName(prefix string, k int, middle string) string {
	g.str.begin()
	g.str.w(prefix)
	g.str.w(synthApps[k%len(synthApps)])
	g.str.w(middle)
	g.str.num(k+1, 3)
	return g.str.end()
}

// roleAssignments adds the assignments of groups and of principals that are not identities, up to about ten per
// identity in all.
func (g *synth) roleAssignments() {
	t := g.t
	// Groups of identities hold a few roles each.
	for _, id := range g.groupIDs {
		for range 1 + g.rng.IntN(5) {
			rgv := &g.rgs[g.rng.IntN(len(g.rgs))]
			role, scope := roleReader, rgv.id
			switch r := g.rng.Float64(); {
			case r < 0.02:
				role, scope = roleContributor, g.subOf(rgv).scope
			case r < 0.40:
				role, scope = roleStorageBlobDataReader, rgv.storage
			case r < 0.70:
				role, scope = roleKeyVaultSecretsUser, rgv.vault
			}
			t.RoleAssignments = append(t.RoleAssignments, data.RoleAssignment{PrincipalID: id,
				PrincipalType: data.PrincipalGroup, RoleDefinitionID: role, Scope: scope})
		}
	}
	want := g.n * synthRolesPerIdentity
	for len(t.RoleAssignments) < want {
		if g.stopped() {
			return
		}
		var principal string
		var typ data.PrincipalType
		switch r := g.rng.Float64(); {
		case r < 0.78:
			principal, typ = pick(g, g.users), data.PrincipalUser
		case r < 0.96:
			principal, typ = pick(g, g.peopleGrps), data.PrincipalGroup
		default:
			principal, typ = pick(g, g.appSPs), data.PrincipalServicePrincipal
		}
		role := weighted(g, synthPeopleRoles).id
		rgv := &g.rgs[g.rng.IntN(len(g.rgs))]
		var scope string
		switch r := g.rng.Float64(); {
		case r < 0.005:
			scope = pick(g, g.mgs)
		case r < 0.04:
			scope = g.subOf(rgv).scope
		case r < 0.80:
			scope = rgv.id
		case r < 0.90 && len(g.hostIdx) > 0:
			scope = t.Resources[g.hostIdx[g.rng.IntN(len(g.hostIdx))]].ID
		case r < 0.95:
			scope = rgv.vault
		default:
			scope = rgv.storage
		}
		t.RoleAssignments = append(t.RoleAssignments, data.RoleAssignment{PrincipalID: principal, PrincipalType: typ,
			RoleDefinitionID: role, Scope: scope})
	}
}

// applications adds application service principals that sign in with secrets or certificates.
func (g *synth) applications() {
	t := g.t
	nApps := max(2, g.n/40)
	t.Applications = make([]data.Application, 0, nApps)
	for k := range nApps {
		g.str.begin()
		g.str.w(synthApps[k%len(synthApps)])
		g.str.w(" integration ")
		g.str.num(k+1, 4)
		a := data.Application{ID: g.guid(), AppID: g.guid(), DisplayName: g.str.end()}
		start := collectedAt.AddDate(0, -g.rng.IntN(36), -g.rng.IntN(28))
		c := data.Credential{KeyID: g.guid(), Type: "password", DisplayName: "secret", Start: start}
		switch r := g.rng.Float64(); {
		case r < 0.25:
			c.End = start.AddDate(2+g.rng.IntN(3), 0, 0) // long-lived
		case r < 0.40:
			c.Type, c.DisplayName, c.End = "certificate", "certificate", start.AddDate(1, 0, 0)
		default:
			c.End = start.AddDate(0, 6+g.rng.IntN(7), 0) // may have expired
		}
		a.Credentials = []data.Credential{c}
		if len(g.hostIdx) > 0 && g.chance(0.4) {
			a.Hosts = []string{t.Resources[g.hostIdx[g.rng.IntN(len(g.hostIdx))]].ID}
		}
		t.Applications = append(t.Applications, a)
	}
}

// arena hands out strings carved from large shared blocks, so generating millions of short strings costs a few
// allocations. A strings.Builder never changes bytes it has written, so earlier strings stay valid as it grows; a
// new block is started rather than letting the builder copy a full one.
type arena struct {
	b     strings.Builder
	start int
}

const arenaBlock = 1 << 20

func (a *arena) begin() {
	if a.b.Cap()-a.b.Len() < 512 {
		a.b = strings.Builder{}
		a.b.Grow(arenaBlock)
	}
	a.start = a.b.Len()
}

func (a *arena) w(s string) { a.b.WriteString(s) }

func (a *arena) len() int { return a.b.Len() }

// num writes k in decimal, zero-padded to width.
func (a *arena) num(k, width int) {
	var buf [20]byte
	i := len(buf)
	for k >= 10 || width > 1 {
		i--
		buf[i] = byte('0' + k%10)
		k /= 10
		width--
	}
	i--
	buf[i] = byte('0' + k)
	a.b.Write(buf[i:])
}

func (a *arena) end() string {
	return a.b.String()[a.start:]
}

func (a *arena) join(parts ...string) string {
	a.begin()
	for _, p := range parts {
		a.w(p)
	}
	return a.end()
}

// MemoryFor estimates the memory a run of miscope on a synthetic tenant of n identities needs at its peak: generation,
// join and assessment together. Measured with `report`: 250 MB at 20,000 identities, 680 MB at 100,000; the estimate
// (256 MiB and 6 KiB per identity) stays above both.
func MemoryFor(n int) int64 {
	const (
		base        = 256 << 20
		perIdentity = 6 << 10
	)
	n = min(max(n, 0), 1<<40) // no overflow for absurd sizes
	return base + int64(n)*perIdentity
}
