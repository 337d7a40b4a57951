package ui

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/miscope/miscope/data"
)

// TestFilterNarrowingMatchesAFullSearch types, erases and retypes queries into a list and checks every view against
// a search of every row; after the rows change, erasing must not bring back a view of the old rows.
func TestFilterNarrowingMatchesAFullSearch(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	words := []string{"storage", "store", "blob", "data", "contributor", "reader", "st", "sto"}
	tb := newTable(identityColumns(), colKind, false)
	var rows []row
	for i := range 2000 {
		id := data.Identity{ID: "id-" + strconv.Itoa(i), DisplayName: words[rnd.IntN(len(words))] + "-" +
			words[rnd.IntN(len(words))], Kind: data.SystemAssigned}
		rows = append(rows, identityRow(id, nil))
	}
	tb.setRows(rows)
	check := func(what string) {
		t.Helper()
		if want := tb.filter(tb.order); !slices.Equal(tb.view, want) {
			t.Fatalf("%s: query %q keeps %d rows, a full search %d", what, tb.query, len(tb.view), len(want))
		}
	}
	for _, q := range []string{"storage blob", "stor", "store", "sev:high", "blob"} {
		for i := 1; i <= len(q); i++ { // typing
			tb.setFilter(q[:i])
			check("typing")
		}
		for i := len(q) - 1; i >= 0; i-- { // erasing
			tb.setFilter(q[:i])
			check("erasing")
		}
	}
	for _, q := range []string{"b", "bl", "blo", "blob"} {
		tb.setFilter(q)
	}
	// Rows learn more text (the assessment's roles and permissions) and the list filters again.
	for i := range tb.rows {
		if i%3 == 0 {
			tb.rows[i].extra = "storage blob data contributor"
		}
	}
	tb.refilter(tb.selectedID())
	check("after new text")
	tb.setFilter("blo")
	check("erasing after new text")
	tb.setFilter("")
	check("erasing all")
}
