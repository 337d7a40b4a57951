package ui

// The preview pane: on a wide terminal the identity list keeps the left and the selected identity's summary takes
// the right, as k9s and gh-dash do, so a reader sees the verdict without opening each identity. p turns it off and on.

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/miscope/miscope/data"
)

// previewMinWidth is the narrowest terminal that shows the preview: the list keeps 80 columns beside it.
const previewMinWidth = 140

// previewing says whether the preview pane shows beside the top view, and the list's width when it does.
func (m *Model) previewing(w int) (listW int, ok bool) {
	if m.hidePreview || w < previewMinWidth {
		return w, false
	}
	if _, ok := m.top().(*identitiesView); !ok {
		return w, false
	}
	return max(80, w*3/5), true
}

// withPreview joins the list's lines and the preview's, side by side, h lines of w cells.
func (m *Model) withPreview(list string, listW, w, h int) string {
	right := strings.Split(padLines(m.previewView(w-listW-3, h), h), "\n")
	left := strings.Split(padLines(list, h), "\n")
	var b strings.Builder
	sep := m.st.Dim.Render(" │ ")
	for i := range h {
		l := fitLine(left[i], listW)
		b.WriteString(l)
		b.WriteString(strings.Repeat(" ", max(0, listW-ansi.StringWidth(l))))
		b.WriteString(sep)
		b.WriteString(fitLine(right[i], w-listW-3))
		if i < h-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// previewView is the selected identity's summary: what it is, the verdict, what it holds and its findings.
func (m *Model) previewView(w, h int) string {
	_, id := m.list.Selected()
	if id == "" {
		return m.st.Dim.Render("No identity selected.")
	}
	ident, ok := m.list.identity(id)
	if !ok {
		return m.st.Dim.Render("No identity selected.")
	}
	var lines []string
	add := func(label, value string) {
		lines = append(lines, m.st.Dim.Render(label+" ")+shown(value))
	}
	lines = append(lines, m.st.Title.Render(shown(displayName(ident.DisplayName, ident.ID))))
	add("kind    ", string(ident.Kind))
	add("object  ", ident.ID)
	if ident.ResourceID != "" {
		add("resource", shortResource(ident.ResourceID))
	}
	a := m.as.result
	switch {
	case a == nil && m.as.err != nil:
		lines = append(lines, "", m.st.Error.Render("error: ")+"the assessment failed: "+errText(m.as.err))
		return strings.Join(lines, "\n")
	case a == nil:
		lines = append(lines, "", m.spinnerView()+" assessing…")
		return strings.Join(lines, "\n")
	}
	x := a.x
	f := a.fact(id)
	if f != nil {
		sev, _ := f.severity()
		rules, _ := a.r.Rules(id)
		verdict := sev
		if len(rules) > 0 {
			verdict += " · " + strings.Join(rules, " ")
		}
		if f.reach != "" {
			verdict += " · " + f.reach
		}
		add("verdict ", verdict)
		add("used    ", f.used)
	}
	holds := []string{
		data.Plural(len(x.Attached(id)), "attached resource", "attached resources"),
		data.Plural(len(x.Groups(id)), "group", "groups"),
		data.Plural(len(x.DirectoryRoles(id)), "directory role", "directory roles"),
		data.Plural(len(x.AppRoles(id)), "Graph permission", "Graph permissions"),
		data.Plural(len(x.AzureRoles(id)), "Azure role", "Azure roles"),
	}
	for n, part := range wrapped(strings.Join(holds, ", "), max(10, w-9)) {
		if n == 0 {
			add("holds   ", part)
		} else {
			lines = append(lines, "         "+part)
		}
	}
	if n := unreadableSections(x, id); n > 0 {
		lines = append(lines, m.st.Gap.Render(data.Plural(n, "part", "parts")+" not readable: what it holds may be more"))
	}
	lines = append(lines, "", m.st.Title.Render("Findings"))
	fs := a.r.For(id)
	if len(fs) == 0 {
		lines = append(lines, m.st.Dim.Render("none"))
	}
	for i, fd := range fs {
		if len(lines) >= h-1 {
			lines = append(lines, m.st.Dim.Render("… "+strconv.Itoa(len(fs)-i)+" more (enter opens the identity)"))
			break
		}
		for n, part := range wrapped(fd.Severity.String()+"  "+fd.Title, max(10, w)) {
			if n > 0 {
				part = "  " + part
			}
			lines = append(lines, part)
		}
	}
	return strings.Join(lines, "\n")
}
