package report

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
)

// WriteJSON writes the document, schema version 1, streamed: one field per line and one array element per line, so
// that a report of 50,000 identities is never held twice in memory and still diffs line by line. Tenant strings are
// exact; every control, bidi or invisible character in them is a JSON escape, never a raw byte in the file.
func WriteJSON(w io.Writer, d *Document) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var err error
	put := func(s string) {
		if err == nil {
			_, err = bw.WriteString(s)
		}
	}
	value := func(v any) {
		if err != nil {
			return
		}
		var b []byte
		if b, err = json.Marshal(v); err == nil {
			_, err = bw.Write(data.AppendJSONSafe(nil, b))
		}
	}
	field := func(name string, v any, last bool) {
		put("  \"" + name + "\": ")
		value(v)
		if !last {
			put(",")
		}
		put("\n")
	}
	list := func(name string, n int, elem func(int) any, last bool) {
		put("  \"" + name + "\": [")
		for i := range n {
			if i > 0 {
				put(",")
			}
			put("\n    ")
			value(elem(i))
		}
		if n > 0 {
			put("\n  ")
		}
		put("]")
		if !last {
			put(",")
		}
		put("\n")
	}
	put("{\n")
	field("schemaVersion", d.SchemaVersion, false)
	field("tenantId", d.TenantID, false)
	if d.TenantName != "" {
		field("tenantName", d.TenantName, false)
	}
	if d.Cloud != "" {
		field("cloud", d.Cloud, false)
	}
	field("source", d.Source, false)
	field("collectedAt", d.CollectedAt, false)
	field("summary", d.Summary, false)
	if d.Usage != nil {
		field("usage", d.Usage, false)
	}
	list("identities", len(d.Identities), func(i int) any { return &d.Identities[i] }, false)
	if len(d.Applications) > 0 {
		list("applications", len(d.Applications), func(i int) any { return &d.Applications[i] }, false)
	}
	list("findings", len(d.Findings), func(i int) any { return &d.Findings[i] }, false)
	if len(d.ResolvedDecisions) > 0 {
		list("resolvedDecisions", len(d.ResolvedDecisions), func(i int) any { return &d.ResolvedDecisions[i] }, false)
	}
	if len(d.AbsentFindings) > 0 {
		list("absentFindings", len(d.AbsentFindings), func(i int) any { return &d.AbsentFindings[i] }, false)
	}
	list("gaps", len(d.Gaps), func(i int) any { return &d.Gaps[i] }, true)
	put("}\n")
	if err != nil {
		return err
	}
	return bw.Flush()
}

// findingColumns are the columns of the findings CSV.
var findingColumns = []string{"severity", "ruleId", "identityId", "identityName", "title", "evidence", "remediation",
	"fix", "references", "fingerprint", "status", "decision", "justification", "decidedBy", "decidedAt", "expires",
	"baselineState"}

// WriteCSV writes one row per finding. Its fix is one line to paste, as the explorer copies it (see fixCell).
func WriteCSV(w io.Writer, d *Document) error {
	t := Table{Columns: findingColumns, Rows: make([][]string, 0, len(d.Findings))}
	for _, f := range d.Findings {
		t.Rows = append(t.Rows, append([]string{f.Severity, f.RuleID, f.IdentityID, f.IdentityName, f.Title,
			strings.Join(f.Evidence, " | "), f.Remediation, fixCell(f.Fix), strings.Join(f.References, " ")},
			triageCells(&f)...))
	}
	return WriteTableCSV(w, t)
}

// fixCell is a fix in one CSV cell: its commands joined into the line to paste (assess.PasteLine), and a shell
// comment, which a shell ignores, counting those that cannot be pasted safely. A cell keeps no line break, and begins
// with "az" or "#", never with a character a spreadsheet runs (CSVCell neutralises one all the same).
func fixCell(fix []Command) string {
	cmds := make([]assess.Command, len(fix))
	for i, c := range fix {
		cmds[i] = assess.Command{Note: c.Note, Args: c.Args}
	}
	line, refused := assess.PasteLine(cmds)
	if refused == 0 {
		return line
	}
	counted := "1 command"
	if refused > 1 {
		counted = fmt.Sprintf("%d commands", refused)
	}
	note := "# " + counted + " not shown: an argument holds characters that cannot be pasted safely"
	if line == "" {
		return note
	}
	return line + " " + note
}

// InventoryTable is one row per identity: what it is, where it runs, what it holds and its verdict.
func InventoryTable(d *Document) Table {
	t := Table{Columns: []string{"id", "displayName", "kind", "appId", "resourceId", "attachedResources", "reach",
		"highestSeverity", "findings", "lastSignIn", "groups", "directoryRoles", "appRoles", "azureRoles",
		"federatedCredentials", "notReadable"}}
	for _, i := range d.Identities {
		var groups, dirRoles, appRoles, azureRoles, fics []string
		for _, g := range i.Groups {
			groups = append(groups, g.DisplayName)
		}
		for _, r := range i.DirectoryRoles {
			dirRoles = append(dirRoles, r.RoleName+" @ "+r.DirectoryScopeID)
		}
		for _, a := range i.AppRoles {
			appRoles = append(appRoles, a.ResourceDisplayName+": "+a.Permission)
		}
		for _, r := range i.AzureRoles {
			azureRoles = append(azureRoles, r.RoleName+" @ "+r.Scope)
		}
		for _, f := range i.FederatedCredentials {
			fics = append(fics, f.Name+" ("+f.Subject+f.ClaimsMatchingExpression+")")
		}
		t.Rows = append(t.Rows, []string{i.ID, i.DisplayName, i.Kind, i.AppID, i.ResourceID,
			strings.Join(i.AttachedResources, "; "), i.Reach, i.HighestSeverity, strconv.Itoa(i.FindingCount),
			lastSignIn(i.Usage), strings.Join(groups, "; "), strings.Join(dirRoles, "; "), strings.Join(appRoles, "; "),
			strings.Join(azureRoles, "; "), strings.Join(fics, "; "), strings.Join(i.NotReadable, "; ")})
	}
	return t
}

// lastSignIn is the inventory's last-use cell: a time, "never", or "not readable" when sign-ins could not be read.
func lastSignIn(u *IdentityUsage) string {
	switch {
	case u == nil:
		return "not readable"
	case u.LastSignIn == "":
		return "never"
	}
	return u.LastSignIn
}

// WriteInventoryCSV writes one row per identity.
func WriteInventoryCSV(w io.Writer, d *Document) error { return WriteTableCSV(w, InventoryTable(d)) }

// WriteMarkdown writes a summary by severity and by rule, the parts that could not be read, then every finding.
func WriteMarkdown(w io.Writer, d *Document) error {
	b := &strings.Builder{}
	title := d.TenantID
	if d.TenantName != "" {
		title = d.TenantName + " (" + d.TenantID + ")"
	}
	fmt.Fprintf(b, "# miscope report: %s\n\n", mdText(title))
	fmt.Fprintf(b, "Source: %s, collected %s. %d managed identities, %d findings.\n\n", mdText(d.Source),
		mdText(d.CollectedAt), d.Summary.Identities, d.Summary.Findings)
	if u := d.Usage; u != nil {
		fmt.Fprintf(b, "Usage: sign-ins from %s to %s (%s).\n\n", mdText(u.From), mdText(u.To), mdText(u.Source))
	} else {
		b.WriteString("Usage: not readable (the gaps below say why), so no identity is called unused.\n\n")
	}

	b.WriteString("## Summary by severity\n\n")
	sev := Table{Columns: []string{"Severity", "Findings"}, Rows: [][]string{
		{"critical", strconv.Itoa(d.Summary.Critical)}, {"high", strconv.Itoa(d.Summary.High)},
		{"medium", strconv.Itoa(d.Summary.Medium)}, {"low", strconv.Itoa(d.Summary.Low)},
		{"info", strconv.Itoa(d.Summary.Info)}}}
	WriteTableMarkdown(b, sev)

	b.WriteString("\n## Summary by rule\n\n")
	byRule := Table{Columns: []string{"Rule", "Title", "Critical", "High", "Medium", "Low", "Info"}}
	counts := map[string]*[5]int{}
	for _, f := range d.Findings {
		if counts[f.RuleID] == nil {
			counts[f.RuleID] = &[5]int{}
		}
		s, _ := assess.ParseSeverity(f.Severity)
		counts[f.RuleID][assess.Critical-s]++
	}
	for _, r := range assess.Rules {
		n := counts[r.ID]
		if n == nil {
			n = &[5]int{}
		}
		byRule.Rows = append(byRule.Rows, []string{r.ID, r.Title, strconv.Itoa(n[0]), strconv.Itoa(n[1]),
			strconv.Itoa(n[2]), strconv.Itoa(n[3]), strconv.Itoa(n[4])})
	}
	WriteTableMarkdown(b, byRule)

	if len(d.Gaps) > 0 {
		b.WriteString("\n## Not readable\n\nThese parts could not be read; what they hold is unknown, not none.\n\n")
		gaps := Table{Columns: []string{"Section", "Identity", "Scope", "Needs", "Reason"}}
		for _, g := range d.Gaps {
			gaps.Rows = append(gaps.Rows, []string{g.Section, cmp.Or(g.IdentityID, "every identity"), g.Scope, g.Needs,
				g.Reason})
		}
		WriteTableMarkdown(b, gaps)
	}

	writeTriageMarkdown(b, d)

	b.WriteString("\n## Findings\n")
	if len(d.Findings) == 0 {
		b.WriteString("\nNo findings.\n")
	}
	for n, f := range d.Findings {
		who := cmp.Or(f.IdentityName, f.IdentityID)
		fmt.Fprintf(b, "\n### %d. %s %s: %s\n\n", n+1, strings.ToUpper(f.Severity), f.RuleID, mdText(who))
		fmt.Fprintf(b, "%s\n\nIdentity id: %s\n\nEvidence:\n\n", mdText(f.Title), mdText(f.IdentityID))
		for _, e := range f.Evidence {
			fmt.Fprintf(b, "- %s\n", mdText(e))
		}
		fmt.Fprintf(b, "\nRemediation: %s\n", mdText(f.Remediation))
		if lines := fixLines(f.Fix); len(lines) > 0 {
			b.WriteString("\nFix (commands to paste into a POSIX shell; miscope runs none of them):\n\n")
			writeCodeBlock(b, "sh", lines)
		}
		fmt.Fprintf(b, "\n%s\n", findingStatusMarkdown(&f))
		if len(f.References) > 0 {
			b.WriteString("\nReferences:\n\n")
			for _, r := range f.References {
				fmt.Fprintf(b, "- <%s>\n", mdURL(r))
			}
		}
		if b.Len() > 1<<16 {
			if _, err := io.WriteString(w, b.String()); err != nil {
				return err
			}
			b.Reset()
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// SARIF 2.1.0, the subset code-scanning dashboards read.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool       sarifTool         `json:"tool"`
	Results    []sarifResult     `json:"results"`
	Properties map[string]string `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	HelpURI              string         `json:"helpUri,omitempty"`
	DefaultConfiguration map[string]any `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Kind                string             `json:"kind,omitempty"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	BaselineState       string             `json:"baselineState,omitempty"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysicalLocation  `json:"physicalLocation"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations"`
}

// SARIFSchema is the JSON schema the SARIF output declares.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// sarifLevel maps a severity onto SARIF's three levels.
func sarifLevel(s string) string {
	switch s {
	case "critical", "high":
		return "error"
	case "medium":
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score GitHub code scanning sorts by.
func securitySeverity(s string) string {
	switch s {
	case "critical":
		return "9.5"
	case "high":
		return "8.0"
	case "medium":
		return "5.5"
	case "low":
		return "3.0"
	}
	return "0.0"
}

// WriteSARIF writes SARIF 2.1.0: one rule per rule id with its help, one result per finding located at the identity.
func WriteSARIF(w io.Writer, d *Document) error {
	c := data.Clean // SARIF text is read by people on dashboards: tenant strings are marked as in every human format
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{Name: "miscope", InformationURI: "https://github.com/miscope/miscope"}},
		Properties: map[string]string{"tenantId": c(d.TenantID), "source": d.Source,
			"collectedAt": d.CollectedAt},
		Results: make([]sarifResult, 0, len(d.Findings)),
	}
	index := map[string]int{}
	for n, r := range assess.Rules {
		index[r.ID] = n
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID:                   r.ID,
			Name:                 ruleName(r.Title),
			ShortDescription:     sarifText{Text: r.Title},
			FullDescription:      sarifText{Text: r.Description},
			Help:                 sarifText{Text: r.Help, Markdown: r.Help + "\n\n" + markdownLinks(r.References)},
			HelpURI:              first(r.References),
			DefaultConfiguration: map[string]any{"level": "warning"},
			Properties: map[string]any{"tags": []string{"security", "managed-identity"},
				"docs": "docs/RULES.md#" + r.DocsAnchor(), "severityRule": r.Severity},
		})
	}
	for _, f := range d.Findings {
		evidence := cleanAll(f.Evidence)
		msg := c(f.Title)
		if len(evidence) > 0 {
			msg += ". Evidence: " + strings.Join(evidence, "; ")
		}
		var md strings.Builder
		md.WriteString(mdText(msg))
		fix := fixLines(f.Fix)
		if len(fix) > 0 {
			md.WriteString("\n\nFix:\n\n")
			writeCodeBlock(&md, "sh", fix)
		}
		res := sarifResult{
			RuleID:              f.RuleID,
			RuleIndex:           index[f.RuleID],
			Level:               sarifLevel(f.Severity),
			Message:             sarifText{Text: msg, Markdown: md.String()},
			Locations:           []sarifLocation{sarifLocationOf(d, &f)},
			PartialFingerprints: map[string]string{sarifFingerprintKey: f.Fingerprint},
			BaselineState:       f.BaselineState,
			Suppressions:        sarifSuppressions(&f),
			Properties: map[string]any{"severity": f.Severity, "security-severity": securitySeverity(f.Severity),
				"identityId": c(f.IdentityID), "evidence": evidence, "remediation": c(f.Remediation), "fix": fix,
				"status": f.Status},
		}
		run.Results = append(run.Results, res)
	}
	// Findings of the baseline that are gone are passes now: kept, so dashboards can close them.
	for _, f := range d.AbsentFindings {
		run.Results = append(run.Results, sarifResult{
			RuleID:              f.RuleID,
			RuleIndex:           index[f.RuleID],
			Kind:                "pass",
			Level:               "none",
			Message:             sarifText{Text: "No longer found: " + c(f.Title)},
			Locations:           []sarifLocation{sarifLocationOf(d, &f)},
			PartialFingerprints: map[string]string{sarifFingerprintKey: f.Fingerprint},
			BaselineState:       string(assess.BaselineAbsent),
			Properties:          map[string]any{"severity": f.Severity, "identityId": c(f.IdentityID), "status": "absent"},
		})
	}
	enc := json.NewEncoder(data.JSONWriter(w))
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

// cleanAll is Clean of each string.
func cleanAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = data.Clean(s)
	}
	return out
}

// ruleName turns a title into the PascalCase name SARIF viewers show.
func ruleName(title string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(title, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

func markdownLinks(urls []string) string {
	var b strings.Builder
	for _, u := range urls {
		b.WriteString("- <" + mdURL(u) + ">\n")
	}
	return b.String()
}

// writeCodeBlock writes lines as a fenced code block whose fence is longer than any run of backticks inside, so no
// line can close it early.
func writeCodeBlock(b *strings.Builder, lang string, lines []string) {
	fence := 3
	for _, l := range lines {
		run := 0
		for _, r := range l {
			if r == '`' {
				run++
				fence = max(fence, run+1)
			} else {
				run = 0
			}
		}
	}
	f := strings.Repeat("`", fence)
	b.WriteString(f + lang + "\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	b.WriteString(f + "\n")
}
