package ui

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"unsafe"

	tea "charm.land/bubbletea/v2"

	"github.com/miscope/miscope/data/demo"
)

// A mailbox with a limit hands over at most that many items at a time, in order, and says it is finished only once
// everything was taken.
func TestMailboxTakesAtMostItsLimit(t *testing.T) {
	b := newMailbox(2)
	for i := range 5 {
		b.put(i)
	}
	b.close()
	var got []tea.Msg
	var sizes []int
	for {
		m := b.next(context.Background())().(mailMsg)
		got = append(got, m.msgs...)
		sizes = append(sizes, len(m.msgs))
		if m.done {
			break
		}
	}
	if !slices.Equal(sizes, []int{2, 2, 1}) || !slices.Equal(got, []tea.Msg{0, 1, 2, 3, 4}) {
		t.Errorf("deliveries of %v holding %v, want 2, 2, 1 holding 0 to 4", sizes, got)
	}
}

// Rows merged a part of a page at a time, while a filter is typed and kept for shorter queries, end in the order a
// full sort gives and the view a full filter gives.
func TestArrivalKeepsTheSortedOrder(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	mk := func(n int) []row {
		rows := make([]row, n)
		for i := range rows {
			name := []string{"storage-", "sql-", "st-", "app-"}[rnd.IntN(4)] + strconv.Itoa(rnd.IntN(500))
			id := strconv.Itoa(rnd.Int())
			rows[i] = row{cells: []string{name, "SA", "", "", "", "", "", ""}, nums: make([]int64, 8), id: id, hay: name, sev: -1}
			rows[i].nums[3] = int64(rnd.IntN(3))
		}
		return rows
	}
	tb := newTable(identityColumns(), colSeverity, true)
	tb.fit(10)
	tb.setFilter("s")
	tb.setFilter("st")
	for range 12 {
		tb.appendRows(mk(rowsPerUpdate))
	}
	tb.appendRows(mk(7))
	got, gotView := slices.Clone(tb.order), slices.Clone(tb.view)
	tb.sort()
	if !slices.Equal(got, tb.order) {
		t.Fatal("the order after merging pages differs from sorting every row")
	}
	tb.refilter("")
	if !slices.Equal(gotView, tb.view) || len(gotView) == 0 {
		t.Errorf("the view after merging pages (%d rows) differs from filtering every row (%d)", len(gotView), len(tb.view))
	}
	tb.setFilter("s")
	kept := slices.Clone(tb.view)
	tb.refilter("")
	if !slices.Equal(kept, tb.view) {
		t.Error("the view kept for a shorter query differs from filtering every row")
	}
}

// merge puts each new row where the order wants it, at the ends and between rows alike, in place.
func TestMergePlacesEveryRow(t *testing.T) {
	byValue := func(x, y int32) int { return cmp.Compare(x, y) }
	for _, tc := range []struct{ a, b []int32 }{
		{[]int32{}, []int32{3, 5}},
		{[]int32{10, 20, 30}, []int32{1, 2}},
		{[]int32{10, 20, 30}, []int32{40, 50}},
		{[]int32{10, 20, 30, 40}, []int32{5, 15, 25, 35, 45}},
		{[]int32{10, 20, 30, 40}, []int32{21, 22, 23}},
	} {
		want := slices.Sorted(slices.Values(slices.Concat(tc.a, tc.b)))
		a := slices.Clip(slices.Clone(tc.a))
		if got := merge(a, tc.b, byValue); !slices.Equal(got, want) {
			t.Errorf("merge(%v, %v) = %v, want %v", tc.a, tc.b, got, want)
		}
		a = make([]int32, len(tc.a), len(tc.a)+len(tc.b)) // room enough: merged in its own array
		copy(a, tc.a)
		if got := merge(a, tc.b, byValue); !slices.Equal(got, want) || &got[0] != &a[:1][0] {
			t.Errorf("merge with room of %v, %v = %v, want %v in the same array", tc.a, tc.b, got, want)
		}
	}
}

// The list's rows never grow in Update: each time they need more room, the page that needs it brings an array made
// (and touched) off the Update path, and the rows move into it; other pages append in place.
func TestListRowsGrowOnlyIntoRoomMadeForThem(t *testing.T) {
	ids := demo.Synthetic(3000, 1).Identities
	v := newIdentitiesView()
	var plan roomPlan
	rooms := 0
	for s := 0; s < len(ids); s += 100 {
		p := ids[s:min(s+100, len(ids))]
		rows := make([]row, len(p))
		for i := range p {
			rows[i] = identityRowOf(&p[i], newIdentityText(&p[i]), nil)
		}
		msg := pageMsg{ids: p, rows: rows, room: plan.room(len(p))}
		before := unsafe.SliceData(v.t.rows)
		v.receive(&pageContext{}, []tea.Msg{msg}, false)
		switch after := unsafe.SliceData(v.t.rows); {
		case msg.room != nil:
			rooms++
			if after != unsafe.SliceData(msg.room) {
				t.Fatalf("at %d rows the page brought room, but the rows are elsewhere", len(v.t.rows))
			}
		case after != before:
			t.Fatalf("at %d rows the rows were grown in Update", len(v.t.rows))
		}
	}
	if len(v.t.rows) != len(ids) || len(v.t.view) != len(ids) {
		t.Fatalf("%d rows, %d shown; want %d", len(v.t.rows), len(v.t.view), len(ids))
	}
	if rooms < 2 || rooms > 8 {
		t.Fatalf("room was made %d times for 30 pages; want it doubling", rooms)
	}
}
