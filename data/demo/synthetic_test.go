package demo

import (
	"reflect"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
)

func TestSyntheticIsDeterministic(t *testing.T) {
	a, b := Synthetic(3000, 7), Synthetic(3000, 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same (n, seed) gave different tenants")
	}
	if c := Synthetic(3000, 8); reflect.DeepEqual(a.Identities, c.Identities) {
		t.Fatal("different seeds gave the same identities")
	}
}

func TestSyntheticSmallSizes(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 50} {
		tn := Synthetic(n, 1)
		if len(tn.Identities) != n {
			t.Errorf("Synthetic(%d): %d identities", n, len(tn.Identities))
		}
		if len(tn.Subscriptions) != n/500+3 {
			t.Errorf("Synthetic(%d): %d subscriptions", n, len(tn.Subscriptions))
		}
	}
}

// TestSyntheticMix checks the shape promised for scale tests: counts, the mix, consistency of every reference, and
// the rare cases present at size.
func TestSyntheticMix(t *testing.T) {
	const n = 20000
	tn := Synthetic(n, 42)
	x := data.NewIndex(tn)

	if got, want := len(tn.Subscriptions), n/500+3; got != want {
		t.Errorf("%d subscriptions, want %d", got, want)
	}
	if r := float64(len(tn.RoleAssignments)) / n; r < 9 || r > 11.5 {
		t.Errorf("%.1f role assignments per identity, want about 10", r)
	}

	unique(t, "identity", len(tn.Identities), func(i int) string { return tn.Identities[i].ID })
	unique(t, "resource", len(tn.Resources), func(i int) string { return data.Key(tn.Resources[i].ID) })
	unique(t, "principal", len(tn.Principals), func(i int) string { return tn.Principals[i].ID })

	var system, stale, orphaned, shared int
	for _, i := range tn.Identities {
		kind, rid := data.KindFromAlternativeNames(i.AlternativeNames)
		if kind != i.Kind || rid != i.ResourceID || data.ResourceName(rid) != i.DisplayName {
			t.Fatalf("identity %s: alternativeNames %v disagree with %s %s", i.DisplayName, i.AlternativeNames, i.Kind, i.ResourceID)
		}
		attached := x.Attached(i.ID)
		if i.Kind == data.SystemAssigned {
			system++
			if len(attached) == 0 {
				stale++
			}
			continue
		}
		subs := map[string]bool{}
		for n, r := range attached {
			subs[data.SubscriptionOf(r.ID)] = true
			if n > 0 && data.SameID(attached[n-1].ID, r.ID) {
				t.Fatalf("%s attached to %s twice", i.DisplayName, r.ID)
			}
		}
		switch {
		case len(attached) == 0:
			orphaned++
		case len(attached) >= 5 && len(subs) >= 2:
			shared++
		}
	}
	if r := float64(system) / n; r < 0.57 || r > 0.63 {
		t.Errorf("%.2f system-assigned, want about 0.60", r)
	}
	if stale == 0 || stale > system/50 {
		t.Errorf("%d stale of %d system-assigned", stale, system)
	}
	if ua := n - system; orphaned == 0 || orphaned > ua/10 || shared == 0 || shared > ua/20 {
		t.Errorf("%d orphaned and %d shared of %d user-assigned", orphaned, shared, ua)
	}

	// Every assignment names a known principal and, but for the rare retired role, a known definition; some are
	// held through groups.
	var unresolved, viaGroup, broad int
	for _, a := range tn.RoleAssignments {
		if x.PrincipalName(a.PrincipalID) == "" {
			t.Fatalf("role assignment of unknown principal %s", a.PrincipalID)
		}
		if _, ok := x.RoleDefinition(a.RoleDefinitionID); !ok {
			unresolved++
		}
		if x.Level(a.Scope) == data.ScopeUnknown {
			t.Fatalf("role assignment at unknown scope %q", a.Scope)
		}
	}
	for _, i := range tn.Identities[:2000] {
		for _, r := range x.AzureRoles(i.ID) {
			if r.Via != data.ViaDirect {
				viaGroup++
			}
			if x.Level(r.Scope) >= data.ScopeSubscription && r.Via == data.ViaDirect && !data.SameID(r.RoleDefinitionID, roleReader) {
				broad++
			}
		}
	}
	if unresolved == 0 || unresolved > n/200 {
		t.Errorf("%d unresolved role assignments", unresolved)
	}
	if viaGroup == 0 {
		t.Error("no Azure role held through a group")
	}
	if broad == 0 || broad > 2000/20 {
		t.Errorf("%d broad roles among 2000 identities", broad)
	}

	var tier0, eligible, risky int
	for _, a := range tn.AppRoleAssignments {
		for _, p := range synthTier0Permissions {
			if a.AppRoleID == p.appRoleID {
				tier0++
			}
		}
	}
	for _, a := range tn.DirectoryRoleAssignments {
		if a.State == data.Eligible {
			eligible++
		}
	}
	for _, f := range tn.FederatedCredentials {
		if f.Issuer != issuerGitHub || f.ClaimsMatchingExpression != "" || !strings.Contains(f.Subject, ":environment:") {
			risky++
		}
	}
	if tier0 == 0 || tier0 > n/100 || eligible == 0 || risky == 0 || risky == len(tn.FederatedCredentials) {
		t.Errorf("tier-0 permissions %d, eligible roles %d, non-environment credentials %d of %d",
			tier0, eligible, risky, len(tn.FederatedCredentials))
	}
	if len(tn.Applications) == 0 || len(tn.Memberships) == 0 {
		t.Error("no applications or no memberships")
	}
}

// BenchmarkSynthetic50k is the scale the speed targets are set at: 50,000 identities, about 500,000 role assignments.
func BenchmarkSynthetic50k(b *testing.B) {
	b.ReportAllocs()
	var tn *data.Tenant
	for b.Loop() {
		tn = Synthetic(50000, 1)
	}
	b.ReportMetric(float64(len(tn.RoleAssignments)), "role-assignments")
}
