package azure

// Usage evidence: what the managed identities and applications were seen to do over the window, and how the user
// accounts that hold roles sign in. Sources, in order of preference:
//   - a Log Analytics workspace that receives the tenant's sign-in logs and the Azure activity log (--workspace),
//     queried through the Azure SDK's Monitor query module with the aggregation done in the query, so the answer is
//     one row per principal and resource however many sign-ins there were;
//   - Microsoft Graph's sign-in log (managed identity and service principal sign-ins) and service principal sign-in
//     activity report, both in Graph's beta version, read through the Graph SDK's request adapter within a budget of
//     pages; with no workspace there is no activity evidence (a gap);
//   - users' signInActivity and registration details (Graph v1.0) for the users that hold roles.
// Every part that cannot be read is a gap with what it needs; nothing unread is reported as unused.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/monitor/azquery"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/miscope/miscope/data"
)

// DefaultUsageWindow is the usage window when Options.UsageWindow is 0: the 30 days Entra keeps sign-ins with a P1
// licence.
const DefaultUsageWindow = data.DefaultUsageDays * 24 * time.Hour

// Budgets of the Graph usage reads, in pages: at 1,000 events a page the sign-in log budget reads 200,000 events
// (the newest first); past it the window covered is shortened to what was read, and said so.
const (
	signInLogPages = 200
	reportPages    = 100
)

// nonPremiumCode is Graph's answer to sign-in data in a tenant without an Entra ID P1 licence.
const nonPremiumCode = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"

// usageRead is what the tenant-wide usage reads found, before it is set beside the tenant's principals.
type usageRead struct {
	usage  *data.Usage
	gaps   []data.Gap
	report map[string]time.Time // last sign-in by application id; nil when the report could not be read
	err    error                // a reason to stop the whole read
}

// startUsage reads the sign-ins (from the workspace, or Graph's log) and the sign-in activity report. It needs nothing
// of the rest of the read, so it runs beside it; finishUsage then joins it with the principals and reads the users.
func (s *Source) startUsage(ctx context.Context, progress func(data.Progress)) usageRead {
	window := s.opts.UsageWindow
	if window <= 0 {
		window = DefaultUsageWindow
	}
	until := s.now().UTC()
	from := until.Add(-window)
	u := &data.Usage{Source: data.UsageGraph, WindowDays: int(window.Hours() / 24), From: from, To: until,
		SignIns: []data.SignIn{}}
	r := usageRead{usage: u}

	var wsErr error
	if s.opts.Workspace != "" {
		progress(data.Progress{Stage: "usage: workspace"})
		u.Source, u.Workspace = data.UsageWorkspace, s.opts.Workspace
		var sis []data.SignIn
		var acts []data.ResourceActivity
		sis, acts, wsErr = s.workspaceUsage(ctx, from, until)
		if fatal(wsErr) {
			r.err = wsErr
			return r
		}
		if wsErr == nil {
			u.SignIns, u.Activity = sis, acts
		} else {
			r.gaps = append(r.gaps, data.Gap{Section: data.SectionActivity, Reason: wsErr.Error(),
				Needs: "Log Analytics Reader on the workspace"})
		}
	} else {
		r.gaps = append(r.gaps, data.Gap{Section: data.SectionActivity, Reason: data.ReasonNoWorkspace, Needs: data.NeedsWorkspace})
	}

	report, repErr := s.signInReport(ctx)
	if fatal(repErr) {
		r.err = repErr
		return r
	}
	if repErr == nil {
		r.report = report
	} else {
		s.opts.Log("the service principal sign-in activity report could not be read: %v", repErr)
	}
	if s.opts.Workspace == "" || wsErr != nil {
		progress(data.Progress{Stage: "usage: sign-in log"})
		u.Source, u.Workspace = data.UsageGraph, ""
		sis, covered, err := s.signInLog(ctx, from, progress)
		switch {
		case fatal(err):
			r.err = err
			return r
		case err != nil:
			reason := err.Error()
			if wsErr != nil {
				reason = "the workspace: " + wsErr.Error() + "; the sign-in log: " + reason
			}
			r.gaps = append(r.gaps, data.Gap{Section: data.SectionSignIns, Reason: reason, Needs: data.NeedsSignInLogs})
			r.report = nil // without the log, the report alone would call the rest unused
			return r
		}
		u.SignIns = sis
		if covered.After(u.From) {
			s.opts.Log("the sign-in log budget was spent: usage covers %s to %s", covered, until)
			u.From = covered
		}
	}
	return r
}

// finishUsage sets the usage read beside t's principals: each principal's last sign-in before the window, from the
// report, and the users that hold roles. It always sets t.Usage and returns the gaps of what it could not read.
func (s *Source) finishUsage(ctx context.Context, t *data.Tenant, r usageRead) []data.Gap {
	u := r.usage
	t.Usage = u
	// The report knows each principal's last sign-in even before the window: an identity idle for longer shows when
	// it was last seen, and one the log did not show (a budget spent) is not called unused.
	if r.report != nil {
		principals := principalsByApp(t)
		seen := map[string]bool{}
		for _, si := range u.SignIns {
			seen[data.Key(si.PrincipalID)] = true
		}
		for appID, last := range r.report {
			for _, p := range principals[appID] {
				if !seen[data.Key(p)] {
					u.SignIns = append(u.SignIns, data.SignIn{PrincipalID: p, Last: last})
				}
			}
		}
	}
	return append(r.gaps, s.userUsage(ctx, t, u)...)
}

// principalsByApp finds the identities and applications of t by their application (client) id, as the reports name
// them.
func principalsByApp(t *data.Tenant) map[string][]string {
	out := map[string][]string{}
	for _, id := range t.Identities {
		out[data.Key(id.AppID)] = append(out[data.Key(id.AppID)], id.ID)
	}
	for _, a := range t.Applications {
		out[data.Key(a.AppID)] = append(out[data.Key(a.AppID)], a.ID)
	}
	return out
}

// usageErr says why a usage read failed, in the words a gap shows.
func usageErr(err error, what string) error {
	if err := credentialErr(err); err != nil {
		return err
	}
	status, code := graphStatus(err)
	switch {
	case status == http.StatusForbidden && code == nonPremiumCode:
		return fmt.Errorf("%s: the tenant has no Entra ID P1 licence (Graph answered 403 %s)", what, code)
	case status == http.StatusUnauthorized:
		return fmt.Errorf("%w: Microsoft Graph answered 401 %s", ErrTokenRejected, data.Clean(code))
	case status != 0:
		return fmt.Errorf("%s: Graph answered %d %s", what, status, data.Clean(code))
	}
	return fmt.Errorf("%s: %s", what, data.Clean(firstLine(err.Error())))
}

// graphGetRaw reads one Graph URL (absolute: the beta endpoints are outside the v1.0 client) through the SDK's
// request adapter, with its retries and middleware.
func (s *Source) graphGetRaw(ctx context.Context, rawURL string) ([]byte, error) {
	if err := s.graphSlots.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.graphSlots.release()
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	ri := abstractions.NewRequestInformation()
	ri.Method = abstractions.GET
	ri.SetUri(*u)
	ri.Headers.TryAdd("Accept", "application/json")
	raw, err := s.graph.adapter.SendPrimitive(ctx, ri, "[]byte",
		abstractions.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue})
	if err != nil {
		return nil, err
	}
	b, _ := raw.([]byte)
	return b, nil
}

// graphPages reads a Graph collection page by page, up to budget pages; it reports whether more was left.
func (s *Source) graphPages(ctx context.Context, first string, budget int, page func(json.RawMessage) error) (more bool, err error) {
	next := first
	for n := 0; next != ""; n++ {
		if n == budget {
			return true, nil
		}
		body, err := s.graphGetRaw(ctx, next)
		if err != nil {
			return false, err
		}
		var p struct {
			Value    json.RawMessage `json:"value"`
			NextLink string          `json:"@odata.nextLink"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			return false, fmt.Errorf("reading a Graph page: %w", err)
		}
		if err := page(p.Value); err != nil {
			return false, err
		}
		next = p.NextLink
	}
	return false, nil
}

// signInLog reads the managed identity and service principal sign-ins since from, newest first, aggregated per
// principal and resource. covered is the oldest sign-in read when the budget ran out (zero otherwise).
func (s *Source) signInLog(ctx context.Context, from time.Time, progress func(data.Progress)) (out []data.SignIn, covered time.Time, err error) {
	q := url.Values{}
	q.Set("$filter", "createdDateTime ge "+from.UTC().Format(time.RFC3339)+
		" and signInEventTypes/any(t: t eq 'managedIdentity' or t eq 'servicePrincipal')")
	q.Set("$top", "1000")
	type key struct{ principal, resource string }
	agg := map[key]*data.SignIn{}
	var order []key
	read := 0
	oldest := time.Time{}
	more, err := s.graphPages(ctx, s.env.graphBase+"/beta/auditLogs/signIns?"+q.Encode(), signInLogPages, func(v json.RawMessage) error {
		var events []struct {
			Created             time.Time `json:"createdDateTime"`
			ServicePrincipalID  string    `json:"servicePrincipalId"`
			ResourceID          string    `json:"resourceId"`
			ResourceDisplayName string    `json:"resourceDisplayName"`
		}
		if err := json.Unmarshal(v, &events); err != nil {
			return fmt.Errorf("reading the sign-in log: %w", err)
		}
		for _, e := range events {
			if e.ServicePrincipalID == "" {
				continue
			}
			k := key{data.Key(e.ServicePrincipalID), data.Key(e.ResourceID)}
			si, ok := agg[k]
			if !ok {
				si = &data.SignIn{PrincipalID: e.ServicePrincipalID, ResourceAppID: e.ResourceID,
					ResourceName: e.ResourceDisplayName}
				agg[k] = si
				order = append(order, k)
			}
			si.Count++
			if e.Created.After(si.Last) {
				si.Last = e.Created.UTC()
			}
			if oldest.IsZero() || e.Created.Before(oldest) {
				oldest = e.Created.UTC()
			}
		}
		read += len(events)
		progress(data.Progress{Stage: "usage: sign-in log", Done: read})
		return nil
	})
	if err != nil {
		return nil, time.Time{}, usageErr(err, "the sign-in log")
	}
	for _, k := range order {
		out = append(out, *agg[k])
	}
	if more {
		covered = oldest
	}
	return out, covered, nil
}

// signInReport reads each service principal's last sign-in, by application id.
func (s *Source) signInReport(ctx context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	_, err := s.graphPages(ctx, s.env.graphBase+"/beta/reports/servicePrincipalSignInActivities", reportPages,
		func(v json.RawMessage) error {
			var items []struct {
				AppID string `json:"appId"`
				Last  struct {
					At *time.Time `json:"lastSignInDateTime"`
				} `json:"lastSignInActivity"`
			}
			if err := json.Unmarshal(v, &items); err != nil {
				return fmt.Errorf("reading the sign-in activity report: %w", err)
			}
			for _, it := range items {
				if it.Last.At != nil {
					out[data.Key(it.AppID)] = it.Last.At.UTC()
				}
			}
			return nil
		})
	if err != nil {
		return nil, usageErr(err, "the service principal sign-in activity report")
	}
	return out, nil
}

// userUsage reads how the users that hold roles sign in: their signInActivity and password policies, and whether
// they registered a multifactor method. The users are the user principals of Azure role assignments and the
// principals of directory role assignments that are neither identities nor groups.
func (s *Source) userUsage(ctx context.Context, t *data.Tenant, u *data.Usage) []data.Gap {
	var ids []string
	seen := map[string]bool{}
	add := func(id string) {
		if k := data.Key(id); !seen[k] {
			seen[k] = true
			ids = append(ids, id)
		}
	}
	for _, a := range t.RoleAssignments {
		if a.PrincipalType == data.PrincipalUser {
			add(a.PrincipalID)
		}
	}
	others := map[string]bool{}
	for _, id := range t.Identities {
		others[data.Key(id.ID)] = true
	}
	for _, g := range t.Groups {
		others[data.Key(g.ID)] = true
	}
	for _, p := range t.Principals {
		if p.Type != data.PrincipalUser {
			others[data.Key(p.ID)] = true
		}
	}
	for _, a := range t.DirectoryRoleAssignments {
		if !others[data.Key(a.PrincipalID)] {
			add(a.PrincipalID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	type answer struct {
		user *data.UserUsage
		err  error
		mfa  *bool
	}
	answers := make([]answer, len(ids))
	var steps []step
	for n, id := range ids {
		steps = append(steps, step{
			url: "/users/" + url.PathEscape(id) + "?$select=id,displayName,userPrincipalName,passwordPolicies,signInActivity",
			done: func(status int, body []byte, err error) {
				switch {
				case err != nil:
					var he *httpStatusError
					if errors.As(err, &he) && he.status == http.StatusNotFound {
						return // not a user
					}
					answers[n].err = err
				case status == http.StatusOK:
					var v struct {
						ID                string `json:"id"`
						DisplayName       string `json:"displayName"`
						UserPrincipalName string `json:"userPrincipalName"`
						PasswordPolicies  string `json:"passwordPolicies"`
						SignInActivity    *struct {
							Interactive    *time.Time `json:"lastSignInDateTime"`
							NonInteractive *time.Time `json:"lastNonInteractiveSignInDateTime"`
						} `json:"signInActivity"`
					}
					if err := json.Unmarshal(body, &v); err != nil {
						answers[n].err = err
						return
					}
					uu := &data.UserUsage{ID: v.ID, DisplayName: v.DisplayName, UserPrincipalName: v.UserPrincipalName,
						PasswordNeverExpires: to.Ptr(strings.Contains(v.PasswordPolicies, "DisablePasswordExpiration"))}
					if a := v.SignInActivity; a != nil {
						if a.Interactive != nil {
							uu.LastInteractive = a.Interactive.UTC()
						}
						if a.NonInteractive != nil {
							uu.LastNonInteractive = a.NonInteractive.UTC()
						}
					}
					answers[n].user = uu
				}
			}},
			step{url: "/reports/authenticationMethods/userRegistrationDetails/" + url.PathEscape(id),
				done: func(status int, body []byte, err error) {
					if err != nil || status != http.StatusOK {
						return // not readable: the finding says so
					}
					var v struct {
						Registered *bool `json:"isMfaRegistered"`
					}
					if json.Unmarshal(body, &v) == nil {
						answers[n].mfa = v.Registered
					}
				}})
	}
	if err := s.runBatches(ctx, steps); err != nil {
		return []data.Gap{{Section: data.SectionUserSignIns, Reason: "users' sign-in activity: " + err.Error(),
			Needs: data.NeedsUserSignIns}}
	}
	for _, a := range answers {
		if a.err != nil {
			var he *httpStatusError
			reason := a.err.Error()
			if errors.As(a.err, &he) && he.code == nonPremiumCode {
				reason = "the tenant has no Entra ID P1 licence (Graph answered 403 " + he.code + ")"
			}
			u.Users = nil
			return []data.Gap{{Section: data.SectionUserSignIns, Reason: "users' sign-in activity: " + reason,
				Needs: data.NeedsUserSignIns}}
		}
	}
	for _, a := range answers {
		if a.user != nil {
			a.user.MFARegistered = a.mfa
			u.Users = append(u.Users, *a.user)
		}
	}
	return nil
}

// logsCloud is the Log Analytics endpoint of the cloud miscope reads, or the one MISCOPE_LOGS_ENDPOINT names.
func (s *Source) logsCloud() cloud.Configuration {
	cfg := clouds[s.env.cloud].config
	svc := cfg.Services[azquery.ServiceNameLogs]
	if e := os.Getenv("MISCOPE_LOGS_ENDPOINT"); e != "" {
		svc.Endpoint = strings.TrimRight(e, "/")
	}
	out := cloud.Configuration{ActiveDirectoryAuthorityHost: cfg.ActiveDirectoryAuthorityHost,
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{azquery.ServiceNameLogs: svc}}
	return out
}

// Queries of the workspace: aggregated in KQL, so that the answer has one row per principal and resource.
const (
	signInQuery = `union isfuzzy=true AADManagedIdentitySignInLogs, AADServicePrincipalSignInLogs
| summarize Last = max(TimeGenerated), Count = count() by ServicePrincipalId, ResourceIdentity, ResourceDisplayName`
	activityQuery = `AzureActivity
| extend PrincipalId = tostring(parse_json(Claims).["http://schemas.microsoft.com/identity/claims/objectidentifier"])
| where isnotempty(PrincipalId) and isnotempty(_ResourceId)
| summarize Last = max(TimeGenerated), Count = count() by PrincipalId, ResourceId = _ResourceId`
)

// workspaceUsage reads sign-ins and activity from the Log Analytics workspace over [from, until].
func (s *Source) workspaceUsage(ctx context.Context, from, until time.Time) ([]data.SignIn, []data.ResourceActivity, error) {
	opts := &azquery.LogsClientOptions{ClientOptions: azcore.ClientOptions{Cloud: s.logsCloud(),
		Retry: policy.RetryOptions{MaxRetries: maxRetries}}}
	if s.opts.Transport != nil {
		opts.Transport = s.opts.Transport
	}
	client, err := azquery.NewLogsClient(s.cred, opts)
	if err != nil {
		return nil, nil, err
	}
	span := azquery.NewTimeInterval(from, until)
	query := func(q string) ([]map[string]any, error) {
		resp, err := client.QueryWorkspace(ctx, s.opts.Workspace, azquery.Body{Query: to.Ptr(q), Timespan: &span}, nil)
		if err != nil {
			var re *azcore.ResponseError
			if errors.As(err, &re) {
				if re.StatusCode == http.StatusUnauthorized {
					return nil, fmt.Errorf("%w: Log Analytics answered 401 %s", ErrTokenRejected, data.Clean(re.ErrorCode))
				}
				return nil, fmt.Errorf("the workspace %s answered %d %s", s.opts.Workspace, re.StatusCode, data.Clean(re.ErrorCode))
			}
			if err := credentialErr(err); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("the workspace %s: %s", s.opts.Workspace, data.Clean(firstLine(err.Error())))
		}
		if resp.Error != nil {
			return nil, fmt.Errorf("the workspace %s answered part of the query: %s", s.opts.Workspace, data.Clean(resp.Error.Error()))
		}
		var rows []map[string]any
		for _, t := range resp.Tables {
			for _, r := range t.Rows {
				m := map[string]any{}
				for i, c := range t.Columns {
					if c.Name != nil && i < len(r) {
						m[*c.Name] = r[i]
					}
				}
				rows = append(rows, m)
			}
		}
		return rows, nil
	}
	str := func(v any) string { s, _ := v.(string); return s }
	when := func(v any) time.Time { t, _ := time.Parse(time.RFC3339Nano, str(v)); return t.UTC() }
	count := func(v any) int { f, _ := v.(float64); return int(f) }
	rows, err := query(signInQuery)
	if err != nil {
		return nil, nil, err
	}
	sis := make([]data.SignIn, 0, len(rows))
	for _, r := range rows {
		sis = append(sis, data.SignIn{PrincipalID: str(r["ServicePrincipalId"]), ResourceAppID: str(r["ResourceIdentity"]),
			ResourceName: str(r["ResourceDisplayName"]), Last: when(r["Last"]), Count: count(r["Count"])})
	}
	rows, err = query(activityQuery)
	if err != nil {
		return nil, nil, err
	}
	acts := make([]data.ResourceActivity, 0, len(rows))
	for _, r := range rows {
		acts = append(acts, data.ResourceActivity{PrincipalID: str(r["PrincipalId"]), ResourceID: str(r["ResourceId"]),
			Last: when(r["Last"]), Count: count(r["Count"])})
	}
	return sis, acts, nil
}
