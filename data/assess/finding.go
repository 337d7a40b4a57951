// Package assess is miscope's findings engine: it reads a joined tenant and says which identities are dangerous,
// why (the exact assignments, scopes, groups and principals that make a finding true) and what to do about it.
package assess

import (
	"fmt"
	"strings"

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

// Finding is one reason an identity (or application) is dangerous.
type Finding struct {
	RuleID      string   `json:"ruleId"`
	Severity    Severity `json:"severity"`
	IdentityID  string   `json:"identityId"`
	Title       string   `json:"title"`
	Evidence    []string `json:"evidence"`
	Remediation string   `json:"remediation"`
	References  []string `json:"references,omitempty"`
}

// Reach is a short verdict of what an identity can ultimately do, e.g. "tenant admin", "sub owner",
// "read only"; it reads "not readable" rather than "none" while the parts that decide it could not be read.
type Reach struct {
	Label  string `json:"label"`
	Detail string `json:"detail,omitempty"`
	Level  int    `json:"-"` // orders reaches for sorting; higher is more dangerous
}

// Rule describes one rule for documentation, SARIF and the help screen.
type Rule struct {
	ID          string
	Title       string
	Description string
	Help        string // what to do, in Markdown
	References  []string
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
