package fakeazure

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/msi/armmsi"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	azauth "github.com/microsoftgraph/msgraph-sdk-go-core/authentication"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/rolemanagement"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"

	"github.com/miscope/miscope/data"
)

// fastRetry keeps azcore's retries of throttled and failed requests quick in tests.
var fastRetry = policy.RetryOptions{MaxRetries: 8, RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond}

// credential is the real azidentity client-secret credential pointed at the fake.
func credential(t *testing.T, srv *Server) *azidentity.ClientSecretCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(srv.TenantID(), "miscope-test", "secret",
		&azidentity.ClientSecretCredentialOptions{
			ClientOptions: azcore.ClientOptions{
				Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: srv.URL() + "/"},
				Transport: srv.Client(),
			},
			DisableInstanceDiscovery: true,
		})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// recorder remembers the Content-Encoding of every $batch request it carries.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	enc  []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/$batch") {
		r.mu.Lock()
		r.enc = append(r.enc, req.Header.Get("Content-Encoding"))
		r.mu.Unlock()
	}
	return r.next.RoundTrip(req)
}

// graphClient is msgraph-sdk-go with its default middleware (compression and retries included), trusting the fake.
func graphClient(t *testing.T, srv *Server) (*msgraphsdk.GraphServiceClient, *msgraphsdk.GraphRequestAdapter, *recorder) {
	t.Helper()
	auth, err := azauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(credential(t, srv),
		[]string{"https://graph.microsoft.com/.default"}, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{next: srv.Client().Transport}
	opts := msgraphsdk.GetDefaultClientOptions()
	hc := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(rec, msgraphcore.GetDefaultMiddlewaresWithOptions(&opts)...)}
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, hc)
	if err != nil {
		t.Fatal(err)
	}
	adapter.SetBaseUrl(srv.URL() + "/v1.0")
	return msgraphsdk.NewGraphServiceClient(adapter), adapter, rec
}

// armOptions points the ARM SDK clients at the fake.
func armOptions(srv *Server) *arm.ClientOptions {
	return &arm.ClientOptions{ClientOptions: azcore.ClientOptions{
		Cloud: cloud.Configuration{
			ActiveDirectoryAuthorityHost: srv.URL() + "/",
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Audience: "https://management.core.windows.net/", Endpoint: srv.URL()},
			},
		},
		Transport: srv.Client(),
		Retry:     fastRetry,
	}}
}

func TestTokenFlowAndServicePrincipalPaging(t *testing.T) {
	tenant := testTenant(250)
	srv := New(tenant, Options{})
	defer srv.Close()
	client, adapter, _ := graphClient(t, srv)
	ctx := context.Background()

	top := int32(100)
	resp, err := client.ServicePrincipals().Get(ctx, &serviceprincipals.ServicePrincipalsRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ServicePrincipalsRequestBuilderGetQueryParameters{
			Filter: ptr("servicePrincipalType eq 'ManagedIdentity'"),
			Select: []string{"id", "appId", "displayName", "alternativeNames", "servicePrincipalType"},
			Top:    &top,
		}})
	if err != nil {
		t.Fatal(err)
	}
	if next := resp.GetOdataNextLink(); next == nil || !strings.HasPrefix(*next, srv.URL()+"/v1.0/servicePrincipals?") {
		t.Fatalf("first page nextLink = %v, want an absolute link on the fake", next)
	}
	it, err := msgraphcore.NewPageIterator[models.ServicePrincipalable](resp, adapter,
		models.CreateServicePrincipalCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	var got []data.Identity
	err = it.Iterate(ctx, func(sp models.ServicePrincipalable) bool {
		kind, rid := data.KindFromAlternativeNames(sp.GetAlternativeNames())
		if sp.GetKeyCredentials() != nil {
			t.Errorf("%s: keyCredentials served although not selected", *sp.GetId())
		}
		got = append(got, data.Identity{ID: *sp.GetId(), AppID: *sp.GetAppId(), DisplayName: *sp.GetDisplayName(), Kind: kind, ResourceID: rid})
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(tenant.Identities) {
		t.Fatalf("read %d managed identities, want %d", len(got), len(tenant.Identities))
	}
	for i, want := range tenant.Identities {
		if g := got[i]; g.ID != want.ID || g.AppID != want.AppID || g.Kind != want.Kind || g.ResourceID != want.ResourceID {
			t.Fatalf("identity %d = %+v, want %+v", i, g, want)
		}
	}
	c := srv.Requests()
	if c.By["GET graph"] != 3 {
		t.Errorf("GET graph = %d, want 3 pages of 100", c.By["GET graph"])
	}
	if c.By["POST token"] < 1 || c.By["GET openid"] < 1 {
		t.Errorf("token flow not seen: %v", c.By)
	}
	if c.Writes != 0 {
		t.Errorf("writes = %d, want 0", c.Writes)
	}
}

func TestTokensAreCheckedAndRenewed(t *testing.T) {
	srv := New(testTenant(3), Options{TokenLifetime: time.Second})
	defer srv.Close()
	cred := credential(t, srv)
	ctx := context.Background()
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL()+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct{ Error struct{ Code string } }
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Error.Code
	}
	if st, _ := get("/subscriptions?api-version=2022-12-01", tok.Token); st != http.StatusOK {
		t.Fatalf("fresh ARM token: status %d", st)
	}
	if st, code := get("/v1.0/servicePrincipals", tok.Token); st != http.StatusUnauthorized || code != "InvalidAuthenticationToken" {
		t.Errorf("ARM token on Graph: %d %s, want 401 InvalidAuthenticationToken", st, code)
	}
	if st, code := get("/subscriptions?api-version=2022-12-01", "made-up"); st != http.StatusUnauthorized || code != "InvalidAuthenticationToken" {
		t.Errorf("unknown token: %d %s", st, code)
	}
	time.Sleep(1100 * time.Millisecond)
	if st, code := get("/subscriptions?api-version=2022-12-01", tok.Token); st != http.StatusUnauthorized || code != "ExpiredAuthenticationToken" {
		t.Errorf("expired token: %d %s, want 401 ExpiredAuthenticationToken", st, code)
	}
	// The SDK notices the short lifetime and asks for a new token rather than sending the expired one.
	before := srv.Requests().By["POST token"]
	subs, err := armsubscriptions.NewClient(cred, armOptions(srv))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := subs.NewListPager(nil).NextPage(ctx); err != nil {
		t.Fatalf("listing with a renewed token: %v", err)
	}
	if after := srv.Requests().By["POST token"]; after <= before {
		t.Errorf("no token renewal: %d token requests before, %d after", before, after)
	}
	// A wrong secret is refused the way Entra refuses it.
	bad, _ := azidentity.NewClientSecretCredential(srv.TenantID(), "miscope-test", "wrong", &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: srv.URL() + "/"}, Transport: srv.Client()},
		DisableInstanceDiscovery: true})
	if _, err := bad.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}}); err == nil ||
		!strings.Contains(err.Error(), "AADSTS7000215") {
		t.Errorf("wrong secret: err = %v, want AADSTS7000215", err)
	}
}

func TestBatchOfGzippedGETs(t *testing.T) {
	tenant := testTenant(12)
	srv := New(tenant, Options{})
	defer srv.Close()
	client, adapter, rec := graphClient(t, srv)
	ctx := context.Background()

	batch := msgraphcore.NewBatchRequest(adapter)
	ids := map[string]string{} // batch item id -> identity id
	for _, id := range tenant.Identities[:10] {
		info, err := client.ServicePrincipals().ByServicePrincipalId(id.ID).TransitiveMemberOf().ToGetRequestInformation(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		item, err := batch.AddBatchRequestStep(*info)
		if err != nil {
			t.Fatal(err)
		}
		ids[*item.GetId()] = id.ID
		info, err = client.ServicePrincipals().ByServicePrincipalId(id.ID).AppRoleAssignments().ToGetRequestInformation(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if item, err = batch.AddBatchRequestStep(*info); err != nil {
			t.Fatal(err)
		}
		ids[*item.GetId()] = id.ID
	}
	resp, err := batch.Send(ctx, adapter)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.enc) != 1 || rec.enc[0] != "gzip" {
		t.Errorf("$batch Content-Encoding = %v, want one gzip request", rec.enc)
	}
	x := data.NewIndex(tenant)
	groups, roles := 0, 0
	for itemID, identity := range ids {
		item := resp.GetResponseById(itemID)
		if item == nil || item.GetStatus() == nil || *item.GetStatus() != 200 {
			t.Fatalf("item %s: %v", itemID, item)
		}
		// Answers do not echo their URL; the two kinds are told apart by their bodies.
		body := item.GetBody()
		raw, _ := json.Marshal(body)
		switch {
		case strings.Contains(string(raw), "appRoleId"):
			list, err := msgraphcore.GetBatchResponseById[models.AppRoleAssignmentCollectionResponseable](resp, itemID,
				models.CreateAppRoleAssignmentCollectionResponseFromDiscriminatorValue)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range list.GetValue() {
				if a.GetPrincipalId().String() != identity || a.GetAppRoleId().String() != readWriteAll {
					t.Errorf("app role of %s: %s %s", identity, a.GetPrincipalId(), a.GetAppRoleId())
				}
				roles++
			}
		default:
			list, err := msgraphcore.GetBatchResponseById[models.DirectoryObjectCollectionResponseable](resp, itemID,
				models.CreateDirectoryObjectCollectionResponseFromDiscriminatorValue)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			for _, g := range x.Groups(identity) {
				want[g.ID] = true
			}
			for _, o := range list.GetValue() {
				switch v := o.(type) {
				case models.Groupable:
					if !want[*v.GetId()] {
						t.Errorf("%s: unexpected group %s", identity, *v.GetId())
					}
					groups++
				case models.DirectoryRoleable:
					if *v.GetRoleTemplateId() != globalAdmin || identity != tenant.Identities[0].ID {
						t.Errorf("%s: unexpected directory role %s", identity, *v.GetRoleTemplateId())
					}
				default:
					t.Errorf("%s: item of type %T; @odata.type was not honoured", identity, o)
				}
			}
		}
	}
	if groups != 10 || roles != 10 {
		t.Errorf("read %d group memberships and %d app roles, want 10 and 10", groups, roles)
	}
	if c := srv.Requests(); c.By["POST graph $batch"] != 1 || c.BatchItems != 20 {
		t.Errorf("counts %+v, want one $batch of 20 items", c)
	}
}

func TestDeniedPartsAnswer403WithTheRealCodes(t *testing.T) {
	srv := New(testTenant(4), Options{Deny: []Denial{
		{PathPrefix: "/v1.0/roleManagement/directory/roleAssignments"},
		{PathPrefix: "/subscriptions/" + testSubB},
	}})
	defer srv.Close()
	client, _, _ := graphClient(t, srv)
	ctx := context.Background()

	_, err := client.RoleManagement().Directory().RoleAssignments().Get(ctx, &rolemanagement.DirectoryRoleAssignmentsRequestBuilderGetRequestConfiguration{})
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) || oe.ResponseStatusCode != 403 || *oe.GetErrorEscaped().GetCode() != "Authorization_RequestDenied" {
		t.Fatalf("denied Graph list: %v, want 403 Authorization_RequestDenied", err)
	}
	if _, err := client.RoleManagement().Directory().RoleDefinitions().Get(ctx, nil); err != nil {
		t.Errorf("a part that is not denied failed: %v", err)
	}

	cred := credential(t, srv)
	for _, sub := range []string{testSubA, testSubB} {
		c, err := armauthorization.NewRoleAssignmentsClient(sub, cred, armOptions(srv))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.NewListForSubscriptionPager(nil).NextPage(ctx)
		var re *azcore.ResponseError
		switch {
		case sub == testSubA && err != nil:
			t.Errorf("subscription A is readable, got %v", err)
		case sub == testSubB && (!errors.As(err, &re) || re.StatusCode != 403 || re.ErrorCode != "AuthorizationFailed"):
			t.Errorf("subscription B: %v, want 403 AuthorizationFailed", err)
		}
	}
	if c := srv.Requests(); c.Denied != 2 {
		t.Errorf("denied = %d, want 2", c.Denied)
	}
}

func TestBrokenPartsAnswerTheirStatusEveryTime(t *testing.T) {
	tenant := testTenant(4)
	sp := tenant.Identities[0].ID
	srv := New(tenant, Options{Break: []Breakage{
		{PathPrefix: "/v1.0/servicePrincipals/" + sp + "/appRoleAssignments", Status: http.StatusNotFound},
		{PathPrefix: "/subscriptions/" + testSubB + "/providers/Microsoft.Authorization", Status: http.StatusInternalServerError},
	}})
	defer srv.Close()
	client, _, _ := graphClient(t, srv)
	ctx := context.Background()
	for range 2 {
		_, err := client.ServicePrincipals().ByServicePrincipalId(sp).AppRoleAssignments().Get(ctx, nil)
		var oe *odataerrors.ODataError
		if !errors.As(err, &oe) || oe.ResponseStatusCode != http.StatusNotFound || *oe.GetErrorEscaped().GetCode() != "Request_ResourceNotFound" {
			t.Fatalf("broken Graph read: %v, want 404 Request_ResourceNotFound", err)
		}
	}
	if _, err := client.ServicePrincipals().ByServicePrincipalId(tenant.Identities[1].ID).AppRoleAssignments().Get(ctx, nil); err != nil {
		t.Errorf("another identity's read failed: %v", err)
	}
	cred := credential(t, srv)
	for _, sub := range []string{testSubA, testSubB} {
		c, err := armauthorization.NewRoleAssignmentsClient(sub, cred, armOptions(srv))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.NewListForSubscriptionPager(nil).NextPage(ctx)
		var re *azcore.ResponseError
		switch {
		case sub == testSubA && err != nil:
			t.Errorf("subscription A is readable, got %v", err)
		case sub == testSubB && (!errors.As(err, &re) || re.StatusCode != http.StatusInternalServerError):
			t.Errorf("subscription B: %v, want 500", err)
		}
	}
	if c := srv.Requests(); c.Failed == 0 {
		t.Errorf("the 500s were not counted as failures: %+v", c)
	}
}

func TestThrottledThenSuccessful(t *testing.T) {
	tenant := testTenant(30)
	srv := New(tenant, Options{ThrottleRate: 0.4, RetryAfter: "0", Seed: 7})
	defer srv.Close()
	ctx := context.Background()

	// ARM: azcore retries 429s; every list still completes.
	cred := credential(t, srv)
	for _, sub := range []string{testSubA, testSubB} {
		c, err := armmsi.NewUserAssignedIdentitiesClient(sub, cred, armOptions(srv))
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			if _, err := c.NewListBySubscriptionPager(nil).NextPage(ctx); err != nil {
				t.Fatalf("throttled ARM list did not recover: %v", err)
			}
		}
	}
	if srv.Requests().Throttled == 0 {
		t.Fatal("no request was throttled at a rate of 0.4")
	}

	// Graph $batch: throttled items come back one by one as 429 with their own Retry-After; resending them
	// succeeds.
	client, adapter, _ := graphClient(t, srv)
	pending := map[string]bool{}
	for _, id := range tenant.Identities[:20] {
		pending[id.ID] = true
	}
	throttledItems := 0
	for round := 0; len(pending) > 0; round++ {
		if round == 20 {
			t.Fatalf("%d items still throttled after 20 rounds", len(pending))
		}
		batch := msgraphcore.NewBatchRequest(adapter)
		ids := map[string]string{}
		for id := range pending {
			info, _ := client.ServicePrincipals().ByServicePrincipalId(id).AppRoleAssignments().ToGetRequestInformation(ctx, nil)
			item, err := batch.AddBatchRequestStep(*info)
			if err != nil {
				t.Fatal(err)
			}
			ids[*item.GetId()] = id
		}
		resp, err := batch.Send(ctx, adapter)
		if err != nil {
			continue // the envelope itself may be throttled; the SDK's retry handler gave up
		}
		for itemID, id := range ids {
			item := resp.GetResponseById(itemID)
			switch *item.GetStatus() {
			case 200:
				delete(pending, id)
			case 429:
				throttledItems++
				if ra := item.GetHeaders()["Retry-After"]; ra != "0" {
					t.Errorf("throttled item Retry-After = %q, want \"0\"", ra)
				}
			default:
				t.Fatalf("item status %d", *item.GetStatus())
			}
		}
	}
	if throttledItems == 0 {
		t.Error("no $batch item was throttled at a rate of 0.4")
	}
}

func TestWritesAreRefusedAndCounted(t *testing.T) {
	tenant := testTenant(3)
	srv := New(tenant, Options{})
	defer srv.Close()
	ctx := context.Background()
	cred := credential(t, srv)

	// The real SDK's delete of a role assignment is refused.
	c, err := armauthorization.NewRoleAssignmentsClient(testSubA, cred, armOptions(srv))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Delete(ctx, "/subscriptions/"+testSubA, "b0f43c54-e787-4862-89b1-a653fa9cf747", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("delete: %v, want 405", err)
	}
	// So is a PATCH inside a $batch, while the GET beside it is answered.
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"requests":[{"id":"1","method":"PATCH","url":"/servicePrincipals/` + tenant.Identities[0].ID + `","body":{"accountEnabled":false}},` +
		`{"id":"2","method":"GET","url":"/servicePrincipals/` + tenant.Identities[0].ID + `?%24select=id"}]}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/v1.0/$batch", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var out struct {
		Responses []struct {
			ID     string
			Status int
			Body   map[string]any
		}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("batch answer %s: %v", raw, err)
	}
	status := map[string]int{}
	for _, r := range out.Responses {
		status[r.ID] = r.Status
	}
	if status["1"] != http.StatusMethodNotAllowed || status["2"] != http.StatusOK {
		t.Errorf("batch statuses %v, want PATCH 405 and GET 200", status)
	}
	if c := srv.Requests(); c.Writes != 2 || c.By["DELETE arm"] != 1 || c.By["PATCH graph $batch item"] != 1 {
		t.Errorf("counts %+v, want 2 refused writes (DELETE arm, PATCH in $batch)", c)
	}
}

func ptr[T any](v T) *T { return &v }
