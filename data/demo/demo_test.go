package demo

import (
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/snapshot"
)

var update = flag.Bool("update", false, "rewrite "+SnapshotFile+" from Build")

// TestEmbeddedSnapshotMatchesBuild keeps the shipped snapshot and the code that describes it from drifting apart.
func TestEmbeddedSnapshotMatchesBuild(t *testing.T) {
	if *update {
		// The embedded bytes were compiled in before this run wrote the file, so check the file itself.
		if err := snapshot.Save(SnapshotFile, Build(), data.OriginDemo); err != nil {
			t.Fatal(err)
		}
		written, origin, err := snapshot.Load(SnapshotFile)
		if err != nil {
			t.Fatal(err)
		}
		if origin != data.OriginDemo || !reflect.DeepEqual(written, Build()) {
			t.Fatalf("%s does not read back as Build()", SnapshotFile)
		}
		return
	}
	got, err := Tenant()
	if err != nil {
		t.Fatal(err)
	}
	want := Build()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s differs from Build(); run `go generate ./data/demo`", SnapshotFile)
	}
	// Tenant hands out a fresh copy, so one caller's edits cannot leak into another's.
	got.Identities[0].DisplayName = "changed"
	again, err := Tenant()
	if err != nil {
		t.Fatal(err)
	}
	if again.Identities[0].DisplayName == "changed" {
		t.Fatal("Tenant() returned shared state")
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	if !reflect.DeepEqual(Build(), Build()) {
		t.Fatal("two Builds differ")
	}
}

// TestDemoCoversEveryCase pins the cases the demo promises its users and the findings engine: if a change to Build
// drops one, this says which.
func TestDemoCoversEveryCase(t *testing.T) {
	tn := Build()
	x := data.NewIndex(tn)

	if n := len(tn.Identities); n < 40 {
		t.Errorf("%d identities, want at least 40", n)
	}
	if n := len(tn.Subscriptions); n < 3 {
		t.Errorf("%d subscriptions, want at least 3", n)
	}
	for _, s := range tn.Subscriptions {
		if x.Level(s.ManagementGroupID) != data.ScopeManagementGroup {
			t.Errorf("subscription %s is not under a management group below the root", s.DisplayName)
		}
		if !x.Covers(managementGroupID(TenantID), "/subscriptions/"+s.ID) {
			t.Errorf("subscription %s is not under the tenant root group", s.DisplayName)
		}
	}

	unique(t, "identity", len(tn.Identities), func(i int) string { return tn.Identities[i].ID })
	unique(t, "app id", len(tn.Identities), func(i int) string { return tn.Identities[i].AppID })
	unique(t, "resource", len(tn.Resources), func(i int) string { return data.Key(tn.Resources[i].ID) })
	unique(t, "role assignment", len(tn.RoleAssignments), func(i int) string { return tn.RoleAssignments[i].ID })
	unique(t, "group", len(tn.Groups), func(i int) string { return tn.Groups[i].ID })

	byName := map[string]data.Identity{}
	types := map[string]bool{}
	for _, i := range tn.Identities {
		byName[i.DisplayName] = i
		kind, rid := data.KindFromAlternativeNames(i.AlternativeNames)
		if kind != i.Kind || rid != i.ResourceID {
			t.Errorf("%s: alternativeNames say %s %s, identity says %s %s", i.DisplayName, kind, rid, i.Kind, i.ResourceID)
		}
		if !strings.Contains(i.ResourceID, "/resourcegroups/") {
			t.Errorf("%s: resource id %s is not in Entra's form", i.DisplayName, i.ResourceID)
		}
		for _, r := range x.Attached(i.ID) {
			types[r.Type] = true
		}
	}
	for _, typ := range []string{"Microsoft.Compute/virtualMachines", "Microsoft.Web/sites", "Microsoft.Logic/workflows",
		"Microsoft.Automation/automationAccounts", "Microsoft.ContainerService/managedClusters",
		"Microsoft.Compute/virtualMachineScaleSets", "Microsoft.DataFactory/factories", "Microsoft.App/containerApps",
		"Microsoft.Sql/servers"} {
		if !types[typ] {
			t.Errorf("no identity attached to a %s", typ)
		}
	}

	// Every principal in an assignment has a name, or is known to be deleted (a dangling assignment, of which there are
	// some of a user and of a service principal), and every definition but one resolves.
	unresolved := 0
	dangling := map[data.PrincipalType]int{}
	for _, a := range tn.RoleAssignments {
		if p, ok := x.Principal(a.PrincipalID); ok && p.NotFound {
			dangling[a.PrincipalType]++
			continue
		}
		if x.PrincipalName(a.PrincipalID) == "" {
			t.Errorf("role assignment %s names an unknown principal %s", a.ID, a.PrincipalID)
		}
		if _, ok := x.RoleDefinition(a.RoleDefinitionID); !ok {
			unresolved++
		}
	}
	if dangling[data.PrincipalUser] == 0 || dangling[data.PrincipalServicePrincipal] == 0 {
		t.Errorf("dangling role assignments by principal type: %v; want some of a user and of a service principal", dangling)
	}
	if unresolved != 1 {
		t.Errorf("%d role assignments with an unresolvable definition, want 1", unresolved)
	}
	var dangerousCustom, harmlessCustom bool
	for _, d := range tn.RoleDefinitions {
		if !d.Custom {
			continue
		}
		writesAuthorization := false
		for _, a := range d.Actions {
			writesAuthorization = writesAuthorization || a == "Microsoft.Authorization/*/write"
		}
		dangerousCustom = dangerousCustom || writesAuthorization
		harmlessCustom = harmlessCustom || !writesAuthorization
	}
	if !dangerousCustom || !harmlessCustom {
		t.Errorf("custom roles: dangerous %v, harmless %v; want both", dangerousCustom, harmlessCustom)
	}

	// Directory roles: privileged directly, through a role-assignable group, and eligible.
	var direct, viaGroup, eligible, globalReader bool
	for _, i := range tn.Identities {
		for _, r := range x.DirectoryRoles(i.ID) {
			def, _ := x.DirectoryRoleDefinition(r.RoleTemplateID)
			switch {
			case r.RoleTemplateID == dirGlobalReader:
				globalReader = true
			case r.State == data.Eligible:
				eligible = true
			case r.Via == data.ViaDirect && def.IsPrivileged:
				direct = true
			case strings.HasPrefix(r.Via, "group:"):
				g, _ := x.Group(strings.TrimPrefix(r.Via, "group:"))
				viaGroup = viaGroup || g.RoleAssignable
			}
		}
	}
	if !direct || !viaGroup || !eligible || !globalReader {
		t.Errorf("directory roles: direct %v, via role-assignable group %v, eligible %v, Global Reader %v",
			direct, viaGroup, eligible, globalReader)
	}

	// Graph permissions, complete as the report needs them.
	perms := map[string]bool{}
	for _, a := range tn.AppRoleAssignments {
		if a.ResourceAppID == "" || a.ResourceDisplayName == "" || a.AppRoleID == "" || a.Permission == "" {
			t.Errorf("incomplete app role assignment %+v", a)
		}
		perms[a.Permission] = true
	}
	for _, p := range []string{"RoleManagement.ReadWrite.Directory", "AppRoleAssignment.ReadWrite.All",
		"User.ReadWrite.All", "Mail.Read", "Sites.Read.All", "User.Read.All"} {
		if !perms[p] {
			t.Errorf("no identity holds %s", p)
		}
	}

	// Azure roles by scope.
	has := func(name, roleID string, level data.ScopeLevel, via string) bool {
		for _, r := range x.AzureRoles(byName[name].ID) {
			if data.SameID(r.RoleDefinitionID, roleID) && x.Level(r.Scope) == level && strings.HasPrefix(r.Via, via) {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		identity, role string
		level          data.ScopeLevel
		via            string
	}{
		{"id-platform-deploy", roleOwner, data.ScopeManagementGroup, data.ViaDirect},
		{"id-lz-vending", roleUserAccessAdministrator, data.ScopeSubscription, data.ViaDirect},
		{"id-pipeline-release", roleContributor, data.ScopeSubscription, data.ViaDirect},
		{"vm-jumpbox-01", roleOwner, data.ScopeSubscription, data.ViaDirect},
		{"aa-platform-patching", roleContributor, data.ScopeSubscription, "group:"},
		{"adf-research-ingest", roleContributor, data.ScopeResourceGroup, data.ViaDirect},
		{"id-sandbox-deployer", roleCustomDeploymentOperator, data.ScopeSubscription, data.ViaDirect},
	} {
		if !has(c.identity, c.role, c.level, c.via) {
			t.Errorf("%s does not hold %s at %s (%s)", c.identity, c.role, c.level, c.via)
		}
	}
	// The Data Factory's Contributor is on its own resource group only.
	for _, r := range x.AzureRoles(byName["adf-research-ingest"].ID) {
		if data.SameID(r.RoleDefinitionID, roleContributor) &&
			!data.SameID(r.Scope, rg(data.SubscriptionOf(byName["adf-research-ingest"].ResourceID), data.ResourceGroupOf(r.Scope))) {
			t.Errorf("adf-research-ingest Contributor at %s", r.Scope)
		}
	}
	if rs := x.AzureRoles(byName["func-inventory-reader"].ID); len(rs) != 1 || !data.SameID(rs[0].RoleDefinitionID, roleReader) {
		t.Errorf("func-inventory-reader should be Reader only, has %v", rs)
	}

	// Orphaned, shared and stale identities.
	var orphaned, shared, stale int
	for _, i := range tn.Identities {
		attached := x.Attached(i.ID)
		subs := map[string]bool{}
		for _, r := range attached {
			subs[data.SubscriptionOf(r.ID)] = true
		}
		switch {
		case i.Kind == data.UserAssigned && len(attached) == 0:
			orphaned++
		case i.Kind == data.UserAssigned && len(attached) >= 5 && len(subs) >= 2:
			shared++
		case i.Kind == data.SystemAssigned && len(attached) == 0:
			if _, ok := x.Resource(i.ResourceID); ok {
				t.Errorf("%s: resource present but not attached", i.DisplayName)
			}
			stale++
		}
	}
	if orphaned != 1 || shared != 1 || stale != 1 {
		t.Errorf("orphaned %d, shared %d, stale %d; want one of each", orphaned, shared, stale)
	}

	// Federated credentials.
	fics := map[string]bool{}
	for _, f := range tn.FederatedCredentials {
		if len(f.Audiences) != 1 || f.Audiences[0] != "api://AzureADTokenExchange" {
			t.Errorf("%s: audiences %v", f.Name, f.Audiences)
		}
		if i, ok := x.Identity(f.IdentityID); !ok || i.Kind != data.UserAssigned {
			t.Errorf("%s: not on a user-assigned identity", f.Name)
		}
		switch {
		case strings.HasPrefix(f.Issuer, "https://login.microsoftonline.com/"):
			fics["foreign tenant"] = !strings.Contains(f.Issuer, TenantID)
		case f.Issuer == "https://app.eu.terraform.io":
			fics["terraform cloud eu"] = strings.HasSuffix(f.Subject, ":run_phase:apply")
		case strings.Contains(f.ClaimsMatchingExpression, "repo:contoso-pharma*/"):
			fics["owner wildcard"] = true
		case f.Issuer != issuerGitHub && !strings.Contains(f.Issuer, ".oic.prod-aks.azure.com/"):
			fics["unknown issuer"] = true
		case strings.HasSuffix(f.Subject, ":pull_request"):
			fics["pull request"] = true
		case strings.Contains(f.Subject, ":ref:refs/heads/"):
			fics["branch"] = true
			fics["risky on privileged"] = has(x.PrincipalName(f.IdentityID), roleOwner, data.ScopeManagementGroup, data.ViaDirect)
		case strings.Contains(f.ClaimsMatchingExpression, "*"):
			fics["flexible wildcard"] = true
		case strings.Contains(f.Subject, ":environment:production"):
			fics["environment"] = true
		case strings.HasPrefix(f.Subject, "system:serviceaccount:"):
			fics["aks"] = true
		}
	}
	for _, c := range []string{"unknown issuer", "pull request", "branch", "risky on privileged", "flexible wildcard",
		"environment", "aks", "foreign tenant", "terraform cloud eu", "owner wildcard"} {
		if !fics[c] {
			t.Errorf("no federated credential: %s", c)
		}
	}

	// Exposure: someone else can run code on, attach, or add a credential to a powerful identity.
	exposedBy := func(target, roleID string) bool {
		for _, a := range x.AssignmentsCovering(target) {
			if _, isIdentity := x.Identity(a.PrincipalID); !isIdentity && data.SameID(a.RoleDefinitionID, roleID) {
				return true
			}
		}
		return false
	}
	if !exposedBy(byName["vm-jumpbox-01"].ResourceID, roleVMContributor) {
		t.Error("nobody can run commands on vm-jumpbox-01")
	}
	if !exposedBy(byName["id-lz-vending"].ResourceID, roleManagedIdentityOperator) {
		t.Error("nobody can assign id-lz-vending")
	}
	if !exposedBy(byName["id-pipeline-release"].ResourceID, roleManagedIdentityContributor) {
		t.Error("nobody can add a federated credential to id-pipeline-release")
	}

	// Applications: a current, an expired and a long-lived secret, a certificate, and some hosts.
	var current, expired, longLived, certificate, hosted bool
	for _, a := range tn.Applications {
		hosted = hosted || len(a.Hosts) > 0
		for _, c := range a.Credentials {
			switch {
			case c.Type == "certificate":
				certificate = true
			case c.End.Before(tn.CollectedAt):
				expired = true
			case c.End.Sub(c.Start) > 2*365*24*time.Hour:
				longLived = true
			default:
				current = true
			}
		}
	}
	if !current || !expired || !longLived || !certificate || !hosted {
		t.Errorf("applications: current %v, expired %v, long-lived %v, certificate %v, hosted %v",
			current, expired, longLived, certificate, hosted)
	}

	// One or two hostile strings, no more, so the demo stays presentable.
	hostile := 0
	for _, s := range tenantStrings(tn) {
		if data.Clean(s) != s {
			hostile++
		}
	}
	if hostile < 1 || hostile > 2 {
		t.Errorf("%d hostile strings, want 1 or 2", hostile)
	}

	if len(tn.Gaps) == 0 {
		t.Error("no gap: the demo should show a part that could not be read")
	}

	// Clean identities: attached, no Entra privilege, no federated credential, and only narrowly scoped Azure roles
	// without write access to authorization or compute.
	clean := 0
	for _, i := range tn.Identities {
		if len(x.Attached(i.ID)) == 0 || len(x.DirectoryRoles(i.ID)) > 0 || len(x.AppRoles(i.ID)) > 0 ||
			len(x.FederatedCredentials(i.ID)) > 0 || len(x.Groups(i.ID)) > 0 {
			continue
		}
		ok := true
		for _, r := range x.AzureRoles(i.ID) {
			if r.Definition == nil || containsStar(r.Definition.Actions) ||
				(x.Level(r.Scope) > data.ScopeResourceGroup && !readOnly(r.Definition)) {
				ok = false
			}
		}
		if ok {
			clean++
		}
	}
	if clean < 10 {
		t.Errorf("%d clean identities, want at least 10", clean)
	}
}

func unique(t *testing.T, what string, n int, key func(int) string) {
	t.Helper()
	seen := make(map[string]bool, n)
	for i := range n {
		k := key(i)
		if k == "" || seen[k] {
			t.Errorf("%s %d: id %q empty or repeated", what, i, k)
		}
		seen[k] = true
	}
}

func containsStar(actions []string) bool {
	for _, a := range actions {
		if a == "*" || strings.HasPrefix(a, "Microsoft.Authorization/*") {
			return true
		}
	}
	return false
}

func readOnly(d *data.RoleDefinition) bool {
	for _, a := range d.Actions {
		if !strings.HasSuffix(a, "/read") {
			return false
		}
	}
	return len(d.DataActions) == 0
}

// tenantStrings lists the display strings a tenant carries, where a hostile value could hide.
func tenantStrings(tn *data.Tenant) []string {
	var out []string
	for _, i := range tn.Identities {
		out = append(out, i.DisplayName)
	}
	for _, g := range tn.Groups {
		out = append(out, g.DisplayName)
	}
	for _, p := range tn.Principals {
		out = append(out, p.DisplayName)
	}
	for _, a := range tn.Applications {
		out = append(out, a.DisplayName)
	}
	for _, r := range tn.Resources {
		out = append(out, r.Name)
	}
	return out
}
