package azure_test

import (
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/fakeazure"
)

// TestOwnedObjectsMakeAPathOrAGap: what an identity owns is read through Graph's ownedObjects and gives the path the
// demo tenant has (logic-hr-onboarding owns a group that holds Contributor); refused with 403, it is a gap of that
// identity that says what it needs, and the path it hid is not reported as absent.
func TestOwnedObjectsMakeAPathOrAGap(t *testing.T) {
	want := demoTenant(t)
	owner := identityNamed(t, want, "logic-hr-onboarding")
	pathOf := func(tn *data.Tenant) *assess.Finding {
		for _, f := range assess.Assess(data.NewIndex(tn)).For(owner.ID) {
			if f.RuleID == assess.RulePath {
				return &f
			}
		}
		return nil
	}

	got := collect(t, open(t, serve(t, want, fakeazure.Options{Deny: denialsOf(t, want)})))
	owned := data.NewIndex(got).Owned(owner.ID)
	if len(owned) != 1 || owned[0].ObjectType != data.OwnedGroup || owned[0].DisplayName != "HR Platform Contributors" {
		t.Fatalf("owned by %s: %+v, want the group HR Platform Contributors", owner.DisplayName, owned)
	}
	f := pathOf(got)
	if f == nil || !strings.Contains(assess.Texts(f.Evidence)[0], `owns group "HR Platform Contributors"`) {
		t.Fatalf("MI-PATH of %s read live: %+v", owner.DisplayName, f)
	}

	deny := append(denialsOf(t, want), fakeazure.Denial{PathPrefix: "/v1.0/servicePrincipals/" + owner.ID + "/ownedObjects"})
	fake := serve(t, want, fakeazure.Options{Deny: deny})
	got = collect(t, open(t, fake))
	gx := data.NewIndex(got)
	if len(gx.Owned(owner.ID)) != 0 {
		t.Errorf("a refused ownedObjects still gave %+v", gx.Owned(owner.ID))
	}
	gaps := gx.Gaps(owner.ID, data.SectionOwnerships)
	if len(gaps) != 1 || !strings.Contains(gaps[0].Needs, "Application.Read.All") || !strings.Contains(gaps[0].Reason, "403") {
		t.Fatalf("gaps of %s: %+v, want one ownerships gap with what it needs", owner.DisplayName, gaps)
	}
	if sev, hides := assess.Hidden(gaps[0]); !hides || sev < f.Severity {
		t.Errorf("the ownerships gap hides up to %v (%v); the path it hid is %v", sev, hides, f.Severity)
	}
	if pathOf(got) != nil {
		t.Error("MI-PATH without the ownership it stands on")
	}
}

// TestOwnedApplicationIsReadAsItsServicePrincipal: an owned application is followed to its service principal (by
// appId) and that principal's application permissions are read, so the owner's path to tier 0 is seen live; when
// those permissions are refused, the owner has a gap that says so instead of a path that is silently missing.
func TestOwnedApplicationIsReadAsItsServicePrincipal(t *testing.T) {
	want := demoTenant(t)
	owner := identityNamed(t, want, "func-app-registration-provisioner")
	var sp string
	for _, o := range want.Ownerships {
		if o.OwnerID == owner.ID {
			sp = o.ServicePrincipalID
		}
	}
	if sp == "" {
		t.Fatal("the demo identity owns no application with a service principal")
	}
	pathOf := func(tn *data.Tenant) *assess.Finding {
		for _, f := range assess.Assess(data.NewIndex(tn)).For(owner.ID) {
			if f.RuleID == assess.RulePath {
				return &f
			}
		}
		return nil
	}
	got := collect(t, open(t, serve(t, want, fakeazure.Options{Deny: denialsOf(t, want)})))
	f := pathOf(got)
	if f == nil || f.Severity != assess.Critical || !strings.Contains(f.Title, "Graph tier 0") ||
		f.Evidence[0].Via != assess.EvidenceApplicationOwner {
		t.Fatalf("MI-PATH of %s read live: %+v", owner.DisplayName, f)
	}

	deny := append(denialsOf(t, want), fakeazure.Denial{PathPrefix: "/v1.0/servicePrincipals(appId="})
	got = collect(t, open(t, serve(t, want, fakeazure.Options{Deny: deny})))
	gaps := data.NewIndex(got).Gaps(owner.ID, data.SectionOwnerships)
	if len(gaps) == 0 || !strings.Contains(gaps[0].Needs, "Application.Read.All") {
		t.Fatalf("gaps of %s with its application's permissions refused: %+v", owner.DisplayName, gaps)
	}
	if pathOf(got) != nil {
		t.Error("MI-PATH through permissions that were not read")
	}
}
