package cache

import (
	"context"
	"sync"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
)

// Assessed is a full read of the tenant and the findings engine's result over it: one per cache and read, shared by
// every reader (each explorer session of a server, a report). Nothing in it may be modified.
type Assessed struct {
	Index  *data.Index
	Result *assess.Result

	mu      sync.Mutex
	derived map[any]*derivation
}

type derivation struct {
	once sync.Once
	val  any
}

// Derived returns what build makes of the assessment, built once for all readers that ask with the same key (a key
// of a type the reader owns, so two readers' keys never collide). What build returns is shared: never modify it.
func (a *Assessed) Derived(key any, build func(*Assessed) any) any {
	a.mu.Lock()
	d := derive(&a.derived, key)
	a.mu.Unlock()
	d.once.Do(func() { d.val = build(a) })
	return d.val
}

// derive finds or adds key's derivation; the caller holds the lock over memo.
func derive(memo *map[any]*derivation, key any) *derivation {
	if *memo == nil {
		*memo = map[any]*derivation{}
	}
	d := (*memo)[key]
	if d == nil {
		d = &derivation{}
		(*memo)[key] = d
	}
	return d
}

// Derived returns what build makes of something the cache hands out (a page of the identity list, keyed by its first
// element), built once for every reader of the cache. It is forgotten when the list is read again or everything is
// refreshed. What build returns is shared: never modify it.
func (c *Cache) Derived(key any, build func() any) any {
	c.mu.Lock()
	d := derive(&c.derived, key)
	c.mu.Unlock()
	d.once.Do(func() { d.val = build() })
	return d.val
}

// assessFunc is the engine; tests count its runs.
var assessFunc = assess.AssessWith

// Assess reads the tenant fully (once, as Index does) and assesses it, once for every reader asking while the
// answer is fresh. Every reader waiting is told the progress of the read and then of the assessment.
func (c *Cache) Assess(ctx context.Context, progress func(data.Progress)) (*Assessed, error) {
	v, err := c.doProgress(ctx, "assessment", progress, func(ctx context.Context, progress func(data.Progress)) (any, error) {
		x, err := c.Index(ctx, progress)
		if err != nil {
			return nil, err
		}
		// The engine reports no progress of its own: the stage says what it works on, and a reader its elapsed time.
		progress(data.Progress{Stage: "assessing " + data.Plural(len(x.Tenant.Identities), "identity", "identities")})
		c.assessments.Add(1)
		var r *assess.Result
		c.background(func() { r = assessFunc(x, assess.Options{Workers: c.opts.AssessWorkers}) })
		return &Assessed{Index: x, Result: r}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Assessed), nil
}

// Assessments is how many times this cache has run the findings engine.
func (c *Cache) Assessments() int64 { return c.assessments.Load() }
