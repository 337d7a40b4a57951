// Package diff says what changed in a tenant between two reads of it: identities added and removed, what each
// identity holds (roles, permissions, groups, scopes, attached resources, federated credentials) added and removed,
// and findings new, resolved and changed. The same matching of findings gives reports and the explorer their
// baseline state.
package diff

import (
	"cmp"
	"slices"
	"strings"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
)

// Side is one of the two reads being compared: the joined tenant, its assessment and where it came from.
type Side struct {
	Info data.SourceInfo
	X    *data.Index
	R    *assess.Result
}

// Result is everything that changed from Old to New. Tenant strings in it are exact; its writers clean them for their
// output (WriteText, WriteMarkdown) or escape them (WriteJSON).
type Result struct {
	Old, New Origin `json:"-"`

	IdentitiesAdded   []IdentityRef    `json:"identitiesAdded"`
	IdentitiesRemoved []IdentityRef    `json:"identitiesRemoved"`
	IdentitiesChanged []IdentityChange `json:"identitiesChanged"`

	FindingsNew      []FindingRef    `json:"findingsNew"`
	FindingsResolved []FindingRef    `json:"findingsResolved"`
	FindingsChanged  []FindingChange `json:"findingsChanged"`
}

// Origin names a side of the comparison in the output.
type Origin struct {
	Source      string `json:"source"`
	Label       string `json:"label,omitempty"`
	TenantID    string `json:"tenantId"`
	CollectedAt string `json:"collectedAt,omitempty"`
}

// Empty reports whether nothing changed.
func (r *Result) Empty() bool {
	return len(r.IdentitiesAdded)+len(r.IdentitiesRemoved)+len(r.IdentitiesChanged)+len(r.FindingsNew)+
		len(r.FindingsResolved)+len(r.FindingsChanged) == 0
}

// IdentityRef names an identity.
type IdentityRef struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Kind        string `json:"kind,omitempty"`
}

// IdentityChange is what changed in what one identity holds, section by section in the order the explorer shows
// them; sections that did not change are left out.
type IdentityChange struct {
	IdentityRef
	Sections []SectionChange `json:"sections"`
}

// SectionChange is the items of one section that were added and removed.
type SectionChange struct {
	Section data.Section `json:"section"`
	Added   []string     `json:"added,omitempty"`
	Removed []string     `json:"removed,omitempty"`
}

// FindingRef is a finding as the diff lists it.
type FindingRef struct {
	Fingerprint  string `json:"fingerprint"`
	RuleID       string `json:"ruleId"`
	Severity     string `json:"severity"`
	IdentityID   string `json:"identityId"`
	IdentityName string `json:"identityName,omitempty"`
	Title        string `json:"title"`
}

// FindingChange is a finding of the same rule on the same identity whose evidence or severity changed.
type FindingChange struct {
	FindingRef
	OldFingerprint string `json:"oldFingerprint"`
	OldSeverity    string `json:"oldSeverity"`
}

// SeverityChanged reports whether the change moved the finding's severity.
func (c FindingChange) SeverityChanged() bool { return c.OldSeverity != c.Severity }

// SectionTitles are what each per-identity section is called in the output.
var SectionTitles = map[data.Section]string{
	data.SectionAttached:             "attached resources",
	data.SectionGroups:               "groups",
	data.SectionDirectoryRoles:       "directory roles",
	data.SectionAppRoles:             "application permissions",
	data.SectionAzureRoles:           "Azure roles",
	data.SectionFederatedCredentials: "federated credentials",
}

// Compare says what changed from old to new.
func Compare(old, new Side) *Result {
	r := &Result{Old: originOf(old), New: originOf(new), IdentitiesAdded: []IdentityRef{},
		IdentitiesRemoved: []IdentityRef{}, IdentitiesChanged: []IdentityChange{}}
	for i := range new.X.Tenant.Identities {
		id := &new.X.Tenant.Identities[i]
		if _, ok := old.X.Identity(id.ID); !ok {
			r.IdentitiesAdded = append(r.IdentitiesAdded, ref(id))
			continue
		}
		if c := compareIdentity(old.X, new.X, id); len(c.Sections) > 0 {
			r.IdentitiesChanged = append(r.IdentitiesChanged, c)
		}
	}
	for i := range old.X.Tenant.Identities {
		id := &old.X.Tenant.Identities[i]
		if _, ok := new.X.Identity(id.ID); !ok {
			r.IdentitiesRemoved = append(r.IdentitiesRemoved, ref(id))
		}
	}
	byName := func(a, b IdentityRef) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName)),
			strings.Compare(data.Key(a.ID), data.Key(b.ID)))
	}
	slices.SortFunc(r.IdentitiesAdded, byName)
	slices.SortFunc(r.IdentitiesRemoved, byName)
	slices.SortFunc(r.IdentitiesChanged, func(a, b IdentityChange) int { return byName(a.IdentityRef, b.IdentityRef) })

	m := assess.MatchFindings(old.R.Findings, new.R.Findings)
	r.FindingsNew, r.FindingsResolved, r.FindingsChanged = []FindingRef{}, []FindingRef{}, []FindingChange{}
	for i := range new.R.Findings {
		f := &new.R.Findings[i]
		switch st := m.State[i]; st {
		case assess.BaselineNew:
			r.FindingsNew = append(r.FindingsNew, findingRef(new.X, f))
		case assess.BaselineUpdated, assess.BaselineUnchanged:
			was := &old.R.Findings[m.Was[i]]
			if st == assess.BaselineUnchanged && was.Severity == f.Severity {
				continue
			}
			r.FindingsChanged = append(r.FindingsChanged, FindingChange{FindingRef: findingRef(new.X, f),
				OldFingerprint: was.Fingerprint(), OldSeverity: was.Severity.String()})
		}
	}
	for _, i := range m.Absent {
		r.FindingsResolved = append(r.FindingsResolved, findingRef(old.X, &old.R.Findings[i]))
	}
	return r
}

func originOf(s Side) Origin {
	info := s.Info
	t := s.X.Tenant
	o := Origin{Source: string(cmp.Or(info.Origin, data.OriginLive)), Label: info.Label,
		TenantID: cmp.Or(info.TenantID, t.ID)}
	at := info.CollectedAt
	if at.IsZero() {
		at = t.CollectedAt
	}
	if !at.IsZero() {
		o.CollectedAt = at.UTC().Format("2006-01-02T15:04:05Z")
	}
	return o
}

func ref(id *data.Identity) IdentityRef {
	return IdentityRef{ID: id.ID, DisplayName: id.DisplayName, Kind: string(id.Kind)}
}

func findingRef(x *data.Index, f *assess.Finding) FindingRef {
	return FindingRef{Fingerprint: f.Fingerprint(), RuleID: f.RuleID, Severity: f.Severity.String(),
		IdentityID: f.IdentityID, IdentityName: x.PrincipalName(f.IdentityID),
		Title: f.Title}
}

// compareIdentity compares what one identity holds on both sides. Items are matched by their ids, whatever their
// casing, and shown by their names as the newer side spells them (the older one for what was removed).
func compareIdentity(old, new *data.Index, id *data.Identity) IdentityChange {
	c := IdentityChange{IdentityRef: ref(id)}
	oldID := id.ID
	if o, ok := old.Identity(id.ID); ok {
		oldID = o.ID
	}
	for _, s := range data.Sections {
		before, after := Items(old, oldID, s), Items(new, id.ID, s)
		sc := SectionChange{Section: s}
		for _, it := range after {
			if !containsKey(before, it.Key) {
				sc.Added = append(sc.Added, it.Text)
			}
		}
		for _, it := range before {
			if !containsKey(after, it.Key) {
				sc.Removed = append(sc.Removed, it.Text)
			}
		}
		if len(sc.Added)+len(sc.Removed) > 0 {
			c.Sections = append(c.Sections, sc)
		}
	}
	return c
}

// Item is one thing an identity holds: Key matches it across reads (ids only, lowercased), Text shows it.
type Item struct {
	Key, Text string
}

func containsKey(items []Item, key string) bool {
	_, ok := slices.BinarySearchFunc(items, key, func(it Item, k string) int { return strings.Compare(it.Key, k) })
	return ok
}

// Items lists what an identity holds in one section, sorted by key with duplicates dropped.
func Items(x *data.Index, identityID string, s data.Section) []Item {
	var out []Item
	add := func(text string, ids ...string) {
		for i := range ids {
			ids[i] = data.Key(ids[i])
		}
		out = append(out, Item{Key: strings.Join(ids, "|"), Text: text})
	}
	via := func(v string) string {
		if g, ok := strings.CutPrefix(v, "group:"); ok {
			return " (through group " + cmp.Or(x.PrincipalName(g), g) + ")"
		}
		return ""
	}
	switch s {
	case data.SectionAttached:
		for _, r := range x.Attached(identityID) {
			add(r.Name+" ("+cmp.Or(data.LastSegment(r.Type), r.Type)+") "+r.ID, r.ID)
		}
	case data.SectionGroups:
		for _, g := range x.Groups(identityID) {
			how := ""
			if g.Transitive {
				how = " (transitive)"
			}
			add(g.DisplayName+how, g.ID)
		}
	case data.SectionDirectoryRoles:
		for _, d := range x.DirectoryRoles(identityID) {
			state := ""
			if d.State == data.Eligible {
				state = " (eligible)"
			}
			add(cmp.Or(d.RoleName, d.RoleTemplateID)+" at "+cmp.Or(d.DirectoryScopeID, "/")+state+via(d.Via),
				d.RoleTemplateID, cmp.Or(d.DirectoryScopeID, "/"), d.Via, string(d.State))
		}
	case data.SectionAppRoles:
		for _, a := range x.AppRoles(identityID) {
			add(a.ResourceDisplayName+": "+cmp.Or(a.Permission, a.AppRoleID), a.ResourceAppID, a.AppRoleID)
		}
	case data.SectionAzureRoles:
		for _, a := range x.AzureRoles(identityID) {
			cond := ""
			if a.Condition != "" {
				cond = " (with a condition)"
			}
			add(cmp.Or(a.RoleName, a.RoleDefinitionID)+" at "+a.Scope+cond+via(a.Via), a.RoleDefinitionID, a.Scope,
				a.Via, a.Condition)
		}
	case data.SectionFederatedCredentials:
		for _, f := range x.FederatedCredentials(identityID) {
			subject := cmp.Or(f.Subject, f.ClaimsMatchingExpression)
			aud := slices.Clone(f.Audiences)
			for i := range aud {
				aud[i] = strings.ToLower(aud[i])
			}
			slices.Sort(aud)
			// Issuer, subject and audience decide who can sign in as the identity, so a change to any of them is a
			// new credential; they are matched as written, since issuers and subjects are case-sensitive.
			out = append(out, Item{Key: strings.ToLower(f.Name) + "|" + f.Issuer + "|" + subject + "|" +
				strings.Join(aud, ","), Text: f.Name + ": " + f.Issuer + " " + subject})
		}
	}
	slices.SortFunc(out, func(a, b Item) int { return strings.Compare(a.Key, b.Key) })
	return slices.CompactFunc(out, func(a, b Item) bool { return a.Key == b.Key })
}
