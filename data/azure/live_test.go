package azure_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/azure"
	"github.com/miscope/miscope/data/demo"
	"github.com/miscope/miscope/data/fakeazure"
)

// These tests drive the real azidentity, msgraph-sdk-go and azure-sdk-for-go clients against the fake Azure on
// 127.0.0.1. TLS trust comes from the fake's own client, injected as the transport; nothing leaves the machine.

// serve starts the fake on t and points the environment credential at it.
func serve(tb testing.TB, t *data.Tenant, opts fakeazure.Options) *fakeazure.Server {
	tb.Helper()
	fake := fakeazure.New(t, opts)
	tb.Cleanup(fake.Close)
	for _, kv := range fake.Env() {
		k, v, _ := strings.Cut(kv, "=")
		if k == "SSL_CERT_FILE" {
			continue
		}
		tb.Setenv(k, v)
	}
	return fake
}

// open signs in to the fake with client credentials from the environment, as `--auth environment` does.
func open(tb testing.TB, fake *fakeazure.Server, tweak ...func(*azure.Options)) *azure.Source {
	tb.Helper()
	opts := azure.Options{Auth: "environment", Transport: fake.Client()}
	for _, f := range tweak {
		f(&opts)
	}
	src, err := azure.New(context.Background(), opts)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return src
}

func collect(tb testing.TB, src *azure.Source) *data.Tenant {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t, err := src.Tenant(ctx, nil)
	if err != nil {
		tb.Fatalf("Tenant: %v", err)
	}
	return t
}

func demoTenant(tb testing.TB) *data.Tenant {
	tb.Helper()
	t, err := demo.Tenant()
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// normalise puts a tenant in the form the round trip compares. What is compared, precisely:
//   - everything in data.Tenant except CollectedAt and Cloud (set by the reader, not the tenant);
//   - ids and GUIDs in lower case, resource types as spelled in the resource id, every list sorted;
//   - Azure role definitions: those the role assignments use (a subscription lists hundreds of built-in roles; miscope
//     keeps the used ones);
//   - not compared, because the APIs do not carry them: the opaque ids of app role, directory role and Azure role
//     assignments; Application.Hosts (not readable from Graph);
//   - usage by its times before the latest sign-in, to the second, and its window by its length: the fake serves the
//     tenant's usage moved to the present, as a live tenant read today has it; Source and Workspace are the reader's.
func normalise(in *data.Tenant) *data.Tenant {
	b, _ := json.Marshal(in)
	t := &data.Tenant{}
	_ = json.Unmarshal(b, t)
	t.CollectedAt, t.Cloud = time.Time{}, ""
	t.ID = strings.ToLower(t.ID)
	low := strings.ToLower
	for i := range t.ManagementGroups {
		m := &t.ManagementGroups[i]
		m.ID, m.ParentID = low(m.ID), low(m.ParentID)
	}
	sort.Slice(t.ManagementGroups, func(a, b int) bool { return t.ManagementGroups[a].ID < t.ManagementGroups[b].ID })
	for i := range t.Subscriptions {
		s := &t.Subscriptions[i]
		s.ID, s.ManagementGroupID = low(s.ID), low(s.ManagementGroupID)
	}
	sort.Slice(t.Subscriptions, func(a, b int) bool { return t.Subscriptions[a].ID < t.Subscriptions[b].ID })
	for i := range t.Identities {
		x := &t.Identities[i]
		x.ID, x.AppID = low(x.ID), low(x.AppID)
	}
	sort.Slice(t.Identities, func(a, b int) bool { return t.Identities[a].ID < t.Identities[b].ID })
	for i := range t.Resources {
		r := &t.Resources[i]
		r.ID, r.SystemAssignedPrincipalID = low(r.ID), low(r.SystemAssignedPrincipalID)
		if ty := data.ResourceType(r.ID); ty != "" {
			r.Type = low(ty)
		} else {
			r.Type = low(r.Type)
		}
		for j := range r.UserAssignedIdentityIDs {
			r.UserAssignedIdentityIDs[j] = low(r.UserAssignedIdentityIDs[j])
		}
		sort.Strings(r.UserAssignedIdentityIDs)
	}
	// Resources without an identity block (storage accounts, key vaults ...) are not read: only what identities
	// attach to, and the user-assigned identities themselves.
	var rs []data.Resource
	for _, r := range t.Resources {
		if r.SystemAssignedPrincipalID != "" || len(r.UserAssignedIdentityIDs) > 0 || data.IsUserAssignedIdentityID(r.ID) {
			rs = append(rs, r)
		}
	}
	t.Resources = rs
	sort.Slice(t.Resources, func(a, b int) bool { return t.Resources[a].ID < t.Resources[b].ID })
	for i := range t.Groups {
		t.Groups[i].ID = low(t.Groups[i].ID)
	}
	sort.Slice(t.Groups, func(a, b int) bool { return t.Groups[a].ID < t.Groups[b].ID })
	for i := range t.Memberships {
		m := &t.Memberships[i]
		m.IdentityID, m.GroupID = low(m.IdentityID), low(m.GroupID)
	}
	sort.Slice(t.Memberships, func(a, b int) bool {
		x, y := t.Memberships[a], t.Memberships[b]
		return x.IdentityID+x.GroupID < y.IdentityID+y.GroupID
	})
	for i := range t.DirectoryRoleDefinitions {
		t.DirectoryRoleDefinitions[i].TemplateID = low(t.DirectoryRoleDefinitions[i].TemplateID)
		t.DirectoryRoleDefinitions[i].IsPrivileged = false // not in Graph v1.0
	}
	sort.Slice(t.DirectoryRoleDefinitions, func(a, b int) bool {
		return t.DirectoryRoleDefinitions[a].TemplateID < t.DirectoryRoleDefinitions[b].TemplateID
	})
	for i := range t.DirectoryRoleAssignments {
		a := &t.DirectoryRoleAssignments[i]
		a.ID, a.PrincipalID, a.RoleTemplateID = "", low(a.PrincipalID), low(a.RoleTemplateID)
	}
	sort.Slice(t.DirectoryRoleAssignments, func(a, b int) bool {
		return fmt.Sprint(t.DirectoryRoleAssignments[a]) < fmt.Sprint(t.DirectoryRoleAssignments[b])
	})
	for i := range t.AppRoleAssignments {
		a := &t.AppRoleAssignments[i]
		a.ID, a.PrincipalID, a.ResourceAppID, a.ResourceID, a.AppRoleID = "", low(a.PrincipalID), low(a.ResourceAppID),
			low(a.ResourceID), low(a.AppRoleID)
	}
	sort.Slice(t.AppRoleAssignments, func(a, b int) bool {
		return fmt.Sprint(t.AppRoleAssignments[a]) < fmt.Sprint(t.AppRoleAssignments[b])
	})
	used := map[string]bool{}
	for i := range t.RoleAssignments {
		a := &t.RoleAssignments[i]
		a.ID, a.PrincipalID, a.RoleDefinitionID, a.Scope = "", low(a.PrincipalID), low(data.LastSegment(a.RoleDefinitionID)), low(a.Scope)
		used[a.RoleDefinitionID] = true
	}
	sort.Slice(t.RoleAssignments, func(a, b int) bool {
		return fmt.Sprint(t.RoleAssignments[a]) < fmt.Sprint(t.RoleAssignments[b])
	})
	var defs []data.RoleDefinition
	for _, d := range t.RoleDefinitions {
		d.ID = low(data.LastSegment(d.ID))
		if used[d.ID] {
			defs = append(defs, d)
		}
	}
	sort.Slice(defs, func(a, b int) bool { return defs[a].ID < defs[b].ID })
	t.RoleDefinitions = defs
	for i := range t.FederatedCredentials {
		f := &t.FederatedCredentials[i]
		f.IdentityID = low(f.IdentityID)
	}
	sort.Slice(t.FederatedCredentials, func(a, b int) bool {
		return fmt.Sprint(t.FederatedCredentials[a]) < fmt.Sprint(t.FederatedCredentials[b])
	})
	for i := range t.Principals {
		t.Principals[i].ID = low(t.Principals[i].ID)
	}
	sort.Slice(t.Principals, func(a, b int) bool { return t.Principals[a].ID < t.Principals[b].ID })
	for i := range t.Applications {
		a := &t.Applications[i]
		a.ID, a.AppID, a.Hosts = low(a.ID), low(a.AppID), nil
		for j := range a.Credentials {
			c := &a.Credentials[j]
			c.KeyID = low(c.KeyID)
			c.Start, c.End = c.Start.UTC().Truncate(time.Second), c.End.UTC().Truncate(time.Second)
		}
		sort.Slice(a.Credentials, func(x, y int) bool { return a.Credentials[x].KeyID < a.Credentials[y].KeyID })
	}
	sort.Slice(t.Applications, func(a, b int) bool { return t.Applications[a].ID < t.Applications[b].ID })
	if u := t.Usage; u != nil {
		ref := u.To
		for i, si := range u.SignIns {
			if i == 0 || si.Last.After(ref) {
				ref = si.Last
			}
		}
		ago := func(x time.Time) time.Time {
			if x.IsZero() {
				return x
			}
			return time.Time{}.Add(ref.Sub(x).Round(time.Second))
		}
		u.Source, u.Workspace = "", ""
		for i := range u.SignIns {
			si := &u.SignIns[i]
			si.PrincipalID, si.ResourceAppID, si.Last = low(si.PrincipalID), low(si.ResourceAppID), ago(si.Last)
		}
		sort.Slice(u.SignIns, func(a, b int) bool { return fmt.Sprint(u.SignIns[a]) < fmt.Sprint(u.SignIns[b]) })
		for i := range u.Activity {
			a := &u.Activity[i]
			a.PrincipalID, a.ResourceID, a.Last = low(a.PrincipalID), low(a.ResourceID), ago(a.Last)
		}
		sort.Slice(u.Activity, func(a, b int) bool { return fmt.Sprint(u.Activity[a]) < fmt.Sprint(u.Activity[b]) })
		for i := range u.Users {
			us := &u.Users[i]
			us.ID, us.LastInteractive, us.LastNonInteractive = low(us.ID), ago(us.LastInteractive), ago(us.LastNonInteractive)
		}
		sort.Slice(u.Users, func(a, b int) bool { return u.Users[a].ID < u.Users[b].ID })
		u.From, u.To = time.Time{}.Add(u.To.Sub(u.From).Round(time.Second)), time.Time{}
	}
	// A gap is compared by what it is about; its wording is the reader's.
	for i := range t.Gaps {
		g := &t.Gaps[i]
		g.IdentityID, g.Scope, g.Reason, g.Needs = low(g.IdentityID), "", "", ""
	}
	sort.Slice(t.Gaps, func(a, b int) bool { return fmt.Sprint(t.Gaps[a]) < fmt.Sprint(t.Gaps[b]) })
	return t
}

// sameTenant fails with the first differing part, field by field.
func sameTenant(tb testing.TB, want, got *data.Tenant) {
	tb.Helper()
	w, g := reflect.ValueOf(*normalise(want)), reflect.ValueOf(*normalise(got))
	for i := 0; i < w.NumField(); i++ {
		name := w.Type().Field(i).Name
		a, b := w.Field(i).Interface(), g.Field(i).Interface()
		if reflect.DeepEqual(a, b) {
			continue
		}
		if w.Field(i).Kind() == reflect.Slice && w.Field(i).Len() == 0 && g.Field(i).Len() == 0 {
			continue
		}
		tb.Errorf("%s differ:\n%s", name, firstDifference(w.Field(i), g.Field(i)))
	}
}

func firstDifference(w, g reflect.Value) string {
	if w.Kind() != reflect.Slice {
		return fmt.Sprintf("  want %v\n  got  %v", w.Interface(), g.Interface())
	}
	n := min(w.Len(), g.Len())
	for i := 0; i < n; i++ {
		if !reflect.DeepEqual(w.Index(i).Interface(), g.Index(i).Interface()) {
			wj, _ := json.Marshal(w.Index(i).Interface())
			gj, _ := json.Marshal(g.Index(i).Interface())
			return fmt.Sprintf("  at %d of %d/%d\n  want %s\n  got  %s", i, w.Len(), g.Len(), wj, gj)
		}
	}
	return fmt.Sprintf("  lengths %d (want) and %d (got)", w.Len(), g.Len())
}

// denialsOf makes the fake deny the parts a tenant records as not readable (the demo tenant has such gaps).
func denialsOf(tb testing.TB, t *data.Tenant) []fakeazure.Denial {
	var deny []fakeazure.Denial
	for _, g := range t.Gaps {
		if g.Section != data.SectionFederatedCredentials || g.Scope == "" {
			tb.Fatalf("the tenant has a gap this test cannot reproduce: %+v", g)
		}
		deny = append(deny, fakeazure.Denial{PathPrefix: g.Scope + "/federatedIdentityCredentials", Code: "AuthorizationFailed"})
	}
	return deny
}

func TestRoundTripDemoTenant(t *testing.T) {
	want := demoTenant(t)
	if flexible(want.FederatedCredentials) == 0 {
		t.Fatal("the demo tenant has no flexible federated credential; the round trip must carry one")
	}
	fake := serve(t, want, fakeazure.Options{Deny: denialsOf(t, want)})
	src := open(t, fake, func(o *azure.Options) { o.Workspace = "c0ffee00-1111-2222-3333-444455556666" })
	got := collect(t, src)
	if info := src.Info(); info.Origin != data.OriginLive || info.TenantID != strings.ToLower(want.ID) ||
		info.TenantName != want.DisplayName {
		t.Errorf("source info %+v", info)
	}
	if len(got.Identities) != len(want.Identities) {
		t.Fatalf("read %d identities, the tenant has %d", len(got.Identities), len(want.Identities))
	}
	sameTenant(t, want, got)
	if c := fake.Requests(); c.Writes != 0 {
		t.Errorf("the collection attempted %d writes", c.Writes)
	}
}

func flexible(fcs []data.FederatedCredential) int {
	n := 0
	for _, f := range fcs {
		if f.ClaimsMatchingExpression != "" {
			n++
		}
	}
	return n
}

// A user-assigned identity's federated credentials are read page by page as nextLink leads, one request a page, and
// a flexible credential keeps its claims-matching expression, so the findings see what it accepts.
func TestFederatedCredentialsFollowNextLink(t *testing.T) {
	tenant := demoTenant(t)
	var ua string
	for _, f := range tenant.FederatedCredentials {
		if f.ClaimsMatchingExpression != "" {
			ua = f.IdentityID
			break
		}
	}
	if ua == "" {
		t.Fatal("the demo tenant has no flexible federated credential")
	}
	tenant.FederatedCredentials = append(tenant.FederatedCredentials,
		data.FederatedCredential{IdentityID: ua, Name: "deploy-main", Issuer: "https://token.actions.githubusercontent.com",
			Subject: "repo:contoso/web:environment:production", Audiences: []string{"api://AzureADTokenExchange"}},
		data.FederatedCredential{IdentityID: ua, Name: "any-repo", Issuer: "https://token.actions.githubusercontent.com",
			ClaimsMatchingExpression: "claims['sub'] matches 'repo:contoso/*'", Audiences: []string{"api://AzureADTokenExchange"}})
	want := data.NewIndex(tenant).FederatedCredentials(ua)
	if len(want) < 3 || flexible(want) < 2 {
		t.Fatalf("the identity has %d federated credentials, %d flexible", len(want), flexible(want))
	}
	fake := serve(t, tenant, fakeazure.Options{ARMPageSize: 1, Deny: denialsOf(t, tenant)})
	src := open(t, fake)
	ctx := context.Background()
	if err := src.Identities(ctx, func([]data.Identity) error { return nil }); err != nil {
		t.Fatal(err)
	}
	fake.ResetCounts()
	got, err := src.FederatedCredentials(ctx, ua)
	if err != nil {
		t.Fatal(err)
	}
	gj, _ := json.Marshal(sortedJSON(got))
	wj, _ := json.Marshal(sortedJSON(want))
	if string(gj) != string(wj) {
		t.Errorf("read\n  %s\nwant\n  %s", gj, wj)
	}
	if c := fake.Requests(); c.By["GET arm"] != len(want) {
		t.Errorf("%d credentials, one a page, took %d ARM reads: %v", len(want), c.By["GET arm"], c.By)
	}
}

// The tenant is named as soon as the source is open, before any read: an on-disk cache is keyed on its id.
func TestTenantKnownBeforeTheFirstRead(t *testing.T) {
	want := demoTenant(t)
	fake := serve(t, want, fakeazure.Options{})
	t.Setenv("AZURE_TENANT_ID", strings.ToUpper(fake.TenantID()))
	src := open(t, fake)
	info := src.Info()
	if info.TenantID != strings.ToLower(fake.TenantID()) || info.TenantName != want.DisplayName {
		t.Errorf("before any read: %+v, want tenant %s named %q", info, fake.TenantID(), want.DisplayName)
	}
	if c := fake.Requests(); c.By["GET graph"] != 1 {
		t.Errorf("opening the source took %v; naming the tenant should cost one Graph read", c.By)
	}
	fake.ResetCounts()
	got := collect(t, src)
	if got.ID != strings.ToLower(fake.TenantID()) || got.DisplayName != want.DisplayName {
		t.Errorf("the tenant read is %s %q", got.ID, got.DisplayName)
	}
}

// The lazy section methods give the same answers as the in-memory reference source for the same tenant.
func TestSectionsMatchTheReferenceSource(t *testing.T) {
	want := demoTenant(t)
	fake := serve(t, want, fakeazure.Options{Deny: denialsOf(t, want)})
	src := open(t, fake)
	ref := data.NewTenantSource(want, data.SourceInfo{})
	ctx := context.Background()

	var pages, n int
	if err := src.Identities(ctx, func(p []data.Identity) error { pages++; n += len(p); return nil }); err != nil {
		t.Fatal(err)
	}
	if n != len(want.Identities) || pages != int(math.Ceil(float64(n)/999)) {
		t.Fatalf("listed %d identities in %d pages", n, pages)
	}
	fake.ResetCounts()
	for _, ident := range want.Identities {
		id := ident.ID
		check := func(name string, got, exp any, gerr, eerr error) {
			t.Helper()
			if (gerr == nil) != (eerr == nil) {
				t.Errorf("%s %s: error %v, reference %v", ident.DisplayName, name, gerr, eerr)
			}
			gj, _ := json.Marshal(sortedJSON(got))
			ej, _ := json.Marshal(sortedJSON(exp))
			if string(gj) != string(ej) {
				t.Errorf("%s %s:\n  got  %s\n  want %s", ident.DisplayName, name, gj, ej)
			}
		}
		a, e1 := src.AttachedResources(ctx, id)
		b, e2 := ref.AttachedResources(ctx, id)
		check("attached", normResources(a), normResources(b), e1, e2)
		ar, e1 := src.AppRoles(ctx, id)
		br, e2 := ref.AppRoles(ctx, id)
		check("app roles", normAppRoles(ar), normAppRoles(br), e1, e2)
		dr, e1 := src.DirectoryRoles(ctx, id)
		ddr, e2 := ref.DirectoryRoles(ctx, id)
		check("directory roles", dr, ddr, e1, e2)
		zr, e1 := src.AzureRoles(ctx, id)
		zzr, e2 := ref.AzureRoles(ctx, id)
		check("azure roles", normAzure(zr), normAzure(zzr), e1, e2)
		fc, e1 := src.FederatedCredentials(ctx, id)
		ffc, e2 := ref.FederatedCredentials(ctx, id)
		check("federated credentials", fc, ffc, e1, e2)
		gr, e1 := src.Groups(ctx, id)
		ggr, e2 := ref.Groups(ctx, id)
		check("groups", gr, ggr, e1, e2)
	}
	if c := fake.Requests(); c.Writes != 0 {
		t.Errorf("section reads attempted %d writes", c.Writes)
	}
	if _, err := src.Groups(ctx, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("an unknown identity gave %v, want ErrNotFound", err)
	}
}

// sortedJSON makes a slice comparable regardless of order.
func sortedJSON(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return v
	}
	out := make([]string, rv.Len())
	for i := range out {
		b, _ := json.Marshal(rv.Index(i).Interface())
		out[i] = strings.ToLower(string(b))
	}
	sort.Strings(out)
	return out
}

func normResources(rs []data.Resource) []data.Resource {
	for i := range rs {
		rs[i].Type = strings.ToLower(data.ResourceType(rs[i].ID))
		sort.Strings(rs[i].UserAssignedIdentityIDs)
	}
	return rs
}

func normAppRoles(as []data.AppRoleAssignment) []data.AppRoleAssignment {
	for i := range as {
		as[i].ID = ""
	}
	return as
}

func normAzure(rs []data.AzureRole) []data.AzureRole {
	for i := range rs {
		rs[i].Definition = nil
	}
	return rs
}

// armLists counts, on the wire, the pages of the per-subscription and per-management-group ARM lists (role
// assignments, role definitions, user-assigned identities, resources and Resource Graph queries): the A of the budget.
type armLists struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *armLists) RoundTrip(r *http.Request) (*http.Response, error) {
	p := strings.ToLower(r.URL.Path)
	switch {
	case strings.HasSuffix(p, "/providers/microsoft.authorization/roleassignments"),
		strings.HasSuffix(p, "/providers/microsoft.authorization/roledefinitions"),
		strings.HasSuffix(p, "/providers/microsoft.managedidentity/userassignedidentities"),
		strings.HasPrefix(p, "/subscriptions/") && strings.HasSuffix(p, "/resources"),
		strings.HasSuffix(p, "/providers/microsoft.resourcegraph/resources"):
		c.n.Add(1)
	}
	return c.next.RoundTrip(r)
}

// countingClient wraps the fake's client so the test can tell A apart.
func countingClient(fake *fakeazure.Server) (*http.Client, *armLists) {
	c := fake.Client()
	a := &armLists{next: c.Transport}
	return &http.Client{Transport: a}, a
}

// budget is the documented request budget of a full collection: ceil(N/999) + ceil(3N/20) + U + A + ceil(P/20) +
// ceil(2K/20) + 20, K the applications and service principals the identities own.
func budget(t *data.Tenant, a int) (limit, u int) {
	n := len(t.Identities)
	for _, i := range t.Identities {
		if i.Kind == data.UserAssigned {
			u++
		}
	}
	p := int(math.Ceil(float64(len(t.Principals)) / 20))
	k := 0
	for _, o := range t.Ownerships {
		if o.ObjectType != data.OwnedGroup {
			k++
		}
	}
	owned := int(math.Ceil(float64(2*k) / 20))
	return int(math.Ceil(float64(n)/999)) + int(math.Ceil(float64(3*n)/20)) + u + a + p + owned + usageBudget(t) + 20, u
}

// usageBudget is what reading usage from Graph may cost: the sign-in log in pages of 1,000 events (the fake serves at
// most three events a record), the sign-in activity report in pages of 100 principals, and one $batch for each ten
// users with roles (two reads each).
func usageBudget(t *data.Tenant) int {
	events, principals := 0, map[string]bool{}
	for _, si := range t.Usage.SignIns {
		events += min(si.Count, 3)
		principals[data.Key(si.PrincipalID)] = true
	}
	return int(math.Ceil(float64(events)/1000)) + int(math.Ceil(float64(len(principals))/100)) +
		int(math.Ceil(float64(2*len(t.Usage.Users))/20)) + 2
}

// TestUsageRequestBudget: at 2,000 identities usage costs a bounded number of requests from either source: from a
// workspace, two queries (aggregated in KQL) whatever the number of sign-ins, the report and the users; from Graph,
// pages of the sign-in log within usageBudget.
func TestUsageRequestBudget(t *testing.T) {
	tenant := demo.Synthetic(2000, 7)
	for _, ws := range []string{"", "c0ffee00-1111-2222-3333-444455556666"} {
		t.Run("workspace="+ws, func(t *testing.T) {
			fake := serve(t, tenant, fakeazure.Options{})
			src := open(t, fake, func(o *azure.Options) { o.Workspace = ws })
			got := collect(t, src)
			if len(got.Usage.SignIns) == 0 || len(got.Usage.Users) == 0 {
				t.Fatalf("no usage read: %d sign-ins, %d users", len(got.Usage.SignIns), len(got.Usage.Users))
			}
			c := fake.Requests()
			logs := c.By["POST logs query"]
			switch {
			case ws != "" && logs != 2:
				t.Errorf("%d workspace queries, want 2 (sign-ins and activity, aggregated)", logs)
			case ws == "" && logs != 0:
				t.Errorf("%d workspace queries without a workspace", logs)
			}
			if ws != "" && len(got.Usage.Activity) == 0 {
				t.Error("no activity read from the workspace")
			}
			// Everything but usage is the same read either way; usage adds at most its budget.
			limit, _ := budget(tenant, 0)
			if c.Total > limit+40 { // A (ARM list pages) is not counted here: 40 covers it at this size
				t.Errorf("%d requests, over %d", c.Total, limit+40)
			}
			t.Logf("%d requests in all; usage budget %d; by kind %v", c.Total, usageBudget(tenant), c.By)
		})
	}
}

func TestRequestBudgetFor2000Identities(t *testing.T) {
	tenant := demo.Synthetic(2000, 7)
	fake := serve(t, tenant, fakeazure.Options{})
	client, a := countingClient(fake)
	src := open(t, fake, func(o *azure.Options) { o.Transport = client })
	got := collect(t, src)
	c := fake.Requests()
	limit, u := budget(tenant, int(a.n.Load()))
	t.Logf("%d identities (%d user-assigned), %d subscriptions: %d requests, budget %d (A=%d); by kind %v",
		len(got.Identities), u, len(tenant.Subscriptions), c.Total, limit, a.n.Load(), c.By)
	if len(got.Identities) != 2000 {
		t.Fatalf("read %d identities", len(got.Identities))
	}
	if c.Total > limit {
		t.Errorf("%d requests, over the budget of %d", c.Total, limit)
	}
	if c.Writes != 0 {
		t.Errorf("%d write attempts", c.Writes)
	}
}

func TestFaultsGiveTheSameResult(t *testing.T) {
	tenant := demo.Synthetic(300, 3)
	clean := collect(t, open(t, serve(t, tenant, fakeazure.Options{})))
	for _, ra := range []string{"0", ""} {
		t.Run("Retry-After="+ra, func(t *testing.T) {
			fake := serve(t, tenant, fakeazure.Options{ThrottleRate: 0.3, FailRate: 0.05, RetryAfter: ra, Seed: 11})
			start := time.Now()
			faulty := collect(t, open(t, fake))
			sameTenant(t, clean, faulty)
			c := fake.Requests()
			if c.Throttled == 0 || c.Failed == 0 {
				t.Errorf("no faults were injected (%d throttled, %d failed)", c.Throttled, c.Failed)
			}
			if c.Writes != 0 {
				t.Errorf("%d write attempts", c.Writes)
			}
			t.Logf("%v: %d requests, %d throttled, %d failed", time.Since(start).Round(time.Millisecond), c.Total, c.Throttled, c.Failed)
		})
	}
}

func TestDeniedPartsBecomeGaps(t *testing.T) {
	tenant := demoTenant(t)
	sub := tenant.Subscriptions[0].ID
	fake := serve(t, tenant, fakeazure.Options{Deny: []fakeazure.Denial{
		{PathPrefix: "/v1.0/roleManagement/directory/roleAssignments", Code: "Authorization_RequestDenied"},
		{PathPrefix: "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleAssignments", Code: "AuthorizationFailed"},
	}})
	src := open(t, fake)
	got := collect(t, src)
	if len(got.Identities) != len(tenant.Identities) {
		t.Fatalf("the rest was not read: %d identities", len(got.Identities))
	}
	var dirGap, subGap bool
	for _, g := range got.Gaps {
		if g.Section == data.SectionDirectoryRoles && g.Needs == "RoleManagement.Read.Directory" {
			dirGap = true
		}
		if g.Section == data.SectionAzureRoles && strings.EqualFold(g.Scope, "/subscriptions/"+sub) {
			subGap = true
		}
	}
	if !dirGap || !subGap {
		t.Fatalf("gaps %+v: want one for directory roles (needs RoleManagement.Read.Directory) and one for %s", got.Gaps, sub)
	}
	// Per identity, the section says why it is not readable instead of answering "none".
	_, err := src.DirectoryRoles(context.Background(), tenant.Identities[0].ID)
	if g, ok := data.AsGap(err); !ok || !strings.Contains(g.Error(), "needs RoleManagement.Read.Directory") {
		t.Errorf("DirectoryRoles gave %v, want a gap naming RoleManagement.Read.Directory", err)
	}
	if len(got.AppRoleAssignments) == 0 || len(got.Resources) == 0 {
		t.Errorf("parts that were not denied are missing")
	}
}

// A reader with Graph permissions but no Azure role lists no subscription (an empty 200, not a 403): resources and
// Azure roles are then not readable, never "none", and no identity is called stale or orphaned for it.
func TestNoReadableSubscriptionIsAGapNotAnEmptyEstate(t *testing.T) {
	tenant := demoTenant(t)
	graphOnly := *tenant
	graphOnly.Subscriptions, graphOnly.ManagementGroups = nil, nil
	fake := serve(t, &graphOnly, fakeazure.Options{Deny: denialsOf(t, tenant)})
	src := open(t, fake)
	got := collect(t, src)
	if len(got.Identities) != len(tenant.Identities) || len(got.Subscriptions) != 0 || len(got.Resources) != 0 {
		t.Fatalf("read %d identities, %d subscriptions, %d resources", len(got.Identities), len(got.Subscriptions), len(got.Resources))
	}
	want := map[data.Section]bool{data.SectionResources: false, data.SectionAttached: false, data.SectionAzureRoles: false}
	for _, g := range got.Gaps {
		if _, ok := want[g.Section]; ok && g.Scope == "" && g.IdentityID == "" &&
			g.Needs == "Reader on the subscriptions (or the root management group)" {
			want[g.Section] = true
		}
	}
	for sec, ok := range want {
		if !ok {
			t.Errorf("no tenant-wide %s gap naming the Reader role; gaps %+v", sec, got.Gaps)
		}
	}
	var system, user int
	res := assess.Assess(data.NewIndex(got))
	for _, f := range res.Findings {
		if f.RuleID == assess.RuleStale || f.RuleID == assess.RuleOrphaned {
			t.Errorf("%s on %s although no resource could be read", f.RuleID, f.IdentityID)
		}
	}
	for _, i := range tenant.Identities {
		switch i.Kind {
		case data.SystemAssigned:
			system++
		case data.UserAssigned:
			user++
		}
	}
	if system == 0 || user == 0 {
		t.Fatalf("the tenant has %d system-assigned and %d user-assigned identities; the test needs both", system, user)
	}
	x := data.NewIndex(got)
	for _, i := range tenant.Identities {
		if gs := x.Gaps(i.ID, data.SectionFederatedCredentials); (len(gs) > 0) != (i.Kind == data.UserAssigned) {
			t.Errorf("%s identity %s: federated credential gaps %+v", i.Kind, i.DisplayName, gs)
		}
	}
	// Each identity's sections say what they need, from the snapshot and from the live source alike.
	ctx := context.Background()
	id := tenant.Identities[0].ID
	for name, src := range map[string]data.Source{"snapshot": data.NewTenantSource(got, data.SourceInfo{}), "live": src} {
		if _, err := src.AzureRoles(ctx, id); !strings.Contains(fmt.Sprint(err), "needs Reader on the subscriptions") {
			t.Errorf("%s: Azure roles gave %v, want not readable", name, err)
		}
		if _, err := src.AttachedResources(ctx, id); !strings.Contains(fmt.Sprint(err), "needs Reader on the subscriptions") {
			t.Errorf("%s: attached resources gave %v, want not readable", name, err)
		}
	}
}

// An identity deleted between being listed and being read is skipped, not a reason to give up the collection.
func TestIdentitiesDeletedDuringTheReadAreSkipped(t *testing.T) {
	tenant := demo.Synthetic(60, 12)
	var ua []data.Identity
	for _, i := range tenant.Identities {
		if i.Kind == data.UserAssigned && len(data.NewIndex(tenant).FederatedCredentials(i.ID)) > 0 {
			ua = append(ua, i)
		}
	}
	if len(ua) < 2 {
		t.Fatalf("the tenant has %d user-assigned identities with federated credentials; the test needs 2", len(ua))
	}
	deletedUA, deletedSP := ua[0], tenant.Identities[0]
	if deletedSP.ID == deletedUA.ID {
		deletedSP = tenant.Identities[1]
	}
	fake := serve(t, tenant, fakeazure.Options{Break: []fakeazure.Breakage{
		// ARM listed the identity, then it was deleted: its federated credentials answer 404.
		{PathPrefix: deletedUA.ResourceID + "/federatedIdentityCredentials", Status: http.StatusNotFound},
		// Graph listed the service principal, then it was deleted: its permissions and groups answer 404.
		{PathPrefix: "/v1.0/servicePrincipals/" + deletedSP.ID + "/", Status: http.StatusNotFound},
	}})
	got := collect(t, open(t, fake, func(o *azure.Options) { o.Workspace = "c0ffee00-1111-2222-3333-444455556666" }))
	if len(got.Gaps) != 0 {
		t.Errorf("deleted identities became gaps: %+v", got.Gaps)
	}
	x := data.NewIndex(got)
	if _, ok := x.Identity(deletedSP.ID); ok || len(got.Identities) != len(tenant.Identities)-1 {
		t.Errorf("%d identities read; the deleted service principal is kept: %v", len(got.Identities), ok)
	}
	if n := len(x.FederatedCredentials(deletedUA.ID)); n != 0 {
		t.Errorf("the deleted identity shows %d federated credentials", n)
	}
	if n := len(x.FederatedCredentials(ua[1].ID)); n == 0 {
		t.Errorf("the federated credentials of %s were not read", ua[1].DisplayName)
	}
}

// A part that keeps failing after every retry becomes a gap with its reason; the rest of the tenant is read.
func TestPartsThatKeepFailingBecomeGaps(t *testing.T) {
	tenant := demo.Synthetic(60, 12)
	sub := tenant.Subscriptions[0].ID
	ident := tenant.Identities[3]
	fake := serve(t, tenant, fakeazure.Options{Break: []fakeazure.Breakage{
		{PathPrefix: "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleAssignments", Status: 500, RetryAfter: "0"},
		{PathPrefix: "/v1.0/roleManagement/directory/roleEligibilitySchedules", Status: 500, RetryAfter: "0"},
		{PathPrefix: "/v1.0/servicePrincipals/" + ident.ID + "/transitiveMemberOf", Status: 500, RetryAfter: "0"},
	}})
	src := open(t, fake)
	got := collect(t, src)
	if len(got.Identities) != len(tenant.Identities) || len(got.RoleAssignments) == 0 || len(got.AppRoleAssignments) == 0 {
		t.Fatalf("the rest was not read: %d identities, %d role assignments, %d app role assignments",
			len(got.Identities), len(got.RoleAssignments), len(got.AppRoleAssignments))
	}
	find := func(sec data.Section, scope, identity string) *data.Gap {
		for i, g := range got.Gaps {
			if g.Section == sec && strings.EqualFold(g.Scope, scope) && strings.EqualFold(g.IdentityID, identity) {
				return &got.Gaps[i]
			}
		}
		return nil
	}
	for _, want := range []struct {
		sec             data.Section
		scope, identity string
	}{
		{data.SectionAzureRoles, "/subscriptions/" + sub, ""},
		{data.SectionDirectoryRoles, "", ""},
		{data.SectionGroups, "", ident.ID},
	} {
		g := find(want.sec, want.scope, want.identity)
		if g == nil {
			t.Errorf("no %s gap at %q for %q; gaps %+v", want.sec, want.scope, want.identity, got.Gaps)
			continue
		}
		if !strings.Contains(g.Reason, "500") || g.Needs != "" {
			t.Errorf("the %s gap says %q (needs %q), want the 500 and no permission", want.sec, g.Reason, g.Needs)
		}
	}
	for _, a := range got.RoleAssignments {
		if data.SubscriptionOf(a.Scope) == sub {
			t.Errorf("a role assignment of the failing subscription was read: %+v", a)
			break
		}
	}
	// Read lazily, the failures are errors that are not gaps, so no cache keeps them.
	ctx := context.Background()
	if _, err := src.Groups(ctx, ident.ID); err == nil {
		t.Error("the groups that keep failing gave no error")
	} else if _, gap := data.AsGap(err); gap {
		t.Errorf("a failure came back as a gap, which caches keep: %v", err)
	}
}

// Read lazily, a directory-roles section whose eligibility list keeps failing returns the active roles it has with
// an error that is not a gap, so neither this source nor a cache above keeps the partial answer as complete.
func TestDirectoryRolesWithAFailedListAreNotComplete(t *testing.T) {
	tenant := demoTenant(t)
	var holder string
	x := data.NewIndex(tenant)
	for _, i := range tenant.Identities {
		for _, r := range x.DirectoryRoles(i.ID) {
			if r.State == data.Active && r.Via == data.ViaDirect {
				holder = i.ID
			}
		}
	}
	if holder == "" {
		t.Fatal("no identity of the demo tenant holds an active directory role")
	}
	const eligibility = "/v1.0/roleManagement/directory/roleEligibilitySchedules"
	fake := serve(t, tenant, fakeazure.Options{Deny: denialsOf(t, tenant),
		Break: []fakeazure.Breakage{{PathPrefix: eligibility, Status: http.StatusInternalServerError, RetryAfter: "0"}}})
	src := open(t, fake)
	ctx := context.Background()
	asked := 0
	for range 2 {
		before := fake.Requests().Failed
		roles, err := src.DirectoryRoles(ctx, holder)
		asked += fake.Requests().Failed - before
		if err == nil {
			t.Fatal("a failed eligibility list gave no error")
		}
		if _, gap := data.AsGap(err); gap {
			t.Fatalf("the failure came back as a gap, which caches keep: %v", err)
		}
		if !strings.Contains(err.Error(), "500") {
			t.Errorf("the error %q does not say what failed", err)
		}
		active := 0
		for _, r := range roles {
			if r.State == data.Active {
				active++
			}
		}
		if active == 0 {
			t.Errorf("the active roles that were read are missing: %+v", roles)
		}
	}
	if asked < 2*(1+10) {
		t.Errorf("the eligibility list was asked %d times over two reads: the failure was kept", asked)
	}
}

func TestExpiredTokensAreRenewed(t *testing.T) {
	tenant := demo.Synthetic(50, 5)
	fake := serve(t, tenant, fakeazure.Options{TokenLifetime: 2 * time.Second})
	src := open(t, fake)
	first := collect(t, src)
	time.Sleep(2500 * time.Millisecond) // every token issued so far has expired
	fake.ResetCounts()
	second := collect(t, src)
	sameTenant(t, first, second)
	if n := fake.Requests().By["POST token"]; n == 0 {
		t.Errorf("no new token was requested after the old ones expired")
	}
}

func TestRevokedTokenIsReported(t *testing.T) {
	fake := serve(t, demo.Synthetic(50, 5), fakeazure.Options{})
	src := open(t, fake)
	collect(t, src)
	fake.RevokeTokens()
	if _, err := src.Tenant(context.Background(), nil); !errors.Is(err, azure.ErrTokenRejected) {
		t.Fatalf("after revocation: %v, want ErrTokenRejected", err)
	}
	fake.RevokeCredential()
	if _, err := azure.New(context.Background(), azure.Options{Auth: "environment", Transport: fake.Client()}); !errors.Is(err, azure.ErrNoCredential) {
		t.Fatalf("with a revoked secret: %v, want ErrNoCredential", err)
	}
}

func TestNoUsableCredential(t *testing.T) {
	fake := serve(t, demo.Synthetic(5, 1), fakeazure.Options{})
	t.Setenv("AZURE_CLIENT_SECRET", "wrong")
	_, err := azure.New(context.Background(), azure.Options{Auth: "environment", Transport: fake.Client()})
	if !errors.Is(err, azure.ErrNoCredential) {
		t.Fatalf("got %v, want ErrNoCredential", err)
	}
	for _, hint := range []string{"az login", "--auth device-code", "--demo"} {
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("the message %q does not name %s", err, hint)
		}
	}
	if _, err := azure.New(context.Background(), azure.Options{Auth: "password"}); err == nil || !strings.Contains(err.Error(), "device-code") {
		t.Errorf("an unknown --auth gave %v", err)
	}
}

// What the authority answers reaches the terminal inside the error: escape sequences in it are removed.
func TestSignInErrorIsCleaned(t *testing.T) {
	fake := serve(t, demo.Synthetic(5, 1), fakeazure.Options{})
	// Entra quotes the client id it did not find; a hostile one carries a terminal title escape and a colour.
	t.Setenv("AZURE_CLIENT_ID", "app\x1b]0;owned\x07\x1b[31m-id")
	_, err := azure.New(context.Background(), azure.Options{Auth: "environment", Transport: fake.Client()})
	if !errors.Is(err, azure.ErrNoCredential) {
		t.Fatalf("got %v, want ErrNoCredential", err)
	}
	if !strings.Contains(err.Error(), "AADSTS700016") {
		t.Fatalf("the message %q does not quote the authority", err)
	}
	if strings.ContainsAny(err.Error(), "\x1b\x07") {
		t.Errorf("the message carries control characters: %q", err)
	}
}

func TestSubscriptionsLimitARM(t *testing.T) {
	tenant := demo.Synthetic(200, 4) // a synthetic tenant always spans three subscriptions or more
	keep := tenant.Subscriptions[1].ID
	fake := serve(t, tenant, fakeazure.Options{})
	var outside atomic.Int64
	base := fake.Client().Transport
	client := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		if sub := data.SubscriptionOf(r.URL.Path); sub != "" && sub != strings.ToLower(keep) {
			outside.Add(1)
		}
		return base.RoundTrip(r)
	})}
	got := collect(t, open(t, fake, func(o *azure.Options) {
		o.Transport = client
		o.Subscriptions = []string{strings.ToUpper(keep)}
	}))
	if len(got.Subscriptions) != 1 || got.Subscriptions[0].ID != strings.ToLower(keep) {
		t.Fatalf("subscriptions %+v, want only %s", got.Subscriptions, keep)
	}
	if len(got.Resources) == 0 || len(got.RoleAssignments) == 0 {
		t.Fatalf("%d resources and %d role assignments read from %s", len(got.Resources), len(got.RoleAssignments), keep)
	}
	for _, r := range got.Resources {
		if data.SubscriptionOf(r.ID) != strings.ToLower(keep) {
			t.Errorf("resource %s is outside the subscription asked for", r.ID)
		}
	}
	for _, a := range got.RoleAssignments {
		if sub := data.SubscriptionOf(a.Scope); sub != "" && sub != strings.ToLower(keep) {
			t.Errorf("role assignment at %s is outside the subscription asked for", a.Scope)
		}
	}
	if outside.Load() != 0 {
		t.Errorf("%d requests went to other subscriptions", outside.Load())
	}
}

// BenchmarkCollect10k collects a 10,000-identity tenant from the fake with 25 ms added to every response.
func BenchmarkCollect10k(b *testing.B) {
	tenant := demo.Synthetic(10000, 42)
	fake := serve(b, tenant, fakeazure.Options{Latency: 25 * time.Millisecond})
	client, a := countingClient(fake)
	for b.Loop() {
		src := open(b, fake, func(o *azure.Options) { o.Transport = client })
		fake.ResetCounts()
		a.n.Store(0)
		t := collect(b, src)
		if len(t.Identities) != 10000 {
			b.Fatalf("read %d identities", len(t.Identities))
		}
	}
	c := fake.Requests()
	limit, u := budget(tenant, int(a.n.Load()))
	// A naive collector asks once per identity per section: app roles, groups, directory roles, Azure roles and
	// attached resources, plus the federated credentials of each user-assigned identity.
	naive := 5*len(tenant.Identities) + u
	b.ReportMetric(float64(c.Total), "requests")
	b.ReportMetric(float64(limit), "budget")
	b.ReportMetric(float64(naive), "naive-requests")
}

// The identity list is handed over page by page as Graph returns it, so the first page shows before the rest is read.
func TestIdentitiesStreamPageByPage(t *testing.T) {
	tenant := demo.Synthetic(2100, 9)
	fake := serve(t, tenant, fakeazure.Options{})
	src := open(t, fake)
	fake.ResetCounts()
	var sizes []int
	getsAtFirstPage := -1
	err := src.Identities(context.Background(), func(p []data.Identity) error {
		if getsAtFirstPage < 0 {
			getsAtFirstPage = fake.Requests().By["GET graph"]
		}
		sizes = append(sizes, len(p))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[999 999 102]" {
		t.Errorf("pages of %v, want [999 999 102]", sizes)
	}
	if getsAtFirstPage != 1 {
		t.Errorf("the first page was handed over after %d list requests, want 1", getsAtFirstPage)
	}
	stop := errors.New("enough")
	pages := 0
	if err := src.Identities(context.Background(), func([]data.Identity) error { pages++; return stop }); !errors.Is(err, stop) || pages != 1 {
		t.Errorf("a page callback's error gave %v after %d pages", err, pages)
	}
}

// When Resource Graph is not readable, resources are listed per subscription instead, with the same result.
func TestResourcesFallBackWhenResourceGraphFails(t *testing.T) {
	want := demoTenant(t)
	deny := append(denialsOf(t, want), fakeazure.Denial{PathPrefix: "/providers/Microsoft.ResourceGraph", Code: "AuthorizationFailed"})
	fake := serve(t, want, fakeazure.Options{Deny: deny})
	var listed atomic.Int64
	base := fake.Client().Transport
	client := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		if p := strings.ToLower(r.URL.Path); strings.HasPrefix(p, "/subscriptions/") && strings.HasSuffix(p, "/resources") {
			listed.Add(1)
		}
		return base.RoundTrip(r)
	})}
	got := collect(t, open(t, fake, func(o *azure.Options) { o.Transport = client }))
	if fake.Requests().By["POST arg"] == 0 || listed.Load() < int64(len(want.Subscriptions)) {
		t.Fatalf("Resource Graph tried %d times, %d per-subscription lists", fake.Requests().By["POST arg"], listed.Load())
	}
	g, w := normalise(got), normalise(want)
	if !reflect.DeepEqual(g.Resources, w.Resources) {
		t.Errorf("resources differ:\n%s", firstDifference(reflect.ValueOf(w.Resources), reflect.ValueOf(g.Resources)))
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Opening one identity costs what that identity needs: its own Graph reads, and tenant-wide lists only once.
func TestSectionsFetchOnlyWhatTheIdentityNeeds(t *testing.T) {
	tenant := demoTenant(t)
	fake := serve(t, tenant, fakeazure.Options{Deny: denialsOf(t, tenant)})
	src := open(t, fake)
	ctx := context.Background()
	if err := src.Identities(ctx, func([]data.Identity) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var ua data.Identity
	for _, i := range tenant.Identities {
		if i.Kind == data.UserAssigned {
			ua = i
			break
		}
	}
	fake.ResetCounts()
	if _, err := src.Groups(ctx, ua.ID); err != nil {
		t.Fatal(err)
	}
	c := fake.Requests()
	if c.By["GET arm"] != 0 || c.By["POST graph $batch"] > 2 || c.Total > 2 {
		t.Errorf("groups of one identity took %v", c.By)
	}
	fake.ResetCounts()
	if _, err := src.FederatedCredentials(ctx, ua.ID); err != nil {
		if _, gap := data.AsGap(err); !gap {
			t.Fatal(err)
		}
	}
	// The first ARM read also signs in to ARM (a token request).
	if c := fake.Requests(); c.Total-c.By["POST token"]-c.By["GET openid"] != 1 || c.By["GET arm"] != 1 {
		t.Errorf("federated credentials of one identity took %v", c.By)
	}
	// The tenant-wide Azure role assignments are read once, then joined for every identity.
	if _, err := src.AzureRoles(ctx, tenant.Identities[0].ID); err != nil {
		t.Fatal(err)
	}
	fake.ResetCounts()
	for _, i := range tenant.Identities[1:5] {
		if _, err := src.AzureRoles(ctx, i.ID); err != nil {
			t.Fatal(err)
		}
	}
	if c := fake.Requests(); c.By["GET arm"] != 0 || c.By["POST arg"] != 0 {
		t.Errorf("the Azure roles of four more identities read ARM again: %v", c.By)
	}
}

// Graph's 404 for a principal that holds an Azure role marks it deleted, so its role assignments are dangling; a
// principal Graph refuses to show is only unnamed, never called deleted.
func TestDeletedPrincipalsAreToldFromUnreadableOnes(t *testing.T) {
	tenant := demoTenant(t)
	deleted := map[string]data.PrincipalType{}
	for _, p := range tenant.Principals {
		if p.NotFound {
			deleted[strings.ToLower(p.ID)] = p.Type
		}
	}
	kinds := map[data.PrincipalType]bool{}
	for _, typ := range deleted {
		kinds[typ] = true
	}
	if !kinds[data.PrincipalUser] || !kinds[data.PrincipalServicePrincipal] {
		t.Fatalf("the demo tenant needs a deleted user and a deleted service principal holding roles: %v", deleted)
	}
	for _, denyUsers := range []bool{false, true} {
		var deny []fakeazure.Denial
		if denyUsers {
			deny = append(deny, fakeazure.Denial{PathPrefix: "/v1.0/users/"})
		}
		got := collect(t, open(t, serve(t, tenant, fakeazure.Options{Deny: deny})))
		seen := 0
		for _, p := range got.Principals {
			typ, gone := deleted[strings.ToLower(p.ID)]
			if gone {
				seen++
			}
			want := gone && !(denyUsers && typ == data.PrincipalUser)
			if p.NotFound != want {
				t.Errorf("users denied %v: principal %s (%s) NotFound %v, want %v", denyUsers, p.ID, p.Type, p.NotFound, want)
			}
			if denyUsers && p.Type == data.PrincipalUser && p.DisplayName != "" {
				t.Errorf("users denied, yet user %s is named %q", p.ID, p.DisplayName)
			}
		}
		if seen != len(deleted) {
			t.Errorf("users denied %v: %d of the %d deleted principals were listed", denyUsers, seen, len(deleted))
		}
	}
}

// TestUsageGaps: a part of usage that cannot be read (no licence, no permission, no workspace) is a gap that says
// what it needs, no usage is made up for it, and the usage rules say they were not assessed rather than finding
// identities unused.
func TestUsageGaps(t *testing.T) {
	tenant := demoTenant(t)
	gapOf := func(got *data.Tenant, s data.Section) *data.Gap {
		for i := range got.Gaps {
			if got.Gaps[i].Section == s && got.Gaps[i].IdentityID == "" {
				return &got.Gaps[i]
			}
		}
		return nil
	}
	for _, c := range []struct {
		name      string
		opts      fakeazure.Options
		workspace string
		signIns   string // a substring of the sign-in gap's reason; "" when sign-ins must be read
		users     string // likewise for users' sign-in activity
		activity  string // likewise for activity
	}{
		{name: "no licence, no workspace", opts: fakeazure.Options{NoPremium: true},
			signIns: "no Entra ID P1 licence", users: "no Entra ID P1 licence", activity: data.ReasonNoWorkspace},
		{name: "sign-in log denied", opts: fakeazure.Options{Deny: []fakeazure.Denial{{PathPrefix: "/beta/auditLogs"}}},
			signIns: "403 Authorization_RequestDenied", activity: data.ReasonNoWorkspace},
		{name: "workspace denied: Graph instead", workspace: "c0ffee00-1111-2222-3333-444455556666",
			opts:     fakeazure.Options{Deny: []fakeazure.Denial{{PathPrefix: "/v1/workspaces"}}},
			activity: "403 InsufficientAccessError"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fake := serve(t, tenant, c.opts)
			got := collect(t, open(t, fake, func(o *azure.Options) { o.Workspace = c.workspace }))
			if got.Usage == nil {
				t.Fatal("usage not set: a live read always says what it read of usage")
			}
			for _, part := range []struct {
				sec  data.Section
				want string
				n    int
			}{{data.SectionSignIns, c.signIns, len(got.Usage.SignIns)}, {data.SectionUserSignIns, c.users, len(got.Usage.Users)},
				{data.SectionActivity, c.activity, len(got.Usage.Activity)}} {
				g := gapOf(got, part.sec)
				switch {
				case part.want == "" && g != nil:
					t.Errorf("%s: unexpected gap %+v", part.sec, g)
				case part.want == "" && part.n == 0:
					t.Errorf("%s: nothing read", part.sec)
				case part.want != "" && (g == nil || !strings.Contains(g.Reason, part.want) || g.Needs == ""):
					t.Errorf("%s: gap %+v, want one saying %q and what it needs", part.sec, g, part.want)
				case part.want != "" && part.n != 0:
					t.Errorf("%s: %d records made up over a gap", part.sec, part.n)
				}
			}
			r := assess.Assess(data.NewIndex(got))
			for _, f := range r.Findings {
				if c.signIns != "" && (f.RuleID == assess.RuleUnused || f.RuleID == assess.RuleUnusedGrant) {
					t.Errorf("%s fired over a sign-in gap: %s", f.RuleID, f.Title)
				}
				if c.users != "" && f.RuleID == assess.RuleUserAsService {
					t.Errorf("%s fired over a gap: %s", f.RuleID, f.Title)
				}
			}
			if c.signIns != "" {
				found := false
				for _, g := range r.Gaps {
					found = found || strings.Contains(g.Reason, assess.RuleUnused+", ") && strings.Contains(g.Reason, "not assessed")
				}
				if !found {
					t.Errorf("the result does not say MI-UNUSED was not assessed: %+v", r.Gaps)
				}
			}
		})
	}
}
