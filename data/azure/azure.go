// Package azure is miscope's live Source: it reads a real Entra ID tenant through Microsoft Graph (msgraph-sdk-go)
// and Azure Resource Manager (azure-sdk-for-go) with the credentials people already have, read only. Per-identity
// Graph calls go in $batch requests, tenant-wide lists replace per-identity calls wherever the APIs allow, and every
// part that answers 403 becomes a data.Gap instead of an empty result.
//
// A full read of N identities, U of them user-assigned, costs about ceil(N/999) identity pages, ceil(3N/20) $batch
// requests (appRoleAssignments, transitiveMemberOf and ownedObjects of each identity, 20 requests a batch), U federated credential lists, the
// pages of the per-subscription and per-management-group ARM lists, and a handful of tenant-wide reads: tokens,
// the organization (when the source opens), directory roles and their eligibility and definitions, application
// service principals and application objects (whose secrets they hold), the app roles of the APIs granted, the
// parents of groups that share an identity with another group, and ceil(P/20) $batch requests that look up the P other
// principals holding Azure roles (their names, and whether they still exist: a 404 makes their assignments dangling),
// and ceil(2K/20) $batch requests for the K applications and service principals the identities own (each one's
// service principal and its application permissions).
//
// Choices worth knowing:
//   - A membership is transitive when another of the identity's groups belongs to the group (read from the groups'
//     own transitiveMemberOf); reading memberOf per identity as well would double the per-identity cost.
//   - Resources are those with an identity block (Resource Graph, or the per-subscription list when Resource Graph
//     fails) and the user-assigned identities themselves.
//   - Federated credentials are listed with armmsi's request (api-version 2024-11-30) sent through the ARM pipeline
//     and decoded here: armmsi v1.3.0's model drops a flexible credential's claimsMatchingExpression.
//   - Where an application's code runs (Application.Hosts) is not visible through Graph or ARM, so live reads leave
//     it empty and SP-MIGRATE is graded from the credentials alone.
//   - Only GET, POST $batch of GETs, POST Resource Graph queries, POST Log Analytics queries (usage.go) and POST
//     token are sent.
package azure

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/miscope/miscope/data"
)

// Options say how to sign in and where to read. The zero value uses the DefaultAzureCredential chain on the public
// cloud with 8 requests in flight.
type Options struct {
	// Auth picks the credential: "default" (or ""), "cli", "device-code", "environment" or "managed-identity".
	Auth     string
	TenantID string
	// Cloud is "public" (or ""), "usgovernment" or "china".
	Cloud string
	// GraphEndpoint overrides the Microsoft Graph base URL, without /v1.0. Empty means MISCOPE_GRAPH_ENDPOINT, then
	// the cloud's.
	GraphEndpoint string
	// ARMEndpoint overrides the Resource Manager URL. Empty means MISCOPE_ARM_ENDPOINT, then the cloud's.
	ARMEndpoint string
	// Subscriptions limits ARM reads to these subscription ids; empty reads every subscription the caller can see.
	Subscriptions []string
	// Concurrency bounds the requests in flight to each throttling bucket: Microsoft Graph, the ARM tenant-level
	// reads, and each subscription's ARM reads; 0 means 8.
	Concurrency int
	// Transport sends every request (token, Graph, ARM); nil uses the default transport. Tests pass a client that
	// trusts a local server's certificate.
	Transport *http.Client
	// DeviceCode shows the device code sign-in prompt; nil prints it to standard error.
	DeviceCode func(message string)
	// Workspace is the Log Analytics workspace (its id) that receives the tenant's sign-in logs and the Azure activity
	// log: the preferred source of usage. Empty reads usage from Graph, without activity.
	Workspace string
	// UsageWindow is how far back usage is read; 0 means DefaultUsageWindow.
	UsageWindow time.Duration
	// Log receives diagnostics; nil discards them. Tokens and secrets are never logged.
	Log func(format string, args ...any)
}

// DefaultConcurrency is the number of requests in flight when Options.Concurrency is 0.
const DefaultConcurrency = 8

// ErrNoCredential is wrapped by New when no usable credential could be had.
var ErrNoCredential = errors.New("no usable Azure credential: sign in with `az login`, use `--auth device-code`, or try `--demo`")

// ErrTokenRejected is wrapped when Graph or ARM refused the access token itself (revoked, or for another tenant).
var ErrTokenRejected = errors.New("the access token was rejected (revoked or no longer valid): sign in again")

// Source reads a live tenant. It implements data.Source and is safe for concurrent use.
type Source struct {
	opts  Options
	env   endpoints
	cred  azcore.TokenCredential
	graph *graphClient
	arm   *armClients
	// Graph throttles per application and tenant: one bound. ARM throttles per subscription: one bound each
	// (armBucket).
	graphSlots slots
	armSlots   map[string]slots

	now func() time.Time // the clock of the tenant-wide parts; time.Now but in tests

	mu         sync.Mutex
	tenantID   string
	tenantName string
	signedIn   string
	known      map[string]data.Identity // identities seen so far, by Key(id)
	parts      map[string]part          // finished tenant-wide reads shared by the lazy section methods
	flight     singleflight.Group       // tenant-wide reads under way, joined rather than started twice
}

// New signs in and prepares the clients. It asks for one Graph token up front so that a missing or broken credential
// is reported at once (wrapping ErrNoCredential) rather than in the middle of the first screen.
func New(ctx context.Context, opts Options) (*Source, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Log == nil {
		opts.Log = func(string, ...any) {}
	}
	if opts.DeviceCode == nil {
		opts.DeviceCode = func(m string) { fmt.Fprintln(os.Stderr, m) }
	}
	env, err := resolveEndpoints(opts)
	if err != nil {
		return nil, err
	}
	if opts.TenantID == "" {
		opts.TenantID = os.Getenv("AZURE_TENANT_ID")
	}
	cred, err := newCredential(opts, env)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNoCredential, data.Clean(err.Error()))
	}
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{env.graphScope}, EnableCAE: true})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %s", ErrNoCredential, signInError(err))
	}
	s := &Source{
		opts:       opts,
		env:        env,
		cred:       cred,
		graphSlots: make(slots, opts.Concurrency),
		armSlots:   map[string]slots{},
		tenantID:   strings.ToLower(opts.TenantID),
		known:      map[string]data.Identity{},
		parts:      map[string]part{},
		now:        time.Now,
	}
	if s.graph, err = newGraphClient(s); err != nil {
		return nil, err
	}
	if s.arm, err = newARMClients(s); err != nil {
		return nil, err
	}
	// The tenant is known before the first full read (an on-disk cache is keyed on it): the token names it, even
	// when --tenant gave a domain or nothing; one cheap Graph read names it for people.
	if tid := tenantOfToken(tok.Token); tid != "" {
		s.tenantID = tid
	}
	s.signedIn = signedInOfToken(tok.Token)
	s.readOrganization(ctx)
	return s, nil
}

// tenantOfToken reads the tid claim of an access token without verifying it: the token is our own, just issued, and
// only names the tenant it is for. "" when the token is not a JWT.
func tenantOfToken(token string) string {
	c, _ := claimsOfToken(token)
	return strings.ToLower(data.Clean(c.TenantID))
}

// tokenClaims are the claims miscope reads from its own access token: whom it is for and who signed in.
type tokenClaims struct {
	TenantID          string `json:"tid"`
	UPN               string `json:"upn"`
	PreferredUsername string `json:"preferred_username"`
	UniqueName        string `json:"unique_name"`
	AppID             string `json:"appid"`
	AzpID             string `json:"azp"`
}

// claimsOfToken decodes a JWT's payload without verifying it; false when the token is not a JWT.
func claimsOfToken(token string) (tokenClaims, bool) {
	var c tokenClaims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return tokenClaims{}, false
	}
	return c, true
}

// Info describes the tenant being read.
func (s *Source) Info() data.SourceInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	label := "tenant " + s.tenantID
	if s.tenantID == "" {
		label = "live tenant"
	}
	if s.tenantName != "" {
		label = data.Clean(s.tenantName) + " (" + s.tenantID + ")"
	}
	return data.SourceInfo{Origin: data.OriginLive, TenantID: s.tenantID, TenantName: s.tenantName, Cloud: s.env.cloud,
		Label: label}
}

// slots bound the requests in flight to one service.
type slots chan struct{}

// acquire takes a slot; release gives it back.
func (c slots) acquire(ctx context.Context) error {
	select {
	case c <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c slots) release() { <-c }

// part is a finished tenant-wide read, kept for partTTL; a failure that is not a gap is not kept, so the next ask
// retries.
type part struct {
	at  time.Time // when the read finished
	val any
	err error
}

// partTTL is how long a tenant-wide read serves the section methods after it finished. The cache above keeps
// section answers for longer; this only spares the tenant-wide lists while a user opens one identity after another,
// and lets a refresh see changes soon after.
const partTTL = 2 * time.Minute

// shared runs read once for key and shares its answer. A read still running is always joined, never started
// again (on a large tenant one takes longer than partTTL); a caller whose context ends stops waiting for it.
func shared[T any](s *Source, ctx context.Context, key string, read func(context.Context) (T, error)) (T, error) {
	s.mu.Lock()
	p, ok := s.parts[key]
	s.mu.Unlock()
	if ok && s.now().Sub(p.at) <= partTTL {
		v, _ := p.val.(T)
		return v, p.err
	}
	ch := s.flight.DoChan(key, func() (any, error) {
		v, err := read(ctx)
		s.mu.Lock()
		if _, gap := data.AsGap(err); err == nil || gap {
			s.parts[key] = part{at: s.now(), val: v, err: err}
		} else {
			delete(s.parts, key)
		}
		s.mu.Unlock()
		return v, err
	})
	select {
	case r := <-ch:
		v, _ := r.Val.(T)
		return v, r.Err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// signInError is what a failed sign-in says: the credential's first line and, when the authority explained itself,
// its AADSTS description. Both can carry what the authority (or a proxy in front of it) answered, and they reach the
// terminal, so they are cleaned.
func signInError(err error) string {
	text := err.Error()
	msg := firstLine(text)
	const key = `"error_description":`
	if i := strings.Index(text, key); i >= 0 {
		var desc string
		if json.NewDecoder(strings.NewReader(text[i+len(key):])).Decode(&desc) == nil {
			// Entra appends trace and correlation ids on further lines.
			if d, _, _ := strings.Cut(desc, "\r\n"); d != "" {
				desc = d
			}
			if d, _, _ := strings.Cut(desc, "\n"); d != "" && !strings.Contains(msg, d) {
				msg = strings.TrimRight(strings.TrimSpace(msg), ".") + ": " + strings.TrimSpace(d)
			}
		}
	}
	return data.Clean(msg)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "-") {
			return l
		}
	}
	return s
}
