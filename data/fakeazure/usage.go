package fakeazure

// Usage evidence as the real services serve it: Microsoft Graph's sign-in log and service principal sign-in activity
// report (beta), users' sign-in activity and registration details, and the Log Analytics query API. The tenant's
// usage is recorded as of when it was read (data.Usage.To); the fake serves it moved to the present, as a live tenant
// read today would have it.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/miscope/miscope/data"
)

// nonPremiumCode is Graph's answer to sign-in data in a tenant without an Entra ID P1 licence.
const nonPremiumCode = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"

// signInPage is the largest page of the sign-in log.
const signInPage = 1000

// usageEvents are the tenant's sign-ins as log events (a few per record, the latest at the record's time), newest
// first, and the principals' last sign-ins, both moved to the present.
type usageEvents struct {
	events []*entity
	report []*entity
}

// shift is how far the tenant's usage is moved: from when it was read to when the fake started.
func (w *world) shift() time.Duration {
	if w.t.Usage == nil || w.t.Usage.To.IsZero() {
		return 0
	}
	return w.started.Sub(w.t.Usage.To)
}

func (w *world) buildUsage() {
	u := w.t.Usage
	if u == nil {
		return
	}
	d := w.shift()
	type ev struct {
		at time.Time
		e  *entity
	}
	var evs []ev
	last := map[string]time.Time{}
	for i, s := range u.SignIns {
		at := s.Last.Add(d)
		k := data.Key(s.PrincipalID)
		if at.After(last[k]) {
			last[k] = at
		}
		if s.Count == 0 || s.ResourceAppID == "" {
			continue
		}
		kind := "servicePrincipal"
		if _, ok := w.x.Identity(s.PrincipalID); ok {
			kind = "managedIdentity"
		}
		appID := ""
		if sp, ok := w.sps[k]; ok {
			appID = sp.props["appid"]
		}
		for n := range min(s.Count, 3) {
			t := at.Add(-time.Duration(n) * time.Hour)
			if n > 0 && t.Before(u.From.Add(d)) {
				break
			}
			id := guidFor("signin", fmt.Sprintf("%d/%d", i, n))
			e := newEntity(id, "#microsoft.graph.signIn").prop("created", t.UTC().Format(time.RFC3339)).set("id", id).
				set("createdDateTime", t.UTC().Format(time.RFC3339)).set("appId", appID).
				set("servicePrincipalId", s.PrincipalID).set("resourceId", s.ResourceAppID).
				set("resourceDisplayName", s.ResourceName).set("signInEventTypes", []string{kind}).
				set("status", map[string]any{"errorCode": 0}).e
			evs = append(evs, ev{t, e})
		}
	}
	slices.SortStableFunc(evs, func(a, b ev) int { return b.at.Compare(a.at) })
	for _, e := range evs {
		w.usage.events = append(w.usage.events, e.e)
	}
	ids := make([]string, 0, len(last))
	for k := range last {
		ids = append(ids, k)
	}
	slices.Sort(ids)
	for _, k := range ids {
		sp, ok := w.sps[k]
		if !ok {
			continue
		}
		at := last[k].UTC().Format(time.RFC3339)
		w.usage.report = append(w.usage.report, newEntity(guidFor("spsignin", k), "#microsoft.graph.servicePrincipalSignInActivity").
			set("id", guidFor("spsignin", k)).set("appId", sp.props["appid"]).
			set("lastSignInActivity", map[string]any{"lastSignInDateTime": at, "lastSignInRequestId": guidFor("req", k)}).e)
	}
	for i := range u.Users {
		us := &u.Users[i]
		e, ok := w.users[data.Key(us.ID)]
		if !ok {
			continue
		}
		activity := map[string]any{"lastSignInDateTime": nil, "lastNonInteractiveSignInDateTime": nil}
		if !us.LastInteractive.IsZero() {
			activity["lastSignInDateTime"] = us.LastInteractive.Add(d).UTC().Format(time.RFC3339)
		}
		if !us.LastNonInteractive.IsZero() {
			activity["lastNonInteractiveSignInDateTime"] = us.LastNonInteractive.Add(d).UTC().Format(time.RFC3339)
		}
		policies := "None"
		if us.PasswordNeverExpires != nil && *us.PasswordNeverExpires {
			policies = "DisablePasswordExpiration"
		}
		b := builder{e}
		b.set("signInActivity", activity).set("passwordPolicies", policies)
		if us.UserPrincipalName != "" {
			for n := range e.fields {
				if e.fields[n].name == "userPrincipalName" {
					e.fields[n].raw, _ = json.Marshal(us.UserPrincipalName)
				}
			}
		}
		if us.MFARegistered != nil {
			w.registration[data.Key(us.ID)] = newEntity(us.ID, "#microsoft.graph.userRegistrationDetails").
				set("id", us.ID).set("userPrincipalName", us.UserPrincipalName).
				set("isMfaRegistered", *us.MFARegistered).e
		}
	}
}

var createdSince = regexp.MustCompile(`(?i)createdDateTime\s+ge\s+([0-9T:.Z+-]+)`)

// usageGET answers the usage reads of Graph, or reports that the path is not one.
func (s *Server) usageGET(wd *world, version, rest string, gq *graphQuery) (reply, bool) {
	lower := strings.ToLower(rest)
	nonPremium := func() reply {
		return graphError(http.StatusForbidden, nonPremiumCode,
			"Neither tenant is B2C or tenant doesn't have premium license")
	}
	switch {
	case version == "/beta" && lower == "/auditlogs/signins":
		if s.opts.NoPremium {
			return nonPremium(), true
		}
		f := gq.q.Get("$filter")
		if !strings.Contains(f, "signInEventTypes/any(") {
			return graphError(http.StatusBadRequest, "Request_UnsupportedQuery", "miscope's fake serves the sign-in log filtered by signInEventTypes only."), true
		}
		items := wd.usage.events
		if m := createdSince.FindStringSubmatch(f); m != nil {
			since, err := time.Parse(time.RFC3339, m[1])
			if err != nil {
				return graphError(http.StatusBadRequest, "BadRequest", "Invalid filter clause: "+m[1]), true
			}
			n := slices.IndexFunc(items, func(e *entity) bool {
				t, _ := time.Parse(time.RFC3339, e.props["created"])
				return t.Before(since)
			})
			if n >= 0 {
				items = items[:n]
			}
		}
		top := signInPage
		if v, err := strconv.Atoi(gq.q.Get("$top")); err == nil && v > 0 {
			top = min(v, signInPage)
		}
		gq.filters = nil
		return gq.page(items, "auditLogs/signIns", false, nil, top), true
	case version == "/beta" && lower == "/reports/serviceprincipalsigninactivities":
		if s.opts.NoPremium {
			return nonPremium(), true
		}
		return gq.page(wd.usage.report, "reports/servicePrincipalSignInActivities", false, nil, graphDefaultPage), true
	case strings.HasPrefix(lower, "/reports/authenticationmethods/userregistrationdetails/"):
		if s.opts.NoPremium {
			return nonPremium(), true
		}
		id := rest[strings.LastIndex(rest, "/")+1:]
		e, ok := wd.registration[data.Key(id)]
		if !ok {
			return notFound(id), true
		}
		return gq.single(e, "reports/authenticationMethods/userRegistrationDetails/$entity", false), true
	case strings.HasPrefix(lower, "/users/") && gq.sel["signinactivity"] && s.opts.NoPremium:
		return nonPremium(), true
	}
	return reply{}, false
}

// serveLogs answers the Log Analytics query API: POST /v1/workspaces/{id}/query with a KQL query, which the fake
// recognises by the tables it reads and answers from the tenant's usage, in the time span the body gives.
func (s *Server) serveLogs(w http.ResponseWriter, r *http.Request, wd *world) {
	if !s.authorize(w, r, svcLogs) {
		return
	}
	if s.injectFault(w, svcLogs, true) {
		return
	}
	if d, ok := s.denial(r.URL.Path); ok {
		s.count(func(c *Counts) { c.Denied++ })
		code := d.Code
		if code == "" {
			code = "InsufficientAccessError"
		}
		logsError(http.StatusForbidden, code, "The provided credentials have insufficient access to perform the requested operation").write(w)
		return
	}
	var body struct {
		Query    string `json:"query"`
		Timespan string `json:"timespan"`
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(raw, &body); err != nil || body.Query == "" {
		logsError(http.StatusBadRequest, "BadArgumentError", "The request had some invalid properties").write(w)
		return
	}
	from, to := time.Time{}, time.Now().Add(time.Hour)
	if a, b, ok := strings.Cut(body.Timespan, "/"); ok {
		from, _ = time.Parse(time.RFC3339, a)
		if t, err := time.Parse(time.RFC3339, b); err == nil {
			to = t
		}
	}
	u := wd.t.Usage
	if u == nil {
		u = &data.Usage{}
	}
	d := wd.shift()
	in := func(t time.Time) bool { t = t.Add(d); return !t.Before(from) && !t.After(to) }
	type column struct {
		Name string `json:"name"`
		Type string `json:"type"`
	}
	var cols []column
	rows := [][]any{}
	switch {
	case strings.Contains(body.Query, "AADManagedIdentitySignInLogs"):
		cols = []column{{"ServicePrincipalId", "string"}, {"ResourceIdentity", "string"}, {"ResourceDisplayName", "string"},
			{"Last", "datetime"}, {"Count", "long"}}
		for _, si := range u.SignIns {
			if si.Count > 0 && si.ResourceAppID != "" && in(si.Last) {
				rows = append(rows, []any{si.PrincipalID, si.ResourceAppID, si.ResourceName,
					si.Last.Add(d).UTC().Format(time.RFC3339Nano), si.Count})
			}
		}
	case strings.Contains(body.Query, "AzureActivity"):
		cols = []column{{"PrincipalId", "string"}, {"ResourceId", "string"}, {"Last", "datetime"}, {"Count", "long"}}
		for _, a := range u.Activity {
			if in(a.Last) {
				rows = append(rows, []any{a.PrincipalID, a.ResourceID, a.Last.Add(d).UTC().Format(time.RFC3339Nano), a.Count})
			}
		}
	default:
		logsError(http.StatusBadRequest, "SemanticError", "miscope's fake Log Analytics knows the sign-in and activity tables only").write(w)
		return
	}
	marshalReply(http.StatusOK, map[string]any{"tables": []any{map[string]any{"name": "PrimaryResult", "columns": cols,
		"rows": rows}}}).write(w)
}

// logsError is the error body the Log Analytics query API sends.
func logsError(status int, code, message string) reply {
	return marshalReply(status, map[string]any{"error": map[string]any{"message": message, "code": code,
		"correlationId": uuid.NewString()}})
}

// workspacePath says whether a path is the Log Analytics query API's.
func workspacePath(lower string) bool {
	return strings.HasPrefix(lower, "/v1/workspaces/")
}
