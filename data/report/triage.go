package report

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/triage"
)

// Decision is the triage decision on a finding as reports carry it.
type Decision struct {
	Decision      string `json:"decision"`
	Justification string `json:"justification"`
	By            string `json:"by,omitempty"`
	At            string `json:"at,omitempty"`
	Expires       string `json:"expires,omitempty"`
	// Expired is true when the decision no longer holds, which is why the finding is open again.
	Expired bool `json:"expired,omitempty"`
}

// ResolvedDecision is a decision whose fingerprint matches no finding: what it was about is gone.
type ResolvedDecision struct {
	Fingerprint string `json:"fingerprint"`
	RuleID      string `json:"ruleId,omitempty"`
	IdentityID  string `json:"identityId,omitempty"`
	Name        string `json:"identityName,omitempty"`
	Decision
}

func decisionOf(e *triage.Entry, now time.Time) *Decision {
	d := &Decision{Decision: string(e.Decision), Justification: e.Justification, By: e.By,
		Expired: e.Expired(now)}
	if !e.At.IsZero() {
		d.At = e.At.UTC().Format(time.RFC3339)
	}
	if !e.Expires.IsZero() {
		d.Expires = e.Expires.UTC().Format(time.RFC3339)
	}
	return d
}

// ApplyTriage sets each finding's status and decision from a triage file, counts the open ones, and lists the
// decisions that match no finding as resolved.
func (d *Document) ApplyTriage(f *triage.File, now time.Time) {
	current := make(map[string]bool, len(d.Findings))
	d.Summary.Open = 0
	for i := range d.Findings {
		fd := &d.Findings[i]
		current[fd.Fingerprint] = true
		st, e := f.StatusOf(fd.Fingerprint, now)
		fd.Status, fd.Decision = string(st), nil
		if e != nil {
			fd.Decision = decisionOf(e, now)
		}
		if st.IsOpen() {
			d.Summary.Open++
		}
	}
	d.ResolvedDecisions = nil
	for _, e := range f.Resolved(func(fp string) bool { return current[fp] }) {
		d.ResolvedDecisions = append(d.ResolvedDecisions, ResolvedDecision{Fingerprint: e.Fingerprint,
			RuleID: e.Rule, IdentityID: e.Identity, Name: e.Name,
			Decision: *decisionOf(&e, now)})
	}
}

// ApplyBaseline sets each finding's baseline state against the baseline's findings, and lists the baseline's
// findings that are gone as absent.
func (d *Document) ApplyBaseline(baseline *Document) {
	key := func(fs []Finding) func(int) (string, string) {
		return func(i int) (string, string) {
			return fs[i].Fingerprint, assess.BaselineSubject(fs[i].RuleID, fs[i].IdentityID)
		}
	}
	m := assess.MatchKeys(len(baseline.Findings), len(d.Findings), key(baseline.Findings), key(d.Findings))
	for i := range d.Findings {
		d.Findings[i].BaselineState = string(m.State[i])
	}
	d.AbsentFindings = nil
	for _, j := range m.Absent {
		f := baseline.Findings[j]
		f.BaselineState, f.Status, f.Decision = string(assess.BaselineAbsent), "absent", nil
		d.AbsentFindings = append(d.AbsentFindings, f)
	}
}

// triageCells are a finding's triage columns of the CSV.
func triageCells(f *Finding) []string {
	cells := []string{f.Fingerprint, f.Status, "", "", "", "", "", f.BaselineState}
	if dd := f.Decision; dd != nil {
		cells[2], cells[3], cells[4], cells[5], cells[6] = dd.Decision, dd.Justification, dd.By, dd.At, dd.Expires
	}
	return cells
}

// findingStatusMarkdown is the status line under a finding in the Markdown report.
func findingStatusMarkdown(f *Finding) string {
	s := "Status: " + f.Status
	if dd := f.Decision; dd != nil {
		verb := "decided " + dd.Decision
		if dd.Expired {
			verb = "reopened: the " + dd.Decision + " decision expired"
		}
		s += " (" + verb
		if dd.By != "" {
			s += " by " + mdText(dd.By)
		}
		if dd.Expires != "" && !dd.Expired {
			s += ", until " + dd.Expires
		} else if dd.Expires != "" {
			s += " on " + dd.Expires
		}
		s += "): " + mdText(dd.Justification)
	}
	if f.BaselineState != "" {
		s += ". Against the baseline: " + f.BaselineState
	}
	return s + ". Fingerprint: " + f.Fingerprint
}

// writeTriageMarkdown writes the report's triage section: how many findings are open and decided, every decision
// that holds or expired, and the decisions that are resolved.
func writeTriageMarkdown(b *strings.Builder, d *Document) {
	counts := map[string]int{}
	var decided Table
	decided.Columns = []string{"Status", "Severity", "Rule", "Identity", "Decision", "By", "Expires", "Justification"}
	for _, f := range d.Findings {
		counts[f.Status]++
		if f.Decision != nil {
			decided.Rows = append(decided.Rows, []string{f.Status, f.Severity, f.RuleID, cmp.Or(f.IdentityName,
				f.IdentityID), f.Decision.Decision, f.Decision.By, f.Decision.Expires, f.Decision.Justification})
		}
	}
	if len(decided.Rows) == 0 && len(d.ResolvedDecisions) == 0 && len(d.AbsentFindings) == 0 &&
		!slices.ContainsFunc(d.Findings, func(f Finding) bool { return f.BaselineState != "" }) {
		return
	}
	b.WriteString("\n## Triage\n\n")
	fmt.Fprintf(b, "%d open (%d of them reopened because their decision expired); %d accepted, %d false positive, "+
		"%d fix planned.", counts["open"]+counts["expired"], counts["expired"], counts["accepted"],
		counts["false-positive"], counts["fix-planned"])
	if len(d.AbsentFindings) > 0 || slices.ContainsFunc(d.Findings, func(f Finding) bool { return f.BaselineState != "" }) {
		base := map[string]int{}
		for _, f := range d.Findings {
			base[f.BaselineState]++
		}
		fmt.Fprintf(b, " Against the baseline: %d new, %d updated, %d unchanged, %d gone.", base["new"],
			base["updated"], base["unchanged"], len(d.AbsentFindings))
	}
	b.WriteString("\n")
	if len(decided.Rows) > 0 {
		b.WriteString("\n### Decisions\n\n")
		WriteTableMarkdown(b, decided)
	}
	if len(d.ResolvedDecisions) > 0 {
		b.WriteString("\n### Resolved decisions\n\nThese decisions match no finding any more: what they were about " +
			"is gone. Remove them from the triage file when the change is confirmed.\n\n")
		t := Table{Columns: []string{"Fingerprint", "Rule", "Identity", "Decision", "By", "Justification"}}
		for _, r := range d.ResolvedDecisions {
			t.Rows = append(t.Rows, []string{r.Fingerprint, r.RuleID, cmp.Or(r.Name, r.IdentityID), r.Decision.Decision,
				r.By, r.Justification})
		}
		WriteTableMarkdown(b, t)
	}
	if len(d.AbsentFindings) > 0 {
		b.WriteString("\n### Gone since the baseline\n\n")
		t := Table{Columns: []string{"Severity", "Rule", "Identity", "Finding"}}
		for _, f := range d.AbsentFindings {
			t.Rows = append(t.Rows, []string{f.Severity, f.RuleID, cmp.Or(f.IdentityName, f.IdentityID), f.Title})
		}
		WriteTableMarkdown(b, t)
	}
}

// sarifFingerprintKey names miscope's fingerprint among a result's partial fingerprints.
const sarifFingerprintKey = "miscopeFinding/v2"

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
}

// sarifSuppressions says a decided finding is suppressed by the triage file (an external suppression): accepted
// risks and false positives as accepted, planned fixes as under review. Open and expired findings are not.
func sarifSuppressions(f *Finding) []sarifSuppression {
	if f.Decision == nil || f.Decision.Expired {
		return nil
	}
	status := "accepted"
	if f.Decision.Decision == string(triage.FixPlanned) {
		status = "underReview"
	}
	j := f.Decision.Decision + ": " + data.Clean(f.Decision.Justification)
	if f.Decision.By != "" {
		j += " (" + data.Clean(f.Decision.By) + ")"
	}
	return []sarifSuppression{{Kind: "external", Status: status, Justification: j}}
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           sarifRegion           `json:"region"`
}

type sarifArtifactLocation struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// ArtifactURI is where a finding sits for code-scanning dashboards, which reject a result without a file:
// tenants/<tenant id>/identities/<identity name> (applications/<name> for an application), each part escaped as a
// URI path segment. It names no real file; it is stable for as long as the identity keeps its name, which Azure does
// not let change.
func ArtifactURI(tenantID, ruleID, name string) string {
	kind := "identities"
	if ruleID == assess.RuleSPMigrate {
		kind = "applications"
	}
	return "tenants/" + url.PathEscape(tenantID) + "/" + kind + "/" + url.PathEscape(name)
}

func sarifLocationOf(d *Document, f *Finding) sarifLocation {
	name := cmp.Or(f.IdentityName, f.IdentityID)
	return sarifLocation{
		PhysicalLocation: sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{
			URI: ArtifactURI(d.TenantID, f.RuleID, name)}, Region: sarifRegion{StartLine: 1}},
		LogicalLocations: []sarifLogicalLocation{{Name: data.Clean(name),
			FullyQualifiedName: data.Clean("tenants/" + d.TenantID + "/identities/" + f.IdentityID), Kind: "resource"}},
	}
}
