package azure

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/miscope/miscope/data"
)

func TestResolveEndpoints(t *testing.T) {
	t.Setenv("AZURE_AUTHORITY_HOST", "")
	t.Setenv("MISCOPE_GRAPH_ENDPOINT", "")
	t.Setenv("MISCOPE_ARM_ENDPOINT", "")
	cases := []struct {
		name                         string
		opts                         Options
		env                          map[string]string
		authority, graph, scope, arm string
		discovery                    bool
		err                          string
	}{
		{name: "public by default", authority: "https://login.microsoftonline.com/", graph: "https://graph.microsoft.com",
			scope: "https://graph.microsoft.com/.default", arm: "https://management.azure.com", discovery: true},
		{name: "us government", opts: Options{Cloud: "usgovernment"}, authority: "https://login.microsoftonline.us/",
			graph: "https://graph.microsoft.us", scope: "https://graph.microsoft.us/.default",
			arm: "https://management.usgovcloudapi.net", discovery: true},
		{name: "china", opts: Options{Cloud: "China"}, authority: "https://login.chinacloudapi.cn/",
			graph: "https://microsoftgraph.chinacloudapi.cn", scope: "https://microsoftgraph.chinacloudapi.cn/.default",
			arm: "https://management.chinacloudapi.cn", discovery: true},
		{name: "overrides from the environment, scope stays the cloud's",
			env: map[string]string{"AZURE_AUTHORITY_HOST": "https://127.0.0.1:8443", "MISCOPE_GRAPH_ENDPOINT": "https://127.0.0.1:8443/v1.0/",
				"MISCOPE_ARM_ENDPOINT": "https://127.0.0.1:8443/"},
			authority: "https://127.0.0.1:8443/", graph: "https://127.0.0.1:8443", scope: "https://graph.microsoft.com/.default",
			arm: "https://127.0.0.1:8443", discovery: false},
		{name: "options win over the environment", opts: Options{GraphEndpoint: "https://graph.example.test"},
			env:       map[string]string{"MISCOPE_GRAPH_ENDPOINT": "https://other.example.test"},
			authority: "https://login.microsoftonline.com/", graph: "https://graph.example.test",
			scope: "https://graph.microsoft.com/.default", arm: "https://management.azure.com", discovery: true},
		{name: "unknown cloud", opts: Options{Cloud: "mars"}, err: "use public, usgovernment or china"},
		{name: "plain http refused", opts: Options{ARMEndpoint: "http://arm.example.test"}, err: "not an https URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			e, err := resolveEndpoints(c.opts)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.authorityHost != c.authority || e.graphBase != c.graph || e.graphScope != c.scope || e.armEndpoint != c.arm ||
				e.discovery != c.discovery {
				t.Errorf("got %+v", e)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	for v, want := range map[string]time.Duration{
		"":      -1,
		"junk":  -1,
		"0":     0,
		"2":     2 * time.Second,
		"0.5":   500 * time.Millisecond,
		"-3":    -1,
		"86400": maxRetryAfter,
	} {
		if got := retryAfter(v); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", v, got, want)
		}
	}
	date := time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat)
	if got := retryAfter(date); got <= time.Second || got > 3*time.Second {
		t.Errorf("retryAfter(date 3s ahead) = %v", got)
	}
	for n := range 12 {
		if d := backoff(n); d <= 0 || d > maxBackoff {
			t.Errorf("backoff(%d) = %v", n, d)
		}
	}
}

// roundTripFunc lets a test script what the network answers.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func answer(status int, header http.Header) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader(`{}`))}
}

func TestRetryTransportResendsTheSameBody(t *testing.T) {
	var bodies []string
	var n atomic.Int32
	rt := &retryTransport{log: func(string, ...any) {}, next: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		switch n.Add(1) {
		case 1:
			return answer(http.StatusTooManyRequests, http.Header{"Retry-After": {"0"}}), nil
		case 2:
			return nil, errors.New("connection reset by peer")
		case 3:
			return answer(http.StatusServiceUnavailable, nil), nil
		}
		return answer(http.StatusOK, nil), nil
	})}
	req, _ := http.NewRequest(http.MethodPost, "https://graph.example.test/v1.0/$batch", strings.NewReader(`{"requests":[]}`))
	resp, err := rt.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("got %v, %v", resp, err)
	}
	if len(bodies) != 4 {
		t.Fatalf("%d tries, want 4", len(bodies))
	}
	for _, b := range bodies {
		if b != `{"requests":[]}` {
			t.Errorf("a retry sent %q", b)
		}
	}
}

func TestRetryTransportGivesUpAndPassesOtherStatuses(t *testing.T) {
	var n atomic.Int32
	rt := &retryTransport{log: func(string, ...any) {}, next: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		n.Add(1)
		if r.URL.Path == "/forbidden" {
			return answer(http.StatusForbidden, nil), nil
		}
		return answer(http.StatusTooManyRequests, http.Header{"Retry-After": {"0"}}), nil
	})}
	req, _ := http.NewRequest(http.MethodGet, "https://x.test/forbidden", nil)
	if resp, _ := rt.RoundTrip(req); resp.StatusCode != http.StatusForbidden || n.Load() != 1 {
		t.Errorf("403 was retried: %d tries", n.Load())
	}
	n.Store(0)
	req, _ = http.NewRequest(http.MethodGet, "https://x.test/busy", nil)
	if resp, _ := rt.RoundTrip(req); resp.StatusCode != http.StatusTooManyRequests || n.Load() != maxRetries+1 {
		t.Errorf("a throttled request was tried %d times, want %d", n.Load(), maxRetries+1)
	}
}

func TestMembershipsMarkGroupsReachedThroughAnother(t *testing.T) {
	yes := true
	items := []groupItem{
		{Type: "#microsoft.graph.group", ID: "A", DisplayName: "team", IsAssignable: &yes},
		{Type: "#microsoft.graph.group", ID: "B", DisplayName: "all staff"},
		{Type: "#microsoft.graph.directoryRole", ID: "R", DisplayName: "Global Reader", RoleTemplateID: "f2ef"},
		{Type: "#microsoft.graph.administrativeUnit", ID: "U", DisplayName: "unit"},
	}
	groups, ms := memberships("id1", items, map[string][]string{"a": {"b"}}, nil)
	if len(groups) != 2 || !groups[0].RoleAssignable || groups[1].RoleAssignable {
		t.Fatalf("groups %+v", groups)
	}
	want := []data.Membership{{IdentityID: "id1", GroupID: "a"}, {IdentityID: "id1", GroupID: "b", Transitive: true}}
	if len(ms) != 2 || ms[0] != want[0] || ms[1] != want[1] {
		t.Fatalf("memberships %+v, want %+v", ms, want)
	}
	// Without parents every membership is taken as direct.
	_, ms = memberships("id1", items, nil, nil)
	for _, m := range ms {
		if m.Transitive {
			t.Errorf("%+v marked transitive with no nesting known", m)
		}
	}
}

func TestResourceFromResourceGraphRow(t *testing.T) {
	row := map[string]any{
		"id":       "/subscriptions/S1/resourceGroups/RG/providers/Microsoft.Web/sites/app1",
		"name":     "app1",
		"type":     "microsoft.web/sites", // Resource Graph lowercases it
		"location": "westeurope",
		"identity": map[string]any{
			"type":        "SystemAssigned, UserAssigned",
			"principalId": "ABC",
			"userAssignedIdentities": map[string]any{
				"/subscriptions/S1/resourcegroups/RG/providers/Microsoft.ManagedIdentity/userAssignedIdentities/b": map[string]any{},
				"/subscriptions/S1/resourcegroups/RG/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a": map[string]any{},
			},
		},
	}
	r, ok := resourceFromRow(row)
	if !ok || r.Type != "Microsoft.Web/sites" || r.SystemAssignedPrincipalID != "abc" || len(r.UserAssignedIdentityIDs) != 2 ||
		!strings.HasSuffix(r.UserAssignedIdentityIDs[0], "/a") {
		t.Fatalf("got %+v", r)
	}
	if _, ok := resourceFromRow(map[string]any{"name": "no id"}); ok {
		t.Error("a row without an id was accepted")
	}
}

func TestDeviceCodePromptFitsEightyColumns(t *testing.T) {
	msg := deviceCodeText(azidentity.DeviceCodeMessage{UserCode: "F7QX9ZK2L", VerificationURL: "https://microsoft.com/devicelogin",
		Message: "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code F7QX9ZK2L to authenticate."})
	if !strings.Contains(msg, "\n    https://microsoft.com/devicelogin\n") || !strings.Contains(msg, "\n    F7QX9ZK2L\n") {
		t.Errorf("the URL and code are not on lines of their own:\n%s", msg)
	}
	for _, l := range strings.Split(msg, "\n") {
		if len(l) > 80 {
			t.Errorf("line longer than 80 columns: %q", l)
		}
	}
}

func TestGraphErrorsOfBatchItems(t *testing.T) {
	err := sectionErr(&httpStatusError{status: 403, code: "Authorization_RequestDenied"}, data.SectionAppRoles, "id1",
		"application permissions", needsAppRead)
	g, ok := data.AsGap(err)
	if !ok || g.IdentityID != "id1" || g.Needs != needsAppRead || !strings.Contains(g.Error(), "not readable (needs Application.Read.All)") {
		t.Fatalf("got %v", err)
	}
}

// A tenant-wide part serves for partTTL after its read finished, and a read still running is joined however long it
// takes, never started a second time.
func TestSharedPartsAgeFromWhenTheyFinish(t *testing.T) {
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	s := &Source{parts: map[string]part{}, now: now}
	var reads atomic.Int32
	release := make(chan struct{})
	read := func(context.Context) (int, error) {
		n := reads.Add(1)
		if n == 1 {
			<-release
		}
		return int(n), nil
	}
	ctx := context.Background()
	first := make(chan int)
	go func() { v, _ := shared(s, ctx, "k", read); first <- v }()
	for reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	advance(3 * time.Minute) // the first read is slow: older than partTTL while it runs
	second := make(chan int)
	go func() { v, _ := shared(s, ctx, "k", read); second <- v }()
	time.Sleep(20 * time.Millisecond)
	close(release)
	if a, b := <-first, <-second; a != 1 || b != 1 || reads.Load() != 1 {
		t.Fatalf("answers %d and %d after %d reads: a running read was started again", a, b, reads.Load())
	}
	advance(partTTL - time.Second)
	if v, _ := shared(s, ctx, "k", read); v != 1 {
		t.Errorf("a part %v after its read finished was read again", partTTL-time.Second)
	}
	advance(2 * time.Second)
	if v, _ := shared(s, ctx, "k", read); v != 2 {
		t.Errorf("a part older than %v after it finished was still served (answer %d)", partTTL, v)
	}
}

func TestTransientTellsLostConnectionsFromPermanentFailures(t *testing.T) {
	wrap := func(err error) error {
		return &url.Error{Op: "Get", URL: "https://graph.example.test/v1.0", Err: &net.OpError{Op: "dial", Net: "tcp", Err: err}}
	}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"connection reset", wrap(syscall.ECONNRESET), true},
		{"early EOF", wrap(io.ErrUnexpectedEOF), true},
		{"timeout", wrap(&net.DNSError{Err: "i/o timeout", Name: "graph.example.test", IsTimeout: true}), true},
		{"DNS server failure", wrap(&net.DNSError{Err: "server misbehaving", Name: "graph.example.test", IsTemporary: true}), true},
		{"no such host", wrap(&net.DNSError{Err: "no such host", Name: "graph.example.test", IsNotFound: true}), false},
		{"untrusted certificate", wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), false},
		{"certificate for another host", wrap(x509.HostnameError{Host: "graph.example.test", Certificate: &x509.Certificate{}}), false},
		{"expired certificate", wrap(x509.CertificateInvalidError{Reason: x509.Expired}), false},
		{"not TLS", wrap(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), false},
		{"cancelled", wrap(context.Canceled), false},
	}
	for _, c := range cases {
		if got := transient(c.err); got != c.want {
			t.Errorf("%s: transient = %v, want %v", c.name, got, c.want)
		}
	}
}

// A server whose certificate is not trusted is tried once, not ten times with backoffs.
func TestUntrustedCertificateIsNotRetried(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	var dials atomic.Int32
	dialer := &net.Dialer{}
	rt := &retryTransport{log: func(string, ...any) {}, next: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return dialer.DialContext(ctx, network, addr)
		},
	}}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	_, err := rt.RoundTrip(req)
	if err == nil || !strings.Contains(err.Error(), "x509") {
		t.Fatalf("got %v, want a certificate error", err)
	}
	if dials.Load() != 1 {
		t.Errorf("an untrusted certificate was tried %d times", dials.Load())
	}
}

func TestTenantOfToken(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	head := enc(`{"typ":"JWT","alg":"RS256"}`)
	for token, want := range map[string]string{
		head + "." + enc(`{"aud":"https://graph.microsoft.com","tid":"8A6D9F3E-1C2B-4E5F-9A7B-0C1D2E3F4A5B"}`) + ".c2ln": "8a6d9f3e-1c2b-4e5f-9a7b-0c1d2e3f4a5b",
		head + "." + base64.URLEncoding.EncodeToString([]byte(`{"tid":"abc"}`)) + ".c2ln":                                "abc", // padded
		head + "." + enc(`{"aud":"x"}`) + ".c2ln":                                                                        "",
		head + "." + enc(`{"tid":"a\u001b[31mb"}`) + ".c2ln":                                                             `a\x1bb`,
		"opaque-token":          "",
		head + ".%%%.c2ln":      "",
		head + "." + enc(`[1]`): "",
	} {
		if got := tenantOfToken(token); got != want {
			t.Errorf("tenantOfToken(%q) = %q, want %q", token, got, want)
		}
	}
}

func TestSignInCredentialsLeaveSAMLSigningOut(t *testing.T) {
	cases := []struct {
		name  string
		creds []rawCredential
		want  []string // key ids kept, with their type
	}{
		{"a client secret", []rawCredential{{password: true, keyID: "P1"}}, []string{"p1 password"}},
		{"a client certificate", []rawCredential{{keyID: "K1", usage: "Verify", customKey: "c1"}}, []string{"k1 certificate"}},
		{"a SAML token-signing certificate", []rawCredential{
			{keyID: "S1", usage: "Sign", customKey: "saml"},
			{keyID: "V1", usage: "Verify", customKey: "saml"},
			{password: true, keyID: "S1", customKey: "saml"},
		}, nil},
		{"a signing certificate beside a real secret and certificate", []rawCredential{
			{keyID: "S1", usage: "Sign", customKey: "saml"},
			{keyID: "V1", usage: "verify", customKey: "saml"},
			{password: true, keyID: "S1", customKey: "saml"},
			{password: true, keyID: "P2"},
			{keyID: "K2", usage: "Verify", customKey: "other"},
		}, []string{"p2 password", "k2 certificate"}},
		{"an encryption key is not a sign-in credential", []rawCredential{{keyID: "E1", usage: "Encrypt"}}, nil},
	}
	for _, c := range cases {
		var got []string
		for _, cr := range signInCredentials(c.creds) {
			got = append(got, cr.KeyID+" "+cr.Type)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: kept %v, want %v", c.name, got, c.want)
		}
	}
}

// A flexible credential's expression is read whether ARM answers it as the 2024-11-30 object or as a plain string;
// one that cannot be read fails the page rather than passing for a credential that matches one exact subject.
func TestFederatedCredentialPageDecodesClaimsMatchingExpression(t *testing.T) {
	const expr = `claims['sub'] matches 'repo:contoso/*'`
	for _, c := range []struct {
		name, property string
		want           string
		fails          bool
	}{
		{name: "object", property: `{"value": "claims['sub'] matches 'repo:contoso/*'", "languageVersion": 1}`, want: expr},
		{name: "string", property: `"claims['sub'] matches 'repo:contoso/*'"`, want: expr},
		{name: "null", property: `null`},
		{name: "object without a value", property: `{"languageVersion": 1}`},
		{name: "number", property: `1`, fails: true},
		{name: "list", property: `["claims['sub'] matches 'repo:contoso/*'"]`, fails: true},
		{name: "object with a number value", property: `{"value": 7}`, fails: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := `{"value": [{"name": "gh", "properties": {"issuer": "https://token.actions.githubusercontent.com",
				"audiences": ["api://AzureADTokenExchange"], "claimsMatchingExpression": ` + c.property + `}}],
				"nextLink": "https://management.example/next"}`
			var p ficPage
			err := json.Unmarshal([]byte(body), &p)
			if c.fails {
				if err == nil {
					t.Fatalf("decoded %+v, want an error", p)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Value) != 1 || p.NextLink != "https://management.example/next" {
				t.Fatalf("page %+v", p)
			}
			f := p.Value[0]
			if got := string(f.Properties.ClaimsMatchingExpression); got != c.want || f.Name != "gh" ||
				f.Properties.Issuer != "https://token.actions.githubusercontent.com" || len(f.Properties.Audiences) != 1 {
				t.Errorf("decoded %+v, expression %q, want %q", f, got, c.want)
			}
		})
	}
	var p ficPage
	if err := json.Unmarshal([]byte(`{"value": [{"name": "exact", "properties": {"issuer": "i", "subject": "s"}}]}`), &p); err != nil ||
		p.Value[0].Properties.ClaimsMatchingExpression != "" || p.Value[0].Properties.Subject != "s" || p.NextLink != "" {
		t.Errorf("a credential with a subject decoded as %+v (%v)", p, err)
	}
}
