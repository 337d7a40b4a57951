package ui

import (
	"fmt"
	"strings"
	"testing"
)

func bigTable(n int) *table {
	t := newTable(identityColumns(), "", false)
	rows := make([]row, n)
	for i := range rows {
		name := fmt.Sprintf("id-%05d", (i*7919)%n) // names out of order
		rows[i] = row{cells: []string{name, "SA", "", "", "", ""}, nums: []int64{0, 0, 0, int64(i % 5), 0, 0},
			id: name, hay: name, sev: -1}
	}
	t.setRows(rows)
	return t
}

func sortedBy(t *table, less func(a, b *row) bool) bool {
	for p := 1; p < len(t.order); p++ {
		if less(&t.rows[t.order[p]], &t.rows[t.order[p-1]]) {
			return false
		}
	}
	return true
}

func byName(a, b *row) bool { return a.cells[0] < b.cells[0] }

func TestLargeSortRunsInACommand(t *testing.T) {
	tb := bigTable(asyncSortRows)
	before := append([]int32(nil), tb.order...)
	cmd, ok := tb.sortBy(colName)
	if !ok || cmd == nil {
		t.Fatal("sorting a large table should return a command")
	}
	if fmt.Sprint(before) != fmt.Sprint(tb.order) {
		t.Fatal("the order changed before the command ran")
	}
	msg := cmd().(sortedMsg)
	tb.applySorted(msg)
	if !sortedBy(tb, byName) || len(tb.view) != asyncSortRows {
		t.Fatal("the finished sort was not installed")
	}

	// A sort overtaken by another is dropped; the later one wins.
	first, _ := tb.sortBy(colSeverity)
	second, _ := tb.sortBy(colSeverity) // reversed
	late := first().(sortedMsg)
	tb.applySorted(second().(sortedMsg))
	tb.applySorted(late)
	if !sortedBy(tb, func(a, b *row) bool { return a.nums[3] < b.nums[3] }) {
		t.Fatal("a stale sort replaced a newer one")
	}

	// Rows arriving while a sort runs are sorted in with everything else.
	pending, _ := tb.sortBy(colName)
	extra := []row{{cells: []string{"aaa-first", "UA", "", "", "", ""}, nums: make([]int64, 6), id: "x", hay: "x", sev: -1}}
	again := tb.appendRows(extra)
	if again == nil {
		t.Fatal("rows that arrive during a sort should start a new one")
	}
	tb.applySorted(pending().(sortedMsg))
	tb.applySorted(again().(sortedMsg))
	if !sortedBy(tb, byName) || tb.rows[tb.order[0]].id != "x" || len(tb.view) != asyncSortRows+1 {
		t.Fatal("the rows that arrived during the sort are not in order")
	}
}

func TestSmallSortIsImmediate(t *testing.T) {
	tb := bigTable(100)
	if cmd, _ := tb.sortBy(colName); cmd != nil {
		t.Fatal("a small table should sort at once")
	}
	if !sortedBy(tb, byName) {
		t.Fatal("not sorted")
	}
}

func TestFilterExtendsAndNarrows(t *testing.T) {
	tb := bigTable(1000)
	tb.setFilter("id-001")
	if len(tb.view) != 100 {
		t.Fatalf("id-001 keeps %d rows, want 100", len(tb.view))
	}
	tb.setFilter("id-0012") // searches only what id-001 kept
	if len(tb.view) != 10 {
		t.Fatalf("id-0012 keeps %d rows, want 10", len(tb.view))
	}
	tb.setFilter("id-000") // not an extension: searches everything again
	if len(tb.view) != 100 {
		t.Fatalf("id-000 keeps %d rows, want 100", len(tb.view))
	}
	tb.setFilter("ID-00999")
	if len(tb.view) != 1 || tb.selected().id != "id-00999" {
		t.Fatal("the filter is not case-insensitive or lost the cursor")
	}
}

func TestFitByDisplayWidth(t *testing.T) {
	for _, tc := range []struct {
		in   string
		w    int
		want string
	}{
		{"abc", 5, "abc  "},
		{"abcdef", 4, "abc…"},
		{"日本語テキスト", 6, "日本… "}, // wide characters count two cells and are never cut in half
		{"x", 0, ""},
	} {
		if got := fit(tc.in, tc.w, false); got != tc.want {
			t.Errorf("fit(%q, %d) = %q, want %q", tc.in, tc.w, got, tc.want)
		}
	}
}

// containsFold must agree with lowering the text and searching it, for ASCII and for text it cannot fold by bytes.
func TestContainsFoldAgreesWithToLower(t *testing.T) {
	texts := []string{"", "Holds a privileged Azure role: Owner", "ID-VM-Web", "Zürich Ops", "ÅSA-admin", "MI-PRIV-AZURE",
		"3 role assignments let less privileged principals use \"vm-01\" (subscription owner)"}
	queries := []string{"", "h", "holds", "owner", "vm-web", "zürich", "åsa", "priv-az", "subscription owner)", "x", "web-id"}
	for _, s := range texts {
		for _, q := range queries {
			want := strings.Contains(strings.ToLower(s), q)
			if got := containsFold(s, q); got != want {
				t.Errorf("containsFold(%q, %q) = %v, want %v", s, q, got, want)
			}
		}
	}
}

// The findings pane keeps no lowercase copy of its rows' text, yet filters by any cell and by the identity's id.
func TestFindingsFilterSearchesCellsAndIdentityID(t *testing.T) {
	v := newFindingsView()
	v.t.setRows([]row{
		{cells: []string{"high", "MI-PRIV-AZURE", "Web App", "Holds Owner"}, ref: "AAAA-1", id: "1", nums: severityNums(3)},
		{cells: []string{"low", "MI-STALE", "Batch", "Belongs to a deleted resource"}, ref: "bbbb-2", id: "2", nums: severityNums(1)},
	})
	for q, want := range map[string]int{"web app": 1, "aaaa-1": 1, "MI-": 2, "DELETED": 1, "owner": 1, "nothing": 0} {
		v.f.setQuery(q)
		if len(v.t.view) != want {
			t.Errorf("filter %q kept %d findings, want %d", q, len(v.t.view), want)
		}
	}
}

// A filter keeps its matches in the view's sorted order, however it reads the rows: one by one for a short view, in
// memory order for a long one.
func TestFilterKeepsTheSortedOrder(t *testing.T) {
	tb := bigTable(5000)
	tb.sortCol = tb.colIndex(colName) // by name, which is not the order the rows are kept in
	tb.sort()
	naive := func(q string, from []int32) []int32 {
		var out []int32
		for _, i := range from {
			if strings.Contains(tb.rows[i].hay, q) {
				out = append(out, i)
			}
		}
		return out
	}
	for _, steps := range [][]string{{"1"}, {"id-0", "id-00", "id-004"}, {"7", "77"}, {"id-04999"}, {"zz"}} {
		tb.setFilter("")
		from := tb.order
		for _, q := range steps {
			tb.setFilter(q)
			want := naive(q, from)
			if fmt.Sprint(tb.view) != fmt.Sprint(want) {
				t.Fatalf("%q keeps %d rows in another order or set than a plain search of the sorted rows (%d)", q,
					len(tb.view), len(want))
			}
			from = want
		}
	}
}
