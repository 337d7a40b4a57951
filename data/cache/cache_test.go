package cache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
)

// countingSource is a Source that counts calls and can be told to fail or block; the cache must not care what
// kind of source it wraps.
type countingSource struct {
	data.Source
	groups, tenant atomic.Int32
	release        chan struct{}
	fail           error
	origin         data.Origin
}

func (s *countingSource) Info() data.SourceInfo {
	info := s.Source.Info()
	if s.origin != "" {
		info.Origin = s.origin
	}
	return info
}

func (s *countingSource) Groups(ctx context.Context, id string) ([]data.GroupMembership, error) {
	s.groups.Add(1)
	if s.release != nil {
		<-s.release
	}
	if s.fail != nil {
		return nil, s.fail
	}
	return s.Source.Groups(ctx, id)
}

func (s *countingSource) Tenant(ctx context.Context, p func(data.Progress)) (*data.Tenant, error) {
	s.tenant.Add(1)
	return s.Source.Tenant(ctx, p)
}

func newSource() *countingSource {
	t := &data.Tenant{
		ID:          "t1",
		Identities:  []data.Identity{{ID: "a", Kind: data.SystemAssigned}, {ID: "b", Kind: data.UserAssigned}},
		Groups:      []data.Group{{ID: "g", DisplayName: "G"}},
		Memberships: []data.Membership{{IdentityID: "a", GroupID: "g"}},
		Gaps:        []data.Gap{{Section: data.SectionFederatedCredentials, Reason: "denied", Needs: "Reader"}},
	}
	return &countingSource{Source: data.NewTenantSource(t, data.SourceInfo{Origin: data.OriginSnapshot})}
}

func TestConcurrentAsksShareOneFetch(t *testing.T) {
	src := newSource()
	src.release = make(chan struct{})
	c := New(src, Options{})
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gs, err := c.Groups(context.Background(), "a")
			if err != nil || len(gs) != 1 {
				t.Errorf("groups: %v %v", gs, err)
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	close(src.release)
	wg.Wait()
	if n := src.groups.Load(); n != 1 {
		t.Errorf("10 concurrent asks made %d fetches, want 1", n)
	}
}

func TestTTLAndRefresh(t *testing.T) {
	src := newSource()
	now := time.Unix(0, 0)
	c := New(src, Options{TTL: time.Minute, Now: func() time.Time { return now }})
	ctx := context.Background()
	c.Groups(ctx, "a")
	c.Groups(ctx, "a")
	if n := src.groups.Load(); n != 1 {
		t.Fatalf("second ask within the TTL fetched again (%d)", n)
	}
	now = now.Add(2 * time.Minute)
	c.Groups(ctx, "a")
	if n := src.groups.Load(); n != 2 {
		t.Fatalf("ask after the TTL did not fetch (%d)", n)
	}
	c.Refresh("a")
	c.Groups(ctx, "a")
	if n := src.groups.Load(); n != 3 {
		t.Fatalf("ask after Refresh did not fetch (%d)", n)
	}
}

func TestFailuresAreRetriedGapsAreKept(t *testing.T) {
	src := newSource()
	src.fail = errors.New("connection reset")
	c := New(src, Options{})
	ctx := context.Background()
	if _, err := c.Groups(ctx, "a"); err == nil {
		t.Fatal("failure swallowed")
	}
	src.fail = nil
	if gs, err := c.Groups(ctx, "a"); err != nil || len(gs) != 1 {
		t.Fatalf("a failure must not be remembered: %v %v", gs, err)
	}
	src.fail = &data.Gap{Section: data.SectionGroups, Reason: "403"}
	c.Refresh("")
	c.Groups(ctx, "a")
	_, err := c.Groups(ctx, "a")
	if _, ok := data.AsGap(err); !ok || src.groups.Load() != 3 {
		t.Fatalf("a gap is an answer and is cached: err=%v fetches=%d", err, src.groups.Load())
	}
}

func TestFullReadAnswersSections(t *testing.T) {
	src := newSource()
	c := New(src, Options{})
	ctx := context.Background()
	if _, err := c.Index(ctx, nil); err != nil {
		t.Fatal(err)
	}
	c.Tenant(ctx, nil)
	if n := src.tenant.Load(); n != 1 {
		t.Errorf("full read made %d times", n)
	}
	if gs, err := c.Groups(ctx, "a"); err != nil || len(gs) != 1 || src.groups.Load() != 0 {
		t.Errorf("after a full read, sections come from it: %v %v fetches=%d", gs, err, src.groups.Load())
	}
	if _, err := c.FederatedCredentials(ctx, "b"); err == nil {
		t.Error("a tenant-wide gap must reach every identity's section")
	}
}

func TestCallerLeavingDoesNotCancelOthers(t *testing.T) {
	src := newSource()
	src.release = make(chan struct{})
	c := New(src, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := c.Groups(ctx, "a"); errc <- err }()
	time.Sleep(10 * time.Millisecond)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("the leaving caller gets its own cancellation, got %v", err)
	}
	close(src.release)
	if gs, err := c.Groups(context.Background(), "a"); err != nil || len(gs) != 1 {
		t.Fatalf("others still get the answer: %v %v", gs, err)
	}
	if n := src.groups.Load(); n != 1 {
		t.Errorf("fetches = %d, want 1", n)
	}
}

func TestDiskCacheIsPrivateAndOnlyForLiveTenants(t *testing.T) {
	dir := t.TempDir()
	src := newSource()
	src.origin = data.OriginLive
	c := New(src, Options{Dir: dir, Scope: "all subscriptions"})
	if _, err := c.Tenant(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "t1-*"+diskSuffix))
	if len(files) != 1 {
		t.Fatalf("cache files: %v", files)
	}
	p := files[0]
	st, err := os.Stat(p)
	if err != nil {
		t.Fatalf("no cache file: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("cache file mode %v, want 0600", st.Mode().Perm())
	}
	limited := New(src, Options{Dir: dir, Scope: "subscription s1"})
	if _, err := limited.Tenant(context.Background(), nil); err != nil || src.tenant.Load() != 2 {
		t.Errorf("a read limited to one subscription must not come from the whole tenant's copy: reads=%d", src.tenant.Load())
	}
	c2 := New(src, Options{Dir: dir, Scope: "all subscriptions"})
	if _, err := c2.Tenant(context.Background(), nil); err != nil || src.tenant.Load() != 2 {
		t.Errorf("second start should read the disk cache: err=%v reads=%d", err, src.tenant.Load())
	}
	c2.Refresh("")
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Error("refresh of everything must drop the disk copy")
	}

	snap := newSource() // a snapshot is already on disk: nothing to cache
	dir2 := t.TempDir()
	New(snap, Options{Dir: dir2}).Tenant(context.Background(), nil)
	if entries, _ := os.ReadDir(dir2); len(entries) != 0 {
		t.Errorf("a snapshot source wrote %d cache files", len(entries))
	}
}

func TestIdentitiesStreamThenReplay(t *testing.T) {
	src := newSource()
	c := New(src, Options{})
	var got []string
	collect := func(p []data.Identity) error {
		for _, i := range p {
			got = append(got, i.ID)
		}
		return nil
	}
	if err := c.Identities(context.Background(), collect); err != nil {
		t.Fatal(err)
	}
	if err := c.Identities(context.Background(), collect); err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[2] != "a" {
		t.Errorf("replay: %v", got)
	}
}

func TestRefreshAfterFullReadFetchesAgain(t *testing.T) {
	src := newSource()
	c := New(src, Options{})
	ctx := context.Background()
	if _, err := c.Index(ctx, nil); err != nil {
		t.Fatal(err)
	}
	c.Groups(ctx, "a")
	if n := src.groups.Load(); n != 0 {
		t.Fatalf("sections come from the full read: %d fetches", n)
	}
	c.Refresh("a")
	if gs, err := c.Groups(ctx, "a"); err != nil || len(gs) != 1 || src.groups.Load() != 1 {
		t.Errorf("r on an identity must read it again: %v %v fetches=%d", gs, err, src.groups.Load())
	}
	if _, err := c.Groups(ctx, "b"); err != nil || src.groups.Load() != 1 {
		t.Errorf("other identities still come from the full read: fetches=%d", src.groups.Load())
	}
}

// listSource delivers its pages only when told, to show that readers share one read of the list.
type listSource struct {
	*countingSource
	reads atomic.Int32
	gate  chan struct{}
}

func (s *listSource) Identities(ctx context.Context, page func([]data.Identity) error) error {
	s.reads.Add(1)
	page([]data.Identity{{ID: "a", Kind: data.SystemAssigned}})
	<-s.gate
	return page([]data.Identity{{ID: "b", Kind: data.UserAssigned}})
}

func TestReadersShareOneReadOfTheList(t *testing.T) {
	src := &listSource{countingSource: newSource(), gate: make(chan struct{})}
	c := New(src, Options{})
	firstPage := make(chan string, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			c.Identities(context.Background(), func(p []data.Identity) error {
				if n == 0 {
					firstPage <- p[0].ID
				}
				n += len(p)
				return nil
			})
			if n != 2 {
				t.Errorf("a reader got %d identities, want 2", n)
			}
		}()
	}
	// Both readers see the first page before the source has finished.
	for range 2 {
		select {
		case id := <-firstPage:
			if id != "a" {
				t.Errorf("first page starts with %q", id)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("the first page did not reach every reader while the list was still being read")
		}
	}
	close(src.gate)
	wg.Wait()
	if n := src.reads.Load(); n != 1 {
		t.Errorf("two readers made %d reads of the list", n)
	}
}
