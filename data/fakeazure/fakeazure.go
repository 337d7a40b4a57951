// Package fakeazure is a test server that serves any data.Tenant over the real wire protocols of Microsoft Entra ID
// (OpenID configuration and the client-credentials token endpoint), Microsoft Graph v1.0 (including $batch and
// paging with absolute next links) and Azure Resource Manager (including Resource Graph), on HTTPS at 127.0.0.1.
//
// It exists so that miscope's live source can be driven end to end with the official Azure SDKs without reaching
// Azure: the SDKs talk to it exactly as they would to the real services. It can add latency, throttle (with and
// without Retry-After, also inside $batch items), fail with 500 or a reset connection, deny parts with the real 403
// bodies, answer 404 or 500 for chosen parts every time (something deleted after it was listed, a part that keeps
// failing), and it counts every request, refusing and counting anything that would write.
//
// What it serves, all under URL():
//
//	Entra     GET  /{tenant}/v2.0/.well-known/openid-configuration, /common/discovery/instance
//	          POST /{tenant}/oauth2/v2.0/token (client_credentials; Graph and ARM audiences)
//	Graph     GET  /v1.0/servicePrincipals[?$filter=servicePrincipalType eq '...'|appId eq|id in (...)],
//	               /servicePrincipals/{id}, /servicePrincipals(appId='...') (resource SPs carry appRoles),
//	               /servicePrincipals/{id}/appRoleAssignments, /{memberOf|transitiveMemberOf}[/graph.group],
//	               /applications, /groups, /groups/{id}[/transitiveMemberOf], /users/{id}, /directoryObjects/{id},
//	               /directoryRoles, /organization, /roleManagement/directory/{roleAssignments,
//	               roleEligibilitySchedules, roleEligibilityScheduleInstances, roleDefinitions}
//	          POST /v1.0/$batch (up to 20 GETs, gzip or plain)
//	ARM       GET  /subscriptions, /providers/Microsoft.Management/managementGroups[/{mg}[/descendants]],
//	               /{scope}/providers/Microsoft.Authorization/{roleAssignments,roleDefinitions}[/{id}],
//	               /subscriptions/{s}[/resourceGroups/{rg}]/providers/Microsoft.ManagedIdentity/
//	               userAssignedIdentities[/{name}/federatedIdentityCredentials],
//	               /subscriptions/{s}[/resourceGroups/{rg}]/resources
//	          POST /providers/Microsoft.ResourceGraph/resources (Resources | where isnotempty(identity) | project ...)
//
// Lists page with absolute next links on the fake's own host. Tenant strings are served exactly as the tenant holds
// them, hostile ones included, so that readers are tested on their sanitising.
package fakeazure

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miscope/miscope/data"
)

// DefaultTenantID is the tenant id served when the tenant has none.
const DefaultTenantID = "8a6d9f3e-1c2b-4e5f-9a7b-0c1d2e3f4a5b"

// Options tune the fake. The zero value serves fast, faultless and with the default client credentials.
type Options struct {
	Latency      time.Duration // added to every response
	ThrottleRate float64       // fraction of Graph and ARM requests (and $batch items) answered 429
	RetryAfter   string        // Retry-After value for 429s ("" = omit the header); e.g. "0"
	FailRate     float64       // fraction of Graph and ARM requests answered 500 or with a reset connection (half each)
	Seed         int64         // makes the sequence of faults reproducible
	// Deny lists parts that answer 403 with the real error body.
	Deny []Denial
	// Break lists parts that answer another error every time: 404 for something deleted after it was listed, 500
	// for a part that keeps failing whatever the retries.
	Break         []Breakage
	TokenLifetime time.Duration // default 1h; short values let tests see renewal
	// ClientID and ClientSecret are the accepted client credentials (defaults "miscope-test" / "secret").
	ClientID, ClientSecret string
	// ARMPageSize is how many items an ARM list page holds (default 1000); small values exercise paging.
	ARMPageSize int
	// NoPremium answers sign-in data as a tenant without an Entra ID P1 licence does: 403
	// Authentication_RequestFromNonPremiumTenantOrB2CTenant for the sign-in log and report, users' signInActivity and
	// registration details.
	NoPremium bool
}

// Denial makes every request whose path starts with PathPrefix (compared case-insensitively) answer 403.
// Graph prefixes include the version, e.g. "/v1.0/roleManagement/directory/roleAssignments"; ARM prefixes are
// paths such as "/subscriptions/<id>" or "/providers/Microsoft.Management/managementGroups/<name>". Code defaults
// to Authorization_RequestDenied on Graph and AuthorizationFailed on ARM. Resource Graph leaves the rows of a
// denied subscription out, as the real service does.
type Denial struct {
	PathPrefix string
	Code       string
}

// Breakage makes every request whose path starts with PathPrefix (compared as for Denial) answer Status, with the
// error body the real service sends for it: 404 Request_ResourceNotFound or ResourceNotFound, 500 generalException
// or InternalServerError. Inside a $batch only the items whose path matches answer it.
type Breakage struct {
	PathPrefix string
	Status     int
	RetryAfter string // Retry-After sent with the answer ("" = omit), so a test need not wait out the backoffs
}

// Counts are the requests the fake has seen since it started or since ResetCounts.
type Counts struct {
	// By counts requests by kind: "GET graph", "POST graph $batch", "GET arm", "POST arg", "POST token",
	// "GET openid", "GET discovery", and "<METHOD> <service>" for refused ones.
	By         map[string]int
	Total      int // HTTP requests, every kind
	Writes     int // refused attempts to write (a $batch item that is not a GET counts too)
	BatchItems int // requests carried inside $batch bodies
	Throttled  int // 429s, including $batch items
	Failed     int // 500s and reset connections
	Denied     int // 403s from Deny
}

// Server is a running fake Azure.
type Server struct {
	ts        *httptest.Server
	url       string
	cert      *x509.Certificate
	transport *http.Transport
	opts      Options

	world atomic.Pointer[world]

	mu     sync.Mutex
	rng    *rand.Rand
	counts Counts
	tokens map[string]issuedToken
	// revokedClient makes the token endpoint refuse the client, as Entra does after its secret is removed.
	revokedClient bool

	certOnce sync.Once
	certPath string
	certErr  error
}

// New starts an HTTPS server on 127.0.0.1 serving t.
func New(t *data.Tenant, opts Options) *Server {
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = time.Hour
	}
	if opts.ClientID == "" {
		opts.ClientID = "miscope-test"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "secret"
	}
	if opts.ARMPageSize <= 0 {
		opts.ARMPageSize = 1000
	}
	s := &Server{
		opts:   opts,
		rng:    rand.New(rand.NewSource(opts.Seed)),
		counts: Counts{By: map[string]int{}},
		tokens: map[string]issuedToken{},
	}
	s.SetTenant(t)
	cert, leaf, err := selfSignedCert()
	if err != nil {
		panic("fakeazure: cannot make a certificate: " + err.Error())
	}
	s.cert = leaf
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	// A large tenant is read with many parallel connections; keep them all alive.
	s.ts.Config.IdleTimeout = time.Minute
	// TLS is set up here rather than by StartTLS so that the plain HTTP/1.1 stream can be mended above it (see
	// rawSpaceListener).
	s.ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	s.ts.Listener = rawSpaceListener{tls.NewListener(s.ts.Listener, s.ts.TLS)}
	s.ts.Start()
	s.url = "https://" + s.ts.Listener.Addr().String()
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	s.transport = &http.Transport{
		Proxy:               nil,
		TLSClientConfig:     &tls.Config{RootCAs: roots},
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
		ForceAttemptHTTP2:   false,
	}
	return s
}

// URL is the base of every endpoint: https://127.0.0.1:PORT (no trailing slash).
func (s *Server) URL() string { return s.url }

// Client returns an HTTP client that trusts the server's certificate. Clients share one transport, so
// connections are reused across them.
func (s *Server) Client() *http.Client { return &http.Client{Transport: s.transport} }

// CertPEM is the server's certificate in PEM form, for SSL_CERT_FILE.
func (s *Server) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cert.Raw})
}

// WriteCertFile writes the certificate to a temporary file (0600) once and returns its path; Close removes it.
func (s *Server) WriteCertFile() (string, error) {
	s.certOnce.Do(func() {
		f, err := os.CreateTemp("", "fakeazure-*.pem")
		if err != nil {
			s.certErr = err
			return
		}
		_, err = f.Write(s.CertPEM())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(f.Name())
			s.certErr = err
			return
		}
		s.certPath = f.Name()
	})
	return s.certPath, s.certErr
}

// Close stops the server and removes the certificate file, if one was written.
func (s *Server) Close() {
	s.ts.CloseClientConnections()
	s.ts.Close()
	s.transport.CloseIdleConnections()
	if s.certPath != "" {
		os.Remove(s.certPath)
	}
}

// TenantID is the tenant the fake answers for.
func (s *Server) TenantID() string { return s.world.Load().tenantID }

// Env returns the environment that points azidentity's EnvironmentCredential and miscope at the fake:
// AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_AUTHORITY_HOST, MISCOPE_GRAPH_ENDPOINT,
// MISCOPE_ARM_ENDPOINT and SSL_CERT_FILE (the certificate is written to a temporary file for it).
func (s *Server) Env() []string {
	env := []string{
		"AZURE_TENANT_ID=" + s.TenantID(),
		"AZURE_CLIENT_ID=" + s.opts.ClientID,
		"AZURE_CLIENT_SECRET=" + s.opts.ClientSecret,
		"AZURE_AUTHORITY_HOST=" + s.URL() + "/",
		"MISCOPE_GRAPH_ENDPOINT=" + s.URL(),
		"MISCOPE_ARM_ENDPOINT=" + s.URL(),
		"MISCOPE_LOGS_ENDPOINT=" + s.URL() + "/v1",
	}
	if p, err := s.WriteCertFile(); err == nil {
		env = append(env, "SSL_CERT_FILE="+p)
	}
	return env
}

// SetTenant swaps the data served. Requests already running finish on the old tenant.
func (s *Server) SetTenant(t *data.Tenant) { s.world.Store(newWorld(t)) }

// Requests returns a copy of the counts.
func (s *Server) Requests() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counts
	c.By = make(map[string]int, len(s.counts.By))
	for k, v := range s.counts.By {
		c.By[k] = v
	}
	return c
}

// ResetCounts sets every count back to zero.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	s.counts = Counts{By: map[string]int{}}
	s.mu.Unlock()
}

// RevokeTokens makes every token issued so far invalid (401 InvalidAuthenticationToken); new ones can be had.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	s.tokens = map[string]issuedToken{}
	s.mu.Unlock()
}

// RevokeCredential invalidates every token and makes the token endpoint refuse the client secret from now on.
func (s *Server) RevokeCredential() {
	s.mu.Lock()
	s.tokens = map[string]issuedToken{}
	s.revokedClient = true
	s.mu.Unlock()
}

func (s *Server) count(f func(c *Counts)) {
	s.mu.Lock()
	f(&s.counts)
	s.mu.Unlock()
}

// fault is what the fault injector decided for one request.
type fault int

const (
	faultNone fault = iota
	faultThrottle
	faultServerError
	faultReset
)

// decide draws the fault for one request (or $batch item). The draws come from one seeded generator, so a run
// that sends requests in the same order meets the same faults.
func (s *Server) decide(throttle, fail bool) fault {
	if s.opts.ThrottleRate <= 0 && s.opts.FailRate <= 0 {
		return faultNone
	}
	s.mu.Lock()
	p, q := s.rng.Float64(), s.rng.Float64()
	s.mu.Unlock()
	switch {
	case throttle && p < s.opts.ThrottleRate:
		return faultThrottle
	case fail && p >= s.opts.ThrottleRate && p < s.opts.ThrottleRate+s.opts.FailRate:
		if q < 0.5 {
			return faultServerError
		}
		return faultReset
	}
	return faultNone
}

// SetDeny replaces the parts that answer 403 (Options.Deny) from the next request on: a test can refuse a part to a
// server already running, whose certificate the process already trusts.
func (s *Server) SetDeny(deny ...Denial) {
	s.mu.Lock()
	s.opts.Deny = append([]Denial(nil), deny...)
	s.mu.Unlock()
}

// denial returns the Deny entry that covers path, if any.
func (s *Server) denial(path string) (Denial, bool) {
	s.mu.Lock()
	deny := s.opts.Deny
	s.mu.Unlock()
	for _, d := range deny {
		if d.PathPrefix != "" && len(path) >= len(d.PathPrefix) && strings.EqualFold(path[:len(d.PathPrefix)], d.PathPrefix) {
			return d, true
		}
	}
	return Denial{}, false
}

// broken answers a request whose path is listed in Break.
func (s *Server) broken(svc service, path string) (reply, bool) {
	for _, b := range s.opts.Break {
		if b.PathPrefix == "" || len(path) < len(b.PathPrefix) || !strings.EqualFold(path[:len(b.PathPrefix)], b.PathPrefix) {
			continue
		}
		if b.Status != http.StatusNotFound {
			s.count(func(c *Counts) { c.Failed++ })
		}
		var rep reply
		switch {
		case b.Status == http.StatusNotFound && svc == svcGraph:
			rep = notFound(path[strings.LastIndex(strings.TrimRight(path, "/"), "/")+1:])
		case b.Status == http.StatusNotFound:
			rep = armError(http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("The Resource '%s' was not found.", armScopeOf(path)))
		case svc == svcGraph:
			rep = graphError(b.Status, "generalException", "An unexpected error occurred.")
		default:
			rep = armError(b.Status, "InternalServerError", "Encountered internal server error.")
		}
		if b.RetryAfter != "" {
			rep.header["Retry-After"] = b.RetryAfter
		}
		return rep, true
	}
	return reply{}, false
}

// resetConnection drops the connection without an answer, with a TCP reset where the platform allows, which is how
// a load balancer or a dying front end looks to the client.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "connection reset", http.StatusInternalServerError)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	raw := unwrapConn(conn)
	if tcp, ok := raw.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	raw.Close()
}
