package fakeazure

import (
	"context"
	"errors"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/msi/armmsi"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"

	"github.com/miscope/miscope/data"
)

// TestARMListsWithTheSDKs reads every ARM list miscope uses through the real SDK clients, with pages of two so
// that every list pages, and checks the answers against the tenant.
func TestARMListsWithTheSDKs(t *testing.T) {
	tenant := testTenant(9)
	srv := New(tenant, Options{ARMPageSize: 2})
	defer srv.Close()
	ctx := context.Background()
	cred := credential(t, srv)
	opts := armOptions(srv)
	x := data.NewIndex(tenant)

	// Role assignments of subscription A: its own (made in its resource groups) and the Reader inherited from
	// the management group above it.
	ra, err := armauthorization.NewRoleAssignmentsClient(testSubA, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	pager := ra.NewListForSubscriptionPager(nil)
	for pager.More() {
		p, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Value {
			if !strings.HasPrefix(*a.Properties.RoleDefinitionID, "/subscriptions/"+testSubA+"/providers/Microsoft.Authorization/roleDefinitions/") {
				t.Errorf("roleDefinitionId %s is not in the subscription form", *a.Properties.RoleDefinitionID)
			}
			got = append(got, *a.Properties.PrincipalID+"@"+*a.Properties.Scope)
		}
	}
	var want []string
	for _, a := range tenant.RoleAssignments {
		if x.Covers(a.Scope, "/subscriptions/"+testSubA) || data.SubscriptionOf(a.Scope) == testSubA {
			want = append(want, a.PrincipalID+"@"+a.Scope)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") || len(want) < 3 {
		t.Errorf("subscription A role assignments:\n got %v\nwant %v", got, want)
	}

	// At the management group with atScope(), sent pre-encoded because armauthorization does not encode $filter.
	f := url.PathEscape("atScope()")
	mgPager := ra.NewListForScopePager("/providers/Microsoft.Management/managementGroups/prod",
		&armauthorization.RoleAssignmentsClientListForScopeOptions{Filter: &f})
	n := 0
	for mgPager.More() {
		p, err := mgPager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Value {
			if *a.Properties.PrincipalType != armauthorization.PrincipalTypeUser || *a.Properties.Scope != "/providers/Microsoft.Management/managementGroups/prod" {
				t.Errorf("unexpected assignment at the management group: %+v", *a.Properties)
			}
			n++
		}
	}
	if n != 1 {
		t.Errorf("management group list: %d assignments, want the one Reader", n)
	}

	// Role definitions: by id in the tenant form, and listed per subscription with custom roles marked.
	rd, err := armauthorization.NewRoleDefinitionsClient(cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := rd.GetByID(ctx, "/providers/Microsoft.Authorization/roleDefinitions/"+ownerRole, nil)
	if err != nil || *owner.Properties.RoleName != "Owner" || *owner.Properties.Permissions[0].Actions[0] != "*" {
		t.Fatalf("Owner by id: %v %+v", err, owner)
	}
	custom := 0
	for rdPager := rd.NewListPager("/subscriptions/"+testSubB, nil); rdPager.More(); {
		p, err := rdPager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range p.Value {
			if *d.Properties.RoleType == "CustomRole" {
				custom++
			}
		}
	}
	if custom != 1 {
		t.Errorf("custom roles listed: %d, want 1", custom)
	}

	// User-assigned identities of subscription B and the federated credential of each.
	uamis, err := armmsi.NewUserAssignedIdentitiesClient(testSubB, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	fics, err := armmsi.NewFederatedIdentityCredentialsClient(testSubB, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	var uaB []string
	for p := uamis.NewListBySubscriptionPager(nil); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Value {
			id, ok := x.Identity(*u.Properties.PrincipalID)
			if !ok || id.AppID != *u.Properties.ClientID || !data.SameID(id.ResourceID, *u.ID) {
				t.Errorf("user-assigned identity %s does not match the tenant", *u.ID)
			}
			uaB = append(uaB, *u.ID)
			fp := fics.NewListPager(data.ResourceGroupOf(*u.ID), *u.Name, nil)
			fpage, err := fp.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(fpage.Value) != 1 || *fpage.Value[0].Properties.Issuer != "https://token.actions.githubusercontent.com" {
				t.Errorf("federated credentials of %s: %+v", *u.Name, fpage.Value)
			}
		}
	}
	if len(uaB) != 1 { // of mi-0000..mi-0008, only mi-0003 is user-assigned and in subscription B
		t.Errorf("user-assigned identities in B: %v", uaB)
	}

	// Resources of subscription A with their identity blocks.
	rc, err := armresources.NewClient(testSubA, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	withIdentity := 0
	for p := rc.NewListPager(&armresources.ClientListOptions{Expand: ptr("createdTime,changedTime,provisioningState")}); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Value {
			if r.Identity == nil {
				continue
			}
			withIdentity++
			if r.Identity.PrincipalID != nil {
				if res, ok := x.Resource(*r.ID); !ok || res.SystemAssignedPrincipalID != *r.Identity.PrincipalID {
					t.Errorf("%s: identity block %+v does not match the tenant", *r.ID, *r.Identity)
				}
			}
			for uaID, v := range r.Identity.UserAssignedIdentities {
				if id, ok := x.Identity(*v.PrincipalID); !ok || !data.SameID(id.ResourceID, uaID) {
					t.Errorf("%s: user-assigned %s does not match", *r.ID, uaID)
				}
			}
		}
	}
	if withIdentity != 5 { // mi-0000, 0002, 0004, 0006, 0008 live in A
		t.Errorf("resources with identities in A: %d, want 5", withIdentity)
	}

	// Resource Graph: the identity query over both subscriptions, three rows a page.
	arg, err := armresourcegraph.NewClient(cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	var rows int
	var skip *string
	for page := 0; ; page++ {
		resp, err := arg.Resources(ctx, armresourcegraph.QueryRequest{
			Query:         ptr("Resources | where isnotempty(identity) | project id, name, type, location, identity"),
			Subscriptions: []*string{ptr(testSubA), ptr(testSubB)},
			Options:       &armresourcegraph.QueryRequestOptions{Top: ptr[int32](3), SkipToken: skip, ResultFormat: ptr(armresourcegraph.ResultFormatObjectArray)},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if *resp.ResultTruncated != armresourcegraph.ResultTruncatedFalse {
			t.Errorf("resultTruncated = %v", *resp.ResultTruncated)
		}
		for _, row := range resp.Data.([]any) {
			m := row.(map[string]any)
			if m["identity"] == nil || m["type"] != strings.ToLower(m["type"].(string)) || len(m) != 5 {
				t.Errorf("row %v", m)
			}
			rows++
		}
		if skip = resp.SkipToken; skip == nil {
			break
		}
		if page > 10 {
			t.Fatal("Resource Graph paging does not end")
		}
	}
	if rows != 9 {
		t.Errorf("Resource Graph rows: %d, want 9", rows)
	}
	if c := srv.Requests(); c.By["POST arg"] != 3 || c.Writes != 0 {
		t.Errorf("counts %+v, want 3 Resource Graph pages and no writes", c)
	}
}

// TestUnencodedFilterGetsAClearAnswer sends armauthorization's $filter as the SDK sends it, unencoded: the fake
// says what to do instead of net/http's bare 400; the pre-encoded form works.
func TestUnencodedFilterGetsAClearAnswer(t *testing.T) {
	tenant := testTenant(3)
	srv := New(tenant, Options{})
	defer srv.Close()
	ctx := context.Background()
	ra, err := armauthorization.NewRoleAssignmentsClient(testSubA, credential(t, srv), armOptions(srv))
	if err != nil {
		t.Fatal(err)
	}
	raw := "principalId eq '" + tenant.Identities[0].ID + "'"
	_, err = ra.NewListForSubscriptionPager(&armauthorization.RoleAssignmentsClientListForSubscriptionOptions{Filter: &raw}).NextPage(ctx)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 400 || re.ErrorCode != "InvalidRequestLine" || !strings.Contains(err.Error(), "pre-encoded") {
		t.Fatalf("unencoded $filter: %v, want 400 InvalidRequestLine saying to pre-encode", err)
	}
	enc := url.PathEscape(raw)
	page, err := ra.NewListForSubscriptionPager(&armauthorization.RoleAssignmentsClientListForSubscriptionOptions{Filter: &enc}).NextPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Value) != 1 || *page.Value[0].Properties.PrincipalID != tenant.Identities[0].ID {
		t.Errorf("filtered list: %d assignments, want the identity's one", len(page.Value))
	}
}

// TestFailuresAreRecoveredFrom answers half the requests with 500 or a reset connection; the SDK's retries still
// read every list.
func TestFailuresAreRecoveredFrom(t *testing.T) {
	srv := New(testTenant(6), Options{FailRate: 0.5, Seed: 3})
	defer srv.Close()
	ctx := context.Background()
	c, err := armmsi.NewUserAssignedIdentitiesClient(testSubA, credential(t, srv), armOptions(srv))
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		page, err := c.NewListBySubscriptionPager(nil).NextPage(ctx)
		if err != nil {
			t.Fatalf("list did not recover from failures: %v", err)
		}
		if len(page.Value) != 1 {
			t.Fatalf("%d user-assigned identities, want 1", len(page.Value))
		}
	}
	if n := srv.Requests().Failed; n == 0 {
		t.Error("no request failed at a rate of 0.5")
	}
}
