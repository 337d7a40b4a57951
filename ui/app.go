// Package ui is miscope's terminal explorer: a Bubble Tea program that lists every managed identity of a tenant,
// opens one to show what it can do and why that is dangerous, pivots to every identity that shares a group, role or
// scope, and lists the findings of the background assessment. It reads only through the cached fetch layer and never
// speaks HTTP; every fetch runs in a command and every string from the tenant is cleaned where it is drawn (text.go).
package ui

import (
	"cmp"
	"context"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/cache"
	"github.com/miscope/miscope/data/triage"
)

// Options configure one TUI. The zero value of every field but Source is usable.
type Options struct {
	// Source is what the TUI reads; the same cache can serve many TUIs at once (one per SSH session).
	Source *cache.Cache
	// ExportDir is where exports go; "" is the current folder.
	ExportDir string
	// Served is true inside `miscope serve`: there is no local clipboard and exports go only into ExportDir.
	Served bool
	// Now is the clock for export names and decisions' dates and expiry; nil means time.Now.
	Now func() time.Time
	// Triage is the triage file decisions are read from and written to; "" means triage.DefaultPath.
	Triage string
	// Baseline, when set, is an earlier read of the tenant: what changed since is marked and can be shown alone.
	Baseline *cache.Cache
	// Who names whoever takes decisions in this explorer: the --as name, the signed-in user, or the SSH user and
	// key of a served session.
	Who string
}

// Tabular is what every view says about itself, so export and copy take exactly what it shows: its rows after filter
// and sort, and the item under the cursor.
type Tabular interface {
	// Table returns the view's title, column names and rows, every cell exactly as the tenant spells it and in full
	// (each export format makes it safe its own way).
	Table() (title string, columns []string, rows [][]string)
	// Selected names the item under the cursor and its id (object id, resource id, scope, finding); both are ""
	// when nothing is selected.
	Selected() (label, id string)
}

// view is one screen of the routing stack.
type view interface {
	Tabular
	// kind names the view in export file names: identities, identity, findings, pivot.
	kind() string
	// crumb is the view's part of the breadcrumb.
	crumb() string
	// title is the line above the view's body.
	title(c *pageContext) string
	// counts is the selected position for the status bar ("12/45", "3/10 of 45"), or "".
	counts() string
	render(c *pageContext, w, h int) string
	// key handles a key press the root did not take; it returns nil when the key means nothing here.
	key(c *pageContext, msg tea.KeyPressMsg) tea.Cmd
	// hints are the keys the footer offers here, most useful first.
	hints(c *pageContext) []key.Binding
}

// Model is the root of the program: it owns routing (list, detail, pivots, findings, help), focus, layout, the
// status bar and the background assessment. Create it with New.
type Model struct {
	*pageContext
	cancel context.CancelFunc

	stack       []view
	showHelp    bool
	hidePreview bool // p turned the preview pane off

	list *identitiesView

	spinning bool

	flash     string
	flashErr  bool
	flashGen  int
	noticeGen int // the flash that a NoticeMsg set, so clearing the notice leaves a newer message alone

	exp exportState
}

// pageContext is what every page shares and reads, handed to each (as soft-serve's common context is): options,
// the cache, keys, styles, the size, the shared assessment, triage decisions, the baseline, and the way to ask the
// root for what only it does (ask). Pages never see the root Model.
type pageContext struct {
	opts Options
	src  *cache.Cache
	keys keyMap
	st   styles
	ctx  context.Context

	width, height int

	as   assessState
	tri  triageState
	base baselineState

	spin spinner.Model
	seq  int       // request ids, so replies to requests no longer wanted are dropped
	asks []tea.Msg // what pages asked the root for while handling a message (ask)
}

// New creates the root model over opts.Source.
func New(opts Options) *Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Model{
		pageContext: &pageContext{
			opts:   opts,
			src:    opts.Source,
			keys:   defaultKeys(),
			st:     defaultStyles(),
			ctx:    ctx,
			width:  80,
			height: 24,
			spin:   spinner.New(spinner.WithSpinner(spinner.MiniDot)),
		},
		cancel: cancel,
	}
	m.tri = triageState{path: cmp.Or(opts.Triage, triage.DefaultPath), who: cmp.Or(opts.Who, "unknown"), now: opts.Now}
	m.list = newIdentitiesView()
	m.base.src = opts.Baseline
	m.list.t.keep = m.base.keepIdentity
	if opts.Baseline != nil {
		m.list.t.cols = append(m.list.t.cols, changeColumn)
		m.list.t.content = append(m.list.t.content, 0)
	}
	m.stack = []view{m.list}
	return m
}

// Close stops every fetch the model started. The program calls it when it ends; a server calls it when a session
// ends.
func (m *Model) Close() { m.cancel() }

// Init starts streaming the identity list and the background assessment.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.loadList(), m.startAssessment(), m.startSpinner(), m.loadTriage(), m.loadBaseline())
}

func (c *pageContext) nextReq() int { c.seq++; return c.seq }

func (m *Model) top() view { return m.stack[len(m.stack)-1] }

// push opens a view on top of the stack.
func (m *Model) push(v view) { m.stack = append(m.stack, v) }

// back closes the top view; the identity list is never closed.
func (m *Model) back() {
	if len(m.stack) > 1 {
		m.stack = m.stack[:len(m.stack)-1]
	}
}

// busy reports whether anything on screen is waiting for data, which is what keeps the spinner turning.
func (m *Model) busy() bool {
	if m.list.loading || m.as.running {
		return true
	}
	for _, v := range m.stack {
		if b, ok := v.(interface{ busy() bool }); ok && b.busy() {
			return true
		}
	}
	return false
}

func (m *Model) startSpinner() tea.Cmd {
	if m.spinning || !m.busy() {
		return nil
	}
	m.spinning = true
	return m.spin.Tick
}

// flashClearMsg clears a status message after a while, unless a newer one replaced it.
type flashClearMsg struct{ gen int }

// NoticeMsg shows Text in the status bar as a warning until another NoticeMsg replaces it, or clears it with an empty
// Text. The SSH server sends it, for example to say that an idle session is about to close.
type NoticeMsg struct{ Text string }

// setFlash shows a message in the status bar. Messages carry names and paths from the tenant and the user: the
// status bar cleans them where it draws them.
func (m *Model) setFlash(s string, isErr bool) tea.Cmd {
	m.flash, m.flashErr = s, isErr
	m.flashGen++
	gen := m.flashGen
	return tea.Tick(5*time.Second, func(time.Time) tea.Msg { return flashClearMsg{gen} })
}

// Update routes every message. It never does I/O: fetches run in the commands it returns.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	for len(m.asks) > 0 {
		a := m.asks[0]
		m.asks = m.asks[1:]
		cmd = tea.Batch(cmd, m.update(a))
	}
	if d, ok := m.top().(*detailView); ok {
		d.refresh() // once per change, here rather than in every part of the frame that reads them
	}
	m.layout()
	return m, tea.Batch(cmd, m.startSpinner())
}

// Pages ask the root for what only the root does, the stack and the status line, with these messages rather than by
// calling it: a page knows what it wants, the root where it goes.
type (
	openIdentityMsg struct{ id, fingerprint string } // open an identity, at a finding when fingerprint is set
	openPivotMsg    struct{ target pivotTarget }     // list the identities that share a group, role, scope...
	openFindingsMsg struct{ query string }           // the findings pane, filtered by query
	flashMsg        struct {                         // a line in the status bar
		text  string
		isErr bool
	}
)

// ask posts a page's request to the root, which takes it as soon as the page's handler returns, before the next key:
// a key typed ahead (enter, then o) reaches the page the first one opened.
func (c *pageContext) ask(msg tea.Msg) tea.Cmd {
	c.asks = append(c.asks, msg)
	return nil
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case openIdentityMsg:
		return m.openIdentityAt(msg.id, msg.fingerprint)
	case openPivotMsg:
		return m.openPivot(msg.target)
	case openFindingsMsg:
		cmd := m.openFindings()
		if fv, ok := m.top().(*findingsView); ok && msg.query != "" {
			fv.f.setQuery(msg.query)
		}
		return cmd
	case flashMsg:
		return m.setFlash(msg.text, msg.isErr)
	case decideMsg:
		cmd, _ := m.triageKey(msg.key, msg.f, msg.fp)
		return cmd
	}
	if cmd, ok := m.exp.exportUpdate(m.exportEnv(), msg); ok {
		return cmd
	}
	if cmd, ok := m.triageUpdate(msg); ok {
		return cmd
	}
	if cmd, ok := m.baselineUpdate(msg); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.fitForm(msg.Width)
		return nil
	case spinner.TickMsg:
		if !m.busy() {
			m.spinning = false
			return nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return cmd
	case flashClearMsg:
		if msg.gen == m.flashGen {
			m.flash = ""
		}
		return nil
	case NoticeMsg:
		if msg.Text != "" {
			m.flash, m.flashErr = msg.Text, true
			m.flashGen++
			m.noticeGen = m.flashGen
		} else if m.noticeGen == m.flashGen {
			m.flash = ""
		}
		return nil
	case mailMsg:
		return m.mail(msg)
	case sortedMsg:
		msg.t.applySorted(msg)
		return nil
	case listReloadMsg:
		return tea.Batch(m.loadList(), m.startAssessment())
	// Replies go to the view that asked, wherever it is in the stack now; a closed view's replies go to nobody.
	case sectionMsg:
		for _, v := range m.stack {
			if d, ok := v.(*detailView); ok && d.req == msg.req {
				d.apply(msg)
			}
		}
		return nil
	case detailRefreshedMsg:
		var cmds []tea.Cmd
		for _, v := range m.stack {
			if d, ok := v.(*detailView); ok && d.id == msg.id {
				cmds = append(cmds, d.load(m.pageContext))
			}
		}
		return tea.Batch(cmds...)
	case pivotMsg:
		for _, v := range m.stack {
			if p, ok := v.(*pivotView); ok && p.req == msg.req {
				p.apply(msg)
			}
		}
		return nil
	case tea.PasteMsg:
		if f := m.filterOf(m.top()); f != nil && f.typing {
			f.setQuery(f.query + data.CleanInput(msg.Content))
		}
		return nil
	case tea.KeyPressMsg:
		return m.keyPress(msg)
	}
	return nil
}

func (m *Model) keyPress(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if key.Matches(msg, k.ForceQuit) {
		m.cancel()
		return tea.Quit
	}
	if m.showHelp {
		if key.Matches(msg, k.Help, k.Back, k.Quit) {
			m.showHelp = false
		}
		return nil
	}
	v := m.top()
	if f := m.filterOf(v); f != nil && f.typing {
		if cmd, ok := f.typeKey(m.pageContext, msg); ok {
			return cmd
		}
	}
	switch {
	case key.Matches(msg, k.Help):
		m.showHelp = true
		return nil
	case key.Matches(msg, k.Quit):
		if len(m.stack) == 1 {
			m.cancel()
			return tea.Quit
		}
		m.back()
		return nil
	case key.Matches(msg, k.Back):
		if f := m.filterOf(v); f != nil && f.query != "" {
			f.setQuery("")
			return nil
		}
		m.back()
		return nil
	case key.Matches(msg, k.Filter):
		if f := m.filterOf(v); f != nil {
			f.typing = true
		}
		return nil
	case key.Matches(msg, k.Findings):
		return m.openFindings()
	case key.Matches(msg, k.Candidates):
		return m.openCandidates()
	case key.Matches(msg, k.Preview):
		m.hidePreview = !m.hidePreview
		return nil
	case key.Matches(msg, k.Changed):
		return m.toggleChanged()
	case key.Matches(msg, k.Refresh):
		return m.refresh()
	case key.Matches(msg, k.Gaps):
		return m.openGaps()
	case key.Matches(msg, k.Export):
		return m.exp.startExport(m.exportEnv())
	case key.Matches(msg, k.Copy):
		return m.copySelected()
	case key.Matches(msg, k.CopyView):
		return m.copyView()
	}
	return v.key(m.pageContext, msg)
}

// filterOf returns the filter of a view that has one.
func (m *Model) filterOf(v view) *filterLine { return filterOf(v) }

// filterOf is a view's filter line, or nil when it has none.
func filterOf(v view) *filterLine {
	if f, ok := v.(interface{ filterLine() *filterLine }); ok {
		return f.filterLine()
	}
	return nil
}

// mail handles what a stream delivered and waits for more unless it is finished.
func (m *Model) mail(msg mailMsg) tea.Cmd {
	var cmds []tea.Cmd
	switch msg.box {
	case m.list.box:
		cmds = append(cmds, m.list.receive(m.pageContext, msg.msgs, msg.done))
	case m.as.box:
		cmds = append(cmds, m.as.receive(m, msg.msgs))
	default:
		return nil // a stream that was replaced by a reload
	}
	if !msg.done {
		cmds = append(cmds, msg.box.next(m.ctx))
	}
	return tea.Batch(cmds...)
}

// refresh forgets the cached answers behind the current view and reads them again. Forgetting can touch the disk
// cache, so it runs in a command.
func (m *Model) refresh() tea.Cmd {
	src := m.src
	switch info := src.Info(); info.Origin {
	case data.OriginDemo:
		return m.setFlash("the demo tenant is built in: there is nothing to read again", false)
	case data.OriginSnapshot:
		return m.setFlash("a snapshot does not change: collect a new one to see the tenant now", false)
	}
	if d, ok := m.top().(*detailView); ok {
		id := d.id
		return func() tea.Msg { src.Refresh(id); return detailRefreshedMsg{id} }
	}
	return func() tea.Msg { src.Refresh(""); return listReloadMsg{} }
}

type listReloadMsg struct{}

type detailRefreshedMsg struct{ id string }

// View lays out breadcrumb, title, body, key hints and status bar.
func (m *Model) View() tea.View {
	// The frame is cleaned at the edge as well as each tenant string where it is laid out (text.go): whatever
	// reached a view uncleaned still cannot drive the terminal or reorder the text around it.
	v := tea.NewView(data.CleanFrame(m.render()))
	v.AltScreen = true
	v.WindowTitle = "miscope"
	return v
}

// laidOut is a view Update fits to the body. Every view is one; the list below keeps a change of the method's
// signature from quietly leaving a view unfitted.
type laidOut interface {
	layout(c *pageContext, w, h int)
}

var _ = []laidOut{(*identitiesView)(nil), (*detailView)(nil), (*findingsView)(nil), (*pivotView)(nil),
	(*gapsView)(nil), (*candidatesView)(nil)}

// layout fits the top view to the body after a change: sizes, cursors and scrolling are settled here, in Update, and
// the frame only draws them.
func (m *Model) layout() {
	if m.showHelp {
		return
	}
	top := m.top()
	l, ok := top.(laidOut)
	if !ok {
		return
	}
	w, h := max(20, m.width), max(8, m.height)
	bodyH := m.bodyHeight(w, h, m.statusBar(w, top))
	if m.tri.form.open {
		bodyH = max(1, bodyH-len(m.formLines(w)))
	}
	if listW, ok := m.previewing(w); ok {
		w = listW
	}
	l.layout(m.pageContext, w, bodyH)
}

// bodyHeight is what the breadcrumb, the title, the footer and the status bar leave of h lines.
func (m *Model) bodyHeight(w, h int, status string) int {
	return h - 3 - strings.Count(status, "\n") - 1
}

func (m *Model) render() string {
	w, h := max(20, m.width), max(8, m.height)
	var b strings.Builder
	b.WriteString(m.breadcrumb(w))
	b.WriteByte('\n')
	top := m.top()
	status := m.statusBar(w, top)
	bodyH := m.bodyHeight(w, h, status)
	if m.showHelp {
		b.WriteString(fitLine(m.st.Title.Render("Keys"), w))
		b.WriteByte('\n')
		b.WriteString(padLines(m.helpView(w, bodyH), bodyH))
	} else {
		title := top.title(m.pageContext)
		if p := m.exp.exportView(m.exportEnv(), w); p != "" {
			title = p
		}
		b.WriteString(fitLine(title, w))
		b.WriteByte('\n')
		if m.tri.form.open {
			form := m.formLines(w)
			viewH := max(1, bodyH-len(form))
			b.WriteString(padLines(top.render(m.pageContext, w, viewH), viewH))
			b.WriteByte('\n')
			b.WriteString(strings.Join(form, "\n"))
		} else if listW, ok := m.previewing(w); ok {
			b.WriteString(m.withPreview(top.render(m.pageContext, listW, bodyH), listW, w, bodyH))
		} else {
			b.WriteString(padLines(top.render(m.pageContext, w, bodyH), bodyH))
		}
	}
	b.WriteByte('\n')
	b.WriteString(m.footer(w, m.hints(top)))
	b.WriteByte('\n')
	b.WriteString(status)
	return b.String()
}

// hints are the footer's keys for what has the focus: the help screen, the export prompt, a filter being typed, or
// the view.
func (m *Model) hints(top view) []key.Binding {
	switch {
	case m.showHelp:
		return m.keys.helpHints()
	case m.exp.open:
		return m.exp.keys.hints(m.keys, m.exp.stage, m.exp.clip, m.exp.onPath)
	case m.tri.form.open:
		return m.keys.formHints()
	}
	if f := m.filterOf(top); f != nil && f.typing {
		return m.keys.filterHints()
	}
	return top.hints(m.pageContext)
}

// footer renders hints on one line of w cells. When they do not fit, keys are dropped from the end, never the help
// key, so "? help" is always there to find the rest.
func (m *Model) footer(w int, hs []key.Binding) string {
	helpKey := m.keys.Help.Help().Key
	sep := m.st.Dim.Render(" · ")
	for {
		parts := make([]string, len(hs))
		for i, b := range hs {
			parts[i] = m.st.Key.Render(b.Help().Key) + " " + b.Help().Desc
		}
		line := strings.Join(parts, sep)
		if ansi.StringWidth(line) <= w {
			return line
		}
		drop := -1
		for i := len(hs) - 1; i >= 0; i-- {
			if hs[i].Help().Key != helpKey {
				drop = i
				break
			}
		}
		if drop < 0 || len(hs) == 1 {
			return fitLine(line, w)
		}
		hs = append(hs[:drop:drop], hs[drop+1:]...)
	}
}

// breadcrumb shows where the user is: miscope › identities › name › pivot.
func (m *Model) breadcrumb(w int) string {
	parts := []string{"miscope"}
	for _, v := range m.stack {
		parts = append(parts, shown(v.crumb()))
	}
	if m.showHelp {
		parts = append(parts, "help")
	}
	sep := m.st.CrumbSep.Render(" › ")
	s := strings.Join(parts, " › ")
	if ansi.StringWidth(s) > w { // keep the end of the trail, which is where the user is
		s = "…" + ansi.TruncateLeft(s, ansi.StringWidth(s)-w+1, "")
	}
	return m.st.Crumb.Render(strings.ReplaceAll(s, " › ", sep))
}

// maxMessageLines is how many lines a long message may take from the view above the status bar.
const maxMessageLines = 3

// statusBar: source label, counts, then the assessment's progress or the latest message. A message too long for the
// bar is written in full on its own lines above it (taking rows from the view) rather than cut, so a path or an
// error can always be read.
func (m *Model) statusBar(w int, v view) string {
	info := m.src.Info()
	left := " " + shown(cmp.Or(info.Label, string(info.Origin)))
	if info.Origin == data.OriginSnapshot {
		// A snapshot says whose tenant it holds and how old it is: last month's file reads like today's otherwise.
		if t := cmp.Or(info.TenantName, info.TenantID); t != "" {
			left += " · " + shown(t)
		}
		if !info.CollectedAt.IsZero() {
			left += " · " + age(m.opts.Now().Sub(info.CollectedAt)) + " old"
		}
	}
	if c := v.counts(); c != "" {
		left += " │ " + c
	}
	assessment := m.as.status(m)
	right, isErr := assessment, m.as.err != nil && !m.as.running
	if m.flash != "" {
		right, isErr = shown(m.flash), m.flashErr
		if m.flashErr && m.flashGen != m.noticeGen { // a notice is a warning, drawn like an error but not called one
			right = "error: " + right
		}
	}
	var above string
	if ansi.StringWidth(left)+ansi.StringWidth(right)+2 > w {
		above = m.messageLines(right, isErr, w)
		right = ""
		if m.flash != "" && m.as.err == nil { // the bar keeps the assessment's progress when it fits
			right = assessment
		}
	}
	right += " "
	lw, rw := ansi.StringWidth(left), ansi.StringWidth(right)
	if lw+rw+1 > w {
		right = ansi.Truncate(right, max(0, w-lw-1), "…")
		rw = ansi.StringWidth(right)
	}
	if lw+rw+1 > w {
		left = ansi.Truncate(left, max(0, w-rw-1), "…")
		lw = ansi.StringWidth(left)
	}
	line := left + strings.Repeat(" ", max(1, w-lw-rw)) + right
	if above != "" {
		return above + "\n" + m.st.Status.Render(line)
	}
	return m.st.Status.Render(line)
}

// messageLines wraps a message to w cells in at most maxMessageLines lines.
func (m *Model) messageLines(msg string, isErr bool, w int) string {
	st := m.st.Flash
	if isErr {
		st = m.st.Error
	}
	lines := strings.Split(ansi.Wrap(msg, w-1, " /-"), "\n")
	if len(lines) > maxMessageLines {
		lines = lines[:maxMessageLines]
		lines[maxMessageLines-1] = ansi.Truncate(lines[maxMessageLines-1], w-2, "") + "…"
	}
	for i, l := range lines {
		lines[i] = " " + st.Render(l)
	}
	return strings.Join(lines, "\n")
}

// padLines makes s exactly h lines, so the status bar stays at the bottom.
func padLines(s string, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// spinnerView is the frame shared by everything that is loading.
func (c *pageContext) spinnerView() string { return c.spin.View() }

// age says how long ago in the largest whole unit: "40 min", "5 h", "3 days".
func age(d time.Duration) string {
	switch {
	case d < time.Hour:
		return strconv.Itoa(max(0, int(d.Minutes()))) + " min"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + " days"
}
