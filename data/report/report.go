// Package report turns an assessed tenant into the documents people hand on: JSON (schema version 1), CSV, Markdown
// and SARIF 2.1.0 for `miscope report`, and plain tables for the TUI's export of what a view shows. A Document keeps
// every tenant string exactly as read; each writer makes it safe for the format it lands in: JSON escapes it (see
// data.JSONWriter), CSV, Markdown and SARIF text mark what could drive a terminal or disguise a name (data.Clean).
package report

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
)

// SchemaVersion is the version of the JSON document; fields may be added within a version, never renamed.
const SchemaVersion = 1

// Document is the whole report: the tenant's identities with what they hold, the findings and the gaps. Its JSON
// field names are a public contract.
type Document struct {
	SchemaVersion int    `json:"schemaVersion"`
	TenantID      string `json:"tenantId"`
	TenantName    string `json:"tenantName,omitempty"`
	Cloud         string `json:"cloud,omitempty"`
	// Source is "live", "snapshot" or "demo".
	Source string `json:"source"`
	// CollectedAt is RFC 3339, UTC.
	CollectedAt  string        `json:"collectedAt"`
	Summary      Summary       `json:"summary"`
	Identities   []Identity    `json:"identities"`
	Applications []Application `json:"applications,omitempty"`
	Findings     []Finding     `json:"findings"`
	Gaps         []Gap         `json:"gaps"`
	// ResolvedDecisions are triage decisions whose fingerprint matches no finding any more; AbsentFindings are the
	// baseline's findings that are gone (with --baseline).
	ResolvedDecisions []ResolvedDecision `json:"resolvedDecisions,omitempty"`
	AbsentFindings    []Finding          `json:"absentFindings,omitempty"`
	// Usage is the window the identities' usage covers; absent when usage could not be read (the gaps say why).
	Usage *UsageWindow `json:"usage,omitempty"`
}

// UsageWindow is where usage evidence came from and the span it covers.
type UsageWindow struct {
	Source     string `json:"source"`
	Workspace  string `json:"workspace,omitempty"`
	WindowDays int    `json:"windowDays"`
	From       string `json:"from"` // RFC 3339, UTC
	To         string `json:"to"`
}

// IdentityUsage is what an identity was seen to use: its last sign-in and its sign-ins per resource.
type IdentityUsage struct {
	// LastSignIn is RFC 3339; empty when no sign-in was seen at all.
	LastSignIn string `json:"lastSignIn,omitempty"`
	// SignedInInWindow says whether the last sign-in falls in the window.
	SignedInInWindow bool            `json:"signedInInWindow"`
	SignIns          []UsageSignIn   `json:"signIns"`
	Activity         []UsageActivity `json:"activity,omitempty"`
}

// UsageSignIn is the identity's sign-ins to one resource; an empty resource is the last sign-in before the window,
// whose resource is not known.
type UsageSignIn struct {
	ResourceAppID string `json:"resourceAppId,omitempty"`
	ResourceName  string `json:"resourceName,omitempty"`
	Last          string `json:"last"`
	Count         int    `json:"count"`
}

// UsageActivity is what the identity did to one Azure resource.
type UsageActivity struct {
	ResourceID string `json:"resourceId"`
	Last       string `json:"last"`
	Count      int    `json:"count"`
}

// Summary counts findings by severity.
type Summary struct {
	Identities int `json:"identities"`
	Findings   int `json:"findings"`
	Critical   int `json:"critical"`
	High       int `json:"high"`
	Medium     int `json:"medium"`
	Low        int `json:"low"`
	Info       int `json:"info"`
	// Open counts the findings that need a decision: no triage decision, or one that expired.
	Open int `json:"open"`
}

// Identity is one managed identity and everything that decides whether it is dangerous.
type Identity struct {
	ID                   string                `json:"id"`
	AppID                string                `json:"appId"`
	DisplayName          string                `json:"displayName"`
	Kind                 string                `json:"kind"`
	ResourceID           string                `json:"resourceId"`
	AttachedResources    []string              `json:"attachedResources"`
	AppRoles             []AppRole             `json:"appRoles"`
	Groups               []Group               `json:"groups"`
	DirectoryRoles       []DirectoryRole       `json:"directoryRoles"`
	AzureRoles           []AzureRole           `json:"azureRoles"`
	FederatedCredentials []FederatedCredential `json:"federatedCredentials"`
	// Reach is the short verdict of what the identity can ultimately do.
	Reach       string `json:"reach"`
	ReachDetail string `json:"reachDetail,omitempty"`
	// HighestSeverity is empty when the identity has no finding.
	HighestSeverity string `json:"highestSeverity,omitempty"`
	FindingCount    int    `json:"findingCount"`
	// Usage is absent when sign-ins could not be read (then the report's gaps say why), never an empty "unused".
	Usage *IdentityUsage `json:"usage,omitempty"`
	// NotReadable lists the sections that could not be read for this identity; what they hold is unknown, not none.
	// Such a section is null in JSON when nothing of it could be read, and lists what was read otherwise; [] always
	// means read, and none.
	NotReadable []string `json:"notReadable,omitempty"`
}

// AppRole is an application permission.
type AppRole struct {
	ResourceAppID       string `json:"resourceAppId"`
	ResourceDisplayName string `json:"resourceDisplayName"`
	Permission          string `json:"permission"`
	AppRoleID           string `json:"appRoleId"`
}

// Group is a group membership.
type Group struct {
	ID             string `json:"id"`
	DisplayName    string `json:"displayName"`
	RoleAssignable bool   `json:"roleAssignable"`
	Transitive     bool   `json:"transitive"`
}

// DirectoryRole is an Entra role held directly or through a group.
type DirectoryRole struct {
	RoleTemplateID   string `json:"roleTemplateId"`
	RoleName         string `json:"roleName"`
	DirectoryScopeID string `json:"directoryScopeId"`
	Via              string `json:"via"`
	State            string `json:"state,omitempty"`
}

// AzureRole is an Azure role assignment held directly or through a group.
type AzureRole struct {
	RoleDefinitionID string `json:"roleDefinitionId"`
	RoleName         string `json:"roleName"`
	Scope            string `json:"scope"`
	Via              string `json:"via"`
	Condition        string `json:"condition,omitempty"`
}

// FederatedCredential is a federated identity credential.
type FederatedCredential struct {
	Name                     string   `json:"name"`
	Issuer                   string   `json:"issuer"`
	Subject                  string   `json:"subject"`
	Audiences                []string `json:"audiences"`
	ClaimsMatchingExpression string   `json:"claimsMatchingExpression,omitempty"`
}

// Application is an application service principal that signs in with secrets or certificates.
type Application struct {
	ID          string `json:"id"`
	AppID       string `json:"appId"`
	DisplayName string `json:"displayName"`
	Credentials int    `json:"credentials"`
}

// Finding is one finding; IdentityID is an application's service principal id for SP-MIGRATE.
type Finding struct {
	RuleID       string   `json:"ruleId"`
	Severity     string   `json:"severity"`
	IdentityID   string   `json:"identityId"`
	IdentityName string   `json:"identityName,omitempty"`
	Title        string   `json:"title"`
	Evidence     []string `json:"evidence"`
	Remediation  string   `json:"remediation"`
	// Fix is the remediation as commands to paste; miscope never runs them.
	Fix        []Command `json:"fix"`
	References []string  `json:"references,omitempty"`
	// Fingerprint names the finding stably across runs; Status is open, expired (open again) or the decision that
	// holds; BaselineState is new, unchanged or updated against --baseline.
	Fingerprint   string    `json:"fingerprint"`
	Status        string    `json:"status"`
	Decision      *Decision `json:"decision,omitempty"`
	BaselineState string    `json:"baselineState,omitempty"`
}

// Gap is a part that could not be read.
type Gap struct {
	Section    string `json:"section"`
	IdentityID string `json:"identityId"`
	Reason     string `json:"reason"`
	Scope      string `json:"scope,omitempty"`
	Needs      string `json:"needs,omitempty"`
}

// Build assembles the report of an assessed tenant, sorted, with every tenant string exact.
func Build(x *data.Index, r *assess.Result, info data.SourceInfo) *Document {
	t := x.Tenant
	collected := info.CollectedAt
	if collected.IsZero() {
		collected = t.CollectedAt
	}
	d := &Document{
		SchemaVersion: SchemaVersion,
		TenantID:      cmp.Or(info.TenantID, t.ID),
		TenantName:    cmp.Or(info.TenantName, t.DisplayName),
		Cloud:         cmp.Or(info.Cloud, t.Cloud),
		Source:        string(cmp.Or(info.Origin, data.OriginLive)),
		CollectedAt:   collected.UTC().Format(time.RFC3339),
		Identities:    make([]Identity, 0, len(t.Identities)),
		Findings:      make([]Finding, 0, len(r.Findings)),
		Gaps:          make([]Gap, 0, len(r.Gaps)),
	}
	names := make(map[string]string, len(t.Applications))
	for _, a := range t.Applications {
		names[data.Key(a.ID)] = a.DisplayName
	}
	sortKeys := make(map[string]string, len(t.Identities))
	for i := range t.Identities {
		id := buildIdentity(x, r, &t.Identities[i])
		d.Identities = append(d.Identities, id)
		sortKeys[id.ID] = strings.ToLower(id.DisplayName)
		names[data.Key(t.Identities[i].ID)] = t.Identities[i].DisplayName
	}
	slices.SortFunc(d.Identities, func(a, b Identity) int {
		return cmp.Or(strings.Compare(sortKeys[a.ID], sortKeys[b.ID]), strings.Compare(a.ID, b.ID))
	})
	for _, a := range t.Applications {
		if _, isIdentity := x.Identity(a.ID); isIdentity || len(a.Credentials) == 0 {
			continue
		}
		d.Applications = append(d.Applications, Application{ID: a.ID, AppID: a.AppID, DisplayName: a.DisplayName,
			Credentials: len(a.Credentials)})
	}
	slices.SortFunc(d.Applications, func(a, b Application) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName)),
			strings.Compare(a.ID, b.ID))
	})
	// The engine's order (severity, rule, identity) is the report's order.
	for _, f := range r.Findings {
		d.Findings = append(d.Findings, Finding{
			RuleID:       f.RuleID,
			Severity:     f.Severity.String(),
			IdentityID:   f.IdentityID,
			IdentityName: cmp.Or(names[data.Key(f.IdentityID)], x.PrincipalName(f.IdentityID)),
			Title:        f.Title,
			Evidence:     assess.Texts(f.Evidence),
			Remediation:  f.Remediation,
			Fix:          commandsOf(&f),
			References:   f.References,
			Fingerprint:  f.Fingerprint(),
			Status:       "open",
		})
		switch f.Severity {
		case assess.Critical:
			d.Summary.Critical++
		case assess.High:
			d.Summary.High++
		case assess.Medium:
			d.Summary.Medium++
		case assess.Low:
			d.Summary.Low++
		default:
			d.Summary.Info++
		}
	}
	d.Summary.Identities, d.Summary.Findings, d.Summary.Open = len(d.Identities), len(d.Findings), len(d.Findings)
	for _, g := range r.Gaps {
		d.Gaps = append(d.Gaps, Gap{Section: string(g.Section), IdentityID: g.IdentityID, Reason: g.Reason,
			Scope: g.Scope, Needs: g.Needs})
	}
	if u := t.Usage; u != nil && x.UsageGap(data.SectionSignIns) == nil {
		d.Usage = &UsageWindow{Source: u.Source, Workspace: u.Workspace, WindowDays: u.WindowDays,
			From: u.From.UTC().Format(time.RFC3339), To: u.To.UTC().Format(time.RFC3339)}
	}
	return d
}

func buildIdentity(x *data.Index, r *assess.Result, i *data.Identity) Identity {
	out := Identity{
		ID: i.ID, AppID: i.AppID, DisplayName: i.DisplayName, Kind: string(i.Kind),
		ResourceID:           i.ResourceID,
		AttachedResources:    []string{},
		AppRoles:             []AppRole{},
		Groups:               []Group{},
		DirectoryRoles:       []DirectoryRole{},
		AzureRoles:           []AzureRole{},
		FederatedCredentials: []FederatedCredential{},
		FindingCount:         r.Count(i.ID),
	}
	for _, a := range x.Attached(i.ID) {
		out.AttachedResources = append(out.AttachedResources, a.ID)
	}
	for _, a := range x.AppRoles(i.ID) {
		out.AppRoles = append(out.AppRoles, AppRole{ResourceAppID: a.ResourceAppID,
			ResourceDisplayName: a.ResourceDisplayName, Permission: a.Permission, AppRoleID: a.AppRoleID})
	}
	slices.SortFunc(out.AppRoles, func(a, b AppRole) int {
		return cmp.Or(strings.Compare(a.ResourceDisplayName, b.ResourceDisplayName),
			strings.Compare(a.Permission, b.Permission), strings.Compare(a.AppRoleID, b.AppRoleID))
	})
	for _, g := range x.Groups(i.ID) {
		out.Groups = append(out.Groups, Group{ID: g.ID, DisplayName: g.DisplayName,
			RoleAssignable: g.RoleAssignable, Transitive: g.Transitive})
	}
	for _, dr := range x.DirectoryRoles(i.ID) {
		out.DirectoryRoles = append(out.DirectoryRoles, DirectoryRole{RoleTemplateID: dr.RoleTemplateID,
			RoleName: dr.RoleName, DirectoryScopeID: cmp.Or(dr.DirectoryScopeID, "/"), Via: dr.Via,
			State: string(dr.State)})
	}
	slices.SortFunc(out.DirectoryRoles, func(a, b DirectoryRole) int {
		return cmp.Or(strings.Compare(a.RoleName, b.RoleName), strings.Compare(a.DirectoryScopeID, b.DirectoryScopeID),
			strings.Compare(a.Via, b.Via), strings.Compare(a.State, b.State))
	})
	out.AzureRoles = azureRoles(x, i.ID)
	for _, f := range x.FederatedCredentials(i.ID) {
		out.FederatedCredentials = append(out.FederatedCredentials, FederatedCredential{Name: f.Name,
			Issuer: f.Issuer, Subject: f.Subject, Audiences: append([]string{}, f.Audiences...),
			ClaimsMatchingExpression: f.ClaimsMatchingExpression})
	}
	slices.SortFunc(out.FederatedCredentials, func(a, b FederatedCredential) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Issuer, b.Issuer))
	})
	if reach, ok := r.Reach[i.ID]; ok {
		out.Reach, out.ReachDetail = reach.Label, reach.Detail
	}
	if s, ok := r.Highest(i.ID); ok {
		out.HighestSeverity = s.String()
	}
	for _, s := range data.Sections {
		if len(x.Gaps(i.ID, s)) > 0 {
			out.NotReadable = append(out.NotReadable, string(s))
			out.unread(s)
		}
	}
	out.Usage = identityUsage(x, i.ID)
	return out
}

// identityUsage is an identity's usage as the report carries it, or nil when sign-ins could not be read.
func identityUsage(x *data.Index, id string) *IdentityUsage {
	last, in, known := assess.LastUsed(x, id)
	if !known {
		return nil
	}
	use := x.Usage(id)
	u := &IdentityUsage{SignedInInWindow: in, SignIns: make([]UsageSignIn, 0, len(use.SignIns))}
	if !last.IsZero() {
		u.LastSignIn = last.UTC().Format(time.RFC3339)
	}
	for _, s := range use.SignIns {
		u.SignIns = append(u.SignIns, UsageSignIn{ResourceAppID: s.ResourceAppID,
			ResourceName: cmp.Or(data.ResourceAppName(s.ResourceAppID), s.ResourceName),
			Last:         s.Last.UTC().Format(time.RFC3339), Count: s.Count})
	}
	if x.UsageGap(data.SectionActivity) == nil {
		for _, a := range use.Activity {
			u.Activity = append(u.Activity, UsageActivity{ResourceID: a.ResourceID, Last: a.Last.UTC().Format(time.RFC3339),
				Count: a.Count})
		}
	}
	return u
}

// unread marks a section that could not be read: when nothing of it was read either, it is null rather than the
// empty list that means "none"; what was read of it stays, and NotReadable says there may be more.
func (i *Identity) unread(s data.Section) {
	switch s {
	case data.SectionAttached:
		i.AttachedResources = nilIfEmpty(i.AttachedResources)
	case data.SectionGroups:
		i.Groups = nilIfEmpty(i.Groups)
	case data.SectionDirectoryRoles:
		i.DirectoryRoles = nilIfEmpty(i.DirectoryRoles)
	case data.SectionAppRoles:
		i.AppRoles = nilIfEmpty(i.AppRoles)
	case data.SectionAzureRoles:
		i.AzureRoles = nilIfEmpty(i.AzureRoles)
	case data.SectionFederatedCredentials:
		i.FederatedCredentials = nilIfEmpty(i.FederatedCredentials)
	}
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// azureRoles lists an identity's Azure roles, direct and through its groups, widest scope first, in a total order.
func azureRoles(x *data.Index, identityID string) []AzureRole {
	type held struct {
		AzureRole
		level data.ScopeLevel
		scope string
	}
	roles := x.AzureRoles(identityID)
	hs := make([]held, len(roles))
	for n, r := range roles {
		hs[n] = held{AzureRole{RoleDefinitionID: r.RoleDefinitionID, RoleName: r.RoleName,
			Scope: r.Scope, Via: r.Via, Condition: r.Condition},
			x.Level(r.Scope), strings.ToLower(r.Scope)}
	}
	// The report's own order, finer than the index's, so that two runs give the same bytes.
	slices.SortFunc(hs, func(a, b held) int {
		return cmp.Or(cmp.Compare(b.level, a.level), strings.Compare(a.scope, b.scope),
			strings.Compare(a.RoleName, b.RoleName), strings.Compare(a.Via, b.Via),
			strings.Compare(a.RoleDefinitionID, b.RoleDefinitionID), strings.Compare(a.Condition, b.Condition))
	})
	out := make([]AzureRole, len(hs))
	for n, h := range hs {
		out[n] = h.AzureRole
	}
	return out
}

// Command is one command of a finding's fix: Args exactly as they are passed, Line the same rendered for a POSIX
// shell, or empty (with Refused set) when an argument holds characters that cannot be pasted safely.
type Command struct {
	Note    string   `json:"note,omitempty"`
	Args    []string `json:"args"`
	Line    string   `json:"line,omitempty"`
	Refused bool     `json:"refused,omitempty"`
}

// commandsOf is a finding's fix as the report carries it; never null.
func commandsOf(f *assess.Finding) []Command {
	fix := f.Commands()
	out := make([]Command, 0, len(fix))
	for _, c := range fix {
		line, ok := c.Line()
		out = append(out, Command{Note: c.Note, Args: c.Args, Line: line, Refused: !ok})
	}
	return out
}

// fixLines are a fix's commands as lines to paste, each under its note as a shell comment; a command that cannot be
// pasted safely is named by its note only.
func fixLines(fix []Command) []string {
	var out []string
	for _, c := range fix {
		if c.Note != "" {
			out = append(out, "# "+data.Clean(c.Note))
		}
		if c.Refused {
			out = append(out, "# (not shown: an argument holds characters that cannot be pasted safely)")
			continue
		}
		out = append(out, c.Line)
	}
	return out
}
