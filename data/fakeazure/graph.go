package fakeazure

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/miscope/miscope/data"
)

// Graph page sizes: the default and the largest $top.
const (
	graphDefaultPage = 100
	graphMaxPage     = 999
	maxBatchItems    = 20
)

func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request, wd *world) {
	if !s.authorize(w, r, svcGraph) {
		return
	}
	if r.Method == http.MethodPost {
		s.batch(w, r, wd)
		return
	}
	if s.refuse(w, svcGraph, r.URL.Path) {
		return
	}
	s.graphGET(wd, r.URL.Path, r.URL.Query()).write(w)
}

// graphQuery is a parsed Graph request.
type graphQuery struct {
	base    string // https://host/v1.0
	path    string // the path after the version, e.g. /servicePrincipals
	q       url.Values
	sel     map[string]bool
	expand  string
	filters []clause
}

// graphGET answers one Graph read; path includes the version segment.
func (s *Server) graphGET(wd *world, path string, q url.Values) reply {
	path = strings.TrimRight(path, "/")
	version, rest := "/v1.0", path
	for _, v := range []string{"/v1.0", "/beta"} {
		if len(path) >= len(v) && strings.EqualFold(path[:len(v)], v) {
			version, rest = v, path[len(v):]
		}
	}
	gq := &graphQuery{base: s.URL() + version, path: rest, q: q, expand: strings.TrimSpace(q.Get("$expand"))}
	if sel := q.Get("$select"); sel != "" {
		gq.sel = map[string]bool{}
		for _, p := range strings.Split(sel, ",") {
			gq.sel[strings.ToLower(strings.TrimSpace(p))] = true
		}
	}
	if rep, ok := s.usageGET(wd, version, rest, gq); ok {
		return rep
	}
	if f := q.Get("$filter"); f != "" {
		cs, err := parseFilter(f)
		if err != nil {
			return graphError(http.StatusBadRequest, "Request_UnsupportedQuery", err.Error())
		}
		gq.filters = cs
	}
	if q.Get("$search") != "" {
		return graphError(http.StatusBadRequest, "Request_UnsupportedQuery", "$search is not supported by miscope's fake Graph.")
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	head := segs[0]
	fn, arg := splitCall(head)
	switch {
	case strings.EqualFold(head, "servicePrincipals") && len(segs) == 1:
		return gq.list(wd.spList, "servicePrincipals", false, nil, "id", "appId", "servicePrincipalType", "displayName")
	case strings.EqualFold(fn, "servicePrincipals") && arg != "":
		key, val := splitKeyValue(arg)
		if !strings.EqualFold(key, "appId") {
			return graphError(http.StatusBadRequest, "BadRequest", "Invalid key '"+key+"' for servicePrincipals; use appId.")
		}
		e, ok := wd.spByAppID[data.Key(val)]
		if !ok {
			return notFound(val)
		}
		return s.servicePrincipal(wd, gq, e, segs[1:])
	case strings.EqualFold(head, "servicePrincipals"):
		e, ok := wd.sps[data.Key(segs[1])]
		if !ok {
			return notFound(segs[1])
		}
		return s.servicePrincipal(wd, gq, e, segs[2:])
	case strings.EqualFold(head, "directoryObjects") && len(segs) == 2:
		e, ok := wd.directory[data.Key(segs[1])]
		if !ok {
			return notFound(segs[1])
		}
		return gq.single(e, "directoryObjects/$entity", true)
	case strings.EqualFold(head, "applications") && len(segs) == 1:
		return gq.list(wd.appList, "applications", false, nil, "id", "appId", "displayName")
	case strings.EqualFold(head, "groups") && len(segs) == 1:
		return gq.list(wd.groupList, "groups", false, nil, "id", "displayName", "isAssignableToRole")
	case strings.EqualFold(head, "groups"):
		e, ok := wd.groups[data.Key(segs[1])]
		if !ok {
			return notFound(segs[1])
		}
		if len(segs) == 2 {
			return gq.single(e, "groups/$entity", false)
		}
		switch strings.ToLower(segs[2]) {
		case "memberof":
			return gq.memberList(wd.groupMemberOf[data.Key(e.id)], segs[2:])
		case "transitivememberof":
			return gq.memberList(wd.groupTransitive[data.Key(e.id)], segs[2:])
		}
		return graphError(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", segs[2]))
	case strings.EqualFold(head, "users") && len(segs) == 2:
		e, ok := wd.users[data.Key(segs[1])]
		if !ok {
			return notFound(segs[1])
		}
		return gq.single(e, "users/$entity", false)
	case strings.EqualFold(head, "directoryRoles") && len(segs) == 1:
		// Graph does not page directoryRoles.
		gq.q = cloneWithout(q, "$top")
		return gq.listAll(wd.dirRoleList, "directoryRoles")
	case strings.EqualFold(fn, "directoryRoles") && arg != "":
		_, val := splitKeyValue(arg)
		if e, ok := wd.dirRoles[data.Key(val)]; ok {
			return gq.single(e, "directoryRoles/$entity", false)
		}
		return notFound(val)
	case strings.EqualFold(head, "directoryRoles") && len(segs) == 2:
		if e, ok := wd.dirRoles[data.Key(segs[1])]; ok && strings.EqualFold(e.id, segs[1]) {
			return gq.single(e, "directoryRoles/$entity", false)
		}
		return notFound(segs[1])
	case strings.EqualFold(head, "organization") && len(segs) == 1:
		org := newEntity(wd.tenantID, "#microsoft.graph.organization").set("id", wd.tenantID).
			set("displayName", wd.t.DisplayName).set("tenantType", "AAD").e
		return gq.list([]*entity{org}, "organization", false, nil)
	case strings.EqualFold(head, "roleManagement") && len(segs) >= 3 && strings.EqualFold(segs[1], "directory"):
		return s.roleManagement(wd, gq, segs[2:])
	}
	return graphError(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", head))
}

func (s *Server) servicePrincipal(wd *world, gq *graphQuery, e *entity, rest []string) reply {
	if len(rest) == 0 {
		return gq.single(e, "servicePrincipals/$entity", false)
	}
	k := data.Key(e.id)
	switch strings.ToLower(rest[0]) {
	case "approleassignments":
		if len(rest) > 1 {
			break
		}
		return gq.list(wd.appRoleAssign[k], "servicePrincipals('"+e.id+"')/appRoleAssignments", false, nil,
			"id", "principalId", "resourceId", "appRoleId")
	case "memberof", "transitivememberof":
		items := wd.memberOf[k]
		if strings.EqualFold(rest[0], "transitiveMemberOf") {
			items = wd.transitive[k]
		}
		return gq.memberList(items, rest)
	case "ownedobjects":
		if len(rest) > 1 {
			break
		}
		// A mixed collection of directory objects: every item carries its @odata.type.
		return gq.list(wd.owned[k], "directoryObjects", true, nil, "id")
	}
	return graphError(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", rest[0]))
}

// memberList serves memberOf or transitiveMemberOf, with an optional OData cast segment after it.
func (gq *graphQuery) memberList(items []*entity, rest []string) reply {
	{
		ctx := "directoryObjects"
		withType := true
		if len(rest) == 2 {
			// OData casts; the SDK sends graph.group, Graph accepts microsoft.graph.group too.
			var want string
			switch strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(rest[1], "microsoft."), "graph.")) {
			case "group":
				want, ctx = "#microsoft.graph.group", "groups"
			case "directoryrole":
				want, ctx = "#microsoft.graph.directoryRole", "directoryRoles"
			default:
				return graphError(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", rest[1]))
			}
			var only []*entity
			for _, it := range items {
				if it.odataType == want {
					only = append(only, it)
				}
			}
			items, withType = only, false
		} else if len(rest) > 2 {
			return graphError(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", rest[2]))
		}
		return gq.list(items, ctx, withType, nil, "id", "displayName", "isAssignableToRole", "roleTemplateId")
	}
}

func (s *Server) roleManagement(wd *world, gq *graphQuery, rest []string) reply {
	var items []*entity
	var name string
	switch strings.ToLower(rest[0]) {
	case "roleassignments":
		items, name = wd.roleAssign, "roleAssignments"
	case "roleeligibilityschedules":
		items, name = wd.eligSchedules, "roleEligibilitySchedules"
	case "roleeligibilityscheduleinstances":
		items, name = wd.eligInstances, "roleEligibilityScheduleInstances"
	case "roledefinitions":
		if len(rest) == 2 {
			if e, ok := wd.roleDefByID[data.Key(rest[1])]; ok {
				return gq.single(e, "roleManagement/directory/roleDefinitions/$entity", false)
			}
			return notFound(rest[1])
		}
		return gq.list(wd.roleDefs, "roleManagement/directory/roleDefinitions", false, nil,
			"id", "displayName", "isBuiltIn", "templateId")
	default:
		return graphError(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", rest[0]))
	}
	expand := func(e *entity) (string, *entity) { return "", nil }
	switch strings.ToLower(gq.expand) {
	case "":
	case "principal":
		expand = func(e *entity) (string, *entity) { return "principal", wd.directory[data.Key(e.props["principalid"])] }
	case "roledefinition":
		expand = func(e *entity) (string, *entity) {
			return "roleDefinition", wd.roleDefByID[data.Key(e.props["roledefinitionid"])]
		}
	default:
		return graphError(http.StatusBadRequest, "BadRequest", "Could not find a property named '"+gq.expand+"' to expand.")
	}
	if len(rest) == 2 {
		for _, e := range items {
			if strings.EqualFold(e.id, rest[1]) {
				return gq.single(e, "roleManagement/directory/"+name+"/$entity", false)
			}
		}
		return notFound(rest[1])
	}
	return gq.list(items, "roleManagement/directory/"+name, false, expand, "id", "principalId", "roleDefinitionId", "directoryScopeId")
}

func notFound(id string) reply {
	return graphError(http.StatusNotFound, "Request_ResourceNotFound",
		fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
}

// single serves one entity.
func (gq *graphQuery) single(e *entity, ctx string, withType bool) reply {
	var buf bytes.Buffer
	e.render(&buf, gq.sel, withType)
	b := buf.Bytes()
	head := `{"@odata.context":` + jsonString(gq.base+"/$metadata#"+ctx) + ","
	if !withType {
		head += `"@odata.type":` + jsonString(e.odataType) + ","
	}
	out := append([]byte(head), b[1:]...)
	if len(b) == 2 { // "{}" with no fields
		out = []byte(strings.TrimSuffix(head, ",") + "}")
	}
	return jsonReply(http.StatusOK, out)
}

// listAll serves a collection without paging.
func (gq *graphQuery) listAll(items []*entity, ctx string) reply {
	return gq.page(items, ctx, false, nil, len(items)+1)
}

// list filters and pages a collection; filterable names the properties $filter may test.
func (gq *graphQuery) list(items []*entity, ctx string, withType bool, expand func(*entity) (string, *entity), filterable ...string) reply {
	if len(gq.filters) > 0 {
		ok := map[string]bool{}
		for _, f := range filterable {
			ok[strings.ToLower(f)] = true
		}
		for _, c := range gq.filters {
			if !ok[c.prop] {
				return graphError(http.StatusBadRequest, "Request_UnsupportedQuery",
					fmt.Sprintf("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", c.prop, ctx))
			}
		}
		var kept []*entity
		for _, e := range items {
			if matchAll(e.props, gq.filters) {
				kept = append(kept, e)
			}
		}
		items = kept
	}
	top := graphDefaultPage
	if t := gq.q.Get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > graphMaxPage {
			return graphError(http.StatusBadRequest, "Request_BadRequest",
				fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", t, graphMaxPage))
		}
		top = n
	}
	return gq.page(items, ctx, withType, expand, top)
}

func (gq *graphQuery) page(items []*entity, ctx string, withType bool, expand func(*entity) (string, *entity), top int) reply {
	start := 0
	if tok := gq.q.Get("$skiptoken"); tok != "" {
		n, err := decodeSkip(tok)
		if err != nil || n > len(items) {
			return graphError(http.StatusBadRequest, "Request_BadRequest", "The specified page token value has expired or is invalid.")
		}
		start = n
	}
	end := min(start+top, len(items))
	var buf bytes.Buffer
	buf.Grow(256 + (end-start)*900)
	buf.WriteString(`{"@odata.context":`)
	writeJSON(&buf, gq.base+"/$metadata#"+ctx)
	if start == 0 && strings.EqualFold(gq.q.Get("$count"), "true") {
		buf.WriteString(`,"@odata.count":`)
		buf.WriteString(strconv.Itoa(len(items)))
	}
	if end < len(items) {
		buf.WriteString(`,"@odata.nextLink":`)
		writeJSON(&buf, nextLink(gq.base+gq.path, gq.q, "$skiptoken", encodeSkip(end)))
	}
	buf.WriteString(`,"value":[`)
	for i, e := range items[start:end] {
		if i > 0 {
			buf.WriteByte(',')
		}
		e.render(&buf, gq.sel, withType)
		if expand != nil {
			if name, x := expand(e); name != "" {
				buf.Truncate(buf.Len() - 1)
				buf.WriteString(`,"` + name + `":`)
				if x == nil {
					buf.WriteString("null")
				} else {
					x.render(&buf, nil, true)
				}
				buf.WriteByte('}')
			}
		}
	}
	buf.WriteString("]}")
	return jsonReply(http.StatusOK, buf.Bytes())
}

// nextLink builds an absolute next-page link that repeats the query, as Graph and ARM do. Parameter names keep
// their literal "$"; values are percent-encoded.
func nextLink(base string, q url.Values, tokenName, token string) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if strings.EqualFold(k, "$skiptoken") {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(base)
	b.WriteByte('?')
	for _, k := range keys {
		for _, v := range q[k] {
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
			b.WriteByte('&')
		}
	}
	b.WriteString(tokenName)
	b.WriteByte('=')
	b.WriteString(token)
	return b.String()
}

func cloneWithout(q url.Values, drop string) url.Values {
	out := url.Values{}
	for k, v := range q {
		if !strings.EqualFold(k, drop) {
			out[k] = v
		}
	}
	return out
}

// Skip tokens are opaque to clients; inside they are an offset.
func encodeSkip(n int) string { return b64url([]byte("fakeazure:" + strconv.Itoa(n))) }

func decodeSkip(tok string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(tok, "="))
	if err != nil || !bytes.HasPrefix(b, []byte("fakeazure:")) {
		return 0, fmt.Errorf("invalid skip token")
	}
	return strconv.Atoi(string(b[len("fakeazure:"):]))
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// splitCall splits "servicePrincipals(appId='x')" into "servicePrincipals" and "appId='x'".
func splitCall(seg string) (string, string) {
	i := strings.IndexByte(seg, '(')
	if i < 0 || !strings.HasSuffix(seg, ")") {
		return seg, ""
	}
	return seg[:i], seg[i+1 : len(seg)-1]
}

func splitKeyValue(arg string) (string, string) {
	k, v, ok := strings.Cut(arg, "=")
	if !ok {
		return "", unquote(arg)
	}
	return strings.TrimSpace(k), unquote(v)
}

func unquote(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return strings.ReplaceAll(v[1:len(v)-1], "''", "'")
	}
	return v
}

// clause is one comparison of an OData $filter: prop eq value, or prop in (values).
type clause struct {
	prop string // lower-cased
	vals []string
}

var (
	reEq = mustRE(`(?i)^([A-Za-z][A-Za-z0-9]*)\s+eq\s+('(?:[^']|'')*'|[A-Za-z0-9.\-]+)$`)
	reIn = mustRE(`(?i)^([A-Za-z][A-Za-z0-9]*)\s+in\s+\((.*)\)$`)
)

// parseFilter understands the $filter forms miscope's readers use: clauses of "prop eq 'v'" and
// "prop in ('a','b')" joined by "and".
func parseFilter(f string) ([]clause, error) {
	var out []clause
	for _, part := range splitOutsideQuotes(f, " and ") {
		part = strings.TrimSpace(part)
		if m := reEq.FindStringSubmatch(part); m != nil {
			out = append(out, clause{prop: strings.ToLower(m[1]), vals: []string{unquote(m[2])}})
			continue
		}
		if m := reIn.FindStringSubmatch(part); m != nil {
			c := clause{prop: strings.ToLower(m[1])}
			for _, v := range splitOutsideQuotes(m[2], ",") {
				c.vals = append(c.vals, unquote(v))
			}
			out = append(out, c)
			continue
		}
		return nil, fmt.Errorf("Invalid filter clause: '%s' is not supported by miscope's fake Graph (use eq or in, joined by and).", part)
	}
	return out, nil
}

func splitOutsideQuotes(s, sep string) []string {
	var out []string
	inQuote, last := false, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			inQuote = !inQuote
			continue
		}
		if !inQuote && i+len(sep) <= len(s) && strings.EqualFold(s[i:i+len(sep)], sep) {
			out = append(out, s[last:i])
			i += len(sep) - 1
			last = i + 1
		}
	}
	return append(out, s[last:])
}

func matchAll(props map[string]string, cs []clause) bool {
	for _, c := range cs {
		v := props[c.prop]
		hit := false
		for _, want := range c.vals {
			if strings.EqualFold(v, want) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

// batchRequest is the body of POST /$batch.
type batchRequest struct {
	Requests []struct {
		ID        string          `json:"id"`
		Method    string          `json:"method"`
		URL       string          `json:"url"`
		Headers   map[string]any  `json:"headers"`
		Body      json.RawMessage `json:"body"`
		DependsOn []string        `json:"dependsOn"`
	} `json:"requests"`
}

type batchItem struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// batch serves POST /$batch: up to 20 GETs, each answered (and throttled, denied, counted) on its own.
func (s *Server) batch(w http.ResponseWriter, r *http.Request, wd *world) {
	if s.injectFault(w, svcGraph, false) {
		return
	}
	var body io.Reader = io.LimitReader(r.Body, 8<<20)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(body)
		if err != nil {
			graphError(http.StatusBadRequest, "BadRequest", "The request body is labelled Content-Encoding: gzip but is not gzip data.").write(w)
			return
		}
		body = zr
	}
	var req batchRequest
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		graphError(http.StatusBadRequest, "BadRequest", "Invalid batch payload format.").write(w)
		return
	}
	if len(req.Requests) == 0 {
		graphError(http.StatusBadRequest, "BadRequest", "Batch request must contain at least one request.").write(w)
		return
	}
	if len(req.Requests) > maxBatchItems {
		graphError(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Batch request cannot contain more than %d requests.", maxBatchItems)).write(w)
		return
	}
	ids := map[string]bool{}
	for _, it := range req.Requests {
		if it.ID == "" || ids[it.ID] {
			graphError(http.StatusBadRequest, "BadRequest", "Batch request ids must be present and unique.").write(w)
			return
		}
		ids[it.ID] = true
	}
	status := map[string]int{}
	out := make([]batchItem, 0, len(req.Requests))
	for _, it := range req.Requests {
		rep := s.batchItem(wd, it.Method, it.URL, it.DependsOn, status)
		status[it.ID] = rep.status
		if rep.header == nil {
			rep.header = map[string]string{}
		}
		out = append(out, batchItem{ID: it.ID, Status: rep.status, Headers: rep.header, Body: rep.body})
	}
	marshalReply(http.StatusOK, map[string]any{"responses": out}).write(w)
}

func (s *Server) batchItem(wd *world, method, raw string, dependsOn []string, status map[string]int) reply {
	s.count(func(c *Counts) { c.BatchItems++ })
	for _, d := range dependsOn {
		if st, ok := status[d]; !ok || st >= 400 {
			return graphError(http.StatusFailedDependency, "BadRequest", "Failed dependency.")
		}
	}
	if !strings.EqualFold(method, http.MethodGet) {
		s.count(func(c *Counts) { c.Writes++; c.By[strings.ToUpper(method)+" graph $batch item"]++ })
		return graphError(http.StatusMethodNotAllowed, "Request_BadRequest",
			"miscope's fake Graph is read-only: "+strings.ToUpper(method)+" "+raw+" is refused.")
	}
	if !strings.HasPrefix(raw, "/") {
		raw = "/" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return graphError(http.StatusBadRequest, "BadRequest", "Invalid request URL in batch: "+raw)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return graphError(http.StatusBadRequest, "BadRequest", "Invalid query in batch request URL: "+raw)
	}
	path := "/v1.0" + u.Path
	if rep, ok := s.deny(svcGraph, path); ok {
		return rep
	}
	if rep, ok := s.broken(svcGraph, path); ok {
		return rep
	}
	if s.decide(true, false) == faultThrottle {
		s.count(func(c *Counts) { c.Throttled++ })
		return graphThrottled(s.opts.RetryAfter)
	}
	return s.graphGET(wd, path, q)
}

func mustRE(expr string) *regexp.Regexp { return regexp.MustCompile(expr) }
