// Package cache is the fetch layer between a Source and its readers: concurrent asks for the same thing share one
// fetch, answers live for the session with a time-to-live, and a full read of a live tenant can be kept on disk (0600,
// in the user's cache folder, never tokens) so the next start is instant.
package cache

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/miscope/miscope/data"
)

// Options tune a Cache. The zero value caches in memory for DefaultTTL and keeps nothing on disk.
type Options struct {
	// TTL is how long an answer is reused; 0 means DefaultTTL.
	TTL time.Duration
	// Dir, when set, keeps full reads of live tenants on disk, one file per tenant and Scope. Use DefaultDir.
	Dir string
	// Scope tells apart reads of one tenant that differ in what was read (cloud, endpoints, subscriptions), so a read
	// limited to one subscription is never taken for the whole tenant.
	Scope string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AssessWorkers bounds the cores the assessment works on; 0 means every core. The explorer and serve leave one
	// core to the people typing.
	AssessWorkers int
	// Background joins the tenant and assesses it at the lowest priority the system gives a thread
	// (data.InBackground), so that the explorer and serve answer keys while 50,000 identities are assessed.
	Background bool
}

// DefaultTTL is how long answers are reused when Options.TTL is 0.
const DefaultTTL = 15 * time.Minute

// DefaultDir is miscope's folder in the user's cache directory.
func DefaultDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "miscope"), nil
}

// Cache wraps a Source and is itself a Source.
type Cache struct {
	src  data.Source
	opts Options
	base context.Context // fetches run in this, so one reader leaving does not cancel what others wait for
	stop context.CancelFunc

	mu      sync.Mutex
	entries map[string]*entry // finished answers, for the time to live
	hubs    map[string]*hub   // the progress of fetches in flight, by key
	flight  singleflight.Group
	gen     int // changes with every Refresh: a fetch that started before one does not fill the cache
	list    *listing
	// stale are identities refreshed since the full read: their sections are fetched again, not taken from it.
	stale map[string]bool

	assessments atomic.Int64 // runs of the findings engine, see Assessments
	derived     map[any]*derivation
}

// entry is a finished answer, kept for the time to live.
type entry struct {
	at  time.Time
	val any
	err error
}

// hub passes the progress of a fetch in flight to every reader waiting for it: a reader that joins late is told the
// latest progress at once, so nobody sees "starting" while another reader's fetch is under way.
type hub struct {
	mu   sync.Mutex
	last *data.Progress
	subs map[*func(data.Progress)]struct{}
}

// subscribe adds a reader's progress function and tells it the latest progress; the returned func removes it.
func (e *hub) subscribe(progress func(data.Progress)) func() {
	if progress == nil {
		return func() {}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.subs == nil {
		e.subs = map[*func(data.Progress)]struct{}{}
	}
	k := &progress
	e.subs[k] = struct{}{}
	if e.last != nil {
		progress(*e.last)
	}
	return func() {
		e.mu.Lock()
		delete(e.subs, k)
		e.mu.Unlock()
	}
}

// broadcast tells every reader of the fetch its progress. Readers' functions must not block (the explorer queues
// progress in a mailbox).
func (e *hub) broadcast(p data.Progress) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.last = &p
	for f := range e.subs {
		(*f)(p)
	}
}

// New wraps src.
func New(src data.Source, opts Options) *Cache {
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	base, stop := context.WithCancel(context.Background())
	return &Cache{src: src, opts: opts, base: base, stop: stop, entries: map[string]*entry{}, hubs: map[string]*hub{},
		stale: map[string]bool{}}
}

// Close cancels every fetch under way and closes the source when it holds something open (a snapshot file).
func (c *Cache) Close() {
	c.stop()
	if cl, ok := c.src.(interface{ Close() error }); ok {
		cl.Close()
	}
}

// Source returns the wrapped source.
func (c *Cache) Source() data.Source { return c.src }

// Info describes the wrapped source.
func (c *Cache) Info() data.SourceInfo { return c.src.Info() }

// Refresh forgets what is cached about one identity, or everything when identityID is "", so the next ask fetches
// again. The on-disk copy is forgotten too when everything is refreshed.
func (c *Cache) Refresh(identityID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if identityID == "" {
		for k := range c.hubs {
			c.flight.Forget(k) // a fetch under way now answers its own readers, not the next ask
		}
		c.entries = map[string]*entry{}
		c.list = nil
		c.derived = nil
		c.stale = map[string]bool{}
		if p := c.diskPath(); p != "" {
			os.Remove(p)
		}
		return
	}
	c.stale[data.Key(identityID)] = true
	suffix := "|" + data.Key(identityID)
	for k := range c.entries {
		if strings.HasSuffix(k, suffix) {
			delete(c.entries, k)
		}
	}
	for k := range c.hubs {
		if strings.HasSuffix(k, suffix) {
			c.flight.Forget(k)
		}
	}
}

// do returns the cached answer for key, or runs fetch once for all who ask at the same time.
func (c *Cache) do(ctx context.Context, key string, fetch func(context.Context) (any, error)) (any, error) {
	return c.doProgress(ctx, key, nil, func(ctx context.Context, _ func(data.Progress)) (any, error) { return fetch(ctx) })
}

// background runs heavy work as the options ask: at the lowest priority for an explorer, as it is otherwise.
func (c *Cache) background(work func()) {
	if c.opts.Background {
		data.InBackground(work)
		return
	}
	work()
}

func (c *Cache) newIndex(t *data.Tenant) (x *data.Index) {
	c.background(func() { x = data.NewIndex(t) })
	return x
}

// doProgress is do for a fetch that reports progress: every reader waiting for it is told, not only the first. The
// fetch runs once for all who ask at the same time (singleflight), in the cache's own context so that a reader
// leaving does not stop it for the others; its answer is kept for the time to live unless it is a failure.
func (c *Cache) doProgress(ctx context.Context, key string, progress func(data.Progress),
	fetch func(context.Context, func(data.Progress)) (any, error)) (any, error) {
	c.mu.Lock()
	if e, ok := c.entries[key]; ok && c.opts.Now().Sub(e.at) <= c.opts.TTL {
		c.mu.Unlock()
		return e.val, e.err
	}
	h := c.hubs[key]
	if h == nil {
		h = &hub{}
		c.hubs[key] = h
	}
	gen := c.gen
	c.mu.Unlock()
	defer h.subscribe(progress)()
	ch := c.flight.DoChan(key, func() (any, error) {
		v, err := fetch(c.base, h.broadcast)
		c.mu.Lock()
		// A failure is not remembered: the next ask tries again. Nor is what a refresh made stale on its way.
		if (err == nil || cacheable(err)) && c.gen == gen {
			c.entries[key] = &entry{at: c.opts.Now(), val: v, err: err}
		}
		if c.hubs[key] == h {
			delete(c.hubs, key)
		}
		c.mu.Unlock()
		return v, err
	})
	select {
	case r := <-ch:
		return r.Val, r.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// cacheable reports whether an error is an answer (a part that is not readable) rather than a failure.
func cacheable(err error) bool {
	_, ok := data.AsGap(err)
	return ok
}

// listing is one read of the identity list, shared by every reader: the first page reaches all of them as soon as it
// arrives, and later readers replay what is there and then follow.
type listing struct {
	mu      sync.Mutex
	pages   [][]data.Identity // never changed once appended: pages are handed out as they are
	done    bool
	err     error
	changed chan struct{} // closed and replaced whenever pages grows or the read ends
	at      time.Time
}

// Identities streams the identity list, read once for all readers at the same time and kept for the TTL.
func (c *Cache) Identities(ctx context.Context, page func([]data.Identity) error) error {
	c.mu.Lock()
	l := c.list
	if l != nil {
		l.mu.Lock()
		expired := l.done && (l.err != nil || c.opts.Now().Sub(l.at) > c.opts.TTL)
		l.mu.Unlock()
		if expired {
			l = nil
		}
	}
	if l == nil {
		l = &listing{changed: make(chan struct{})}
		c.list = l
		c.derived = nil // what readers derived from the last list's pages
		go c.readList(l)
	}
	c.mu.Unlock()

	for next := 0; ; {
		l.mu.Lock()
		pages, done, err, changed := l.pages[next:], l.done, l.err, l.changed
		l.mu.Unlock()
		for _, p := range pages {
			if err := page(p[:len(p):len(p)]); err != nil {
				return err
			}
		}
		next += len(pages)
		if done { // pages and done were read together: nothing more will come
			return err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// readList fills l from the source, in the cache's own context so one reader leaving does not stop the others.
func (c *Cache) readList(l *listing) {
	err := c.src.Identities(c.base, func(p []data.Identity) error {
		l.mu.Lock()
		l.pages = append(l.pages, p)
		close(l.changed)
		l.changed = make(chan struct{})
		l.mu.Unlock()
		return nil
	})
	l.mu.Lock()
	l.done, l.err, l.at = true, err, c.opts.Now()
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// section answers a per-identity question from the full read when there is one, and otherwise from the source.
func section[T any](c *Cache, ctx context.Context, sec data.Section, id string,
	fromIndex func(*data.Index, string) []T, fetch func(context.Context, string) ([]T, error)) ([]T, error) {
	if x := c.index(); x != nil && !c.isStale(id) {
		if _, ok := x.Identity(id); ok {
			return fromIndex(x, id), x.GapErr(id, sec)
		}
	}
	v, err := c.do(ctx, string(sec)+"|"+data.Key(id), func(ctx context.Context) (any, error) {
		items, err := fetch(ctx, id)
		return sectionResult[T]{items, err}, nil
	})
	if err != nil {
		return nil, err
	}
	r := v.(sectionResult[T])
	if r.err != nil && !cacheable(r.err) {
		c.mu.Lock()
		delete(c.entries, string(sec)+"|"+data.Key(id))
		c.mu.Unlock()
	}
	return r.items, r.err
}

// sectionResult keeps a partial answer together with its gap.
type sectionResult[T any] struct {
	items []T
	err   error
}

func (c *Cache) AttachedResources(ctx context.Context, id string) ([]data.Resource, error) {
	return section(c, ctx, data.SectionAttached, id, (*data.Index).Attached, c.src.AttachedResources)
}

func (c *Cache) Groups(ctx context.Context, id string) ([]data.GroupMembership, error) {
	return section(c, ctx, data.SectionGroups, id, (*data.Index).Groups, c.src.Groups)
}

func (c *Cache) DirectoryRoles(ctx context.Context, id string) ([]data.DirectoryRole, error) {
	return section(c, ctx, data.SectionDirectoryRoles, id, (*data.Index).DirectoryRoles, c.src.DirectoryRoles)
}

func (c *Cache) AppRoles(ctx context.Context, id string) ([]data.AppRoleAssignment, error) {
	return section(c, ctx, data.SectionAppRoles, id, (*data.Index).AppRoles, c.src.AppRoles)
}

func (c *Cache) AzureRoles(ctx context.Context, id string) ([]data.AzureRole, error) {
	return section(c, ctx, data.SectionAzureRoles, id, (*data.Index).AzureRoles, c.src.AzureRoles)
}

func (c *Cache) FederatedCredentials(ctx context.Context, id string) ([]data.FederatedCredential, error) {
	return section(c, ctx, data.SectionFederatedCredentials, id, (*data.Index).FederatedCredentials, c.src.FederatedCredentials)
}

// tenantRead is a finished full read with its join.
type tenantRead struct {
	tenant *data.Tenant
	index  *data.Index
}

// index returns the join of a finished full read that is still fresh, or nil.
func (c *Cache) index() *data.Index {
	c.mu.Lock()
	e := c.entries["tenant"]
	c.mu.Unlock()
	if e == nil {
		return nil
	}
	if r, ok := e.val.(tenantRead); ok && e.err == nil && c.opts.Now().Sub(e.at) <= c.opts.TTL {
		return r.index
	}
	return nil
}

func (c *Cache) isStale(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stale[data.Key(id)]
}

// Index returns the joined tenant, reading it fully first if needed.
func (c *Cache) Index(ctx context.Context, progress func(data.Progress)) (*data.Index, error) {
	v, err := c.doProgress(ctx, "tenant", progress, func(ctx context.Context, progress func(data.Progress)) (any, error) {
		if t := c.loadDisk(); t != nil {
			progress(data.Progress{Stage: "loaded from cache", Done: len(t.Identities), Total: len(t.Identities)})
			return tenantRead{t, c.newIndex(t)}, nil
		}
		if j, ok := c.src.(joiner); ok { // the source joins its tenant already: do not build a second index
			x, err := j.Index(ctx, progress)
			if err != nil {
				return nil, err
			}
			return tenantRead{x.Tenant, x}, nil
		}
		t, err := c.src.Tenant(ctx, progress)
		if err != nil {
			return nil, err
		}
		c.saveDisk(t)
		return tenantRead{t, c.newIndex(t)}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(tenantRead).index, nil
}

// joiner is a source that keeps its own join of the tenant, such as a snapshot.
type joiner interface {
	Index(ctx context.Context, progress func(data.Progress)) (*data.Index, error)
}

// Tenant reads everything once and shares it.
func (c *Cache) Tenant(ctx context.Context, progress func(data.Progress)) (*data.Tenant, error) {
	x, err := c.Index(ctx, progress)
	if err != nil {
		return nil, err
	}
	return x.Tenant, nil
}
