package fakeazure

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// service names the API a request belongs to.
type service string

const (
	svcGraph   service = "graph"
	svcARM     service = "arm"
	svcEntra   service = "entra"
	svcLogs    service = "logs" // the Log Analytics query API
	svcUnknown service = "unknown"
)

func classify(path string) service {
	lower := strings.ToLower(path)
	segs := strings.Split(strings.Trim(lower, "/"), "/")
	switch {
	case strings.HasPrefix(lower, "/v1.0/") || lower == "/v1.0" || strings.HasPrefix(lower, "/beta/"):
		return svcGraph
	case workspacePath(lower):
		return svcLogs
	case strings.HasPrefix(lower, "/subscriptions") || strings.HasPrefix(lower, "/providers/") || strings.HasPrefix(lower, "/tenants"):
		return svcARM
	case len(segs) >= 2 && (segs[1] == "oauth2" || segs[1] == "v2.0" || segs[1] == "discovery"):
		return svcEntra
	}
	return svcUnknown
}

// reply is one answer, built before it is written so that $batch items and plain requests share handlers.
type reply struct {
	status int
	header map[string]string
	body   []byte
}

func jsonReply(status int, body []byte) reply {
	return reply{status: status, header: map[string]string{"Content-Type": "application/json; charset=utf-8"}, body: body}
}

func marshalReply(status int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		return jsonReply(http.StatusInternalServerError, []byte(`{"error":{"code":"InternalServerError","message":"fake could not encode its answer"}}`))
	}
	return jsonReply(status, b)
}

func (r reply) write(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(r.status)
	w.Write(r.body)
}

// graphError is the error body Microsoft Graph sends.
func graphError(status int, code, message string) reply {
	now := time.Now().UTC()
	return marshalReply(status, map[string]any{"error": map[string]any{
		"code":    code,
		"message": message,
		"innerError": map[string]any{
			"date":              now.Format("2006-01-02T15:04:05"),
			"request-id":        uuid.NewString(),
			"client-request-id": uuid.NewString(),
		},
	}})
}

// armError is the error body Azure Resource Manager sends.
func armError(status int, code, message string) reply {
	r := marshalReply(status, map[string]any{"error": map[string]any{"code": code, "message": message}})
	r.header["x-ms-failure-cause"] = "gateway"
	return r
}

func graphThrottled(retryAfter string) reply {
	now := time.Now().UTC()
	r := marshalReply(http.StatusTooManyRequests, map[string]any{"error": map[string]any{
		"code":    "TooManyRequests",
		"message": "Please retry again later.",
		"innerError": map[string]any{
			"code": "429", "date": now.Format("2006-01-02T15:04:05"), "message": "Please retry after",
			"request-id": uuid.NewString(), "status": "429",
		},
	}})
	if retryAfter != "" {
		r.header["Retry-After"] = retryAfter
	}
	r.header["x-ms-throttle-scope"] = "Tenant_Application/ReadWrite/" + uuid.NewString()
	return r
}

func armThrottled(retryAfter string) reply {
	r := armError(http.StatusTooManyRequests, "TooManyRequests",
		"The request is being throttled as the limit has been reached for operation type - 'List'. For more information, see - https://aka.ms/msdn-throttling")
	if retryAfter != "" {
		r.header["Retry-After"] = retryAfter
	}
	return r
}

// allowed says whether a request is one of the reads miscope may send: GET, POST $batch, POST of a Resource Graph
// query, and POST to the token endpoint.
func allowed(r *http.Request, svc service) (kind string, ok bool) {
	lower := strings.ToLower(strings.TrimRight(r.URL.Path, "/"))
	switch r.Method {
	case http.MethodGet:
		switch svc {
		case svcEntra:
			if strings.Contains(lower, "/discovery/instance") {
				return "GET discovery", true
			}
			return "GET openid", true
		case svcUnknown:
			return "GET unknown", true
		}
		return "GET " + string(svc), true
	case http.MethodPost:
		switch {
		case svc == svcGraph && (lower == "/v1.0/$batch" || lower == "/beta/$batch"):
			return "POST graph $batch", true
		case svc == svcARM && lower == "/providers/microsoft.resourcegraph/resources":
			return "POST arg", true
		case svc == svcEntra && strings.HasSuffix(lower, "/oauth2/v2.0/token"):
			return "POST token", true
		case svc == svcLogs && strings.HasSuffix(lower, "/query"):
			// A Log Analytics query reads: the API takes it as a POST body.
			return "POST logs query", true
		}
	}
	return r.Method + " " + string(svc), false
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	svc := classify(r.URL.Path)
	kind, ok := allowed(r, svc)
	s.count(func(c *Counts) {
		c.Total++
		c.By[kind]++
		if !ok {
			c.Writes++
		}
	})
	if s.opts.Latency > 0 {
		select {
		case <-time.After(s.opts.Latency):
		case <-r.Context().Done():
			return
		}
	}
	if r.Header.Get(rawSpaceHeader) != "" {
		armError(http.StatusBadRequest, "InvalidRequestLine",
			"The request line held raw spaces (armauthorization sends $filter unencoded). Real ARM accepts that, Go's net/http does not: "+
				"pass the filter pre-encoded, e.g. Filter: url.PathEscape(\"principalId eq '<id>'\") gives principalId%20eq%20'<id>'.").write(w)
		return
	}
	if !ok {
		msg := fmt.Sprintf("miscope's fake Azure is read-only: %s %s is refused.", r.Method, r.URL.Path)
		w.Header().Set("Allow", "GET")
		if svc == svcGraph {
			graphError(http.StatusMethodNotAllowed, "Request_BadRequest", msg).write(w)
		} else {
			armError(http.StatusMethodNotAllowed, "MethodNotAllowed", msg).write(w)
		}
		return
	}
	wd := s.world.Load()
	switch svc {
	case svcEntra:
		s.serveEntra(w, r, wd)
	case svcGraph:
		s.serveGraph(w, r, wd)
	case svcARM:
		s.serveARM(w, r, wd)
	case svcLogs:
		s.serveLogs(w, r, wd)
	default:
		if strings.HasPrefix(strings.ToLower(r.URL.Path), "/common/discovery/instance") {
			s.serveEntra(w, r, wd)
			return
		}
		armError(http.StatusNotFound, "NotFound", "No such endpoint on the fake Azure: "+r.URL.Path).write(w)
	}
}

// injectFault applies throttling and failures to a Graph or ARM request; it reports whether it answered.
func (s *Server) injectFault(w http.ResponseWriter, svc service, throttle bool) bool {
	switch s.decide(throttle, true) {
	case faultThrottle:
		s.count(func(c *Counts) { c.Throttled++ })
		if svc == svcGraph {
			graphThrottled(s.opts.RetryAfter).write(w)
		} else {
			armThrottled(s.opts.RetryAfter).write(w)
		}
		return true
	case faultServerError:
		s.count(func(c *Counts) { c.Failed++ })
		if svc == svcGraph {
			graphError(http.StatusInternalServerError, "generalException", "An unexpected error occurred.").write(w)
		} else {
			armError(http.StatusInternalServerError, "InternalServerError",
				"Encountered internal server error. Diagnostic information: timestamp '"+time.Now().UTC().Format("20060102T150405Z")+"'.").write(w)
		}
		return true
	case faultReset:
		s.count(func(c *Counts) { c.Failed++ })
		resetConnection(w)
		return true
	}
	return false
}

// refuse answers a request that a configured fault, denial or breakage takes, and reports whether it did; Graph and
// ARM requests go through the same checks in the same order.
func (s *Server) refuse(w http.ResponseWriter, svc service, path string) bool {
	if s.injectFault(w, svc, true) {
		return true
	}
	if rep, ok := s.deny(svc, path); ok {
		rep.write(w)
		return true
	}
	if rep, ok := s.broken(svc, path); ok {
		rep.write(w)
		return true
	}
	return false
}

// deny answers 403 for a denied path, with the body the real service sends.
func (s *Server) deny(svc service, path string) (reply, bool) {
	d, ok := s.denial(path)
	if !ok {
		return reply{}, false
	}
	s.count(func(c *Counts) { c.Denied++ })
	if svc == svcGraph {
		code := d.Code
		if code == "" {
			code = "Authorization_RequestDenied"
		}
		return graphError(http.StatusForbidden, code, "Insufficient privileges to complete the operation."), true
	}
	code := d.Code
	if code == "" {
		code = "AuthorizationFailed"
	}
	return armError(http.StatusForbidden, code, fmt.Sprintf(
		"The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
		s.opts.ClientID, s.opts.ClientID, armAction(path), armScopeOf(path))), true
}

// armAction names the action a read of path needs, for the AuthorizationFailed message.
func armAction(path string) string {
	lower := strings.ToLower(path)
	for _, p := range []struct{ marker, action string }{
		{"/providers/microsoft.authorization/roleassignments", "Microsoft.Authorization/roleAssignments/read"},
		{"/providers/microsoft.authorization/roledefinitions", "Microsoft.Authorization/roleDefinitions/read"},
		{"/federatedidentitycredentials", "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read"},
		{"/providers/microsoft.managedidentity/userassignedidentities", "Microsoft.ManagedIdentity/userAssignedIdentities/read"},
		{"/providers/microsoft.management/managementgroups", "Microsoft.Management/managementGroups/read"},
		{"/providers/microsoft.resourcegraph/resources", "Microsoft.ResourceGraph/resources/read"},
		{"/resources", "Microsoft.Resources/subscriptions/resources/read"},
	} {
		if strings.Contains(lower, p.marker) {
			return p.action
		}
	}
	return "Microsoft.Resources/subscriptions/read"
}

// armScopeOf cuts an ARM path to the scope it is about.
func armScopeOf(path string) string {
	lower := strings.ToLower(path)
	if i := strings.LastIndex(lower, "/providers/microsoft.authorization/"); i >= 0 {
		if i == 0 {
			return "/"
		}
		return path[:i]
	}
	return strings.TrimRight(path, "/")
}

// bearer extracts the access token of a request.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
