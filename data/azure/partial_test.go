package azure_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/fakeazure"
	"github.com/miscope/miscope/data/report"
)

// sectionAnswers is what a joined tenant says of one identity's sections, in a form that compares regardless of
// order and of what the APIs do not carry.
func sectionAnswers(x *data.Index, id string) map[data.Section]string {
	enc := func(v any) string {
		b, _ := json.Marshal(sortedJSON(v))
		return string(b)
	}
	return map[data.Section]string{
		data.SectionAttached:             enc(normResources(x.Attached(id))),
		data.SectionGroups:               enc(x.Groups(id)),
		data.SectionDirectoryRoles:       enc(x.DirectoryRoles(id)),
		data.SectionAppRoles:             enc(normAppRoles(x.AppRoles(id))),
		data.SectionAzureRoles:           enc(normAzure(x.AzureRoles(id))),
		data.SectionFederatedCredentials: enc(x.FederatedCredentials(id)),
	}
}

// everyDifferenceIsAGap checks that a read with parts refused differs from the whole tenant only where it says it
// could not read: each section that answers differently, and each finding that is missing, has a gap behind it.
// It returns how many sections differ, so a test can tell that its denial did hide something.
func everyDifferenceIsAGap(t *testing.T, want, got *data.Tenant) int {
	t.Helper()
	wx, gx := data.NewIndex(normalise(want)), data.NewIndex(normalise(got))
	differ := 0
	for _, ident := range want.Identities {
		if _, ok := gx.Identity(ident.ID); !ok {
			t.Errorf("identity %s was not read", ident.DisplayName)
			continue
		}
		w, g := sectionAnswers(wx, ident.ID), sectionAnswers(gx, ident.ID)
		for _, sec := range data.Sections {
			if w[sec] == g[sec] {
				continue
			}
			differ++
			if len(gx.Gaps(ident.ID, sec)) == 0 {
				t.Errorf("%s: %s answers differently with no gap:\n  got  %s\n  want %s", ident.DisplayName, sec,
					g[sec], w[sec])
			}
		}
	}
	have := map[string]bool{}
	for _, f := range assess.Assess(gx).Findings {
		have[f.RuleID+"|"+data.Key(f.IdentityID)] = true
	}
	for _, f := range assess.Assess(wx).Findings {
		if have[f.RuleID+"|"+data.Key(f.IdentityID)] {
			continue
		}
		if _, isIdentity := gx.Identity(f.IdentityID); !isIdentity {
			continue // an application's finding: not a section of an identity
		}
		hidden := false
		for _, sec := range data.Sections {
			hidden = hidden || len(gx.Gaps(f.IdentityID, sec)) > 0
		}
		if !hidden {
			t.Errorf("the %s %s finding on %s disappeared with no gap", f.Severity, f.RuleID, f.IdentityID)
		}
	}
	return differ
}

func identityNamed(tb testing.TB, t *data.Tenant, name string) data.Identity {
	tb.Helper()
	for _, i := range t.Identities {
		if i.DisplayName == name {
			return i
		}
	}
	tb.Fatalf("the demo tenant has no identity %s", name)
	return data.Identity{}
}

// With ARM refusing one whole subscription, the user-assigned identities that live there cannot be listed, so their
// federated credentials are not read: they are not readable, never "none", and the findings they would give are
// covered by that gap.
func TestARMRefusingASubscriptionLeavesNoSectionAsNone(t *testing.T) {
	want := demoTenant(t)
	shared := identityNamed(t, want, "id-ci-shared")
	if len(data.NewIndex(want).FederatedCredentials(shared.ID)) == 0 {
		t.Fatal("id-ci-shared has no federated credential in the demo tenant; the test needs one")
	}
	sub := data.SubscriptionOf(shared.ResourceID)
	fake := serve(t, want, fakeazure.Options{Deny: append(denialsOf(t, want),
		fakeazure.Denial{PathPrefix: "/subscriptions/" + sub, Code: "AuthorizationFailed"})})
	got := collect(t, open(t, fake))
	if fake.Requests().Denied == 0 {
		t.Fatal("the fake denied nothing")
	}
	if n := everyDifferenceIsAGap(t, want, got); n == 0 {
		t.Error("refusing a subscription changed no section: the test proves nothing")
	}
	gs := data.NewIndex(got).Gaps(shared.ID, data.SectionFederatedCredentials)
	if len(gs) == 0 {
		t.Fatalf("the federated credentials of id-ci-shared read as none; gaps %+v", got.Gaps)
	}
	if !strings.Contains(gs[0].Reason, sub) || !strings.Contains(gs[0].Needs, "Reader") {
		t.Errorf("the gap %+v does not say which subscription failed and what it needs", gs[0])
	}
}

// With Graph refusing /groups, the nesting of groups cannot be read there: a membership through another group is
// still told from a direct one (from the identity's own direct memberships), and every request that failed left a
// gap behind.
func TestGraphRefusingGroupsGivesGapsNotOtherAnswers(t *testing.T) {
	want := demoTenant(t)
	nested := identityNamed(t, want, "id-identity-governance")
	transitive := 0
	for _, m := range data.NewIndex(want).Groups(nested.ID) {
		if m.Transitive {
			transitive++
		}
	}
	if transitive == 0 {
		t.Fatal("id-identity-governance has no transitive membership in the demo tenant; the test needs one")
	}
	for _, tc := range []struct {
		name   string
		deny   []string
		direct bool // the identity's direct memberships are readable too
	}{
		{"groups", []string{"/v1.0/groups"}, true},
		{"groups and direct memberships", []string{"/v1.0/groups", "/v1.0/servicePrincipals/" + nested.ID + "/memberOf"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			deny := denialsOf(t, want)
			for _, p := range tc.deny {
				deny = append(deny, fakeazure.Denial{PathPrefix: p})
			}
			fake := serve(t, want, fakeazure.Options{Deny: deny})
			src := open(t, fake)
			got := collect(t, src)
			denied := fake.Requests().Denied - len(denialsOf(t, want))
			if denied <= 0 {
				t.Fatal("the fake denied nothing beyond the demo tenant's own gaps")
			}
			everyDifferenceIsAGap(t, want, got)
			gx := data.NewIndex(got)
			gaps := gx.Gaps(nested.ID, data.SectionGroups)
			if tc.direct {
				if sectionAnswers(gx, nested.ID)[data.SectionGroups] !=
					sectionAnswers(data.NewIndex(want), nested.ID)[data.SectionGroups] {
					t.Errorf("groups of %s: %+v, want %+v", nested.DisplayName, gx.Groups(nested.ID),
						data.NewIndex(want).Groups(nested.ID))
				}
			} else if len(gaps) == 0 {
				t.Errorf("neither the nesting nor the direct memberships of %s could be read, and no gap says so",
					nested.DisplayName)
			}
			// Read lazily, the groups section says the same: the groups, and a gap when their nesting is unknown.
			gs, err := src.Groups(context.Background(), nested.ID)
			if _, gap := data.AsGap(err); len(gs) != len(data.NewIndex(want).Groups(nested.ID)) || gap == tc.direct {
				t.Errorf("Groups of %s read lazily: %d groups, error %v", nested.DisplayName, len(gs), err)
			}
			// Whatever else failed (naming principals, say) is reported, not dropped.
			extra := 0
			for _, g := range got.Gaps {
				if g.Section != data.SectionFederatedCredentials {
					extra++
				}
			}
			if extra == 0 {
				t.Errorf("%d requests were refused and no gap was reported", denied)
			}
		})
	}
}

// A report whose identity list could not be read has nothing to judge: the report says so and names what it needs,
// and no gate may pass it, with or without --fail-on (the command's exit code: main_partial_test.go).
func TestReportOnAnUnreadableIdentityListDoesNotPass(t *testing.T) {
	want := demoTenant(t)
	fake := serve(t, want, fakeazure.Options{Deny: []fakeazure.Denial{{PathPrefix: "/v1.0/servicePrincipals"}}})
	for _, failOn := range []assess.Severity{-1, assess.High} {
		out, x, r := writeReport(t, open(t, fake))
		if list, _ := report.Unread(x, r, failOn); list == nil || !strings.Contains(list.Error(), "Application.Read.All") {
			t.Errorf("--fail-on %v: the identity list's gap is %v, want it named", failOn, list)
		}
		var doc report.Document
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("the report was not written: %v", err)
		}
		unread := false
		for _, g := range doc.Gaps {
			unread = unread || g.Section == string(data.SectionIdentities) && strings.Contains(g.Needs, "Application.Read.All")
		}
		if len(doc.Identities) != 0 || !unread {
			t.Errorf("%d identities and gaps %+v: want none and the identity list's gap", len(doc.Identities), doc.Gaps)
		}
	}
}

// writeReport reads the tenant from src through the real SDKs and writes its JSON report.
func writeReport(t *testing.T, src data.Source) ([]byte, *data.Index, *assess.Result) {
	t.Helper()
	tn, err := src.Tenant(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	x := data.NewIndex(tn)
	r := assess.Assess(x)
	var out bytes.Buffer
	if err := report.WriteJSON(&out, report.Build(x, r, src.Info())); err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), x, r
}

// With a subscription refused, the JSON report writes the federated credentials that could not be read as null,
// not as the [] of "none".
func TestReportWritesUnreadSectionsAsNull(t *testing.T) {
	want := demoTenant(t)
	shared := identityNamed(t, want, "id-ci-shared")
	fake := serve(t, want, fakeazure.Options{Deny: append(denialsOf(t, want),
		fakeazure.Denial{PathPrefix: "/subscriptions/" + data.SubscriptionOf(shared.ResourceID)})})
	out, _, _ := writeReport(t, open(t, fake))
	var doc struct {
		Identities []map[string]json.RawMessage `json:"identities"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, i := range doc.Identities {
		var id string
		_ = json.Unmarshal(i["id"], &id)
		if !data.SameID(id, shared.ID) {
			continue
		}
		found = true
		if got := string(i["federatedCredentials"]); got != "null" || !strings.Contains(string(i["notReadable"]), "federatedCredentials") {
			t.Errorf("id-ci-shared: federatedCredentials %s, notReadable %s; want null and the section named", got,
				i["notReadable"])
		}
	}
	if !found {
		t.Fatal("id-ci-shared is not in the report")
	}
}
