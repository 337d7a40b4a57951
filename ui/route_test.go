package ui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/cache"
)

// gatedSource holds every section read of an identity until the test opens the gate.
type gatedSource struct {
	*data.TenantSource
	gate chan struct{}
}

func (g *gatedSource) wait(ctx context.Context) error {
	select {
	case <-g.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gatedSource) AttachedResources(ctx context.Context, id string) ([]data.Resource, error) {
	if err := g.wait(ctx); err != nil {
		return nil, err
	}
	return g.TenantSource.AttachedResources(ctx, id)
}

func (g *gatedSource) Groups(ctx context.Context, id string) ([]data.GroupMembership, error) {
	if err := g.wait(ctx); err != nil {
		return nil, err
	}
	return g.TenantSource.Groups(ctx, id)
}

// A section's reply reaches the detail view that asked for it even when another view lies on top of it by then:
// open an identity, open the findings pane before its sections arrive, come back.
func TestSectionRepliesReachAViewBelowTheTop(t *testing.T) {
	g := &gatedSource{TenantSource: data.NewTenantSource(testTenant(),
		data.SourceInfo{Origin: data.OriginDemo, Label: "demo tenant"}), gate: make(chan struct{})}
	m := New(Options{Source: cache.New(g, cache.Options{})})
	s := start(t, m, 120, 40)
	s.ready()
	s.keys("enter")
	s.waitFor("the detail view", func(m *Model) bool { _, ok := m.top().(*detailView); return ok })
	s.keys("f")
	s.waitFor("the findings pane", func(m *Model) bool { _, ok := m.top().(*findingsView); return ok })
	close(g.gate)
	s.waitFor("the sections to reach the detail view below", func(m *Model) bool {
		d, ok := m.stack[len(m.stack)-2].(*detailView)
		if !ok {
			return false
		}
		for _, st := range d.secs {
			if st.loading {
				return false
			}
		}
		return true
	})
	s.keys("esc")
	s.waitFor("the detail view on top", func(m *Model) bool { _, ok := m.top().(*detailView); return ok })
	if screen := s.screen(); strings.Contains(screen, "loading") {
		t.Errorf("the detail view still shows a section loading:\n%s", screen)
	}
}

// The detail view leads with the verdict at 80x24: on its title line, the worst severity, each rule of the
// identity's findings and what it can reach; an identity with nothing found says none.
func TestDetailLeadsWithTheVerdict(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 80, 24)
	s.ready()
	s.tm.Send(s.openCmd(idWeb))
	s.waitFor("the detail", func(m *Model) bool { _, ok := m.top().(*detailView); return ok })
	var want []string
	s.inspect(func(m *Model) {
		f := m.as.result.fact(idWeb)
		sev, _ := f.severity()
		want = append(want, "id-vm-web", sev, f.reach)
		for _, x := range m.as.result.r.For(idWeb) {
			want = append(want, x.RuleID)
		}
	})
	if len(want) < 4 {
		t.Fatalf("id-vm-web has no finding to lead with: %v", want)
	}
	title := strings.Split(s.screen(), "\n")[1]
	for _, w := range want {
		if !strings.Contains(title, w) {
			t.Errorf("the title line %q lacks %q", title, w)
		}
	}
	checkFrame(t, s.screen(), 80, 24)
}

// The status bar says where the selection is: its position among all rows, and among those a filter keeps.
func TestPositionIndicator(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 80, 24)
	s.ready()
	s.waitText("1/5")
	s.keys("j", "j")
	s.waitText("3/5")
	s.keys("G")
	s.waitText("5/5")
	s.keys("/")
	s.typeText("fn-clean")
	s.waitText("1/1 of 5")
	s.typeText("zzz")
	s.waitText("0 of 5")
}

// Keys that cannot act here say why instead of doing nothing: r on the demo tenant or a snapshot, o off an Azure role.
func TestKeysThatCannotActSayWhy(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 80, 24)
	s.ready()
	s.keys("r")
	s.waitText("nothing to read again")
	s.keys("enter", "o")
	s.waitText("move to a line under Azure roles")
}

// A snapshot's status bar names its tenant and how old it is.
func TestSnapshotStatusBarSaysTenantAndAge(t *testing.T) {
	collected := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	src := data.NewTenantSource(testTenant(), data.SourceInfo{Origin: data.OriginSnapshot, Label: "week48.json.gz",
		TenantName: "Contoso Pharma", CollectedAt: collected})
	m := New(Options{Source: cache.New(src, cache.Options{}), Now: func() time.Time { return collected.Add(75 * time.Hour) }})
	s := start(t, m, 80, 24)
	s.ready()
	s.waitText("week48.json.gz · Contoso Pharma · 3 days old")
	s.keys("r")
	s.waitText("collect a new one")
}

// "1 part not readable" leads somewhere: ! lists the gaps with their reason and what they need, and enter opens the
// identity a gap is about.
func TestGapsKeyListsWhatCouldNotBeRead(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 80, 24)
	s.ready()
	s.waitText("1 part not readable (!)")
	s.keys("!")
	screen := s.waitText("Parts not readable", "azureRoles", "vm-graph")
	s.keys("/")
	s.typeText("prod-data")
	s.keys("enter")
	s.waitText("1/1")
	checkFrame(t, screen, 80, 24)
	s.keys("enter")
	s.waitFor("the identity of the gap", func(m *Model) bool {
		d, ok := m.top().(*detailView)
		return ok && d.id == idGraph
	})
}

// Filters can name a field, as gh-dash's do: sev:, rule: and kind: keep the rows whose field starts with the value
// (in the identity list, whose rows have no rule column, the identities with a finding of that rule).
func TestFieldFilters(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 120, 40)
	s.ready()
	want := map[string]func(*Model, *row) bool{
		"kind:ua": func(m *Model, r *row) bool { return r.cells[1] == "UA" },
		"sev:crit": func(m *Model, r *row) bool {
			f := m.as.result.fact(r.id)
			return f != nil && f.count > 0 && f.sev == assess.Critical
		},
		"rule:mi-priv-graph": func(m *Model, r *row) bool {
			rules, _ := m.as.result.r.Rules(r.id)
			return slices.Contains(rules, assess.RulePrivGraph)
		},
	}
	for q, keep := range want {
		s.keys("/")
		s.typeText(q)
		s.keys("enter")
		s.inspect(func(m *Model) {
			tb := m.list.t
			kept := map[string]bool{}
			for _, i := range tb.view {
				kept[tb.rows[i].id] = true
			}
			n := 0
			for i := range tb.rows {
				r := &tb.rows[i]
				if keep(m, r) {
					n++
				}
				if keep(m, r) != kept[r.id] {
					t.Errorf("%s: %s kept %v, want %v", q, r.label, kept[r.id], keep(m, r))
				}
			}
			if n == 0 || n == len(tb.rows) {
				t.Errorf("%s keeps %d of %d rows: the test tenant does not tell it apart", q, n, len(tb.rows))
			}
		})
		s.keys("esc")
	}
}

// Long ids wrap at path separators and spaces, never inside a GUID or a hyphenated name.
func TestWrapKeepsIDsWhole(t *testing.T) {
	id := "/subscriptions/b3dc6823-5eef-4876-a66e-c786390f4d22/resourcegroups/rg-crm-integration/providers/Microsoft.Web/sites/func-crm-group-sync"
	text := "managed identity \"aa-platform-ops\" (28bb28fc-feaf-467a-b98f-fe1a6ab39df3) on " + id
	for _, w := range []int{30, 50, 64} {
		got := wrapText(text, w)
		if strings.Join(strings.Fields(got), "") != strings.Join(strings.Fields(text), "") {
			t.Errorf("width %d changed the text:\n%s", w, got)
		}
		for _, line := range strings.Split(got, "\n") {
			if ansi.StringWidth(line) > w {
				t.Errorf("width %d: line %q is wider", w, line)
			}
			if strings.HasSuffix(line, "-") {
				t.Errorf("width %d: line %q breaks inside a hyphenated word", w, line)
			}
		}
	}
}

// enter on a finding in the findings pane opens its identity at that finding: the cursor on it, its header at the top.
func TestEnterOnAFindingLandsOnIt(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 80, 24)
	s.ready()
	s.keys("f")
	s.waitFor("the findings pane", func(m *Model) bool { v, ok := m.top().(*findingsView); return ok && v.filled })
	// The last finding of an identity with several, so that landing at the top would miss it.
	var fp, ref string
	s.inspect(func(m *Model) {
		v := m.top().(*findingsView)
		n := map[string]int{}
		for _, i := range v.t.view {
			n[v.t.rows[i].ref]++
		}
		for pos, i := range v.t.view {
			if r := &v.t.rows[i]; n[r.ref] > 1 && m.as.result.fact(r.ref) != nil {
				v.t.cursor, fp, ref = pos, v.from.fps[r.src], r.ref
			}
		}
	})
	if fp == "" {
		t.Fatal("the test tenant has no identity with several findings")
	}
	s.keys("enter")
	s.waitFor("the detail at the finding", func(m *Model) bool {
		d, ok := m.top().(*detailView)
		if !ok || d.id != ref {
			return false
		}
		m.View()
		es := d.entries()
		e := d.current(es, selectable(es))
		return e != nil && e.fp == fp && e.style == styleFinding
	})
	var title string
	s.inspect(func(m *Model) {
		d := m.top().(*detailView)
		es := d.entries()
		title = d.current(es, selectable(es)).detail
	})
	if len(title) > 20 {
		title = title[:20]
	}
	// At the top, or as near it as the end of the view allows: on screen in any case.
	if screen := s.screen(); !strings.Contains(screen, title) {
		t.Errorf("the finding %q is not on screen:\n%s", title, screen)
	}
}

// The findings pane shows the selected finding's title whole under the table (up to two lines), however narrow its
// column.
func TestFindingsPaneShowsTheWholeTitle(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 80, 24)
	s.ready()
	s.keys("f")
	s.waitFor("the findings pane", func(m *Model) bool { v, ok := m.top().(*findingsView); return ok && v.filled })
	longest := ""
	s.inspect(func(m *Model) {
		v := m.top().(*findingsView)
		for pos, i := range v.t.view {
			title := v.t.rows[i].cells[3]
			if len(title) > len(longest) && strings.Count(wrapText(title, 80), "\n") < 2 {
				longest, v.t.cursor = title, pos
			}
		}
	})
	if len(longest) < 40 {
		t.Fatalf("no long title to show: %q", longest)
	}
	flat := strings.Join(strings.Fields(s.screen()), " ")
	if !strings.Contains(flat, strings.Join(strings.Fields(longest), " ")) {
		t.Errorf("the pane does not show %q whole:\n%s", longest, s.screen())
	}
}
