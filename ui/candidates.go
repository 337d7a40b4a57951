package ui

// The candidates list: user accounts that should become managed identities (USER-AS-SERVICE), with how each signs
// in. tab switches between it and the managed identities.

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
)

const (
	colUPN         = "upn"
	colRoles       = "roles"
	colInteractive = "interactive"
	colMFA         = "mfa"
	colPassword    = "password"
)

func candidateColumns() []column {
	return []column{
		{name: colName, title: "NAME", width: 14, flex: 2},
		{name: colUPN, title: "SIGNS IN AS", width: 12, flex: 2},
		{name: colSeverity, title: "SEVERITY", width: 9, numeric: true, sev: true},
		{name: colRoles, title: "ROLES", width: 5, numeric: true, right: true},
		{name: colInteractive, title: "PERSON", width: 7, numeric: true, right: true},
		{name: colMFA, title: "MFA", width: 4},
		{name: colPassword, title: "PASSWORD", width: 9},
	}
}

// candidatesView lists the user accounts the assessment found used as service accounts.
type candidatesView struct {
	tablePage
	from *assessment
}

func newCandidatesView() *candidatesView {
	t := newTable(candidateColumns(), colSeverity, true)
	return &candidatesView{tablePage: newTablePage(t)}
}

// openCandidates switches to the candidates list, or back to the identities from it.
func (m *Model) openCandidates() tea.Cmd {
	if _, ok := m.top().(*candidatesView); ok {
		m.back()
		return nil
	}
	m.stack = m.stack[:1]
	v := newCandidatesView()
	v.fill(m.as.result)
	m.push(v)
	return nil
}

// fill builds the rows from the assessment: one per USER-AS-SERVICE finding.
func (v *candidatesView) fill(a *assessment) {
	if a == nil || a == v.from {
		return
	}
	v.from = a
	var rows []row
	for i := range a.r.Findings {
		f := &a.r.Findings[i]
		if f.RuleID != assess.RuleUserAsService {
			continue
		}
		rows = append(rows, candidateRow(a.x, f))
	}
	v.t.setRows(rows)
}

func candidateRow(x *data.Index, f *assess.Finding) row {
	name, upn := displayName(x.PrincipalName(f.IdentityID), f.IdentityID), ""
	person, personKey := "?", int64(-1)
	mfa, password := "?", "?"
	if u, ok := x.UserUsage(f.IdentityID); ok {
		name, upn = displayName(u.DisplayName, u.ID), u.UserPrincipalName
		person, personKey = "never", 1<<40
		if !u.LastInteractive.IsZero() {
			days := int64(x.Tenant.Usage.To.Sub(u.LastInteractive).Hours() / 24)
			person, personKey = strconv.FormatInt(days, 10)+"d", days
		}
		if u.MFARegistered != nil {
			mfa = map[bool]string{true: "yes", false: "no"}[*u.MFARegistered]
		}
		if u.PasswordNeverExpires != nil {
			password = map[bool]string{true: "no expiry", false: "expires"}[*u.PasswordNeverExpires]
		}
	}
	roles := len(x.RoleAssignmentsOf(f.IdentityID)) + len(x.DirectoryRoles(f.IdentityID))
	sevText, sevKey := severityCell(f.Severity, true, false)
	return row{
		cells: []string{name, upn, sevText, strconv.Itoa(roles), person, mfa, password},
		nums:  []int64{0, 0, sevKey, int64(roles), personKey, 0, 0},
		id:    f.IdentityID,
		label: name,
		sev:   int8(f.Severity),
		hay:   strings.ToLower(name + "\x00" + upn + "\x00" + f.IdentityID),
	}
}

func (v *candidatesView) kind() string  { return "candidates" }
func (v *candidatesView) crumb() string { return "user accounts to move" }

func (v *candidatesView) title(c *pageContext) string {
	return v.f.render(c, "User accounts used as service accounts") + c.st.Dim.Render("  (tab: identities)")
}

func (v *candidatesView) hints(c *pageContext) []key.Binding { return c.keys.candidateHints() }

func (v *candidatesView) Table() (string, []string, [][]string) {
	cols, rows := v.t.export()
	return "User accounts used as service accounts", cols, rows
}

func (v *candidatesView) render(c *pageContext, w, h int) string {
	switch {
	case v.from == nil && c.as.err != nil:
		return c.st.Error.Render("error: ") + "the tenant could not be read: " + errText(c.as.err)
	case v.from == nil:
		return c.spinnerView() + " reading how user accounts sign in…"
	}
	if g := v.from.x.UsageGap(data.SectionUserSignIns); g != nil {
		return c.st.Gap.Render("Users' sign-in activity is "+errText(g)) +
			"\n\nWithout it no user account can be told to be a service account."
	}
	if len(v.t.rows) == 0 {
		return "No user account with a role signs in only non-interactively: none to move to a managed identity."
	}
	return v.body(c, w, h, "account")
}

// key: enter shows the account's finding (its evidence and fix) in the findings pane.
func (v *candidatesView) key(c *pageContext, msg tea.KeyPressMsg) tea.Cmd {
	return v.tablePage.key(c, msg, func(r *row) tea.Cmd { return c.ask(openFindingsMsg{query: r.id}) })
}
