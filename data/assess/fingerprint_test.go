package assess

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/demo"
)

// fingerprints assesses a tenant and returns each finding's fingerprint, keyed by rule and lowercased identity.
func fingerprints(t *testing.T, tn *data.Tenant) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range Assess(data.NewIndex(tn)).Findings {
		k := BaselineSubject(f.RuleID, f.IdentityID)
		if _, dup := out[k]; dup {
			t.Fatalf("two findings of %s", k)
		}
		out[k] = f.Fingerprint()
	}
	return out
}

func demoTenant(t *testing.T) *data.Tenant {
	t.Helper()
	tn, err := demo.Tenant()
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

// shuffle puts every list of the tenant in another order, as another collection (paging, parallel reads) would.
func shuffle(tn *data.Tenant, seed uint64) {
	r := rand.New(rand.NewPCG(seed, seed))
	mix := func(n int, swap func(i, j int)) { r.Shuffle(n, swap) }
	mix(len(tn.Identities), func(i, j int) { tn.Identities[i], tn.Identities[j] = tn.Identities[j], tn.Identities[i] })
	mix(len(tn.Resources), func(i, j int) { tn.Resources[i], tn.Resources[j] = tn.Resources[j], tn.Resources[i] })
	mix(len(tn.Groups), func(i, j int) { tn.Groups[i], tn.Groups[j] = tn.Groups[j], tn.Groups[i] })
	mix(len(tn.Memberships), func(i, j int) { tn.Memberships[i], tn.Memberships[j] = tn.Memberships[j], tn.Memberships[i] })
	mix(len(tn.DirectoryRoleAssignments), func(i, j int) {
		tn.DirectoryRoleAssignments[i], tn.DirectoryRoleAssignments[j] = tn.DirectoryRoleAssignments[j], tn.DirectoryRoleAssignments[i]
	})
	mix(len(tn.AppRoleAssignments), func(i, j int) {
		tn.AppRoleAssignments[i], tn.AppRoleAssignments[j] = tn.AppRoleAssignments[j], tn.AppRoleAssignments[i]
	})
	mix(len(tn.RoleDefinitions), func(i, j int) {
		tn.RoleDefinitions[i], tn.RoleDefinitions[j] = tn.RoleDefinitions[j], tn.RoleDefinitions[i]
	})
	mix(len(tn.RoleAssignments), func(i, j int) {
		tn.RoleAssignments[i], tn.RoleAssignments[j] = tn.RoleAssignments[j], tn.RoleAssignments[i]
	})
	mix(len(tn.FederatedCredentials), func(i, j int) {
		tn.FederatedCredentials[i], tn.FederatedCredentials[j] = tn.FederatedCredentials[j], tn.FederatedCredentials[i]
	})
	mix(len(tn.Principals), func(i, j int) { tn.Principals[i], tn.Principals[j] = tn.Principals[j], tn.Principals[i] })
	mix(len(tn.Applications), func(i, j int) {
		tn.Applications[i], tn.Applications[j] = tn.Applications[j], tn.Applications[i]
	})
}

// upperIDs spells every object id, resource id and scope of the tenant in capitals, as the APIs are free to: Graph
// and ARM ids are case-insensitive, and ARM returns the same id in different casings from different calls.
func upperIDs(tn *data.Tenant) {
	u := strings.ToUpper
	for i := range tn.Identities {
		x := &tn.Identities[i]
		x.ID, x.AppID, x.ResourceID = u(x.ID), u(x.AppID), u(x.ResourceID)
	}
	for i := range tn.Resources {
		x := &tn.Resources[i]
		x.ID, x.SystemAssignedPrincipalID = u(x.ID), u(x.SystemAssignedPrincipalID)
		for j := range x.UserAssignedIdentityIDs {
			x.UserAssignedIdentityIDs[j] = u(x.UserAssignedIdentityIDs[j])
		}
	}
	for i := range tn.Groups {
		tn.Groups[i].ID = u(tn.Groups[i].ID)
	}
	for i := range tn.Memberships {
		x := &tn.Memberships[i]
		x.IdentityID, x.GroupID = u(x.IdentityID), u(x.GroupID)
	}
	for i := range tn.DirectoryRoleAssignments {
		x := &tn.DirectoryRoleAssignments[i]
		x.ID, x.PrincipalID = u(x.ID), u(x.PrincipalID)
	}
	for i := range tn.AppRoleAssignments {
		x := &tn.AppRoleAssignments[i]
		x.ID, x.PrincipalID, x.ResourceID = u(x.ID), u(x.PrincipalID), u(x.ResourceID)
	}
	for i := range tn.RoleAssignments {
		x := &tn.RoleAssignments[i]
		x.ID, x.PrincipalID, x.Scope = u(x.ID), u(x.PrincipalID), u(x.Scope)
	}
	for i := range tn.FederatedCredentials {
		tn.FederatedCredentials[i].IdentityID = u(tn.FederatedCredentials[i].IdentityID)
	}
	for i := range tn.Principals {
		tn.Principals[i].ID = u(tn.Principals[i].ID)
	}
	for i := range tn.Applications {
		tn.Applications[i].ID = u(tn.Applications[i].ID)
	}
	for i := range tn.Ownerships {
		x := &tn.Ownerships[i]
		x.OwnerID, x.ObjectID, x.AppID = u(x.OwnerID), u(x.ObjectID), u(x.AppID)
	}
}

// TestFingerprintsSurviveOrderAndCasing: the same tenant read in another order, with its ids in other casings, gives
// every finding the same fingerprint; a material change gives the changed finding a new one and leaves the rest.
func TestFingerprintsSurviveOrderAndCasing(t *testing.T) {
	want := fingerprints(t, demoTenant(t))
	if len(want) < 20 {
		t.Fatalf("the demo tenant should give many findings, got %d", len(want))
	}
	for _, seed := range []uint64{1, 2, 3} {
		tn := demoTenant(t)
		shuffle(tn, seed)
		if seed == 2 {
			upperIDs(tn)
		}
		got := fingerprints(t, tn)
		if len(got) != len(want) {
			t.Errorf("seed %d: %d findings, want %d", seed, len(got), len(want))
		}
		for k, fp := range want {
			if got[k] != fp {
				t.Errorf("seed %d: %s has fingerprint %s, want %s", seed, k, got[k], fp)
			}
		}
	}

	// Material changes: another scope for one identity's role, another subject for a federated credential.
	tn := demoTenant(t)
	var owner, fic string
	for k := range want {
		switch {
		case strings.HasPrefix(k, RulePrivAzure+"|") && owner == "":
			owner = strings.TrimPrefix(k, RulePrivAzure+"|")
		case strings.HasPrefix(k, RuleFICRisk+"|") && fic == "":
			fic = strings.TrimPrefix(k, RuleFICRisk+"|")
		}
	}
	if owner == "" || fic == "" {
		t.Fatal("the demo tenant should have MI-PRIV-AZURE and MI-FIC-RISK findings")
	}
	held := map[string]bool{}
	for _, a := range tn.RoleAssignments {
		if data.Key(a.PrincipalID) == owner {
			held[data.Key(a.Scope)] = true
		}
	}
	for _, sub := range tn.Subscriptions {
		if scope := "/subscriptions/" + sub.ID; !held[data.Key(scope)] {
			tn.RoleAssignments = append(tn.RoleAssignments, data.RoleAssignment{
				ID:          scope + "/providers/Microsoft.Authorization/roleAssignments/0e0e0e0e-0000-4000-8000-000000000002",
				PrincipalID: owner, PrincipalType: data.PrincipalServicePrincipal,
				RoleDefinitionID: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", Scope: scope})
			break
		}
	}
	for i := range tn.FederatedCredentials {
		if f := &tn.FederatedCredentials[i]; data.Key(f.IdentityID) == fic {
			// A flexible credential trusts its expression, not its (empty) subject: change what it trusts.
			if f.ClaimsMatchingExpression != "" {
				f.ClaimsMatchingExpression = strings.TrimSuffix(f.ClaimsMatchingExpression, "'") + "-other'"
			} else {
				f.Subject += "-other"
			}
			break
		}
	}
	got := fingerprints(t, tn)
	changed := []string{}
	for k, fp := range want {
		if got[k] != fp {
			changed = append(changed, k)
		}
	}
	for _, must := range []string{RulePrivAzure + "|" + owner, RuleFICRisk + "|" + fic} {
		if !slices.Contains(changed, must) {
			t.Errorf("%s kept its fingerprint through a material change", must)
		}
	}
	for _, k := range changed {
		id := k[strings.Index(k, "|")+1:]
		if id != owner && id != fic && !strings.HasPrefix(k, RuleExposed) && !strings.HasPrefix(k, RulePath) {
			t.Errorf("%s changed fingerprint, but nothing about it changed", k)
		}
	}
}

func TestFingerprintForm(t *testing.T) {
	f := Finding{RuleID: RuleOrphaned, IdentityID: "ABC"}
	g := Finding{RuleID: RuleOrphaned, IdentityID: "abc"}
	if f.Fingerprint() != g.Fingerprint() || !strings.HasPrefix(f.Fingerprint(), "mi1-") || len(f.Fingerprint()) != 28 {
		t.Errorf("fingerprint %q / %q", f.Fingerprint(), g.Fingerprint())
	}
	h := Finding{RuleID: RuleStale, IdentityID: "abc"}
	if h.Fingerprint() == g.Fingerprint() {
		t.Error("two rules on one identity share a fingerprint")
	}
}
