package data

// MemoryLimitFor is the soft memory limit miscope gives Go's garbage collector for a tenant of n managed identities.
// Without one the heap grows to about twice what is live before each collection, so a 50,000-identity run peaked near
// 430 MB for about 230 MB of live data; with the limit it stays under 300 MB. The limit grows with the tenant (about
// 6 KiB of live data per identity, with role assignments, index and assessment) so that a larger tenant is never held
// to a limit below what it needs, where the collector would run almost without pause.
func MemoryLimitFor(n int) int64 {
	const (
		floor       = 300 << 20
		perIdentity = 6 << 10
	)
	return max(floor, int64(n)*perIdentity)
}
