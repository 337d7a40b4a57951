// Package assess is miscope's findings engine: it reads a joined tenant and says which identities are dangerous,
// why (the exact assignments, scopes, groups and principals that make a finding true) and what to do about it.
package assess

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/miscope/miscope/data"
)

// Severity orders findings; the zero value is Info.
type Severity int

const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = []string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name as users type it (case-insensitive).
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(name, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (use one of %s)", name, strings.Join(severityNames, ", "))
}

// MarshalText writes the severity's name, so JSON carries "critical" rather than 4.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Finding is one reason an identity (or application) is dangerous. Its strings hold tenant text exactly as the
// tenant spells it: whoever shows a finding cleans it for its own output (data.Clean for a terminal, the writers'
// escaping for a file).
type Finding struct {
	RuleID     string   `json:"ruleId"`
	Severity   Severity `json:"severity"`
	IdentityID string   `json:"identityId"`
	Title      string   `json:"title"`
	// Evidence is shared: the same assignment is evidence for every identity below its scope, so findings point
	// at one copy of it. It must not be changed.
	Evidence []*Evidence `json:"evidence"`
	// Remediation says what to do in words; Commands() says it as commands to paste. Fix holds the commands a rule
	// wrote itself (when it knows more than its evidence shows, such as assignments beyond the evidence's limit);
	// otherwise Commands derives them from the evidence's ids.
	Remediation string    `json:"remediation"`
	Fix         []Command `json:"fix,omitempty"`
	References  []string  `json:"references,omitempty"`
}

// EvidenceKind names what an evidence item stands on.
type EvidenceKind string

const (
	// EvidenceNote is a sentence with no object of its own: a count, a summary, "... and 12 more".
	EvidenceNote EvidenceKind = "note"
	// EvidenceAzureRoleAssignment is an Azure RBAC role assignment: ID is its ARM id, RoleID the role definition
	// GUID, Scope its scope.
	EvidenceAzureRoleAssignment EvidenceKind = "azureRoleAssignment"
	// EvidenceAppRoleAssignment is an application permission: ID is the app role assignment id, RoleID the app
	// role id, ResourceID the object id of the API's service principal.
	EvidenceAppRoleAssignment EvidenceKind = "appRoleAssignment"
	// EvidenceDirectoryRoleAssignment is an active Entra role assignment: ID is the unifiedRoleAssignment id,
	// RoleID the role template id, Scope the directory scope.
	EvidenceDirectoryRoleAssignment EvidenceKind = "directoryRoleAssignment"
	// EvidenceDirectoryRoleEligibility is a PIM eligibility: ID is the eligibility schedule id.
	EvidenceDirectoryRoleEligibility EvidenceKind = "directoryRoleEligibility"
	// EvidenceGroupMembership is a membership: ID is the group's object id, PrincipalID the member.
	EvidenceGroupMembership EvidenceKind = "groupMembership"
	// EvidenceFederatedCredential is a federated identity credential: ID is its name, ResourceID the
	// user-assigned identity resource that holds it, Issuer and Subject what it trusts.
	EvidenceFederatedCredential EvidenceKind = "federatedCredential"
	// EvidenceResource is an Azure resource: ID and ResourceID are its ARM id.
	EvidenceResource EvidenceKind = "resource"
	// EvidencePrincipal is a principal as a whole (an identity, an application): ID is its object id.
	EvidencePrincipal EvidenceKind = "principal"
	// EvidenceApplicationCredential is an application's secret or certificate: ID is its key id, PrincipalID the
	// application's service principal.
	EvidenceApplicationCredential EvidenceKind = "applicationCredential"
	// EvidencePathStep is one step of a privilege path: PrincipalID is who takes the step, ID the edge's object
	// (an assignment, a membership) where it has one, and Via the kind of that object.
	EvidencePathStep EvidenceKind = "pathStep"
	// EvidenceGroupOwner, EvidenceApplicationOwner and EvidenceServicePrincipalOwner are an ownership: ID is the
	// owned group, application (its registration's object id) or service principal, PrincipalID the owner.
	EvidenceGroupOwner            EvidenceKind = "groupOwner"
	EvidenceApplicationOwner      EvidenceKind = "applicationOwner"
	EvidenceServicePrincipalOwner EvidenceKind = "servicePrincipalOwner"
)

// Evidence is one fact a finding stands on: the sentence a reader sees and the exact ids of the object it names.
// Text keeps tenant strings exactly (clean it where it is shown); the ids are as the tenant's APIs spell them. An
// empty id field does not apply to the kind.
type Evidence struct {
	Text string       `json:"text"`
	Kind EvidenceKind `json:"kind"`
	// ID is the object's own id: a role assignment's ARM id, an app role assignment id, a directory role
	// assignment or eligibility schedule id, a group id, a federated credential's name, a credential's key id.
	ID string `json:"id,omitempty"`
	// PrincipalID is the principal the object is about: the assignee of an assignment (the group, for a role an
	// identity holds through a group), the member of a group.
	PrincipalID string `json:"principalId,omitempty"`
	// RoleID is the Azure role definition GUID, the app role id or the Entra role template id.
	RoleID string `json:"roleId,omitempty"`
	// Scope is the ARM scope of an Azure role assignment or the directory scope of an Entra role.
	Scope string `json:"scope,omitempty"`
	// ResourceID is the Azure resource (or, for an app role, the API's service principal) the object sits on.
	ResourceID string `json:"resourceId,omitempty"`
	// Issuer and Subject are what a federated credential trusts (Subject holds the claims-matching expression of
	// a flexible credential): another subject is another credential, whatever its name.
	Issuer  string `json:"issuer,omitempty"`
	Subject string `json:"subject,omitempty"`
	// Via is, for a path step, the kind of the object its ID names (an Azure role assignment, an app role
	// assignment, a directory role assignment or eligibility, a group membership): what its fix removes. It is not
	// part of Key, since the ids already are.
	Via EvidenceKind `json:"via,omitempty"`
}

// Key is the material identity of an evidence item: its kind and ids (and what a federated credential trusts),
// lowercased, without its wording, so that the same assignment gives the same key whatever names the tenant shows
// this week. A note has no ids and its key is "".
func (e Evidence) Key() string {
	if e.Kind == EvidenceNote || e.Kind == "" {
		return ""
	}
	return strings.ToLower(strings.Join([]string{string(e.Kind), e.ID, e.PrincipalID, e.RoleID, e.Scope,
		e.ResourceID, e.Issuer, e.Subject}, "|"))
}

// Texts returns the sentences of evidence, as written (not cleaned).
func Texts(ev []*Evidence) []string {
	out := make([]string, len(ev))
	for i, e := range ev {
		out[i] = e.Text
	}
	return out
}

// Command is one fix to paste: Args is the exact argument vector, Note what it does in a few words. Line renders it
// for a POSIX shell.
type Command struct {
	Note string   `json:"note,omitempty"`
	Args []string `json:"args"`
}

// Reach is a short verdict of what an identity can ultimately do, e.g. "tenant admin", "sub owner",
// "read only"; it reads "not readable" rather than "none" while the parts that decide it could not be read.
type Reach struct {
	Label  string `json:"label"`
	Detail string `json:"detail,omitempty"`
	Level  int    `json:"-"` // orders reaches for sorting; higher is more dangerous
}

// Rule describes one rule for the engine, documentation, SARIF and the help screen. Rules (rules.go) is the
// registry: each rule id with its metadata, in one place.
type Rule struct {
	ID          string
	Title       string // as docs/RULES.md heads the rule's section: "ID — Title"
	Description string
	// Severity says how a finding's severity is decided, in a sentence.
	Severity   string
	Help       string // what to do, in Markdown
	References []string
}

// DocsAnchor is the anchor of the rule's section in docs/RULES.md (the section "ID — Title", as GitHub and most
// Markdown renderers derive anchors from headings).
func (r Rule) DocsAnchor() string {
	var b strings.Builder
	for _, c := range strings.ToLower(r.ID + " — " + r.Title) {
		switch {
		case c == ' ':
			b.WriteByte('-')
		case c == '-' || c == '_' || unicode.IsLetter(c) || unicode.IsDigit(c):
			b.WriteRune(c)
		}
	}
	return b.String()
}

// Result is the assessment of a whole tenant.
type Result struct {
	// Findings are sorted by severity (highest first), then rule id, then identity id.
	Findings []Finding
	// Reach is keyed by identity object id.
	Reach map[string]Reach
	// Gaps are the parts that could not be read; they lower confidence and are listed in every report.
	Gaps []data.Gap

	// An identity's findings are Findings[i] for i in positions[s.start:s.start+s.n], s = byIdentity[Key(id)]: one
	// list for every identity rather than a small one each.
	byIdentity map[string]span
	positions  []int32
}

type span struct{ start, n int32 }

func (r *Result) positionsOf(identityID string) []int32 {
	s, ok := r.byIdentity[data.Key(identityID)]
	if !ok {
		return nil
	}
	return r.positions[s.start : s.start+s.n]
}

// For returns the findings of one identity, highest severity first.
func (r *Result) For(identityID string) []Finding {
	idx := r.positionsOf(identityID)
	out := make([]Finding, 0, len(idx))
	for _, i := range idx {
		out = append(out, r.Findings[i])
	}
	return out
}

// Rules returns the rule ids of an identity's findings, each once, in the order of its findings (highest severity
// first), with how many findings each gave.
func (r *Result) Rules(identityID string) (ids []string, counts []int) {
	for _, i := range r.positionsOf(identityID) {
		id := r.Findings[i].RuleID
		if k := slices.Index(ids, id); k >= 0 {
			counts[k]++
			continue
		}
		ids, counts = append(ids, id), append(counts, 1)
	}
	return ids, counts
}

// Highest returns the highest severity among an identity's findings and whether it has any.
func (r *Result) Highest(identityID string) (Severity, bool) {
	idx := r.positionsOf(identityID)
	if len(idx) == 0 {
		return Info, false
	}
	return r.Findings[idx[0]].Severity, true
}

// Count returns how many findings an identity has.
func (r *Result) Count(identityID string) int { return int(r.byIdentity[data.Key(identityID)].n) }
