package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/triage"
)

// What a report says to a gate such as CI: which open findings reach a severity, and which parts that could not be
// read could hide one. The command decides what exit code that makes.

// FailOnSummary says on log which open findings are at or above min: a count per rule and the first few, so that a
// CI log says why it failed. It returns how many there are.
func FailOnSummary(log io.Writer, d *Document, min assess.Severity) int {
	var tripped []*Finding
	for i := range d.Findings {
		f := &d.Findings[i]
		s, err := assess.ParseSeverity(f.Severity)
		if err == nil && s >= min && triage.Status(f.Status).IsOpen() {
			tripped = append(tripped, f)
		}
	}
	if len(tripped) == 0 || log == nil {
		return len(tripped)
	}
	byRule := map[string]int{}
	for _, f := range tripped {
		byRule[f.RuleID]++
	}
	var rules []string
	for r, n := range byRule {
		rules = append(rules, r+" "+strconv.Itoa(n))
	}
	slices.Sort(rules)
	fmt.Fprintf(log, "miscope: --fail-on %s: %s at or above it (%s)\n", min,
		data.Plural(len(tripped), "open finding", "open findings"),
		strings.Join(rules, ", "))
	const first = 5
	for i, f := range tripped {
		if i == first {
			fmt.Fprintf(log, "  … and %d more (see the report)\n", len(tripped)-first)
			break
		}
		status := ""
		if f.Status == string(triage.Expired) {
			status = " (its decision expired)"
		}
		// Standard error is a terminal: the name is cleaned as everywhere a person reads it.
		fmt.Fprintf(log, "  %s %s %s %s%s\n", f.Severity, f.RuleID, data.Clean(cmp.Or(f.IdentityName, f.IdentityID)),
			f.Fingerprint, status)
	}
	return len(tripped)
}

// Unread says what keeps a read from passing a gate at failOn (-1: no gate): the gap of the identity list when it
// could not be read at all (nothing was judged), and the parts that could not be read and could hide a finding at or
// above failOn, each named with its identity, scope and what it needs.
func Unread(x *data.Index, r *assess.Result, failOn assess.Severity) (identities *data.Gap, hiding []string) {
	apps := make(map[string]bool, len(x.Tenant.Applications))
	for _, a := range x.Tenant.Applications {
		apps[data.Key(a.ID)] = true
	}
	for i, g := range r.Gaps {
		if _, identity := x.Identity(g.IdentityID); g.IdentityID != "" && !identity && !apps[data.Key(g.IdentityID)] {
			continue // about something the tenant does not hold
		}
		if g.Section == data.SectionIdentities && len(x.Tenant.Identities) == 0 {
			return &r.Gaps[i], nil
		}
		if sev, ok := assess.Hidden(g); ok && failOn >= 0 && sev >= failOn {
			what := string(g.Section)
			if g.IdentityID != "" {
				what += " of " + g.IdentityID
			}
			if g.Scope != "" {
				what += " at " + g.Scope
			}
			if g.Needs != "" {
				what += " (needs " + g.Needs + ")"
			}
			hiding = append(hiding, what)
		}
	}
	return nil, hiding
}
