package ui

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	tea "charm.land/bubbletea/v2"
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
