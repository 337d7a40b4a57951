package diff

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/report"
)

// Formats lists the output formats of `miscope diff`.
var Formats = []string{"text", "markdown", "json"}

// Style colours the text output; the zero value writes plain text. The caller picks colours for its terminal, so
// this package stays free of terminal code.
type Style struct {
	Added, Removed, Changed, Heading func(string) string
}

func (s Style) paint(f func(string) string, text string) string {
	if f == nil {
		return text
	}
	return f(text)
}

// Writer returns the writer for a format name.
func Writer(format string, style Style) (func(io.Writer, *Result) error, error) {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "", "text":
		return func(w io.Writer, r *Result) error { return WriteText(w, r, style) }, nil
	case "markdown", "md":
		return WriteMarkdown, nil
	case "json":
		return WriteJSON, nil
	}
	return nil, fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(Formats, ", "))
}

func sideText(o Origin) string {
	s := o.Source
	if o.Label != "" {
		s = o.Label
	}
	if o.CollectedAt != "" {
		s += " (" + o.CollectedAt + ")"
	}
	return data.Clean(s)
}

func identityText(r IdentityRef) string {
	if r.DisplayName == "" {
		return data.Clean(r.ID)
	}
	return data.Clean(r.DisplayName + " (" + r.ID + ")")
}

func findingText(f FindingRef) string {
	return f.Severity + " " + f.RuleID + " " + identityText(IdentityRef{ID: f.IdentityID, DisplayName: f.IdentityName}) +
		": " + data.Clean(f.Title)
}

func changeText(c FindingChange) string {
	how := "evidence changed"
	if c.SeverityChanged() {
		how = "severity " + c.OldSeverity + " → " + c.Severity
	}
	return findingText(c.FindingRef) + " [" + how + "]"
}

// WriteText writes the changes for a terminal: a heading per part, + for added, - for removed, ~ for changed.
func WriteText(w io.Writer, r *Result, s Style) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "%s\n  old: %s\n  new: %s\n", s.paint(s.Heading, "miscope diff"), sideText(r.Old), sideText(r.New))
	if r.Empty() {
		b.WriteString("\nNo changes.\n")
		return b.Flush()
	}
	heading := func(title string, n int) {
		fmt.Fprintf(b, "\n%s\n", s.paint(s.Heading, title+" ("+strconv.Itoa(n)+")"))
	}
	if len(r.IdentitiesAdded)+len(r.IdentitiesRemoved) > 0 {
		heading("Identities added and removed", len(r.IdentitiesAdded)+len(r.IdentitiesRemoved))
		for _, i := range r.IdentitiesAdded {
			fmt.Fprintf(b, "  %s\n", s.paint(s.Added, "+ "+identityText(i)+" "+data.Clean(i.Kind)))
		}
		for _, i := range r.IdentitiesRemoved {
			fmt.Fprintf(b, "  %s\n", s.paint(s.Removed, "- "+identityText(i)+" "+data.Clean(i.Kind)))
		}
	}
	if len(r.IdentitiesChanged) > 0 {
		heading("Identities changed", len(r.IdentitiesChanged))
		for _, c := range r.IdentitiesChanged {
			fmt.Fprintf(b, "  %s\n", identityText(c.IdentityRef))
			for _, sc := range c.Sections {
				fmt.Fprintf(b, "    %s\n", SectionTitles[sc.Section])
				for _, a := range sc.Added {
					fmt.Fprintf(b, "      %s\n", s.paint(s.Added, "+ "+data.Clean(a)))
				}
				for _, a := range sc.Removed {
					fmt.Fprintf(b, "      %s\n", s.paint(s.Removed, "- "+data.Clean(a)))
				}
			}
		}
	}
	if n := len(r.FindingsNew) + len(r.FindingsResolved) + len(r.FindingsChanged); n > 0 {
		heading("Findings", n)
		for _, f := range r.FindingsNew {
			fmt.Fprintf(b, "  %s\n", s.paint(s.Added, "+ new      "+findingText(f)))
		}
		for _, f := range r.FindingsResolved {
			fmt.Fprintf(b, "  %s\n", s.paint(s.Removed, "- resolved "+findingText(f)))
		}
		for _, c := range r.FindingsChanged {
			fmt.Fprintf(b, "  %s\n", s.paint(s.Changed, "~ changed  "+changeText(c)))
		}
	}
	return b.Flush()
}

// mdItem is a tenant string as a Markdown list item's text: escaped, and unable to start a heading or a list.
func mdItem(s string) string {
	s = report.MarkdownCell(s)
	if s != "" && strings.ContainsRune("#+-=>!*", rune(s[0])) {
		s = `\` + s
	}
	return s
}

// WriteMarkdown writes the changes as a Markdown document, for a ticket or a pull request.
func WriteMarkdown(w io.Writer, r *Result) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "# miscope diff\n\n- Old: %s\n- New: %s\n", mdItem(sideText(r.Old)), mdItem(sideText(r.New)))
	if r.Empty() {
		b.WriteString("\nNo changes.\n")
		return b.Flush()
	}
	b.WriteString("\n## Identities\n\n")
	t := report.Table{Columns: []string{"Change", "Identity", "Id", "Kind"}}
	for _, i := range r.IdentitiesAdded {
		t.Rows = append(t.Rows, []string{"added", i.DisplayName, i.ID, i.Kind})
	}
	for _, i := range r.IdentitiesRemoved {
		t.Rows = append(t.Rows, []string{"removed", i.DisplayName, i.ID, i.Kind})
	}
	if len(t.Rows) == 0 {
		b.WriteString("No identity added or removed.\n")
	} else if err := report.WriteTableMarkdown(b, t); err != nil {
		return err
	}
	for _, c := range r.IdentitiesChanged {
		fmt.Fprintf(b, "\n### %s\n", mdItem(identityText(c.IdentityRef)))
		for _, sc := range c.Sections {
			fmt.Fprintf(b, "\n%s:\n\n", SectionTitles[sc.Section])
			for _, a := range sc.Added {
				fmt.Fprintf(b, "- added: %s\n", mdItem(a))
			}
			for _, a := range sc.Removed {
				fmt.Fprintf(b, "- removed: %s\n", mdItem(a))
			}
		}
	}
	b.WriteString("\n## Findings\n\n")
	ft := report.Table{Columns: []string{"Change", "Severity", "Rule", "Identity", "Finding", "Fingerprint"}}
	for _, f := range r.FindingsNew {
		ft.Rows = append(ft.Rows, []string{"new", f.Severity, f.RuleID, cmpName(f), f.Title, f.Fingerprint})
	}
	for _, f := range r.FindingsResolved {
		ft.Rows = append(ft.Rows, []string{"resolved", f.Severity, f.RuleID, cmpName(f), f.Title, f.Fingerprint})
	}
	for _, c := range r.FindingsChanged {
		sev := c.Severity
		if c.SeverityChanged() {
			sev = c.OldSeverity + " → " + c.Severity
		}
		ft.Rows = append(ft.Rows, []string{"changed", sev, c.RuleID, cmpName(c.FindingRef), c.Title, c.Fingerprint})
	}
	if len(ft.Rows) == 0 {
		b.WriteString("No finding new, resolved or changed.\n")
	} else if err := report.WriteTableMarkdown(b, ft); err != nil {
		return err
	}
	return b.Flush()
}

func cmpName(f FindingRef) string {
	if f.IdentityName != "" {
		return f.IdentityName
	}
	return f.IdentityID
}

// jsonDocument is the diff's JSON, a public contract like the report's.
type jsonDocument struct {
	SchemaVersion int    `json:"schemaVersion"`
	Old           Origin `json:"old"`
	New           Origin `json:"new"`
	*Result
}

// WriteJSON writes the changes as JSON (schema version 1), tenant strings exact (escaped, never raw).
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(data.JSONWriter(w))
	enc.SetIndent("", "  ")
	return enc.Encode(jsonDocument{SchemaVersion: 1, Old: r.Old, New: r.New, Result: r})
}

// NewAtOrAbove counts the findings that are new at or above a severity, and the changed ones whose severity rose to
// it: what `--fail-on-new` fails a pipeline on.
func (r *Result) NewAtOrAbove(min assess.Severity) []FindingRef {
	var out []FindingRef
	for _, f := range r.FindingsNew {
		if s, err := assess.ParseSeverity(f.Severity); err == nil && s >= min {
			out = append(out, f)
		}
	}
	for _, c := range r.FindingsChanged {
		s, err1 := assess.ParseSeverity(c.Severity)
		was, err2 := assess.ParseSeverity(c.OldSeverity)
		if err1 == nil && err2 == nil && s >= min && was < min {
			out = append(out, c.FindingRef)
		}
	}
	return out
}
