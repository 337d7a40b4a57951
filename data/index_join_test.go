package data

import (
	"slices"
	"strings"
	"testing"
)

// compareKeys must order ids exactly as comparing their Keys does, including where lowering a non-ASCII letter
// gives an ASCII one or changes the length.
func TestCompareKeysMatchesKey(t *testing.T) {
	ids := []string{"", "/", "a", "A", "a/", "A//", "ab", "aB", "abc", "b", "/subscriptions/S1", "/subscriptions/s1/",
		"/subscriptions/s1/resourceGroups/RG", "/subscriptions/s1/resourcegroups/rg-2", "\u212a", "k", "K", "l",
		"\u0130x", "ix", "\u00c9t\u00e9", "\u00e9t\u00e9", "z\u00c9", "zE"}
	for _, a := range ids {
		for _, b := range ids {
			want := strings.Compare(Key(a), Key(b))
			if got := compareKeys(a, b); got != want {
				t.Errorf("compareKeys(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}
}

// Ids whose hashes collide are still told apart, and each is found again in any casing.
func TestARMIDsHashClash(t *testing.T) {
	a := newARMIDs(0)
	first := a.add("/subscriptions/s1/resourceGroups/one")
	// Make the next id's hash the one the first id already holds, as a collision would.
	other := "/subscriptions/s1/resourceGroups/two"
	a.num[a.hash(other)] = first
	second := a.add(other)
	if second == first {
		t.Fatal("a clashing id was given the number of another")
	}
	if len(a.clash) != 1 {
		t.Fatalf("clash map holds %d ids, want 1", len(a.clash))
	}
	if got := a.add("/SUBSCRIPTIONS/S1/resourcegroups/TWO/"); got != second {
		t.Errorf("the clashing id in another casing got %d, want %d", got, second)
	}
	if got := a.find("/subscriptions/S1/resourceGroups/One"); got != first {
		t.Errorf("find(one) = %d, want %d", got, first)
	}
	if got := a.find("/subscriptions/s1/resourceGroups/Two"); got != second {
		t.Errorf("find(two) = %d, want %d", got, second)
	}
	if got := a.find("/subscriptions/s1/resourceGroups/three"); got != -1 {
		t.Errorf("find of an unknown id = %d, want -1", got)
	}
	if a.len() != 2 {
		t.Errorf("%d ids numbered, want 2", a.len())
	}
}

// Lists handed out by the index end where they do: appending to one never writes over the next.
func TestIndexListsAreClipped(t *testing.T) {
	tn := testTenant()
	x := NewIndex(tn)
	at := x.AssignmentsAt("/subscriptions/s1/resourceGroups/rg-vm")
	if len(at) != 2 {
		t.Fatalf("assignments at rg-vm: %d, want 2 (scopes differ in case)", len(at))
	}
	if cap(at) != len(at) {
		t.Errorf("list has spare capacity %d", cap(at)-len(at))
	}
	_ = append(at, &RoleAssignment{PrincipalID: "intruder"})
	for _, a := range x.AssignmentsAt("/subscriptions/s2") {
		if a.PrincipalID == "intruder" {
			t.Fatal("appending to one list changed another")
		}
	}
	if got := x.AssignmentsAt("/subscriptions/nowhere"); got != nil {
		t.Errorf("assignments at an unknown scope: %v", got)
	}
	if got := x.AssignmentsAt(vmID); got != nil {
		t.Errorf("a resource with no assignment has %v", got)
	}
	if r, ok := x.Resource(strings.ToUpper(vmID) + "/"); !ok || r.ID != vmID {
		t.Errorf("resource in another casing: %v %v", r, ok)
	}
	if _, ok := x.Resource("/subscriptions/s1/resourceGroups/rg-vm"); ok {
		t.Error("a scope that is no resource was found as one")
	}
}

// AttachedTo answers what Attached does, in id order, without copies.
func TestAttachedToPointsIntoTheTenant(t *testing.T) {
	tn := testTenant()
	tn.Resources = append(tn.Resources, Resource{ID: "/subscriptions/s1/resourceGroups/A/providers/Microsoft.Web/sites/z",
		UserAssignedIdentityIDs: []string{strings.ToUpper(uaID)}})
	x := NewIndex(tn)
	for i := range tn.Identities {
		id := &tn.Identities[i]
		ptrs, vals := x.AttachedTo(id), x.Attached(id.ID)
		if len(ptrs) != len(vals) {
			t.Fatalf("%s: AttachedTo has %d, Attached %d", id.ID, len(ptrs), len(vals))
		}
		for n := range ptrs {
			if ptrs[n].ID != vals[n].ID {
				t.Errorf("%s: resource %d is %s and %s", id.ID, n, ptrs[n].ID, vals[n].ID)
			}
		}
		if !slices.IsSortedFunc(vals, func(a, b Resource) int { return strings.Compare(Key(a.ID), Key(b.ID)) }) {
			t.Errorf("%s: attached resources not in id order: %v", id.ID, vals)
		}
	}
	ua := x.AttachedTo(&tn.Identities[1])
	if len(ua) != 3 || ua[0] != &tn.Resources[2] {
		t.Errorf("user-assigned identity attached to %d resources, first %v", len(ua), ua)
	}
}

// ScopesAbove writes the same scopes whether the target is well formed (its prefixes are used) or not.
func TestScopesAboveOfUntidyTarget(t *testing.T) {
	x := NewIndex(testTenant())
	want := x.ScopesAbove(vmID)
	if len(want) != 7 || want[0] != vmID || want[2] != "/subscriptions/s1/resourceGroups/rg-vm" ||
		want[3] != "/subscriptions/s1" || want[4] != mgProd || want[5] != root || want[6] != "/" {
		t.Errorf("scopes above the VM: %q", want)
	}
	if got := x.ScopesAbove("/" + vmID + "//"); !slices.Equal(got, want) {
		t.Errorf("scopes above an untidy id: %q, want %q", got, want)
	}
}
