package ui

import (
	"strings"
	"testing"
)

// A server's notice stays in the status bar until it is cleared, is not called an error, and clearing it leaves a
// newer message alone.
func TestNoticeStaysUntilCleared(t *testing.T) {
	m := newTestModel(testTenant())
	m.Update(NoticeMsg{Text: "this session closes in 1m unless you press a key"})
	if got := m.render(); !strings.Contains(got, "closes in 1m") || strings.Contains(got, "error:") {
		t.Fatalf("the notice is missing or called an error:\n%s", got)
	}
	m.Update(flashClearMsg{gen: m.flashGen}) // what a message's timer sends; a notice has none, so it stays
	m.Update(NoticeMsg{})
	if got := m.render(); strings.Contains(got, "closes in") {
		t.Fatalf("the notice was not cleared:\n%s", got)
	}

	m.Update(NoticeMsg{Text: "closes soon"})
	m.setFlash("exported 2 rows", false)
	m.Update(NoticeMsg{})
	if got := m.render(); !strings.Contains(got, "exported 2 rows") {
		t.Fatalf("clearing the notice cleared a newer message:\n%s", got)
	}
}
