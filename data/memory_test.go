package data

import "testing"

// The soft memory limit is raised to half as much again as what is live once that comes within a third of it, and
// is otherwise left alone.
func TestLimitAbove(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct{ live, limit, want int64 }{
		{100 * mb, 300 * mb, 300 * mb},
		{200 * mb, 300 * mb, 300 * mb},
		{201 * mb, 300 * mb, 301*mb + mb/2},
		{390 * mb, 300 * mb, 585 * mb}, // the idle explorer of 50,000 identities that collected without pause
	} {
		if got := LimitAbove(c.live, c.limit); got != c.want {
			t.Errorf("LimitAbove(%d MB, %d MB) = %d MB, want %d MB", c.live/mb, c.limit/mb, got/mb, c.want/mb)
		}
	}
}
