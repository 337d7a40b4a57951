package fakeazure

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/miscope/miscope/data"
)

// apiVersions are the api-version values each ARM resource provider accepts here; the first is what the Go SDKs
// send.
var apiVersions = map[string][]string{
	"subscriptions": {"2022-12-01", "2021-01-01", "2020-01-01", "2019-11-01", "2016-06-01"},
	"resources":     {"2021-04-01", "2024-03-01", "2023-07-01", "2022-09-01", "2020-06-01", "2019-10-01"},
	"msi":           {"2024-11-30", "2023-07-31-preview", "2023-01-31", "2022-01-31-preview", "2018-11-30"},
	"authorization": {"2022-04-01", "2022-05-01-preview", "2020-10-01-preview", "2020-08-01-preview", "2020-04-01-preview", "2018-09-01-preview", "2018-01-01-preview", "2015-07-01"},
	"management":    {"2023-04-01", "2021-04-01", "2020-10-01", "2020-05-01", "2020-02-01", "2019-11-01", "2018-03-01-preview"},
	"resourcegraph": {"2024-04-01", "2022-10-01", "2021-06-01-preview", "2021-03-01", "2020-04-01-preview", "2019-04-01"},
}

func checkAPIVersion(q url.Values, provider string) (reply, bool) {
	v := q.Get("api-version")
	if v == "" {
		return armError(http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests."), false
	}
	for _, ok := range apiVersions[provider] {
		if v == ok {
			return reply{}, true
		}
	}
	return armError(http.StatusBadRequest, "InvalidApiVersionParameter",
		fmt.Sprintf("The api-version '%s' is invalid. The supported versions are '%s'.", v, strings.Join(apiVersions[provider], ","))), false
}

func (s *Server) serveARM(w http.ResponseWriter, r *http.Request, wd *world) {
	if !s.authorize(w, r, svcARM) {
		return
	}
	if s.refuse(w, svcARM, r.URL.Path) {
		return
	}
	rep := s.armRoute(r, wd)
	rep.header["x-ms-ratelimit-remaining-subscription-reads"] = "11999"
	rep.write(w)
}

func (s *Server) armRoute(r *http.Request, wd *world) reply {
	p := strings.TrimRight(r.URL.Path, "/")
	lower := strings.ToLower(p)
	segs := strings.Split(strings.Trim(p, "/"), "/")
	q := r.URL.Query()
	if len(segs) >= 2 && strings.EqualFold(segs[0], "subscriptions") {
		if _, ok := wd.subByID[data.Key(segs[1])]; !ok {
			return armError(http.StatusNotFound, "SubscriptionNotFound", fmt.Sprintf("The subscription '%s' could not be found.", segs[1]))
		}
	}
	if lower == "/providers/microsoft.resourcegraph/resources" {
		if rep, ok := checkAPIVersion(q, "resourcegraph"); !ok {
			return rep
		}
		if r.Method != http.MethodPost {
			return armError(http.StatusMethodNotAllowed, "MethodNotAllowed", "Resource Graph queries are sent with POST.")
		}
		return s.resourceGraph(r, wd)
	}
	if i := strings.LastIndex(lower, "/providers/microsoft.authorization/"); i >= 0 {
		if rep, ok := checkAPIVersion(q, "authorization"); !ok {
			return rep
		}
		return s.authorization(wd, p[:i], strings.Split(p[i+len("/providers/microsoft.authorization/"):], "/"), p, q)
	}
	if i := strings.Index(lower, "/providers/microsoft.managedidentity/"); i >= 0 {
		if rep, ok := checkAPIVersion(q, "msi"); !ok {
			return rep
		}
		return s.managedIdentity(wd, p[:i], strings.Split(p[i+len("/providers/microsoft.managedidentity/"):], "/"), p, q)
	}
	if strings.HasPrefix(lower, "/providers/microsoft.management/managementgroups") {
		if rep, ok := checkAPIVersion(q, "management"); !ok {
			return rep
		}
		return s.managementGroups(wd, segs[3:], p, q)
	}
	switch {
	case lower == "/subscriptions" || len(segs) == 2 && strings.EqualFold(segs[0], "subscriptions"):
		if rep, ok := checkAPIVersion(q, "subscriptions"); !ok {
			return rep
		}
		var subs []any
		for _, sub := range wd.subs {
			if len(segs) == 1 || strings.EqualFold(sub.ID, segs[1]) {
				subs = append(subs, wd.subscriptionJSON(sub))
			}
		}
		if len(segs) == 2 {
			return marshalReply(http.StatusOK, subs[0])
		}
		return s.armPage(subs, p, q, 0)
	case len(segs) == 3 && strings.EqualFold(segs[2], "resources"),
		len(segs) == 5 && strings.EqualFold(segs[2], "resourceGroups") && strings.EqualFold(segs[4], "resources"):
		if rep, ok := checkAPIVersion(q, "resources"); !ok {
			return rep
		}
		rg := ""
		if len(segs) == 5 {
			rg = segs[3]
		}
		return s.resources(wd, segs[1], rg, p, q)
	}
	return armError(http.StatusNotFound, "InvalidResourceType", fmt.Sprintf("The resource type could not be found for the path '%s' on miscope's fake Azure.", p))
}

func (w *world) subscriptionJSON(sub data.Subscription) map[string]any {
	state := sub.State
	if state == "" {
		state = "Enabled"
	}
	return map[string]any{
		"id": "/subscriptions/" + sub.ID, "subscriptionId": sub.ID, "tenantId": w.tenantID,
		"displayName": sub.DisplayName, "state": state, "authorizationSource": "RoleBased",
		"subscriptionPolicies": map[string]any{"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"},
		"managedByTenants":     []any{}, "tags": map[string]string{},
	}
}

// armPage serves one page of an ARM list with an absolute nextLink; top overrides the page size when > 0.
func (s *Server) armPage(items []any, path string, q url.Values, top int) reply {
	size := s.opts.ARMPageSize
	if top > 0 {
		size = top
	}
	start := 0
	tok := q.Get("$skiptoken")
	if tok == "" {
		tok = q.Get("$skipToken")
	}
	if tok != "" {
		n, err := decodeSkip(tok)
		if err != nil || n > len(items) {
			return armError(http.StatusBadRequest, "InvalidSkipToken", "The skip token is invalid or has expired.")
		}
		start = n
	}
	end := min(start+size, len(items))
	page := items[start:end]
	if page == nil {
		page = []any{}
	}
	var next any
	if end < len(items) {
		next = nextLink(s.URL()+path, cloneWithout(q, "$skipToken"), "$skiptoken", encodeSkip(end))
	}
	return marshalReply(http.StatusOK, map[string]any{"value": page, "nextLink": next})
}

func topOf(q url.Values) (int, bool) {
	t := q.Get("$top")
	if t == "" {
		return 0, true
	}
	n, err := strconv.Atoi(t)
	return n, err == nil && n > 0
}

// resources lists a subscription's (or resource group's) resources, with their identity blocks.
func (s *Server) resources(wd *world, sub, rg, path string, q url.Values) reply {
	typ := ""
	if f := strings.TrimSpace(q.Get("$filter")); f != "" {
		cs, err := parseFilter(f)
		if err != nil || len(cs) != 1 || cs[0].prop != "resourcetype" || len(cs[0].vals) != 1 {
			return armError(http.StatusBadRequest, "InvalidFilterInQueryString",
				fmt.Sprintf("The $filter '%s' is not supported by miscope's fake Azure; use resourceType eq '<type>'.", f))
		}
		typ = cs[0].vals[0]
	}
	top, ok := topOf(q)
	if !ok {
		return armError(http.StatusBadRequest, "InvalidTopInQueryString", "The $top value must be a positive integer.")
	}
	var items []any
	for _, r := range wd.resources {
		if !strings.EqualFold(r.sub, sub) || rg != "" && !strings.EqualFold(r.rg, rg) || typ != "" && !strings.EqualFold(r.typ, typ) {
			continue
		}
		items = append(items, r.json(false))
	}
	return s.armPage(items, path, q, top)
}

func (r armResource) json(lowerType bool) map[string]any {
	typ := r.typ
	if lowerType {
		typ = strings.ToLower(typ)
	}
	m := map[string]any{"id": r.id, "name": r.name, "type": typ, "location": r.location, "tags": map[string]string{}}
	if r.identity != nil {
		m["identity"] = r.identity
	}
	return m
}

// raFilter is an ARM role assignment $filter.
type raFilter struct {
	atScope    bool
	principal  string
	assignedTo string
}

var (
	rePrincipalEq = mustRE(`(?i)^principalId\s+eq\s+'([^']*)'$`)
	reAssignedTo  = mustRE(`(?i)^assignedTo\('([^']*)'\)$`)
	reRoleNameEq  = mustRE(`(?i)^roleName\s+eq\s+'((?:[^']|'')*)'$`)
	reTypeEq      = mustRE(`(?i)^type\s+eq\s+'([^']*)'$`)
)

func parseRAFilter(f string) (raFilter, error) {
	var out raFilter
	f = strings.TrimSpace(f)
	if f == "" {
		return out, nil
	}
	for _, part := range splitOutsideQuotes(f, " and ") {
		part = strings.TrimSpace(part)
		switch {
		case strings.EqualFold(part, "atScope()"):
			out.atScope = true
		case rePrincipalEq.MatchString(part):
			out.principal = rePrincipalEq.FindStringSubmatch(part)[1]
		case reAssignedTo.MatchString(part):
			out.assignedTo = reAssignedTo.FindStringSubmatch(part)[1]
		default:
			return out, fmt.Errorf("The filter '%s' is not supported. Supported filters are atScope(), principalId eq '{id}', assignedTo('{id}') and combinations of atScope() with one of them.", f)
		}
	}
	return out, nil
}

// authorization serves role assignments and role definitions at any scope.
func (s *Server) authorization(wd *world, scope string, tail []string, path string, q url.Values) reply {
	if scope == "" {
		scope = "/"
	}
	if mg := data.ManagementGroupOf(scope); mg != "" {
		if _, ok := wd.mgByName[data.Key(mg)]; !ok {
			return armError(http.StatusNotFound, "ManagementGroupNotFound", fmt.Sprintf("The management group '%s' could not be found.", mg))
		}
	} else if scope != "/" && data.LevelOf(scope) == data.ScopeUnknown {
		return armError(http.StatusBadRequest, "InvalidScope", fmt.Sprintf("The scope '%s' is not valid.", scope))
	}
	switch {
	case strings.EqualFold(tail[0], "roleAssignments"):
		if len(tail) > 2 {
			break
		}
		f, err := parseRAFilter(q.Get("$filter"))
		if err != nil {
			return armError(http.StatusBadRequest, "UnsupportedQuery", err.Error())
		}
		items := wd.roleAssignmentsAt(scope, f)
		if len(tail) == 2 {
			for _, it := range items {
				if ra := it.(armRoleAssignment); strings.EqualFold(ra.Name, tail[1]) {
					return marshalReply(http.StatusOK, ra)
				}
			}
			return armError(http.StatusNotFound, "RoleAssignmentNotFound", fmt.Sprintf("The role assignment '%s' is not found.", tail[1]))
		}
		return s.armPage(items, path, q, 0)
	case strings.EqualFold(tail[0], "roleDefinitions"):
		if len(tail) == 2 {
			d, ok := wd.roleDefARM[data.Key(tail[1])]
			if !ok {
				return armError(http.StatusNotFound, "RoleDefinitionDoesNotExist", fmt.Sprintf("The specified role definition with ID '%s' does not exist.", tail[1]))
			}
			return marshalReply(http.StatusOK, wd.roleDefinitionJSON(*d, scope))
		}
		if len(tail) > 2 {
			break
		}
		var name, typ string
		if f := strings.TrimSpace(q.Get("$filter")); f != "" {
			for _, part := range splitOutsideQuotes(f, " and ") {
				part = strings.TrimSpace(part)
				switch {
				case strings.EqualFold(part, "atScopeAndBelow()"):
				case reRoleNameEq.MatchString(part):
					name = unquote("'" + reRoleNameEq.FindStringSubmatch(part)[1] + "'")
				case reTypeEq.MatchString(part):
					typ = reTypeEq.FindStringSubmatch(part)[1]
				default:
					return armError(http.StatusBadRequest, "UnsupportedQuery",
						fmt.Sprintf("The filter '%s' is not supported. Supported filters are roleName eq '{name}', type eq 'BuiltInRole|CustomRole' and atScopeAndBelow().", f))
				}
			}
		}
		var items []any
		for _, d := range wd.roleDefsARM {
			if name != "" && !strings.EqualFold(d.RoleName, name) {
				continue
			}
			if typ != "" && !strings.EqualFold(roleType(d), typ) {
				continue
			}
			items = append(items, wd.roleDefinitionJSON(d, scope))
		}
		return s.armPage(items, path, q, 0)
	}
	return armError(http.StatusNotFound, "InvalidResourceType", fmt.Sprintf("The resource type could not be found for the path '%s' on miscope's fake Azure.", path))
}

// roleAssignmentsAt lists the role assignments a list at scope shows, rendered, and keeps the answer so that
// further pages of the same list cost a slice. Without atScope() a list shows what applies at the scope (made there
// or above) and, below a management group, what was made beneath it.
func (w *world) roleAssignmentsAt(scope string, f raFilter) []any {
	key := data.Key(scope) + "|" + fmt.Sprint(f.atScope) + "|" + data.Key(f.principal) + "|" + data.Key(f.assignedTo)
	if v, ok := w.raCache.Load(key); ok {
		return v.([]any)
	}
	keep := func(a data.RoleAssignment) bool {
		return (f.principal == "" || data.SameID(a.PrincipalID, f.principal)) &&
			(f.assignedTo == "" || w.assignedTo(a.PrincipalID, f.assignedTo))
	}
	var items []any
	for _, a := range w.x.AssignmentsCovering(scope) {
		if keep(*a) {
			items = append(items, w.roleAssignmentJSON(*a, scope))
		}
	}
	if !f.atScope && data.ManagementGroupOf(scope) == "" {
		below := w.t.RoleAssignments
		if sub := data.SubscriptionOf(scope); sub != "" {
			below = w.raBySub[sub]
		}
		for _, a := range below {
			if !data.SameID(a.Scope, scope) && w.x.Covers(scope, a.Scope) && keep(a) {
				items = append(items, w.roleAssignmentJSON(a, scope))
			}
		}
	}
	w.raCache.Store(key, items)
	return items
}

// assignedTo reports whether principal is who or one of who's groups.
func (w *world) assignedTo(principal, who string) bool {
	if data.SameID(principal, who) {
		return true
	}
	for _, g := range w.groupsOf[data.Key(who)] {
		if data.SameID(g, principal) {
			return true
		}
	}
	return false
}

type armRoleAssignment struct {
	Properties struct {
		RoleDefinitionID                   string  `json:"roleDefinitionId"`
		PrincipalID                        string  `json:"principalId"`
		PrincipalType                      string  `json:"principalType"`
		Scope                              string  `json:"scope"`
		Condition                          *string `json:"condition"`
		ConditionVersion                   *string `json:"conditionVersion"`
		CreatedOn                          string  `json:"createdOn"`
		UpdatedOn                          string  `json:"updatedOn"`
		CreatedBy                          *string `json:"createdBy"`
		UpdatedBy                          *string `json:"updatedBy"`
		DelegatedManagedIdentityResourceID *string `json:"delegatedManagedIdentityResourceId"`
		Description                        *string `json:"description"`
	} `json:"properties"`
	ID   string `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"`
}

// roleDefinitionIDAt is the form of a role definition id that a list at scope shows.
func roleDefinitionIDAt(guid, scope string) string {
	if sub := data.SubscriptionOf(scope); sub != "" {
		return "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + guid
	}
	return "/providers/Microsoft.Authorization/roleDefinitions/" + guid
}

func (w *world) roleAssignmentJSON(a data.RoleAssignment, listedAt string) armRoleAssignment {
	var ra armRoleAssignment
	scope := a.Scope
	if scope == "" {
		scope = "/"
	}
	prefix := strings.TrimRight(scope, "/")
	switch {
	case strings.HasPrefix(a.ID, "/"):
		ra.ID, ra.Name = a.ID, data.LastSegment(a.ID)
	case a.ID != "":
		ra.ID, ra.Name = prefix+"/providers/Microsoft.Authorization/roleAssignments/"+a.ID, a.ID
	default:
		ra.Name = guidFor("roleAssignment", a.PrincipalID+"|"+a.RoleDefinitionID+"|"+scope)
		ra.ID = prefix + "/providers/Microsoft.Authorization/roleAssignments/" + ra.Name
	}
	ra.Type = "Microsoft.Authorization/roleAssignments"
	p := &ra.Properties
	p.RoleDefinitionID = roleDefinitionIDAt(data.LastSegment(a.RoleDefinitionID), listedAt)
	p.PrincipalID, p.PrincipalType, p.Scope = a.PrincipalID, string(a.PrincipalType), scope
	if p.PrincipalType == "" {
		p.PrincipalType = string(data.PrincipalServicePrincipal)
	}
	if a.Condition != "" {
		c, v := a.Condition, "2.0"
		p.Condition, p.ConditionVersion = &c, &v
	}
	p.CreatedOn = created.Format("2006-01-02T15:04:05.0000000Z")
	p.UpdatedOn = p.CreatedOn
	return ra
}

func roleType(d data.RoleDefinition) string {
	if d.Custom {
		return "CustomRole"
	}
	return "BuiltInRole"
}

func (w *world) roleDefinitionJSON(d data.RoleDefinition, scope string) map[string]any {
	guid := data.LastSegment(d.ID)
	assignable := []string{"/"}
	if d.Custom {
		assignable = nil
		for _, sub := range w.subs {
			assignable = append(assignable, "/subscriptions/"+sub.ID)
		}
	}
	nz := func(v []string) []string {
		if v == nil {
			return []string{}
		}
		return v
	}
	return map[string]any{
		"properties": map[string]any{
			"roleName": d.RoleName, "type": roleType(d), "description": "",
			"assignableScopes": nz(assignable),
			"permissions": []any{map[string]any{
				"actions": nz(d.Actions), "notActions": nz(d.NotActions),
				"dataActions": nz(d.DataActions), "notDataActions": nz(d.NotDataActions),
			}},
			"createdOn": "0001-01-01T08:00:00.0000000Z", "updatedOn": created.Format("2006-01-02T15:04:05.0000000Z"),
			"createdBy": nil, "updatedBy": nil,
		},
		"id":   roleDefinitionIDAt(guid, scope),
		"type": "Microsoft.Authorization/roleDefinitions",
		"name": guid,
	}
}

// managedIdentity serves user-assigned identities, their federated credentials and system-assigned identities.
func (s *Server) managedIdentity(wd *world, prefix string, tail []string, path string, q url.Values) reply {
	if strings.EqualFold(tail[0], "identities") && len(tail) == 2 && strings.EqualFold(tail[1], "default") {
		for _, r := range wd.resources {
			if data.SameID(r.id, prefix) && r.identity != nil && r.identity["principalId"] != nil {
				pid, _ := r.identity["principalId"].(string)
				clientID := ""
				if id, ok := wd.x.Identity(pid); ok {
					clientID = id.AppID
				}
				return marshalReply(http.StatusOK, map[string]any{
					"id": prefix + "/providers/Microsoft.ManagedIdentity/identities/default", "name": r.name,
					"location": r.location, "type": "Microsoft.ManagedIdentity/identities",
					"properties": map[string]any{"clientId": clientID, "principalId": pid, "tenantId": wd.tenantID},
				})
			}
		}
		return armError(http.StatusNotFound, "NotFound", "The system-assigned identity of '"+prefix+"' does not exist.")
	}
	if !strings.EqualFold(tail[0], "userAssignedIdentities") {
		return armError(http.StatusNotFound, "InvalidResourceType", "The resource type '"+tail[0]+"' could not be found in the namespace 'Microsoft.ManagedIdentity'.")
	}
	psegs := strings.Split(strings.Trim(prefix, "/"), "/")
	sub, rg := psegs[1], ""
	if len(psegs) == 4 && strings.EqualFold(psegs[2], "resourceGroups") {
		rg = psegs[3]
	} else if len(psegs) != 2 {
		return armError(http.StatusBadRequest, "InvalidScope", "User-assigned identities are listed per subscription or resource group.")
	}
	if len(tail) == 1 {
		var items []any
		for _, id := range wd.uamiBySub[data.Key(sub)] {
			if rg == "" || strings.EqualFold(data.ResourceGroupOf(id.ResourceID), rg) {
				items = append(items, wd.uamiJSON(id))
			}
		}
		return s.armPage(items, path, q, 0)
	}
	uamiID := prefix + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + tail[1]
	id, ok := wd.uamiByKey[data.Key(uamiID)]
	if !ok || rg == "" {
		return armError(http.StatusNotFound, "ResourceNotFound",
			fmt.Sprintf("The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/%s' under resource group '%s' was not found.", tail[1], rg))
	}
	if len(tail) == 2 {
		return marshalReply(http.StatusOK, wd.uamiJSON(id))
	}
	if !strings.EqualFold(tail[2], "federatedIdentityCredentials") || len(tail) > 4 {
		return armError(http.StatusNotFound, "InvalidResourceType", "The resource type could not be found: "+path)
	}
	var items []any
	for _, f := range wd.ficByIdent[data.Key(id.ID)] {
		fj := ficJSON(id.ResourceID, f)
		if len(tail) == 4 {
			if strings.EqualFold(f.Name, tail[3]) {
				return marshalReply(http.StatusOK, fj)
			}
			continue
		}
		items = append(items, fj)
	}
	if len(tail) == 4 {
		return armError(http.StatusNotFound, "NotFound", "The federated identity credential '"+tail[3]+"' was not found.")
	}
	top, okTop := topOf(q)
	if !okTop {
		return armError(http.StatusBadRequest, "InvalidTopInQueryString", "The $top value must be a positive integer.")
	}
	return s.armPage(items, path, q, top)
}

func (w *world) uamiJSON(id *data.Identity) map[string]any {
	loc := "westeurope"
	if r, ok := w.resByKey[data.Key(id.ResourceID)]; ok {
		loc = r.location
	}
	return map[string]any{
		"id": id.ResourceID, "name": data.ResourceName(id.ResourceID), "location": loc, "tags": map[string]string{},
		"type": "Microsoft.ManagedIdentity/userAssignedIdentities",
		"properties": map[string]any{
			"clientId": id.AppID, "principalId": id.ID, "tenantId": w.tenantID, "isolationScope": "None",
		},
	}
}

func ficJSON(uamiID string, f data.FederatedCredential) map[string]any {
	props := map[string]any{"issuer": f.Issuer, "audiences": f.Audiences}
	if f.Audiences == nil {
		props["audiences"] = []string{"api://AzureADTokenExchange"}
	}
	if f.ClaimsMatchingExpression != "" {
		props["claimsMatchingExpression"] = map[string]any{"value": f.ClaimsMatchingExpression, "languageVersion": 1}
	} else {
		props["subject"] = f.Subject
	}
	return map[string]any{
		"id":   uamiID + "/federatedIdentityCredentials/" + f.Name,
		"name": f.Name, "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
		"properties": props,
	}
}

// managementGroups serves the management group list, one group (with $expand=children) and its descendants.
func (s *Server) managementGroups(wd *world, rest []string, path string, q url.Values) reply {
	if len(rest) == 0 {
		var items []any
		for _, mg := range wd.mgs {
			items = append(items, map[string]any{
				"id": mgID(mg.Name), "type": "Microsoft.Management/managementGroups", "name": mg.Name,
				"properties": map[string]any{"tenantId": wd.tenantID, "displayName": orName(mg)},
			})
		}
		return s.armPage(items, path, q, 0)
	}
	mg, ok := wd.mgByName[data.Key(rest[0])]
	if !ok {
		return armError(http.StatusNotFound, "NotFound", fmt.Sprintf("'%s' not found", rest[0]))
	}
	if len(rest) == 2 && strings.EqualFold(rest[1], "descendants") {
		var items []any
		var walk func(parent string)
		walk = func(parent string) {
			for _, c := range wd.childMGs(parent) {
				items = append(items, map[string]any{
					"id": mgID(c.Name), "type": "Microsoft.Management/managementGroups", "name": c.Name,
					"properties": map[string]any{"displayName": orName(*c), "parent": map[string]any{"id": mgID(parent)}},
				})
				walk(c.Name)
			}
			for _, sub := range wd.childSubs(parent) {
				items = append(items, map[string]any{
					"id": "/subscriptions/" + sub.ID, "type": "/subscriptions", "name": sub.ID,
					"properties": map[string]any{"displayName": sub.DisplayName, "parent": map[string]any{"id": mgID(parent)}},
				})
			}
		}
		walk(mg.Name)
		top, _ := topOf(q)
		return s.armPage(items, path, q, top)
	}
	if len(rest) != 1 {
		return armError(http.StatusNotFound, "InvalidResourceType", "The resource type could not be found: "+path)
	}
	props := map[string]any{"tenantId": wd.tenantID, "displayName": orName(*mg)}
	details := map[string]any{"version": 1, "updatedTime": created.Format("2006-01-02T15:04:05.0000000Z"), "updatedBy": nil}
	if p := data.ManagementGroupOf(mg.ParentID); p != "" {
		parent := map[string]any{"id": mgID(p), "name": p}
		if pm, ok := wd.mgByName[data.Key(p)]; ok {
			parent["displayName"] = orName(*pm)
		}
		details["parent"] = parent
	}
	props["details"] = details
	if strings.Contains(strings.ToLower(q.Get("$expand")), "children") {
		props["children"] = wd.childrenJSON(mg.Name, strings.EqualFold(q.Get("$recurse"), "true"))
	}
	return marshalReply(http.StatusOK, map[string]any{
		"id": mgID(mg.Name), "type": "Microsoft.Management/managementGroups", "name": mg.Name, "properties": props,
	})
}

func mgID(name string) string { return "/providers/Microsoft.Management/managementGroups/" + name }

func orName(mg data.ManagementGroup) string {
	if mg.DisplayName != "" {
		return mg.DisplayName
	}
	return mg.Name
}

// childMGs lists the management groups directly under parent.
func (w *world) childMGs(parent string) []*data.ManagementGroup {
	var out []*data.ManagementGroup
	for i := range w.mgs {
		if strings.EqualFold(data.ManagementGroupOf(w.mgs[i].ParentID), parent) && w.mgs[i].ParentID != "" {
			out = append(out, &w.mgs[i])
		}
	}
	return out
}

// childSubs lists the subscriptions directly under a management group; those without one sit under the root.
func (w *world) childSubs(parent string) []data.Subscription {
	var out []data.Subscription
	for _, s := range w.subs {
		mg := data.ManagementGroupOf(s.ManagementGroupID)
		if mg == "" {
			mg = w.rootMG
		}
		if strings.EqualFold(mg, parent) {
			out = append(out, s)
		}
	}
	return out
}

func (w *world) childrenJSON(parent string, recurse bool) []any {
	out := []any{}
	for _, c := range w.childMGs(parent) {
		m := map[string]any{"type": "Microsoft.Management/managementGroups", "id": mgID(c.Name), "name": c.Name, "displayName": orName(*c)}
		if recurse {
			m["children"] = w.childrenJSON(c.Name, true)
		}
		out = append(out, m)
	}
	for _, s := range w.childSubs(parent) {
		out = append(out, map[string]any{"type": "/subscriptions", "id": "/subscriptions/" + s.ID, "name": s.ID, "displayName": s.DisplayName})
	}
	return out
}

// argRequest is the body of a Resource Graph query.
type argRequest struct {
	Query            string   `json:"query"`
	Subscriptions    []string `json:"subscriptions"`
	ManagementGroups []string `json:"managementGroups"`
	Options          struct {
		Top          *int   `json:"$top"`
		Skip         *int   `json:"$skip"`
		SkipToken    string `json:"$skipToken"`
		ResultFormat string `json:"resultFormat"`
	} `json:"options"`
}

// resourceGraph answers the Resource Graph queries miscope sends: the Resources table, optionally filtered to
// resources with an identity or of one type, optionally projected and limited.
func (s *Server) resourceGraph(r *http.Request, wd *world) reply {
	var req argRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		return armError(http.StatusBadRequest, "BadRequest", "The request body is not a valid Resource Graph query request.")
	}
	plan, err := parseKQL(req.Query)
	if err != nil {
		return marshalReply(http.StatusBadRequest, map[string]any{"error": map[string]any{
			"code": "BadRequest", "message": "Please provide below info when asking for support: timestamp = " + created.Format("2006-01-02T15:04:05Z") + ".",
			"details": []any{map[string]any{"code": "InvalidQuery", "message": "Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying."},
				map[string]any{"code": "UnsupportedQuery", "message": err.Error()}},
		}})
	}
	inScope := map[string]bool{}
	for _, sub := range req.Subscriptions {
		inScope[data.Key(sub)] = true
	}
	for _, mg := range req.ManagementGroups {
		for _, sub := range wd.subs {
			if wd.x.Covers(mgID(mg), "/subscriptions/"+sub.ID) {
				inScope[data.Key(sub.ID)] = true
			}
		}
	}
	all := len(req.Subscriptions) == 0 && len(req.ManagementGroups) == 0
	var rows []map[string]any
	for _, res := range wd.resources {
		if !all && !inScope[data.Key(res.sub)] {
			continue
		}
		if _, denied := s.denial("/subscriptions/" + res.sub); denied {
			continue // Resource Graph leaves out what the caller cannot read
		}
		if plan.withIdentity && res.identity == nil || plan.typ != "" && !strings.EqualFold(plan.typ, res.typ) {
			continue
		}
		row := res.json(true)
		row["subscriptionId"], row["resourceGroup"], row["tenantId"] = res.sub, strings.ToLower(res.rg), wd.tenantID
		row["kind"], row["properties"] = "", map[string]any{}
		if res.identity == nil {
			row["identity"] = nil
		}
		rows = append(rows, row)
	}
	if plan.limit >= 0 && len(rows) > plan.limit {
		rows = rows[:plan.limit]
	}
	top := 100
	if req.Options.Top != nil {
		top = *req.Options.Top
		if top < 1 || top > 1000 {
			return armError(http.StatusBadRequest, "BadRequest", "The $top option must be between 1 and 1000.")
		}
	}
	start := 0
	if req.Options.Skip != nil {
		start = *req.Options.Skip
	}
	if req.Options.SkipToken != "" {
		n, err := decodeSkip(req.Options.SkipToken)
		if err != nil {
			return armError(http.StatusBadRequest, "BadRequest", "The $skipToken is invalid.")
		}
		start = n
	}
	start = min(max(start, 0), len(rows))
	end := min(start+top, len(rows))
	cols := plan.columns
	if cols == nil {
		cols = []string{"id", "name", "type", "tenantId", "kind", "location", "resourceGroup", "subscriptionId", "tags", "identity", "properties"}
	}
	out := map[string]any{"totalRecords": len(rows), "count": end - start, "resultTruncated": "false", "facets": []any{}}
	if end < len(rows) {
		out["$skipToken"] = encodeSkip(end)
	}
	if strings.EqualFold(req.Options.ResultFormat, "table") {
		var columns []any
		for _, c := range cols {
			t := "string"
			switch c {
			case "identity", "properties", "tags":
				t = "object"
			}
			columns = append(columns, map[string]string{"name": c, "type": t})
		}
		tableRows := [][]any{}
		for _, row := range rows[start:end] {
			var tr []any
			for _, c := range cols {
				tr = append(tr, row[c])
			}
			tableRows = append(tableRows, tr)
		}
		out["data"] = map[string]any{"columns": columns, "rows": tableRows}
	} else {
		objs := []any{}
		for _, row := range rows[start:end] {
			o := map[string]any{}
			for _, c := range cols {
				o[c] = row[c]
			}
			objs = append(objs, o)
		}
		out["data"] = objs
	}
	rep := marshalReply(http.StatusOK, out)
	rep.header["x-ms-user-quota-remaining"] = "14"
	rep.header["x-ms-user-quota-resets-after"] = "00:00:05"
	return rep
}

// kqlPlan is what the fake understands of a Resource Graph query.
type kqlPlan struct {
	withIdentity bool
	typ          string
	columns      []string // nil: every column
	limit        int      // -1: none
}

var (
	reWhereIdentity = mustRE(`(?i)^where\s+(isnotempty\(identity\)|isnotnull\(identity\)|identity\s*!=\s*''|notempty\(identity\))$`)
	reWhereType     = mustRE(`(?i)^where\s+type\s*(=~|==)\s*['"]([^'"]+)['"]$`)
	reProject       = mustRE(`(?i)^project\s+(.+)$`)
	reLimit         = mustRE(`(?i)^(limit|take)\s+(\d+)$`)
	reOrder         = mustRE(`(?i)^(order|sort)\s+by\s+[A-Za-z_][A-Za-z0-9_]*(\s+(asc|desc))?$`)
	reColumn        = mustRE(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// parseKQL reads the small part of the Kusto language the fake answers: "Resources" followed by where clauses on
// the identity or the type, order by, project of plain columns, and limit.
func parseKQL(query string) (kqlPlan, error) {
	plan := kqlPlan{limit: -1}
	steps := strings.Split(query, "|")
	if !strings.EqualFold(strings.TrimSpace(steps[0]), "resources") {
		return plan, fmt.Errorf("only the Resources table is served by miscope's fake Resource Graph, not %q", strings.TrimSpace(steps[0]))
	}
	for _, st := range steps[1:] {
		st = strings.Join(strings.Fields(st), " ")
		switch {
		case reWhereIdentity.MatchString(st):
			plan.withIdentity = true
		case reWhereType.MatchString(st):
			plan.typ = reWhereType.FindStringSubmatch(st)[2]
		case reOrder.MatchString(st):
		case reLimit.MatchString(st):
			plan.limit, _ = strconv.Atoi(reLimit.FindStringSubmatch(st)[2])
		case reProject.MatchString(st):
			plan.columns = nil
			for _, c := range strings.Split(reProject.FindStringSubmatch(st)[1], ",") {
				c = strings.TrimSpace(c)
				if !reColumn.MatchString(c) {
					return plan, fmt.Errorf("project of %q is not supported by miscope's fake Resource Graph", c)
				}
				plan.columns = append(plan.columns, c)
			}
		default:
			return plan, fmt.Errorf("the query step %q is not supported by miscope's fake Resource Graph", st)
		}
	}
	return plan, nil
}
