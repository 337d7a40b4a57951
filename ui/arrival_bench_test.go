package ui

import (
	"slices"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// BenchmarkListArrival merges 50,000 identities into the list as Update does while a large tenant arrives, a part of
// a page (rowsPerUpdate) at a time, with a filter typed and two shorter ones kept. ms-max-update is the longest of
// those Updates: what a key typed then waits for at most before its own turn.
func BenchmarkListArrival(b *testing.B) {
	ids := syntheticTenant().Identities
	var parts []pageMsg
	var plan roomPlan
	for s := 0; s < len(ids); s += rowsPerUpdate {
		p := ids[s:min(s+rowsPerUpdate, len(ids))]
		rows := make([]row, len(p))
		for i := range p {
			rows[i] = identityRowOf(&p[i], newIdentityText(&p[i]), nil)
		}
		parts = append(parts, pageMsg{ids: p, rows: rows, room: plan.room(len(p))})
	}
	c := &pageContext{}
	var updates []time.Duration
	for b.Loop() {
		v := newIdentitiesView()
		v.t.fit(20)
		for _, q := range []string{"s", "st", "sto"} {
			v.t.setFilter(q)
		}
		for _, p := range parts {
			start := time.Now()
			v.receive(c, []tea.Msg{p}, false)
			updates = append(updates, time.Since(start))
		}
		if len(v.t.rows) != len(ids) {
			b.Fatalf("%d rows, want %d", len(v.t.rows), len(ids))
		}
	}
	slices.Sort(updates)
	b.ReportMetric(float64(updates[len(updates)/2].Microseconds())/1000, "ms-median-update")
	b.ReportMetric(float64(updates[len(updates)-1].Microseconds())/1000, "ms-max-update")
}
