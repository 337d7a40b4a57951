package fakeazure

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Audiences a token can be issued for.
const (
	audGraph = "https://graph.microsoft.com"
	audARM   = "https://management.core.windows.net/"
	audLogs  = "https://api.loganalytics.io"
)

type issuedToken struct {
	audience string
	expires  time.Time
}

// tenantOK says whether the authority path names the served tenant (or a multi-tenant alias, which MSAL resolves
// through the same document).
func tenantOK(seg, tenantID string) bool {
	return strings.EqualFold(seg, tenantID) || seg == "organizations" || seg == "common"
}

func (s *Server) serveEntra(w http.ResponseWriter, r *http.Request, wd *world) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	lower := strings.ToLower(strings.Trim(r.URL.Path, "/"))
	base := s.URL()
	switch {
	case strings.HasSuffix(lower, "/discovery/instance"):
		// MSAL asks only Microsoft's own hosts; answered anyway so a client pointed here gets a sensible document.
		host := strings.TrimPrefix(base, "https://")
		marshalReply(http.StatusOK, map[string]any{
			"tenant_discovery_endpoint": base + "/" + wd.tenantID + "/v2.0/.well-known/openid-configuration",
			"api-version":               "1.1",
			"metadata": []any{map[string]any{
				"preferred_network": host, "preferred_cache": host, "aliases": []string{host},
			}},
		}).write(w)
	case strings.HasSuffix(lower, "/v2.0/.well-known/openid-configuration"):
		if !tenantOK(segs[0], wd.tenantID) {
			entraError(http.StatusBadRequest, "invalid_tenant", 90002,
				fmt.Sprintf("AADSTS90002: Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", segs[0])).write(w)
			return
		}
		t := base + "/{tenant}"
		marshalReply(http.StatusOK, map[string]any{
			"token_endpoint":                        t + "/oauth2/v2.0/token",
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
			"jwks_uri":                              t + "/discovery/v2.0/keys",
			"response_modes_supported":              []string{"query", "fragment", "form_post"},
			"subject_types_supported":               []string{"pairwise"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
			"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
			"issuer":                                t + "/v2.0",
			"request_uri_parameter_supported":       false,
			"authorization_endpoint":                t + "/oauth2/v2.0/authorize",
			"device_authorization_endpoint":         t + "/oauth2/v2.0/devicecode",
			"end_session_endpoint":                  t + "/oauth2/v2.0/logout",
			"tenant_region_scope":                   "WW",
			"cloud_instance_name":                   "microsoftonline.com",
			"msgraph_host":                          strings.TrimPrefix(base, "https://"),
		}).write(w)
	case strings.HasSuffix(lower, "/discovery/v2.0/keys"):
		marshalReply(http.StatusOK, map[string]any{"keys": []any{}}).write(w)
	case strings.HasSuffix(lower, "/oauth2/v2.0/token") && r.Method == http.MethodPost:
		s.token(w, r, segs[0], wd)
	default:
		entraError(http.StatusNotFound, "invalid_request", 900561, "AADSTS900561: The endpoint only accepts POST requests.").write(w)
	}
}

// entraError is the OAuth error body Entra ID sends.
func entraError(status int, code string, aadsts int, description string) reply {
	trace, corr := uuid.NewString(), uuid.NewString()
	now := time.Now().UTC().Format("2006-01-02 15:04:05Z")
	return marshalReply(status, map[string]any{
		"error":             code,
		"error_description": fmt.Sprintf("%s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", description, trace, corr, now),
		"error_codes":       []int{aadsts},
		"timestamp":         now,
		"trace_id":          trace,
		"correlation_id":    corr,
		"error_uri":         fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", aadsts),
	})
}

// token implements the client-credentials grant.
func (s *Server) token(w http.ResponseWriter, r *http.Request, tenantSeg string, wd *world) {
	if !strings.EqualFold(tenantSeg, wd.tenantID) {
		entraError(http.StatusBadRequest, "invalid_request", 90002,
			fmt.Sprintf("AADSTS90002: Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenantSeg)).write(w)
		return
	}
	if err := r.ParseForm(); err != nil {
		entraError(http.StatusBadRequest, "invalid_request", 900144, "AADSTS900144: The request body must contain the following parameter: 'grant_type'.").write(w)
		return
	}
	if g := r.PostForm.Get("grant_type"); g != "client_credentials" {
		entraError(http.StatusBadRequest, "unsupported_grant_type", 70003,
			fmt.Sprintf("AADSTS70003: The app requested an unsupported grant type '%s'. The fake supports client_credentials only.", g)).write(w)
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != s.opts.ClientID {
		entraError(http.StatusBadRequest, "unauthorized_client", 700016,
			fmt.Sprintf("AADSTS700016: Application with identifier '%s' was not found in the directory '%s'.", id, wd.tenantID)).write(w)
		return
	}
	s.mu.Lock()
	revoked := s.revokedClient
	s.mu.Unlock()
	if revoked {
		entraError(http.StatusUnauthorized, "invalid_client", 7000222,
			fmt.Sprintf("AADSTS7000222: The provided client secret keys for app '%s' are expired.", id)).write(w)
		return
	}
	if secret != s.opts.ClientSecret {
		entraError(http.StatusUnauthorized, "invalid_client", 7000215,
			"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.").write(w)
		return
	}
	aud := ""
	for _, sc := range strings.Fields(r.PostForm.Get("scope")) {
		switch strings.ToLower(sc) {
		case "https://graph.microsoft.com/.default":
			aud = audGraph
		case "https://api.loganalytics.io/.default":
			aud = audLogs
		case "https://management.core.windows.net//.default", "https://management.core.windows.net/.default",
			"https://management.azure.com//.default", "https://management.azure.com/.default":
			aud = audARM
		}
	}
	if aud == "" {
		entraError(http.StatusBadRequest, "invalid_scope", 1002012,
			fmt.Sprintf("AADSTS1002012: The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", r.PostForm.Get("scope"))).write(w)
		return
	}
	life := s.opts.TokenLifetime
	tok := s.accessToken(wd, id, aud, life)
	s.mu.Lock()
	s.tokens[tok] = issuedToken{audience: aud, expires: time.Now().Add(life)}
	s.mu.Unlock()
	secs := int(life / time.Second)
	if secs < 1 {
		secs = 1
	}
	marshalReply(http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": tok,
	}).write(w)
}

// accessToken mints a token shaped like Entra's: a JWT whose claims (tid, aud, appid, exp ...) a client may read
// without verifying, and whose signature is random bytes. The fake recognises its tokens by their whole text.
func (s *Server) accessToken(wd *world, clientID, aud string, life time.Duration) string {
	now := time.Now()
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	sig := make([]byte, 64)
	rand.Read(sig)
	return enc(map[string]any{"typ": "JWT", "alg": "RS256", "kid": "fakeazure"}) + "." +
		enc(map[string]any{
			"aud": aud, "iss": "https://sts.windows.net/" + wd.tenantID + "/", "tid": wd.tenantID,
			"appid": clientID, "oid": guidFor("client", clientID), "sub": guidFor("client", clientID),
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(life).Unix(), "ver": "1.0",
		}) + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// authorize checks the bearer token of a Graph or ARM request and answers 401 the way each service does.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, svc service) bool {
	tok := bearer(r)
	s.mu.Lock()
	it, known := s.tokens[tok]
	s.mu.Unlock()
	want := audGraph
	switch svc {
	case svcARM:
		want = audARM
	case svcLogs:
		want = audLogs
	}
	var code, msg string
	switch {
	case tok == "" && svc == svcGraph:
		code, msg = "InvalidAuthenticationToken", "Access token is empty."
	case tok == "":
		code, msg = "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
	case !known && svc == svcGraph:
		code, msg = "InvalidAuthenticationToken", "IDX14100: JWT is not well formed, there are no dots (.)."
	case !known:
		code, msg = "InvalidAuthenticationToken", "The access token is invalid."
	case it.audience != want && svc == svcGraph:
		code, msg = "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."
	case it.audience != want:
		code, msg = "InvalidAuthenticationTokenAudience",
			fmt.Sprintf("The access token has been obtained for wrong audience or resource '%s'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.azure.com/'.", it.audience)
	case time.Now().After(it.expires) && svc == svcGraph:
		code, msg = "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."
	case time.Now().After(it.expires):
		now := time.Now().UTC().Format("01/02/2006 15:04:05")
		code, msg = "ExpiredAuthenticationToken",
			fmt.Sprintf("The access token expiry UTC time '%s' is earlier than current UTC time '%s'.", it.expires.UTC().Format("01/02/2006 15:04:05"), now)
	default:
		return true
	}
	if svc == svcGraph {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="`+s.URL()+`/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
		graphError(http.StatusUnauthorized, code, msg).write(w)
		return false
	}
	w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="`+s.URL()+`/`+s.TenantID()+`", error="invalid_token", error_description="`+msg+`"`)
	armError(http.StatusUnauthorized, code, msg).write(w)
	return false
}
