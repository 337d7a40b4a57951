package ui

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/triage"
)

// This file is where triage decisions are taken: a on a finding opens the decision form, u reopens a decided
// finding, d shows decided findings in the findings pane. The triage file is read and written in commands only; the
// write takes the file's lock, reads it again and merges, so other explorers and sessions lose nothing.

// triageState is what the explorer knows of the triage file and how it applies to the current assessment.
type triageState struct {
	path string
	who  string
	now  func() time.Time
	file *triage.File // nil until read
	err  error        // why the file could not be read: decisions are not shown and none are written
	// status is each finding's status, by index in the assessment's findings; from is that assessment.
	status []triage.Status
	from   *assessment
	counts map[triage.Status]int
	// resolved counts decisions whose fingerprint matches no finding: what they were about is gone.
	resolved int
	// showDecided shows decided findings in the findings pane too; by default it shows open ones only.
	showDecided bool
	form        decideForm
}

type triageLoadedMsg struct {
	file *triage.File
	err  error
}

type triageWrittenMsg struct {
	file *triage.File
	err  error
	done string // what the status bar says on success
}

// loadTriage reads the triage file in a command.
func (m *Model) loadTriage() tea.Cmd {
	path := m.tri.path
	return func() tea.Msg {
		f, err := triage.Load(path)
		return triageLoadedMsg{file: f, err: err}
	}
}

// statusOf is a finding's status, by its index in the current assessment.
func (s *triageState) statusOf(i int32) triage.Status {
	if int(i) < len(s.status) {
		return s.status[i]
	}
	return triage.Open
}

// keepRow is the findings pane's filter beyond the query: open findings, unless decided ones are shown too.
func (s *triageState) keepRow(r *row) bool { return s.showDecided || s.statusOf(r.src).IsOpen() }

// statusCell is the status column's text, in at most 9 cells.
func statusCell(st triage.Status) string {
	switch st {
	case triage.StatusFalsePositive:
		return "false-pos"
	case triage.StatusFixPlanned:
		return "fix-plan"
	}
	return string(st)
}

// applyTriage works out every finding's status from the triage file, and what follows: the findings pane's status
// column and filter, and the identity list's severity and count, which count open findings only.
func (m *Model) applyTriage(now time.Time) tea.Cmd {
	a := m.as.result
	if a == nil {
		return nil
	}
	m.triageStatuses(now)
	t := m.list.t
	for i := range t.rows {
		a.applyTo(&t.rows[i])
	}
	return t.resort()
}

// triageStatuses sets the findings' statuses and the identities' open counts; the caller applies them to the list.
func (m *Model) triageStatuses(now time.Time) {
	a := m.as.result
	s := &m.tri
	s.from = a
	s.status = make([]triage.Status, len(a.r.Findings))
	s.counts = map[triage.Status]int{}
	for i := range a.facts {
		a.facts[i].count, a.facts[i].sev = 0, assess.Info
	}
	for i := range a.r.Findings {
		st := triage.Open
		if s.file != nil {
			st, _ = s.file.StatusOf(a.fps[i], now)
		}
		s.status[i] = st
		s.counts[st]++
		a.setFindingCell(i, colStatusIndex, statusCell(st))
		if !st.IsOpen() {
			continue
		}
		f := &a.r.Findings[i]
		if fact := a.fact(f.IdentityID); fact != nil {
			if fact.count == 0 || f.Severity > fact.sev {
				fact.sev = f.Severity
			}
			fact.count++
		}
	}
	for i := range a.facts {
		a.facts[i].countText = countText(a.facts[i].count)
	}
	s.resolved = 0
	if s.file != nil {
		current := make(map[string]bool, len(a.fps))
		for _, fp := range a.fps {
			current[fp] = true
		}
		s.resolved = len(s.file.Resolved(func(fp string) bool { return current[fp] }))
	}
	for _, v := range m.stack {
		if fv, ok := v.(*findingsView); ok && fv.from == a {
			fv.t.refilter(fv.t.selectedID())
		}
	}
}

// triageUpdate handles the triage file's messages and, while the decision form is open, every key.
func (m *Model) triageUpdate(msg tea.Msg) (tea.Cmd, bool) {
	s := &m.tri
	switch msg := msg.(type) {
	case triageLoadedMsg:
		s.file, s.err = msg.file, msg.err
		cmd := m.applyTriage(m.opts.Now())
		if msg.err != nil {
			return tea.Batch(cmd, m.setFlash(errText(msg.err), true)), true
		}
		return cmd, true
	case triageWrittenMsg:
		s.form.writing = false
		if msg.err != nil {
			s.form.err = errText(msg.err)
			if !s.form.open {
				return m.setFlash(errText(msg.err), true), true
			}
			return nil, true
		}
		s.file, s.form.open = msg.file, false
		return tea.Batch(m.applyTriage(m.opts.Now()), m.setFlash(msg.done, false)), true
	}
	if !s.form.open {
		return nil, false
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if key.Matches(msg, m.keys.ForceQuit) {
			return nil, false
		}
		return m.formKey(msg), true
	case tea.PasteMsg:
		if in := s.form.input(); in != nil {
			var cmd tea.Cmd
			*in, cmd = in.Update(tea.PasteMsg{Content: data.CleanInput(msg.Content)})
			return cmd, true
		}
		return nil, true
	}
	return nil, false
}

// decideForm is the small form a opens: the decision, why, and until when.
type decideForm struct {
	open    bool
	writing bool
	fp      string
	finding assess.Finding
	name    string // the identity's name
	choice  int    // index in triage.Decisions
	focus   int    // 0 decision, 1 justification, 2 expiry
	why     textinput.Model
	expiry  textinput.Model
	touched bool // the user typed an expiry, so changing the decision keeps it
	err     string
}

const (
	focusDecision = iota
	focusWhy
	focusExpiry
	focusCount
)

func (f *decideForm) input() *textinput.Model {
	switch f.focus {
	case focusWhy:
		return &f.why
	case focusExpiry:
		return &f.expiry
	}
	return nil
}

// defaultExpiry is what the expiry field holds for a decision until the user types one.
func defaultExpiry(d triage.Decision) string {
	if d == triage.Accepted {
		return strconv.Itoa(int(triage.DefaultAcceptedExpiry/(24*time.Hour))) + "d"
	}
	return "never"
}

// parseExpiry reads the expiry field: a number of days ("90d"), a date ("2027-03-01") or "never".
func parseExpiry(s string, now time.Time) (time.Time, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "never" || s == "":
		return time.Time{}, nil
	case strings.HasSuffix(s, "d"):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil || n <= 0 || n > 3650 {
			break
		}
		return now.Add(time.Duration(n) * 24 * time.Hour), nil
	default:
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			break
		}
		if !t.After(now) {
			return time.Time{}, fmt.Errorf("expiry %s is not in the future", s)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("expiry %q: use days (90d), a date (2027-03-01) or never", s)
}

func newFormInput(placeholder string, limit int) textinput.Model {
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = placeholder
	in.CharLimit = limit
	in.KeyMap.Paste.SetEnabled(false) // over SSH ctrl+v would read the server's clipboard; bracketed paste works
	in.KeyMap.AcceptSuggestion.SetEnabled(false)
	in.KeyMap.NextSuggestion.SetEnabled(false)
	in.KeyMap.PrevSuggestion.SetEnabled(false)
	st := in.Styles()
	st.Cursor.Blink = false
	in.SetStyles(st)
	return in
}

// startDecide opens the decision form on a finding, filled with its current decision when it has one.
func (m *Model) startDecide(f *assess.Finding, fp string) tea.Cmd {
	s := &m.tri
	if s.err != nil {
		return m.setFlash("decisions cannot be written: "+errText(s.err), true)
	}
	if s.file == nil {
		return m.setFlash("the triage file is still being read", false)
	}
	form := decideForm{open: true, fp: fp, finding: *f, focus: focusWhy,
		name: subjectLabel(m.as.result, f.IdentityID),
		why:  newFormInput("why: who owns it, what makes it acceptable", 500), expiry: newFormInput("90d", 10)}
	if e, ok := s.file.Lookup(fp); ok {
		for i, d := range triage.Decisions {
			if d == e.Decision {
				form.choice = i
			}
		}
		form.why.SetValue(e.Justification)
		if !e.Expires.IsZero() {
			form.expiry.SetValue(e.Expires.UTC().Format("2006-01-02"))
			form.touched = true
		}
	}
	if !form.touched {
		form.expiry.SetValue(defaultExpiry(triage.Decisions[form.choice]))
	}
	form.why.Focus()
	form.why.CursorEnd()
	s.form = form
	m.fitForm(m.width)
	return nil
}

// fitForm sizes the form's inputs to the terminal.
func (m *Model) fitForm(w int) {
	m.tri.form.why.SetWidth(max(10, w-18))
	m.tri.form.expiry.SetWidth(12)
}

func subjectLabel(a *assessment, id string) string {
	if a == nil {
		return id
	}
	return subjectName(a.sharedAssessment, id)
}

// formKey handles a key while the decision form is open.
func (m *Model) formKey(msg tea.KeyPressMsg) tea.Cmd {
	f := &m.tri.form
	k := m.keys
	if f.writing {
		return nil
	}
	switch {
	case key.Matches(msg, k.Back):
		f.open = false
		return nil
	case key.Matches(msg, k.Open):
		return m.submitDecision()
	case key.Matches(msg, k.FormNext), key.Matches(msg, k.FormPrev):
		step := 1
		if key.Matches(msg, k.FormPrev) {
			step = focusCount - 1
		}
		if in := f.input(); in != nil {
			in.Blur()
		}
		f.focus = (f.focus + step) % focusCount
		if in := f.input(); in != nil {
			in.Focus()
			in.CursorEnd()
		}
		return nil
	case f.focus == focusDecision && key.Matches(msg, k.FormChoice):
		step := 1
		if key.Matches(msg, k.FormChoicePrev) {
			step = len(triage.Decisions) - 1
		}
		f.choice = (f.choice + step) % len(triage.Decisions)
		if !f.touched {
			f.expiry.SetValue(defaultExpiry(triage.Decisions[f.choice]))
		}
		return nil
	}
	in := f.input()
	if in == nil {
		return nil
	}
	if msg.Text != "" {
		msg.Text = data.CleanInput(msg.Text)
	}
	var cmd tea.Cmd
	*in, cmd = in.Update(msg)
	if f.focus == focusExpiry {
		f.touched = true
	}
	f.err = ""
	return cmd
}

// submitDecision checks the form and writes the decision in a command.
func (m *Model) submitDecision() tea.Cmd {
	s := &m.tri
	f := &s.form
	now := m.opts.Now()
	why := strings.TrimSpace(data.CleanInput(f.why.Value()))
	if why == "" {
		f.err = "a justification is required: say why, for whoever reviews the decision"
		f.focus = focusWhy
		f.why.Focus()
		f.expiry.Blur()
		return nil
	}
	decision := triage.Decisions[f.choice]
	expires, err := parseExpiry(f.expiry.Value(), now)
	if err != nil {
		f.err = err.Error()
		return nil
	}
	e := triage.NewEntry(f.fp, decision, why, s.who, now, time.Time{})
	e.Expires = expires.UTC().Truncate(time.Second)
	e.Rule, e.Identity, e.Name, e.Title = f.finding.RuleID, f.finding.IdentityID, f.name, f.finding.Title
	f.writing, f.err = true, ""
	path := s.path
	done := string(decision) + ": " + f.finding.RuleID + " on " + f.name
	if !e.Expires.IsZero() {
		done += " until " + e.Expires.Format("2006-01-02")
	}
	done += " (" + path + ")"
	return func() tea.Msg {
		file, err := triage.Decide(path, e)
		return triageWrittenMsg{file: file, err: err, done: done}
	}
}

// reopen removes the decision on a finding, in a command.
func (m *Model) reopen(f *assess.Finding, fp string) tea.Cmd {
	s := &m.tri
	if s.err != nil {
		return m.setFlash("decisions cannot be written: "+errText(s.err), true)
	}
	if _, ok := s.file.Lookup(fp); !ok {
		return m.setFlash("this finding is open: it has no decision to undo", false)
	}
	path := s.path
	done := "reopened: " + f.RuleID + " on " + subjectLabel(m.as.result, f.IdentityID) + " (" + path + ")"
	return func() tea.Msg {
		file, err := triage.Reopen(path, fp)
		return triageWrittenMsg{file: file, err: err, done: done}
	}
}

// formLines is the decision form as it is drawn above the footer.
func (m *Model) formLines(w int) []string {
	f := &m.tri.form
	st := &m.st
	label := func(i int, s string) string {
		l := fit(s, 15, false)
		if f.focus == i {
			return st.Marker.Render("›") + st.Key.Render(l)
		}
		return " " + l
	}
	var choices []string
	for i, d := range triage.Decisions {
		c := string(d)
		if i == f.choice {
			c = st.Selected.Render("[" + c + "]")
		} else {
			c = " " + c + " "
		}
		choices = append(choices, c)
	}
	head := "Decide: " + shown(f.finding.RuleID+" on "+f.name)
	status := st.Dim.Render("enter saves to " + shown(m.tri.path))
	switch {
	case f.writing:
		status = m.spinnerView() + " writing " + shown(m.tri.path) + "…"
	case f.err != "":
		status = st.Error.Render("error: ") + shown(f.err)
	}
	return []string{
		fitLine(st.Section.Render(head), w),
		fitLine(label(focusDecision, "decision")+strings.Join(choices, " "), w),
		fitLine(label(focusWhy, "justification")+f.why.View(), w),
		fitLine(label(focusExpiry, "expires")+f.expiry.View()+st.Dim.Render("  90d, 2027-03-01 or never"), w),
		fitLine(" "+status, w),
	}
}

// triageTitle is the findings pane's count of open and decided findings.
func (c *pageContext) triageTitle() string {
	s := &c.tri
	if s.counts == nil {
		return ""
	}
	open := s.counts[triage.Open] + s.counts[triage.Expired]
	parts := []string{data.Plural(open, "open", "open")}
	for _, c := range []struct {
		st   triage.Status
		name string
	}{{triage.StatusAccepted, "accepted"}, {triage.StatusFalsePositive, "false positive"},
		{triage.StatusFixPlanned, "fix planned"}, {triage.Expired, "expired"}} {
		if n := s.counts[c.st]; n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+c.name)
		}
	}
	if s.resolved > 0 {
		parts = append(parts, data.Plural(s.resolved, "decision resolved", "decisions resolved"))
	}
	shown := "open only"
	if s.showDecided {
		shown = "all"
	}
	return "  " + c.st.Dim.Render(strings.Join(parts, " · ")+" ("+shown+")")
}

// decidedCount is how many findings have a decision that holds.
func (s *triageState) decidedCount() int {
	n := 0
	for st, c := range s.counts {
		if !st.IsOpen() {
			n += c
		}
	}
	return n
}

// decideMsg is a page asking the root to decide on a finding, or to reopen it (a or u on the finding).
type decideMsg struct {
	key tea.KeyPressMsg
	f   *assess.Finding
	fp  string
}

// triageKeyOf asks the root to take a or u on a finding; it reports whether the key is one of them.
func (c *pageContext) triageKeyOf(msg tea.KeyPressMsg, f *assess.Finding, fp string) (tea.Cmd, bool) {
	if key.Matches(msg, c.keys.Decide) || key.Matches(msg, c.keys.Reopen) {
		return c.ask(decideMsg{key: msg, f: f, fp: fp}), true
	}
	return nil, false
}

// triageKey handles a, u and d on a view that shows findings; f is the selected finding and fp its fingerprint.
func (m *Model) triageKey(msg tea.KeyPressMsg, f *assess.Finding, fp string) (tea.Cmd, bool) {
	switch {
	case key.Matches(msg, m.keys.Decide):
		if f == nil {
			return m.setFlash("select a finding to decide on", false), true
		}
		return m.startDecide(f, fp), true
	case key.Matches(msg, m.keys.Reopen):
		if f == nil {
			return m.setFlash("select a finding to reopen", false), true
		}
		return m.reopen(f, fp), true
	}
	return nil, false
}

// decisionNote is what the findings preview says of a finding's decision.
func (c *pageContext) decisionNote(fp string) (triage.Status, string) { return c.tri.note(fp) }

// note is a finding's status and what to say of its decision, if it has one.
func (s *triageState) note(fp string) (triage.Status, string) {
	if s == nil || s.file == nil {
		return triage.Open, ""
	}
	st, e := s.file.StatusOf(fp, s.now())
	if e == nil {
		return st, ""
	}
	note := string(e.Decision) + " by " + cmp.Or(e.By, "unknown")
	if !e.At.IsZero() {
		note += " on " + e.At.UTC().Format("2006-01-02")
	}
	switch {
	case st == triage.Expired:
		note = "open again: " + note + ", expired " + e.Expires.UTC().Format("2006-01-02")
	case !e.Expires.IsZero():
		note += ", until " + e.Expires.UTC().Format("2006-01-02")
	}
	return st, note + ": " + e.Justification
}
