package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/triage"
)

// sectionTitles are the headings of the per-identity sections, in the order data.Sections gives them.
var sectionTitles = map[data.Section]string{
	data.SectionAttached:             "Attached resources",
	data.SectionGroups:               "Groups",
	data.SectionDirectoryRoles:       "Directory roles",
	data.SectionAppRoles:             "Graph permissions",
	data.SectionAzureRoles:           "Azure roles",
	data.SectionFederatedCredentials: "Federated credentials",
}

const findingsSection = "Findings"

// sectionState is one section of the detail view: loading, failed (with what was read anyway), empty or ready.
type sectionState struct {
	loading bool
	err     error
	items   any // the typed slice the Source returned
}

// detailView is one identity: a header, then each section fetched on its own through the cache.
type detailView struct {
	id     string
	ident  data.Identity
	known  bool
	req    int
	secs   map[data.Section]*sectionState
	a      *assessment // the assessment when it is known
	asErr  error       // why the assessment failed, if it did
	cursor int         // position among the selectable entries
	offset int         // first line shown
	height int         // lines shown, for paging
	laid   laidLines   // the entries' lines as layout last wrapped them
	moved  bool        // the user has moved; until then the view stays at the top (or at focus) as sections arrive
	es     []entry     // the entries as of the last change (refresh)
	focus  string      // the fingerprint of the finding the view was opened at, "" for none
	tri    *triageState
	base   *baselineState
}

// entry is one line of the detail view, in a form both the screen and export read.
type entry struct {
	section string
	text    string // exact: layout cleans it
	detail  string // exact; shown dimmed after text
	style   entryStyle
	target  *pivotTarget // what enter lists; nil when the line is not selectable
	copyID  string       // what y copies
	finding *assess.Finding
	fp      string // the finding's fingerprint, for a and u
}

type entryStyle int

const (
	styleNormal entryStyle = iota
	styleHeading
	styleField
	styleLoading
	styleGap
	styleError
	styleNone
	styleFinding
	styleWrap // evidence and remediation: wrapped, indented
)

type sectionMsg struct {
	req   int
	id    string
	sec   data.Section
	items any
	err   error
}

// openIdentity opens the detail view of an identity and starts fetching its sections. When that identity is already
// open further down the stack (reached again through one of its own pivots), it goes back there rather than repeat
// it in the breadcrumb.
func (m *Model) openIdentity(id string) tea.Cmd { return m.openIdentityAt(id, "") }

// openIdentityAt opens an identity's detail view landed on the finding with fingerprint fp, its header at the top,
// until the user moves; fp "" lands at the top.
func (m *Model) openIdentityAt(id, fp string) tea.Cmd {
	for i, v := range m.stack {
		if d, ok := v.(*detailView); ok && data.SameID(d.id, id) {
			m.stack = m.stack[:i+1]
			if fp != "" {
				d.focus, d.moved = fp, false
			}
			return nil
		}
	}
	d := &detailView{id: id, focus: fp, secs: map[data.Section]*sectionState{}, a: m.as.result, asErr: m.as.err, tri: &m.tri, base: &m.base}
	if ident, ok := m.list.identity(id); ok {
		d.ident, d.known = ident, true
	} else if d.a != nil {
		if ident, ok := d.a.x.Identity(id); ok {
			d.ident, d.known = *ident, true
		}
	}
	if !d.known {
		d.ident = data.Identity{ID: id}
	}
	m.push(d)
	return d.load(m.pageContext)
}

// load fetches every section again; replies to an earlier load are dropped by the request id.
func (d *detailView) load(c *pageContext) tea.Cmd {
	d.req = c.nextReq()
	src, ctx, id, req := c.src, c.ctx, d.id, d.req
	var cmds []tea.Cmd
	for _, sec := range data.Sections {
		d.secs[sec] = &sectionState{loading: true}
		fetch := sectionFetcher(sec)
		cmds = append(cmds, func() tea.Msg {
			items, err := fetch(ctx, src, id)
			return sectionMsg{req: req, id: id, sec: sec, items: items, err: err}
		})
	}
	return tea.Batch(cmds...)
}

// sectionFetcher returns the cache call that answers a section.
func sectionFetcher(sec data.Section) func(context.Context, sectionSource, string) (any, error) {
	wrap := func(items any, err error) (any, error) { return items, err }
	switch sec {
	case data.SectionAttached:
		return func(ctx context.Context, s sectionSource, id string) (any, error) {
			return wrap(s.AttachedResources(ctx, id))
		}
	case data.SectionGroups:
		return func(ctx context.Context, s sectionSource, id string) (any, error) { return wrap(s.Groups(ctx, id)) }
	case data.SectionDirectoryRoles:
		return func(ctx context.Context, s sectionSource, id string) (any, error) {
			return wrap(s.DirectoryRoles(ctx, id))
		}
	case data.SectionAppRoles:
		return func(ctx context.Context, s sectionSource, id string) (any, error) { return wrap(s.AppRoles(ctx, id)) }
	case data.SectionAzureRoles:
		return func(ctx context.Context, s sectionSource, id string) (any, error) { return wrap(s.AzureRoles(ctx, id)) }
	default:
		return func(ctx context.Context, s sectionSource, id string) (any, error) {
			return wrap(s.FederatedCredentials(ctx, id))
		}
	}
}

// sectionSource is the part of data.Source the detail view reads.
type sectionSource interface {
	AttachedResources(ctx context.Context, identityID string) ([]data.Resource, error)
	Groups(ctx context.Context, identityID string) ([]data.GroupMembership, error)
	DirectoryRoles(ctx context.Context, identityID string) ([]data.DirectoryRole, error)
	AppRoles(ctx context.Context, identityID string) ([]data.AppRoleAssignment, error)
	AzureRoles(ctx context.Context, identityID string) ([]data.AzureRole, error)
	FederatedCredentials(ctx context.Context, identityID string) ([]data.FederatedCredential, error)
}

func (d *detailView) apply(msg sectionMsg) {
	if msg.req != d.req || msg.id != d.id {
		return // a reply to an earlier load
	}
	d.secs[msg.sec] = &sectionState{items: msg.items, err: msg.err}
	if !d.moved {
		d.cursor, d.offset = 0, 0
	}
}

func (d *detailView) assessed(a *assessment) {
	d.a = a
	if !d.known {
		if ident, ok := a.x.Identity(d.id); ok {
			d.ident, d.known = *ident, true
		}
	}
}

// unreadable counts the sections of the identity that could not be read: those that failed here, or, before they
// arrive, those the assessment's read could not see.
func (d *detailView) unreadable() int {
	n, loaded := 0, 0
	for _, st := range d.secs {
		if st.loading {
			continue
		}
		loaded++
		if st.err != nil {
			n++
		}
	}
	if loaded == 0 && d.a != nil {
		return unreadableSections(d.a.x, d.id)
	}
	return n
}

func (d *detailView) busy() bool {
	for _, s := range d.secs {
		if s.loading {
			return true
		}
	}
	return false
}

func (d *detailView) name() string { return displayName(d.ident.DisplayName, d.id) }

func (d *detailView) kind() string  { return "identity" }
func (d *detailView) crumb() string { return d.name() }
func (d *detailView) counts() string {
	return ""
}

// title names the identity and, when the line under the cursor pivots, what enter and o do there.
func (d *detailView) title(c *pageContext) string {
	pivot, role := d.pivots()
	var what []string
	if pivot {
		what = append(what, c.keys.Open.Help().Key+": who shares it")
	}
	if role {
		what = append(what, c.keys.PivotRole.Help().Key+": others with the role")
	}
	title := c.st.Title.Render(shown(d.name())) + d.verdict(c)
	hint := c.st.Dim.Render("  " + strings.Join(what, " · "))
	// The verdict comes first; the pivot hint, which the footer also gives, only where it fits whole.
	if len(what) == 0 || ansi.StringWidth(title+hint) > c.width {
		return title
	}
	return title + hint
}

// verdict leads the view with what the assessment says of the identity, short enough to share the title line at 80
// columns: its worst severity, the rules of its findings, and what it can reach ("critical · MI-PATH MI-EXPOSED×2 ·
// tenant admin"); "" until the assessment is known.
func (d *detailView) verdict(c *pageContext) string {
	if d.a == nil {
		return ""
	}
	f := d.a.fact(d.id)
	if f == nil {
		return ""
	}
	text, _ := f.severity()
	sev := c.st.Dim.Render(text)
	if f.count > 0 {
		sev = c.st.Severity[f.sev].Render(text)
	}
	var parts []string
	if f.count > 0 {
		// Each rule once, with how many findings it gave when more than one: the count without the width.
		rules, counts := d.a.r.Rules(d.id)
		for i, r := range rules {
			if counts[i] > 1 {
				rules[i] = r + "×" + strconv.Itoa(counts[i])
			}
		}
		parts = append(parts, strings.Join(rules, " "))
	}
	if f.reach != "" {
		parts = append(parts, f.reach)
	}
	if len(parts) == 0 {
		return "  " + sev
	}
	return "  " + sev + c.st.Dim.Render(" · "+shown(strings.Join(parts, " · ")))
}

// pivots reports whether enter (who shares it) and o (others with the Azure role) mean anything on the selected line.
func (d *detailView) pivots() (pivot, role bool) {
	es := d.lines()
	if e := d.current(es, selectable(es)); e != nil && e.target != nil {
		return true, e.target.kind == pivotScope
	}
	return false, false
}

func (d *detailView) hints(c *pageContext) []key.Binding {
	hs := c.keys.detailHints(d.pivots())
	if es := d.lines(); d.current(es, selectable(es)) != nil && d.current(es, selectable(es)).finding != nil {
		hs = append([]key.Binding{hint(c.keys.Decide, "decide"), hint(c.keys.Reopen, "reopen")}, hs...)
	}
	return hs
}

// refresh builds the entries again after a change: the root calls it once per message for the view on top, so a
// frame (render, footer, hints) reads them and never builds them.
func (d *detailView) refresh() { d.es = d.entries() }

// lines are the entries as of the last change.
func (d *detailView) lines() []entry {
	if d.es == nil {
		d.refresh()
	}
	return d.es
}

// entries lists everything the view shows, in order.
func (d *detailView) entries() []entry {
	var es []entry
	id := d.ident
	field := func(name, value string) {
		if value == "" {
			value = "—"
		}
		es = append(es, entry{section: "Identity", text: name, detail: value, style: styleField})
	}
	// A system-assigned identity's resource is what it is attached to, so enter lists who else is attached there. A
	// user-assigned identity's resource is the identity itself: nothing is attached to it, and the resources that use
	// it are listed under Attached resources, each of which pivots.
	resource := func(value string) {
		field("Resource", value)
		if value != "" {
			e := &es[len(es)-1]
			e.copyID = e.detail
			if id.Kind == data.UserAssigned {
				return
			}
			e.target = &pivotTarget{kind: pivotResource, id: value, label: data.ResourceName(value)}
		}
	}
	field("Name", id.DisplayName)
	field("Kind", string(id.Kind))
	field("Object id", id.ID)
	field("App id", id.AppID)
	resource(id.ResourceID)
	sub := id.SubscriptionID()
	if d.a != nil && sub != "" {
		for _, s := range d.a.x.Tenant.Subscriptions {
			if data.SameID(s.ID, id.SubscriptionID()) && s.DisplayName != "" {
				sub = s.DisplayName + " (" + sub + ")"
			}
		}
	}
	field("Subscription", sub)
	switch {
	case d.a != nil:
		reach := "—"
		if r, ok := d.a.r.Reach[id.ID]; ok {
			reach = r.Label
			if r.Detail != "" {
				reach += ": " + r.Detail
			}
		}
		field("Reach", reach)
	case d.asErr != nil:
		field("Reach", "unknown: the assessment failed")
	default:
		field("Reach", "assessing…")
	}
	for _, sec := range data.Sections {
		title := sectionTitles[sec]
		es = append(es, entry{section: title, text: title, style: styleHeading})
		st := d.secs[sec]
		switch {
		case st == nil || st.loading:
			es = append(es, entry{section: title, text: "loading…", style: styleLoading})
			continue
		}
		items := d.sectionEntries(sec, st.items)
		es = append(es, items...)
		es = append(es, d.base.sectionChanges(d.id, sec, title)...)
		if st.err != nil {
			style := styleError
			text := "error: " + errText(st.err)
			if _, ok := data.AsGap(st.err); ok {
				style, text = styleGap, errText(st.err)
			}
			es = append(es, entry{section: title, text: text, style: style})
		} else if len(items) == 0 {
			es = append(es, entry{section: title, text: "none", style: styleNone})
		}
	}
	es = append(es, d.usageEntries()...)
	es = append(es, entry{section: findingsSection, text: findingsSection, style: styleHeading})
	switch {
	case d.a != nil:
		fs := d.a.r.For(d.id)
		if n := d.unreadable(); n > 0 {
			// No finding in what was read is not no finding: say the list is incomplete, and how.
			text := data.Plural(n, "part", "parts") + " not readable, so this is incomplete"
			if len(fs) == 0 {
				text = "none found — " + text
			}
			es = append(es, entry{section: findingsSection, text: text, style: styleGap})
		} else if len(fs) == 0 {
			es = append(es, entry{section: findingsSection, text: "none", style: styleNone})
		}
		for _, f := range fs {
			fp := f.Fingerprint()
			st, note := d.tri.note(fp)
			// What the finding's decision and the baseline say of it lead its title: the severity column is narrow.
			var marks []string
			if st != triage.Open {
				marks = append(marks, string(st))
			}
			if ch := d.base.findingChange(d.a, &f); ch != "" {
				marks = append(marks, ch+" since the baseline")
			}
			title := f.Title
			if len(marks) > 0 {
				title = "[" + strings.Join(marks, ", ") + "] " + title
			}
			// y on the finding copies its fix as one line to paste, or its identity's id when it has none.
			cmds, all := fixLines(&f)
			copyID := f.IdentityID
			if all != "" {
				copyID = all
			}
			es = append(es, entry{section: findingsSection, text: f.Severity.String(), detail: title,
				style: styleFinding, copyID: copyID, finding: &f, fp: fp})
			if note != "" {
				es = append(es, entry{section: findingsSection, text: "decision", detail: note, style: styleWrap})
			}
			for n, e := range f.Evidence {
				es = append(es, entry{section: findingsSection, text: evidenceLabel(f, n, e.Kind), detail: e.Text,
					style: styleWrap})
			}
			if f.Remediation != "" {
				es = append(es, entry{section: findingsSection, text: "fix", detail: f.Remediation,
					style: styleWrap})
			}
			for _, c := range cmds {
				es = append(es, entry{section: findingsSection, text: "run", detail: c.shown, style: styleWrap, copyID: c.line})
			}
		}
	case d.asErr != nil:
		es = append(es, entry{section: findingsSection, text: "error: the assessment failed: " + errText(d.asErr),
			style: styleError})
	default:
		es = append(es, entry{section: findingsSection, text: "assessing…", style: styleLoading})
	}
	return es
}

// sectionEntries turns a section's items into selectable lines.
func (d *detailView) sectionEntries(sec data.Section, items any) []entry {
	title := sectionTitles[sec]
	var es []entry
	add := func(text, detail string, t *pivotTarget, copyID string) {
		es = append(es, entry{section: title, text: text, detail: detail, target: t, copyID: copyID})
	}
	switch items := items.(type) {
	case []data.Resource:
		for _, r := range items {
			detail := r.Type
			if rg := data.ResourceGroupOf(r.ID); rg != "" {
				detail += " · rg " + rg
			}
			add(r.Name, detail, &pivotTarget{kind: pivotResource, id: r.ID, label: r.Name}, r.ID)
		}
	case []data.GroupMembership:
		for _, g := range items {
			var tags []string
			if g.Transitive {
				tags = append(tags, "transitive")
			} else {
				tags = append(tags, "direct")
			}
			if g.RoleAssignable {
				tags = append(tags, "role-assignable")
			}
			name := g.DisplayName
			add(name, strings.Join(tags, " · "), &pivotTarget{kind: pivotGroup, id: g.ID, label: name}, g.ID)
		}
	case []data.DirectoryRole:
		for _, r := range items {
			scope := "tenant-wide"
			if r.DirectoryScopeID != "" && r.DirectoryScopeID != "/" {
				scope = "scope " + r.DirectoryScopeID
			}
			name := r.RoleName
			detail := strings.Join([]string{scope, string(r.State), d.via(r.Via)}, " · ")
			add(name, detail, &pivotTarget{kind: pivotDirectoryRole, id: r.RoleTemplateID, label: name}, r.RoleTemplateID)
		}
	case []data.AppRoleAssignment:
		for _, p := range items {
			perm := p.Permission
			if perm == "" {
				perm = "app role " + p.AppRoleID + " (name not readable)"
			}
			api := p.ResourceDisplayName
			if api == "" {
				api = p.ResourceAppID
			}
			add(perm, api, &pivotTarget{kind: pivotPermission, id: p.ResourceAppID + "|" + p.AppRoleID, extra: p.Permission,
				label: perm}, p.AppRoleID)
		}
	case []data.AzureRole:
		for _, r := range items {
			text := breadth(d.a, r.Scope) + " " + r.RoleName
			detail := r.Scope + " · " + d.via(r.Via)
			if r.Condition != "" {
				detail += " · with condition"
			}
			add(text, detail, &pivotTarget{kind: pivotScope, id: r.Scope, extra: r.RoleDefinitionID,
				label: r.Scope, role: r.RoleName}, r.Scope)
		}
	case []data.FederatedCredential:
		for _, f := range items {
			subject := f.Subject
			if subject == "" && f.ClaimsMatchingExpression != "" {
				subject = "matches " + f.ClaimsMatchingExpression
			}
			add(f.Name, f.Issuer+" · "+subject, nil, f.Subject)
		}
	}
	return es
}

// via says how a role is held, naming the group when the assessment knows it.
func (d *detailView) via(v string) string {
	if v == data.ViaDirect || v == "" {
		return "direct"
	}
	g := strings.TrimPrefix(v, "group:")
	if d.a != nil {
		if grp, ok := d.a.x.Group(g); ok && grp.DisplayName != "" {
			return "via group " + grp.DisplayName
		}
	}
	return "via group " + g
}

// breadth tags a scope with how wide it is.
func breadth(a *assessment, scope string) string {
	l := data.LevelOf(scope)
	if a != nil {
		l = a.x.Level(scope)
	}
	switch l {
	case data.ScopeRootManagementGroup:
		return "[root]"
	case data.ScopeManagementGroup:
		return "[mg]"
	case data.ScopeSubscription:
		return "[sub]"
	case data.ScopeResourceGroup:
		return "[rg]"
	case data.ScopeResource:
		return "[res]"
	}
	return "[?]"
}

// laidLines are the detail view's lines at a width.
type laidLines struct {
	lines []line
	w     int
}

// line is one rendered line of the view, with the entry it belongs to.
type line struct {
	text  string
	entry int
}

// textLines turns entries into lines of width w; long evidence wraps. It is where the view's tenant text is cleaned.
func (d *detailView) textLines(c *pageContext, es []entry, w int) []line {
	var ls []line
	for i, e := range es {
		st := &c.st
		e.text, e.detail = shown(e.text), shown(e.detail)
		if e.style == styleLoading {
			e.text = c.spinnerView() + " " + e.text
		}
		switch e.style {
		case styleHeading:
			if len(ls) > 0 {
				ls = append(ls, line{"", -1})
			}
			ls = append(ls, line{st.Section.Render(e.text), i})
		case styleField:
			for n, part := range strings.Split(wrapText(e.detail, max(10, w-16)), "\n") {
				p := strings.Repeat(" ", 16)
				if n == 0 {
					p = "  " + fit(e.text+":", 14, false)
				}
				ls = append(ls, line{p + part, i})
			}
		case styleGap:
			ls = append(ls, line{"  " + st.Gap.Render(e.text), i})
		case styleError:
			ls = append(ls, line{"  " + st.Error.Render(e.text), i})
		case styleNone, styleLoading:
			ls = append(ls, line{"  " + st.Dim.Render(e.text), i})
		case styleFinding:
			sev, _ := assess.ParseSeverity(e.text)
			wrapped := wrapText(e.detail, max(10, w-11))
			for n, part := range strings.Split(wrapped, "\n") {
				p := strings.Repeat(" ", 11)
				if n == 0 {
					p = "  " + st.Severity[sev].Render(fit(e.text, 9, false))
				}
				ls = append(ls, line{p + part, i})
			}
		case styleWrap:
			prefix := "      " + fit(e.text, 9, false)
			wrapped := wrapText(e.detail, max(10, w-len(prefix)))
			for n, part := range strings.Split(wrapped, "\n") {
				p := strings.Repeat(" ", len(prefix))
				if n == 0 {
					p = st.Dim.Render(prefix)
				}
				ls = append(ls, line{p + part, i})
			}
		default:
			txt := "  " + e.text
			if e.detail != "" {
				txt += "  " + st.Dim.Render(e.detail)
			}
			ls = append(ls, line{txt, i})
		}
	}
	return ls
}

// selectable returns the indices of the entries the cursor can rest on.
func selectable(es []entry) []int {
	var out []int
	for i, e := range es {
		if e.target != nil || e.copyID != "" {
			out = append(out, i)
		}
	}
	return out
}

// layout fits the view to w x h cells from Update: the cursor on a selectable line (on the chosen finding when the
// view was opened at one, until the user moves) and that line scrolled into view. render only draws.
func (d *detailView) layout(c *pageContext, w, h int) {
	d.height = h
	es := d.lines()
	ls := d.textLines(c, es, w)
	d.laid = laidLines{ls, w}
	sel := selectable(es)
	atFocus := false
	if d.focus != "" && !d.moved {
		for k, i := range sel {
			if es[i].finding != nil && es[i].fp == d.focus && es[i].style == styleFinding {
				d.cursor, atFocus = k, true
				break
			}
		}
	}
	d.cursor = max(0, min(d.cursor, len(sel)-1))
	if len(sel) > 0 {
		first, last := -1, -1
		for n, l := range ls {
			if l.entry == sel[d.cursor] {
				if first < 0 {
					first = n
				}
				last = n
			}
		}
		if first < d.offset || atFocus {
			d.offset = first
		}
		if last >= d.offset+h {
			d.offset = last - h + 1
		}
	}
	d.offset = max(0, min(d.offset, len(ls)-h))
}

func (d *detailView) render(c *pageContext, w, h int) string {
	// The entries are built once per change (refresh), and their lines, the cursor and scrolling by layout.
	es := d.lines()
	ls := d.laid.lines
	if d.laid.w != w || ls == nil {
		ls = d.textLines(c, es, w)
	}
	cur := -1
	if sel := selectable(es); len(sel) > 0 {
		cur = sel[max(0, min(d.cursor, len(sel)-1))]
	}
	offset := max(0, min(d.offset, len(ls)-h))
	var b strings.Builder
	end := min(len(ls), offset+h)
	for n := offset; n < end; n++ {
		l := ls[n]
		txt := l.text
		if cur >= 0 && l.entry == cur {
			plain := ansi.Strip(txt)
			if n == 0 || ls[n-1].entry != cur { // the marker goes on the entry's first line only
				plain = "›" + strings.TrimPrefix(plain, " ")
			}
			txt = c.st.Selected.Render(fit(plain, w, false))
		} else {
			txt = fitLine(txt, w)
		}
		if n > offset {
			b.WriteByte('\n')
		}
		b.WriteString(txt)
	}
	return b.String()
}

func (d *detailView) key(c *pageContext, msg tea.KeyPressMsg) tea.Cmd {
	k := c.keys
	d.moved = true
	es := d.lines()
	sel := selectable(es)
	page := max(1, d.height)
	moveBy := func(n int) {
		if len(sel) == 0 {
			d.offset = max(0, d.offset+n)
			return
		}
		d.cursor = max(0, min(len(sel)-1, d.cursor+n))
	}
	switch {
	case key.Matches(msg, k.Up):
		moveBy(-1)
	case key.Matches(msg, k.Down):
		moveBy(1)
	case key.Matches(msg, k.Top):
		d.cursor, d.offset = 0, 0
	case key.Matches(msg, k.Bottom):
		d.cursor, d.offset = max(0, len(sel)-1), 1<<30
	case key.Matches(msg, k.HalfDown):
		d.offset += page / 2
		moveBy(page / 2)
	case key.Matches(msg, k.HalfUp):
		d.offset = max(0, d.offset-page/2)
		moveBy(-page / 2)
	case key.Matches(msg, k.PageDown):
		d.offset += page
		moveBy(page)
	case key.Matches(msg, k.PageUp):
		d.offset = max(0, d.offset-page)
		moveBy(-page)
	case key.Matches(msg, k.Open):
		if e := d.current(es, sel); e != nil && e.target != nil {
			return c.ask(openPivotMsg{target: *e.target})
		}
	case key.Matches(msg, k.Decide), key.Matches(msg, k.Reopen):
		e := d.current(es, sel)
		if e == nil || e.finding == nil {
			return c.ask(flashMsg{text: "move to a finding (under Findings) to decide on it"})
		}
		cmd, _ := c.triageKeyOf(msg, e.finding, e.fp)
		return cmd
	case key.Matches(msg, k.PivotRole):
		if e := d.current(es, sel); e != nil && e.target != nil && e.target.kind == pivotScope {
			return c.ask(openPivotMsg{target: pivotTarget{kind: pivotRole, id: e.target.extra, label: e.target.role}})
		}
		return c.ask(flashMsg{text: c.keys.PivotRole.Help().Key + " lists others with an Azure role: move to a line under Azure roles"})
	}
	return nil
}

func (d *detailView) current(es []entry, sel []int) *entry {
	if d.cursor < 0 || d.cursor >= len(sel) {
		return nil
	}
	return &es[sel[d.cursor]]
}

// Table is the identity with every section, including which sections were not readable.
func (d *detailView) Table() (string, []string, [][]string) {
	var rows [][]string
	for _, e := range d.entries() {
		if e.style == styleHeading {
			continue
		}
		text := e.text
		if e.style == styleLoading {
			text = "loading"
		}
		rows = append(rows, []string{e.section, ansi.Strip(text), e.detail})
	}
	return "Identity " + d.name(), []string{"SECTION", "ITEM", "DETAIL"}, rows
}

// Selected is the line under the cursor, or the identity itself.
func (d *detailView) Selected() (string, string) {
	es := d.entries()
	if e := d.current(es, selectable(es)); e != nil && e.copyID != "" {
		label := ansi.Strip(e.text)
		switch {
		case e.target != nil:
			label = e.target.label
		case e.style == styleFinding && e.finding != nil && e.copyID != e.finding.IdentityID:
			label = "the fix commands of " + d.name() + "'s finding"
		case e.style == styleFinding:
			label = "the object id of " + d.name()
		case e.text == "run":
			label = "the command"
		}
		return label, e.copyID
	}
	return d.name(), d.id
}

// evidenceLabel heads one line of a finding's evidence: a privilege path reads as its numbered steps and what it
// reaches, anything else as evidence.
func evidenceLabel(f assess.Finding, n int, kind assess.EvidenceKind) string {
	switch {
	case kind == assess.EvidencePathStep:
		return fmt.Sprintf("step %d", n+1)
	case f.RuleID == assess.RulePath && n == len(f.Evidence)-1:
		return "reaches"
	}
	return "evidence"
}

// fixCommand is one command of a finding's fix as the detail view shows it: the line to paste (empty when an argument
// cannot be pasted safely) and what the view shows, its note included.
type fixCommand struct{ line, shown string }

// fixLines lists a finding's fix commands and joins those that can be pasted into one line, in order, each run only
// if the one before succeeded.
func fixLines(f *assess.Finding) ([]fixCommand, string) {
	var out []fixCommand
	cmds := f.Commands()
	for _, c := range cmds {
		line, ok := c.Line()
		shown := line
		if !ok {
			shown = "(not shown: an argument holds characters that cannot be pasted safely)"
		}
		if c.Note != "" {
			shown = c.Note + ": " + shown
		}
		out = append(out, fixCommand{line: line, shown: shown})
	}
	all, _ := assess.PasteLine(cmds)
	return out, all
}
