package ui

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/cache"
	"github.com/miscope/miscope/data/demo"
)

var sizes = []struct{ w, h int }{{80, 24}, {120, 40}}

func TestListDetailBack(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			s := start(t, newTestModel(testTenant()), sz.w, sz.h)
			s.ready()
			screen := s.waitText("id-vm-web", "uami-deploy", "fn-clean", "1/5", "demo tenant")
			checkFrame(t, s.content(), sz.w, sz.h)
			if !strings.Contains(screen, "vm-web-01 (vm)") {
				t.Errorf("the list does not show the attached resource in short form:\n%s", screen)
			}
			if sz.w >= 120 && !strings.Contains(screen, "app-orders (app) +1") || !strings.Contains(screen, "app-orders") {
				t.Errorf("the user-assigned identity does not show its two attachments:\n%s", screen)
			}

			// The list opens sorted by severity, so the tenant admin is first.
			s.inspect(func(m *Model) {
				if _, id := m.top().Selected(); id != idWeb && id != idHostile {
					t.Errorf("first row is %s, want one of the critical identities", id)
				}
			})
			s.keys("N") // sort by name: "evil…" comes first, then fn-clean
			s.inspect(func(m *Model) {
				if _, id := m.top().Selected(); id != idHostile {
					t.Errorf("after sorting by name the first row is %s, want the hostile one", id)
				}
			})
			s.keys("j", "enter")
			s.waitFor("the detail view", func(m *Model) bool {
				d, ok := m.top().(*detailView)
				return ok && d.id == idClean && !d.busy()
			})
			screen = s.screen()
			for _, want := range []string{"Object id", idClean, "Reader", "[sub]", "fn-clean", "Findings"} {
				if !strings.Contains(screen, want) && sz.h >= 40 {
					t.Errorf("detail lacks %q:\n%s", want, screen)
				}
			}
			checkFrame(t, s.content(), sz.w, sz.h)
			s.keys("esc")
			s.waitFor("the list again", func(m *Model) bool { return m.top() == m.list })
			s.inspect(func(m *Model) {
				if _, id := m.top().Selected(); id != idClean {
					t.Errorf("back on the list the cursor is on %s, want it where it was", id)
				}
			})
		})
	}
}

func TestDetailSections(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 120, 40)
	s.ready()
	s.tm.Send(s.openCmd(idWeb))
	screen := s.waitText("Tier0 Admins", "Global Administrator", "[sub] Owner", "via group Tier0 Admins", "vm-web-01",
		"role-assignable", "Reach")
	if !strings.Contains(screen, "tenant admin") && !strings.Contains(screen, "Tenant admin") {
		t.Logf("reach line: %s", lineWith(screen, "Reach"))
	}
	// Sections with nothing in them say "none", never a blank.
	if strings.Count(screen, "none") < 2 {
		t.Errorf("empty sections (Graph permissions, federated credentials) should say none:\n%s", screen)
	}
}

// openCmd opens an identity the way enter does, through the program.
func (s *session) openCmd(id string) tea.Msg {
	return keyRun{func(m *Model) tea.Cmd { return m.openIdentity(id) }}
}

// keyRun lets a test start a command on the live model as if a key had been pressed.
type keyRun struct{ fn func(*Model) tea.Cmd }

func TestNotReadableSection(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 120, 40)
	s.ready()
	s.keys("/")
	s.typeText("vm-graph")
	s.waitText("1/1 of 5")
	s.keys("enter", "enter")
	screen := s.waitText("Azure roles", "not readable (needs Microsoft.Authorization/roleAssignments/read)",
		"Directory.ReadWrite.All")
	azure := screen[strings.Index(screen, "Azure roles"):]
	if next := strings.Index(azure, "Federated credentials"); next > 0 {
		azure = azure[:next]
	}
	if strings.Contains(azure, "none") {
		t.Errorf("a section that is not readable must not also say none:\n%s", azure)
	}
}

func TestFilter(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			s := start(t, newTestModel(testTenant()), sz.w, sz.h)
			s.ready()
			s.keys("/")
			s.typeText("DEPLOY")
			s.waitText("1/1 of 5", "/DEPLOY")
			s.keys("backspace", "backspace", "backspace", "backspace", "backspace", "backspace")
			s.waitText("/5")
			// Role names are searchable once the assessment is in: only the subscription owner holds Owner.
			s.typeText("owner")
			screen := s.waitText("1/1 of 5", "id-vm-web")
			if strings.Contains(screen, "fn-clean") {
				t.Errorf("filter 'owner' kept fn-clean:\n%s", screen)
			}
			// A permission, a resource id part and an object id all match.
			s.keys("esc")
			s.waitText("/5")
			for q, want := range map[string]string{"directory.readwrite": "vm-graph", "rg-logic": "evil",
				"0000000000a4": "fn-clean", "global admin": "id-vm-web"} {
				s.keys("/")
				s.typeText(q)
				s.keys("enter")
				s.waitFor("filter "+q, func(m *Model) bool { return m.list.f.query == q && !m.list.f.typing })
				screen := s.screen()
				if !strings.Contains(screen, want) {
					t.Errorf("filter %q does not show %s:\n%s", q, want, screen)
				}
				s.keys("esc")
				s.waitText("/5")
			}
			s.keys("/")
			s.typeText("no-such-thing")
			screen = s.waitText("0 of 5", "No identity matches")
			checkFrame(t, s.content(), sz.w, sz.h)
			_ = screen
		})
	}
}

func TestFindingsJump(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			s := start(t, newTestModel(testTenant()), sz.w, sz.h)
			s.ready()
			s.keys("f")
			s.waitFor("the findings pane", func(m *Model) bool {
				v, ok := m.top().(*findingsView)
				return ok && v.filled
			})
			var total int
			var first string
			s.inspect(func(m *Model) {
				v := m.top().(*findingsView)
				total = len(v.t.rows)
				if r := v.t.selected(); r != nil {
					first = r.ref
				}
				if total != len(m.as.result.r.Findings) {
					t.Errorf("the pane shows %d findings, the assessment has %d", total, len(m.as.result.r.Findings))
				}
				if total > 0 && m.as.result.r.Findings[0].Severity != m.as.result.r.Findings[total-1].Severity {
					if v.t.rows[v.t.view[0]].nums[0] < v.t.rows[v.t.view[len(v.t.view)-1]].nums[0] {
						t.Error("the pane is not ordered by severity, highest first")
					}
				}
			})
			if total == 0 {
				t.Fatal("the test tenant should give findings")
			}
			screen := s.screen()
			if !strings.Contains(screen, "critical") {
				t.Errorf("the findings pane does not write severities as words:\n%s", screen)
			}
			checkFrame(t, s.content(), sz.w, sz.h)
			s.keys("enter")
			s.waitFor("the identity of the finding", func(m *Model) bool {
				d, ok := m.top().(*detailView)
				return ok && data.SameID(d.id, first)
			})
			// esc goes back to the pane, f from deeper goes back to the same pane rather than stacking another.
			s.keys("f")
			s.waitFor("the pane again", func(m *Model) bool {
				_, ok := m.top().(*findingsView)
				return ok && len(m.stack) == 2
			})
			// Filtering the pane by identity name keeps only that identity's findings.
			s.keys("/")
			s.typeText("fn-clean")
			s.waitFor("the filtered pane", func(m *Model) bool {
				v := m.top().(*findingsView)
				for _, i := range v.t.view {
					if v.t.rows[i].ref != idClean {
						return false
					}
				}
				return v.f.query == "fn-clean"
			})
		})
	}
}

func TestPivotFromGroup(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			s := start(t, newTestModel(testTenant()), sz.w, sz.h)
			s.ready()
			s.tm.Send(s.openCmd(idWeb))
			s.waitFor("the detail", func(m *Model) bool {
				d, ok := m.top().(*detailView)
				return ok && !d.busy()
			})
			// Move the cursor down until it rests on the group.
			for range 10 {
				var label string
				s.inspect(func(m *Model) { label, _ = m.top().Selected() })
				if label == "Tier0 Admins" {
					break
				}
				s.keys("j")
			}
			s.keys("enter")
			s.waitFor("the pivot", func(m *Model) bool {
				p, ok := m.top().(*pivotView)
				return ok && !p.loading
			})
			screen := s.waitText("group: Tier0 Admins", "id-vm-web", "evil", "1/2")
			if strings.Contains(screen, "uami-deploy") {
				t.Errorf("the pivot lists an identity outside the group:\n%s", screen)
			}
			checkFrame(t, s.content(), sz.w, sz.h)
			// enter on the identity the pivot started from goes back to it rather than repeat it in the breadcrumb.
			s.keys("/")
			s.typeText("id-vm-web")
			s.keys("enter", "enter")
			s.waitFor("the first detail again", func(m *Model) bool {
				d, ok := m.top().(*detailView)
				return ok && d.id == idWeb && len(m.stack) == 2
			})
			if crumb := strings.Split(s.screen(), "\n")[0]; strings.Count(crumb, "id-vm-web") != 1 {
				t.Errorf("the breadcrumb repeats the identity: %q", crumb)
			}
			// enter on another member opens it; esc goes back to the pivot, clears its filter, and goes back to the first
			// identity.
			s.keys("enter")
			s.waitFor("the pivot again", func(m *Model) bool { p, ok := m.top().(*pivotView); return ok && !p.loading })
			s.keys("/")
			s.typeText("evil")
			s.keys("enter", "enter")
			s.waitFor("a member's detail", func(m *Model) bool {
				d, ok := m.top().(*detailView)
				return ok && d.id == idHostile && len(m.stack) == 4
			})
			s.keys("esc", "esc", "esc")
			s.waitFor("the first detail", func(m *Model) bool {
				d, ok := m.top().(*detailView)
				return ok && d.id == idWeb
			})
		})
	}
}

func TestPivotFromScopeAndRole(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 120, 40)
	s.ready()
	s.tm.Send(s.openCmd(idClean))
	s.waitFor("the detail", func(m *Model) bool { d, ok := m.top().(*detailView); return ok && !d.busy() })
	for range 10 {
		var id string
		s.inspect(func(m *Model) { _, id = m.top().Selected() })
		if id == "/subscriptions/"+sub1 {
			break
		}
		s.keys("j")
	}
	s.keys("enter")
	// Both the owner and the reader have a role at the subscription.
	screen := s.waitText("scope: /subscriptions/"+sub1, "id-vm-web", "fn-clean", "Owner · direct", "1/2")
	_ = screen
	s.keys("esc", "o")
	screen = s.waitText("Azure role: Reader", "1/1", "fn-clean")
	if strings.Contains(screen, "id-vm-web") {
		t.Errorf("only fn-clean holds Reader:\n%s", screen)
	}
}

func TestHelpShowsEveryKey(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			s := start(t, newTestModel(testTenant()), sz.w, sz.h)
			s.ready()
			s.keys("?")
			screen := s.waitText("Keys", "sort by name")
			s.keys("?")
			s.waitFor("help to close", func(m *Model) bool { return !m.showHelp })
			// The detail view's help adds how verdicts are reached; every key must still be readable whole.
			s.keys("enter", "?")
			detailScreen := s.waitText("Keys", "Verdicts", "copies its fix commands")
			for _, group := range s.m.helpBindings() {
				for _, b := range group {
					if !strings.Contains(detailScreen, b.Help().Desc) {
						t.Errorf("detail help lacks %q (%s)", b.Help().Desc, b.Help().Key)
					}
				}
			}
			checkFrame(t, s.content(), sz.w, sz.h)
			s.keys("?")
			s.waitFor("help to close", func(m *Model) bool { return !m.showHelp })
			for _, group := range s.m.helpBindings() {
				for _, b := range group {
					if !strings.Contains(screen, b.Help().Desc) {
						t.Errorf("help lacks %q (%s)", b.Help().Desc, b.Help().Key)
					}
				}
			}
		})
	}
}

func TestHostileNamesAreCleaned(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 120, 40)
	s.ready()
	check := func(where string) {
		t.Helper()
		content := s.content()
		for _, bad := range []string{"\x1b[2J", "\x1b]", "\u202e", "\r", "\x07"} {
			if strings.Contains(content, bad) {
				t.Errorf("%s: the frame carries %q from a display name", where, bad)
			}
		}
		assertOnlySGR(t, content)
	}
	// What the name hides shows as marks.
	const shown = `evil\x1b\x1b\u202egnp.exe`
	s.waitText(shown)
	check("list")
	s.tm.Send(s.openCmd(idHostile))
	s.waitFor("the detail", func(m *Model) bool { d, ok := m.top().(*detailView); return ok && !d.busy() })
	s.waitText("Name:", shown)
	check("detail")
	s.keys("f")
	s.waitText("Findings")
	check("findings")
	// The view's table keeps the name exactly, for the JSON export; the writers of human formats clean it.
	s.inspect(func(m *Model) {
		_, _, rows := m.list.Table()
		exact := false
		for _, r := range rows {
			exact = exact || slices.Contains(r, hostileName)
		}
		if !exact {
			t.Errorf("no export row holds the name %q exactly: %q", hostileName, rows)
		}
	})
}

// assertOnlySGR checks that every escape sequence in a frame is a style (ESC [ ... m), which is all miscope draws.
func assertOnlySGR(t *testing.T, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		if s[i] != 0x1b {
			continue
		}
		j := i + 1
		if j >= len(s) || s[j] != '[' {
			t.Fatalf("escape sequence that is not a style at %d: %q", i, s[i:min(len(s), i+12)])
		}
		for j++; j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';' || s[j] == ':'); j++ {
		}
		if j >= len(s) || s[j] != 'm' {
			t.Fatalf("escape sequence that is not a style at %d: %q", i, s[i:min(len(s), i+12)])
		}
	}
}

func TestResize(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 120, 40)
	s.ready()
	for _, sz := range []struct{ w, h int }{{80, 24}, {60, 20}, {200, 50}, {80, 24}} {
		s.tm.Send(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
		s.waitFor("the resize", func(m *Model) bool { return m.width == sz.w && m.height == sz.h })
		checkFrame(t, s.content(), sz.w, sz.h)
		s.waitText("id-vm-web", "1/5")
	}
}

func TestCopySelectedUsesOSC52(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 80, 24)
	s.ready()
	s.keys("/")
	s.typeText("fn-clean")
	s.keys("enter", "y")
	s.waitText("copied fn-clean: " + idClean[:20])
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(idClean))
	teatest.WaitFor(t, s.tm.Output(), func(b []byte) bool { return strings.Contains(string(b), want) },
		teatest.WithDuration(3*time.Second))
}

func TestCopyViewAsMarkdown(t *testing.T) {
	v := newIdentitiesView()
	rows := []row{identityRow(testTenant().Identities[2], nil), identityRow(testTenant().Identities[0], nil)}
	v.t.setRows(rows)
	title, cols, cells := v.Table()
	md := markdownTable(title, cols, cells)
	if !strings.Contains(md, "| NAME | KIND | ATTACHED |") {
		t.Errorf("no header row:\n%s", md)
	}
	if strings.ContainsAny(md, "\x1b\u202e\r") {
		t.Errorf("markdown carries control characters:\n%q", md)
	}
	if got := strings.Count(md, "\n|"); got != 4 {
		t.Errorf("want header, separator and 2 rows, got %d lines:\n%s", got, md)
	}
	if mdEscape("a|b*c") != `a\|b\*c` {
		t.Errorf("markdown cells are not escaped: %s", mdEscape("a|b*c"))
	}
}

func TestQuitOnlyFromTopLevel(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 80, 24)
	s.ready()
	s.tm.Send(s.openCmd(idWeb))
	s.waitFor("the detail", func(m *Model) bool { _, ok := m.top().(*detailView); return ok })
	s.keys("q") // in a detail view q goes back rather than quitting
	s.waitFor("the list", func(m *Model) bool { return len(m.stack) == 1 })
	s.keys("/")
	s.typeText("q") // typed into the filter, not a quit
	s.waitFor("the filter", func(m *Model) bool { return m.list.f.query == "q" })
	s.keys("esc", "q")
	s.tm.WaitFinished(t, teatest.WithFinalTimeout(3*time.Second))
}

func TestStaleSectionRepliesAreDropped(t *testing.T) {
	d := &detailView{id: idWeb, req: 2, secs: map[data.Section]*sectionState{
		data.SectionGroups: {loading: true},
	}}
	d.apply(sectionMsg{req: 1, id: idWeb, sec: data.SectionGroups, items: []data.GroupMembership{{}}})
	if !d.secs[data.SectionGroups].loading {
		t.Fatal("a reply to an earlier request replaced the section")
	}
	d.apply(sectionMsg{req: 2, id: idWeb, sec: data.SectionGroups, items: []data.GroupMembership{}})
	if d.secs[data.SectionGroups].loading {
		t.Fatal("the current reply was not applied")
	}
}

// countingSource counts what the cache asks of the source underneath it.
type countingSource struct {
	*data.TenantSource
	identities atomic.Int32
}

func (c *countingSource) Identities(ctx context.Context, page func([]data.Identity) error) error {
	c.identities.Add(1)
	return c.TenantSource.Identities(ctx, page)
}

func TestRefresh(t *testing.T) {
	src := &countingSource{TenantSource: data.NewTenantSource(testTenant(), data.SourceInfo{Label: "counted"})}
	m := New(Options{Source: cache.New(src, cache.Options{})})
	s := start(t, m, 80, 24)
	s.ready()
	if n := src.identities.Load(); n != 1 {
		t.Fatalf("the list was read %d times at start, want once", n)
	}
	s.keys("r")
	s.waitFor("the list to be read again", func(m *Model) bool { return src.identities.Load() == 2 })
	s.ready()
	s.waitText("1/5")

	// In a detail view r forgets that identity and asks for every section again.
	s.keys("/")
	s.typeText("uami")
	s.keys("enter", "enter")
	var req int
	s.waitFor("the detail", func(m *Model) bool {
		d, ok := m.top().(*detailView)
		if !ok {
			return false
		}
		req = d.req
		return !d.busy()
	})
	s.keys("r")
	s.waitFor("the sections again", func(m *Model) bool {
		d, ok := m.top().(*detailView)
		return ok && !d.busy() && d.req > req
	})
	s.waitText("Deployers")
}

func (s *session) content() string {
	var out string
	s.inspect(func(m *Model) { out = m.View().Content })
	return out
}

func lineWith(screen, s string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// With a list that arrives in several pages, the cursor stays on the first row, and once the assessment is in that
// row is the most severe identity.
func TestStreamedListKeepsTop(t *testing.T) {
	tn := demo.Synthetic(3*data.PageSize, 7)
	s := start(t, newTestModel(tn), 80, 24)
	s.ready()
	s.inspect(func(m *Model) {
		if len(m.list.t.rows) != len(tn.Identities) {
			t.Fatalf("the list has %d rows, want %d", len(m.list.t.rows), len(tn.Identities))
		}
		if m.list.t.cursor != 0 {
			t.Errorf("cursor at %d, want 0", m.list.t.cursor)
		}
		top := m.list.t.selected()
		for _, i := range m.list.t.view {
			if m.list.t.rows[i].nums[3] > top.nums[3] {
				t.Fatalf("%s is more severe than the first row %s", m.list.t.rows[i].label, top.label)
			}
		}
	})
	s.waitText(fmt.Sprintf("1/%d", len(tn.Identities)))
}

// A list that cannot be read says what it needs; it is never shown as an empty tenant.
func TestListNotReadable(t *testing.T) {
	tn := &data.Tenant{ID: tenantID, Gaps: []data.Gap{{Section: data.SectionIdentities,
		Reason: "403 listing service principals", Needs: "Application.Read.All"}}}
	s := start(t, newTestModel(tn), 80, 24)
	s.waitFor("the list to end", func(m *Model) bool { return !m.list.loading })
	screen := s.waitText("not readable (needs Application.Read.All): 403 listing service principals", "Press r")
	if strings.Contains(screen, "No managed identities") {
		t.Errorf("a list that is not readable is shown as empty:\n%s", screen)
	}
}

// Update fits the view on top to the body (Model.layout): a page down in the list moves by the rows the screen
// shows, and a page down in the detail view keeps its cursor on screen, at 80x24.
func TestPagingMovesByWhatTheScreenShows(t *testing.T) {
	tn := demo.Synthetic(300, 1)
	s := start(t, newTestModel(tn), 80, 24)
	s.ready()
	names := map[string]bool{}
	for _, id := range tn.Identities {
		names[id.DisplayName] = true
	}
	shownRows := func() int {
		n := 0
		for _, l := range strings.Split(s.screen(), "\n") {
			if f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(l), "›")); len(f) > 0 && names[f[0]] {
				n++
			}
		}
		return n
	}
	rows := shownRows()
	if rows < 12 {
		t.Fatalf("the list shows %d rows at 80x24:\n%s", rows, s.screen())
	}
	s.keys("pgdown")
	var cursor, height int
	s.inspect(func(m *Model) { cursor, height = m.list.t.cursor, m.list.t.height })
	if cursor != rows || height != rows {
		t.Errorf("page down moved the cursor to %d with a page of %d; the screen shows %d rows", cursor, height, rows)
	}
	// The detail view: paging to the end keeps the selected line (marked ›) on screen, and render moves nothing.
	s.keys("enter")
	s.waitFor("the detail", func(m *Model) bool { d, ok := m.top().(*detailView); return ok && !d.busy() })
	for range 6 {
		s.keys("pgdown")
		if !strings.Contains(s.screen(), "›") {
			t.Fatalf("after page down the selected line is off screen:\n%s", s.screen())
		}
	}
	s.inspect(func(m *Model) {
		d := m.top().(*detailView)
		cursor, offset := d.cursor, d.offset
		_ = m.View()
		if d.cursor != cursor || d.offset != offset {
			t.Errorf("drawing the detail view moved its cursor or scrolling (%d,%d to %d,%d)", cursor, offset, d.cursor, d.offset)
		}
	})
}
