package ui

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
)

const appLegacy = "00000000-0000-0000-0000-0000000000c1"

// incompleteTenant is the test tenant where fn-clean (no finding) has federated credentials that cannot be read, and
// an application signs in with a secret.
func incompleteTenant() *data.Tenant {
	tn := testTenant()
	tn.Gaps = append(tn.Gaps, data.Gap{Section: data.SectionFederatedCredentials, IdentityID: idClean,
		Reason: "403 Forbidden listing federated credentials", Needs: "Reader on rg-fn"})
	tn.Applications = append(tn.Applications, data.Application{ID: appLegacy, AppID: "app-c1",
		DisplayName: "legacy-payroll\x1b[2J", Credentials: []data.Credential{{KeyID: "k1", Type: "password",
			DisplayName: "prod", Start: time.Now().Add(-time.Hour), End: time.Now().Add(30 * 24 * time.Hour)}}})
	return tn
}

// An identity with no finding but a part that could not be read is not shown as clean: the list says unknown, the
// filter finds it by that word, and the detail says its findings are incomplete.
func TestUnreadablePartIsNotClean(t *testing.T) {
	s := start(t, newTestModel(incompleteTenant()), 80, 24)
	s.ready()
	s.keys("/")
	s.typeText("fn-clean")
	s.keys("enter")
	screen := s.waitText("1/1 of 5")
	row := lineWith(screen, "› fn-clean")
	if !strings.Contains(row, "unknown") || strings.Contains(row, "none") {
		t.Errorf("fn-clean has an unreadable part and no finding; its row should say unknown: %q", row)
	}
	s.keys("esc", "/")
	s.typeText("unknown")
	s.keys("enter")
	s.waitText("1/1 of 5", "fn-clean")

	s.tm.Send(s.openCmd(idClean))
	s.waitFor("the detail", func(m *Model) bool { d, ok := m.top().(*detailView); return ok && !d.busy() })
	s.keys("G")
	screen = s.waitText("none found — 1 part not readable, so this is incomplete")
	findings := screen[strings.LastIndex(screen, "Findings"):]
	if strings.Contains(findings, "  none\n") {
		t.Errorf("the findings of an incomplete identity say none:\n%s", findings)
	}

	// Sorting by severity puts unknown above none, info and low, below medium: what could not be read may hide
	// anything.
	s.inspect(func(m *Model) {
		unknown, uk := severityCell(0, false, true)
		none, nk := severityCell(0, false, false)
		info, ik := severityCell(assess.Info, true, false)
		_, lk := severityCell(assess.Low, true, false)
		_, mk := severityCell(assess.Medium, true, false)
		if unknown != "unknown" || none != "none" || info != "info" || !(nk < ik && ik < lk && lk < uk && uk < mk) {
			t.Errorf("severity keys: none %d, info %d, low %d, unknown %d, medium %d", nk, ik, lk, uk, mk)
		}
	})
}

// A finding about an application names the application, and enter says what it is instead of opening an identity
// view that cannot exist; y copies its object id.
func TestApplicationFinding(t *testing.T) {
	s := start(t, newTestModel(incompleteTenant()), 80, 24)
	s.ready()
	s.keys("f")
	s.waitFor("the findings pane", func(m *Model) bool { v, ok := m.top().(*findingsView); return ok && v.filled })
	s.keys("/")
	s.typeText("SP-MIGRATE")
	s.keys("enter")
	screen := s.waitText("1 of", "app legacy-payro")
	if strings.Contains(screen, appLegacy) {
		t.Errorf("the identity column shows the application's id instead of its name:\n%s", screen)
	}
	s.keys("enter")
	msg, _ := s.flash("is an application")
	// The escape sequence in the application's name shows as a mark, never raw.
	if !strings.Contains(msg, `legacy-payroll\x1b is an application, not a managed identity`) || strings.Contains(msg, "\x1b") {
		t.Errorf("enter on an application's finding says %q", msg)
	}
	s.inspect(func(m *Model) {
		if _, ok := m.top().(*findingsView); !ok {
			t.Errorf("enter on an application's finding left the pane for %T", m.top())
		}
	})
	s.keys("y")
	s.flash(`copied the object id of app legacy-payroll\x1b: ` + appLegacy)
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(appLegacy))
	teatest.WaitFor(t, s.tm.Output(), func(b []byte) bool { return strings.Contains(string(b), want) },
		teatest.WithDuration(3*time.Second))
}

// y in the findings pane copies the finding's fix commands as one line, or, for a finding without any, the
// identity's object id; never the pane's internal key.
func TestCopyFindingCopiesObjectID(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 80, 24)
	s.ready()
	s.keys("f")
	s.waitFor("the findings pane", func(m *Model) bool { v, ok := m.top().(*findingsView); return ok && v.filled })
	for range 12 {
		var ref, who, key string
		var fix []string
		s.inspect(func(m *Model) {
			v := m.top().(*findingsView)
			r := v.t.selected()
			ref, who, key = r.ref, r.cells[2], r.id
			for _, c := range v.finding(r).Commands() {
				if line, ok := c.Line(); ok {
					fix = append(fix, line)
				}
			}
		})
		want := "copied the object id of " + who + ": " + ref
		if len(fix) > 0 {
			want = "copied the fix commands of " + who + "'s finding: " + strings.Join(fix, " && ")
		}
		s.inspect(func(m *Model) { m.flash = "" })
		s.keys("y")
		msg, isErr := s.flash("copied")
		if isErr || msg != shown(want) || strings.Contains(msg, key) {
			t.Errorf("y in the findings pane says %q, want %q", msg, want)
		}
		s.keys("j")
	}
}

// Severity words and reach labels are in the list's filter once the assessment is in; after a filter the cursor is
// on the first match, not wherever the old row sat.
func TestFilterBySeverityAndCursorOnFirstMatch(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 80, 24)
	s.ready()
	s.keys("/")
	s.typeText("critical")
	s.keys("enter")
	s.waitFor("the filter", func(m *Model) bool { return m.list.f.query == "critical" })
	s.inspect(func(m *Model) {
		if len(m.list.t.view) == 0 {
			t.Fatal("filtering by critical matches nothing")
		}
		for _, i := range m.list.t.view {
			if r := m.list.t.rows[i]; r.cells[3] != "critical" {
				t.Errorf("filter critical kept %s, which is %s", r.label, r.cells[3])
			}
		}
	})
	s.keys("esc", "f")
	s.waitFor("the findings pane", func(m *Model) bool { v, ok := m.top().(*findingsView); return ok && v.filled })
	s.keys("j", "j")
	s.keys("/")
	s.typeText("vm-graph")
	s.waitFor("the filtered pane", func(m *Model) bool { return m.top().(*findingsView).f.query == "vm-graph" })
	s.inspect(func(m *Model) {
		v := m.top().(*findingsView)
		if len(v.t.view) == 0 {
			t.Fatal("vm-graph has findings; the filter kept none")
		}
		if v.t.cursor != 0 {
			t.Errorf("after filtering the cursor is on row %d, want the first match", v.t.cursor)
		}
	})
}

// footer is the key hints line of the screen: the line that shows what the model renders as its footer.
func (s *session) footer() string {
	s.t.Helper()
	var want, screen string
	s.inspect(func(m *Model) { want, screen = ansi.Strip(m.footer(m.width, m.hints(m.top()))), plain(m) })
	if !strings.Contains(screen, want+"\n") {
		s.t.Errorf("the footer %q is not on screen:\n%s", want, screen)
	}
	return want
}

// Each view has its own footer at 80 columns, always ending with help; the detail view offers enter and o only on a
// line that answers them; the export prompt keeps its keys after an error.
func TestFooterPerView(t *testing.T) {
	s := start(t, newExportModel(testTenant(), Options{ExportDir: "/nonexistent/miscope-test"}), 80, 24)
	s.ready()
	if got, want := s.footer(), "enter open · / filter · f findings · tab users · e export · y copy id · ? help"; got != want {
		t.Errorf("list footer %q, want %q", got, want)
	}
	s.keys("/")
	s.waitFor("typing", func(m *Model) bool { return m.list.f.typing })
	if got := s.footer(); !strings.HasPrefix(got, "enter keep · esc clear") || strings.Contains(got, "? help") {
		t.Errorf("footer while typing a filter %q: ? is text there", got)
	}
	s.keys("esc", "?")
	s.waitFor("help", func(m *Model) bool { return m.showHelp })
	if got := s.footer(); got != "esc close" {
		t.Errorf("help footer %q, want esc close", got)
	}
	s.keys("esc")
	s.tm.Send(s.openCmd(idDeploy))
	s.waitFor("the detail", func(m *Model) bool { d, ok := m.top().(*detailView); return ok && !d.busy() })
	screen := s.screen()
	// The cursor starts on the identity's own resource, which a user-assigned identity cannot pivot on.
	if got := s.footer(); strings.Contains(got, "who shares it") || !strings.HasSuffix(got, "? help") {
		t.Errorf("detail footer on a line without a pivot: %q", got)
	}
	if strings.Contains(lineWith(screen, "uami-deploy  "), "who shares it") {
		t.Errorf("the detail header offers a pivot the line does not have:\n%s", screen)
	}
	for range 20 {
		var label string
		s.inspect(func(m *Model) { label, _ = m.top().Selected() })
		if label == "Deployers" {
			break
		}
		s.keys("j")
	}
	if got := s.footer(); !strings.HasPrefix(got, "enter who shares it · esc back") {
		t.Errorf("detail footer on a group: %q", got)
	}
	s.keys("esc", "e", "enter")
	s.flash("does not exist")
	screen = s.screen()
	if got := s.footer(); !strings.Contains(got, "esc cancel") || !strings.Contains(got, "enter write") {
		t.Errorf("after an error the export prompt lost its keys: footer %q", got)
	}
	checkFrame(t, s.content(), 80, 24)
}

// A message longer than the status bar wraps onto lines of its own above it, taking rows from the view, so all of it
// can be read; the frame keeps its size.
func TestLongMessageWraps(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 80, 24)
	s.ready()
	long := "exported 45 rows to ./exports/quarterly/miscope-identities-contoso-pharma-20261125-213000.csv (CSV)"
	s.tm.Send(keyRun{func(m *Model) tea.Cmd { return m.setFlash(long+"\x1b[2J", false) }})
	s.waitFor("the message", func(m *Model) bool { return strings.HasPrefix(m.flash, "exported") })
	content := s.content()
	checkFrame(t, content, 80, 24)
	joined := strings.ReplaceAll(ansi.Strip(content), "\n ", "") // the message's lines, joined again
	if !strings.Contains(joined, "pharma-20261125-213000.csv (CSV)") || !strings.Contains(joined, "exported 45 rows to") {
		t.Errorf("the long message is cut:\n%s", ansi.Strip(content))
	}
	if strings.Contains(content, "\x1b[2J") {
		t.Error("setFlash let an escape sequence through")
	}
}

func TestMidCut(t *testing.T) {
	p := "/tmp/d/miscope-identities-contoso-pharma-20261125-213000.csv"
	for _, c := range []struct {
		s    string
		w    int
		want string
	}{
		{p, 80, p},
		{p, 40, "/tmp/d/…ntoso-pharma-20261125-213000.csv"},
		{"miscope-identities-contoso-pharma-20261125-213000.csv", 20, "…20261125-213000.csv"},
	} {
		got := midCut(c.s, c.w)
		if got != c.want || ansi.StringWidth(got) > c.w {
			t.Errorf("midCut(%q, %d) = %q, want %q", c.s, c.w, got, c.want)
		}
	}
}

// Help keeps each group of keys in one column when the group fits in a column.
func TestHelpKeepsSectionsWhole(t *testing.T) {
	m := newTestModel(testTenant())
	sections := m.helpSections()
	for _, rows := range []int{18, 20, 31} {
		for _, spaced := range []bool{true, false} {
			cols := packSections(sections, rows, spaced)
			for _, sec := range sections {
				where := -1
				for c, col := range cols {
					for _, l := range col {
						if l == sec[0] {
							where = c
						}
					}
				}
				if where < 0 {
					t.Fatalf("rows %d: section %q is missing", rows, ansi.Strip(sec[0]))
				}
				for _, l := range sec {
					if !slices.Contains(cols[where], l) {
						t.Errorf("rows %d spaced %v: %q is split from its heading %q", rows, spaced, ansi.Strip(l),
							ansi.Strip(sec[0]))
					}
				}
			}
		}
	}
	m.width, m.height, m.showHelp = 120, 36, true
	screen := plain(m)
	sortLine := lineWith(screen, "Sort (again to reverse)")
	reachLine := lineWith(screen, "sort by findings / reach")
	if strings.Index(sortLine, "Sort") != strings.Index(reachLine, "F/R/U ")-1 {
		t.Errorf("at 120x36 the sort keys are not in the column of their heading:\n%s", screen)
	}
}

// Columns get widths by content: a short column is shown whole before a long one takes the rest, and the sort arrow
// always fits in the header.
func TestColumnWidthsByContent(t *testing.T) {
	tb := newTable(identityColumns(), colKind, false)
	tb.setRows([]row{{cells: []string{strings.Repeat("n", 40), "UA", strings.Repeat("a", 60), "critical", "3",
		"subscription contributor", "12d"}, nums: make([]int64, 7)}})
	ws := tb.widths(80)
	if ws[5] < len("subscription contributor") {
		t.Errorf("REACH is %d wide at 80 columns, its cell needs %d: %v", ws[5], len("subscription contributor"), ws)
	}
	total := 2
	for _, w := range ws {
		total += w + 1
	}
	if total > 81 {
		t.Errorf("columns take %d cells of 80: %v", total, ws)
	}
	out := ansi.Strip(tb.render(80, 5, &styles{Severity: defaultStyles().Severity}))
	if !strings.Contains(out, "KIND▲") {
		t.Errorf("the sort arrow of KIND is cut:\n%s", out)
	}
	ws = tb.widths(200)
	if ws[0] < 40 || ws[2] < 48 {
		t.Errorf("at 200 columns long cells should show whole (up to %d): %v", maxContent, ws)
	}
}

// The status bar shows the stage the source reports and its elapsed time, never a count stuck at zero.
func TestAssessmentProgress(t *testing.T) {
	m := newTestModel(testTenant())
	m.as.running = true
	m.as.receive(m, []tea.Msg{assessProgressMsg{data.Progress{Stage: "assessing 5 identities"},
		time.Now().Add(-3 * time.Second)}})
	got := ansi.Strip(m.as.status(m))
	if !strings.Contains(got, "assessing 5 identities · 3s") || strings.Contains(got, "0/") {
		t.Errorf("status %q, want the stage and its elapsed time", got)
	}
	m.as.receive(m, []tea.Msg{assessProgressMsg{data.Progress{Stage: "Azure role assignments", Done: 7, Total: 9},
		time.Now()}})
	if got := ansi.Strip(m.as.status(m)); !strings.Contains(got, "Azure role assignments 7/9") || strings.Contains(got, "· 3s") {
		t.Errorf("status %q, want the new stage's own count and a fresh clock", got)
	}
}

// Names that fall back to an id, kinds and breadcrumbs are kept exactly in the views' models and cleaned where they
// are laid out: the list, the breadcrumb, the detail view and a pivot show them marked, never raw.
func TestFallbackNamesAreCleaned(t *testing.T) {
	const badID, badKind = "bad\x1b]52;c;eA==\x07id", "weird\x1b[31m"
	tn := testTenant()
	tn.Identities = append(tn.Identities, data.Identity{ID: badID, Kind: data.Kind(badKind)})
	tn.Memberships = append(tn.Memberships, data.Membership{IdentityID: badID, GroupID: grpTier0})
	r := identityRow(data.Identity{ID: badID, Kind: data.Kind(badKind)}, nil)
	if r.cells[0] != badID {
		t.Errorf("the list's row holds %q, want the id exactly (it is cleaned where it is drawn)", r.cells[0])
	}
	s := start(t, newTestModel(tn), 120, 40)
	s.ready()
	look := func(where string, want ...string) {
		t.Helper()
		s.waitText(want...)
		if bad := raw(s.content(), true); bad != "" {
			t.Errorf("%s: %q reached the frame:\n%s", where, bad, s.content())
		}
	}
	const marked = `bad\x1b`
	look("list", marked)
	s.tm.Send(s.openCmd(badID))
	s.waitFor("the detail", func(m *Model) bool { d, ok := m.top().(*detailView); return ok && !d.busy() })
	look("detail and its breadcrumb", "identities › "+marked, `weird\x1b`)
	s.tm.Send(keyRun{func(m *Model) tea.Cmd {
		return m.openPivot(pivotTarget{kind: pivotGroup, id: grpTier0, label: "Tier0 Admins"})
	}})
	s.waitFor("the pivot", func(m *Model) bool { v, ok := m.top().(*pivotView); return ok && !v.loading })
	look("pivot", marked)
}

// At 80x24 the findings pane shows rule ids whole and as many evidence lines as fit; N sorts it by identity.
func TestFindingsPaneAt80(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 80, 24)
	s.ready()
	s.keys("f")
	s.waitFor("the findings pane", func(m *Model) bool { v, ok := m.top().(*findingsView); return ok && v.filled })
	var rules []string
	var ev []string
	s.inspect(func(m *Model) {
		v := m.top().(*findingsView)
		for _, i := range v.t.view {
			rules = append(rules, v.t.rows[i].cells[1])
		}
		ev = assess.Texts(v.finding(v.t.selected()).Evidence)
	})
	screen := s.screen()
	for _, r := range rules {
		if !strings.Contains(screen, r+" ") {
			t.Errorf("rule %s is not shown whole:\n%s", r, screen)
		}
	}
	shown := 0
	for _, e := range ev {
		if strings.Contains(screen, ansi.Truncate(data.Clean(e), 40, "")) {
			shown++
		}
	}
	if shown < min(len(ev), 3) {
		t.Errorf("%d of %d evidence lines shown:\n%s", shown, len(ev), screen)
	}
	s.keys("N")
	s.inspect(func(m *Model) {
		v := m.top().(*findingsView)
		if v.t.cols[v.t.sortCol].name != colIdentity {
			t.Fatalf("N sorts the findings pane by %s, want identity", v.t.cols[v.t.sortCol].name)
		}
		for p := 1; p < len(v.t.view); p++ {
			a, b := v.t.rows[v.t.view[p-1]].cells[2], v.t.rows[v.t.view[p]].cells[2]
			if cmpFold(a, b) > 0 {
				t.Errorf("not sorted by identity: %q before %q", a, b)
			}
		}
	})
	checkFrame(t, s.content(), 80, 24)
}
