package snapshot

import (
	"context"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miscope/miscope/data"
)

// Source serves a snapshot file as a data.Source while the file is still being read: Open returns as soon as the
// envelope and the tenant's own fields are read, Identities hands out each page of identities as soon as it is
// decoded, and everything else waits for the whole file (which is read once, in the background). A fault found late
// in the file (truncated, corrupt, a bad checksum, data appended) is still reported: by Identities when the list was
// not complete yet, and by Wait, Tenant, Index and every section.
type Source struct {
	path  string
	file  *os.File
	size  int64
	read  atomic.Int64 // bytes of the file read so far
	stop  context.CancelFunc
	done  chan struct{} // closed when the read ends, well or not
	ready chan struct{} // closed when Info is known

	mu        sync.Mutex
	info      data.SourceInfo
	pages     [][]data.Identity
	pagesDone bool
	changed   chan struct{} // closed and replaced whenever pages, pagesDone or the end of the read change
	tenant    *data.Tenant
	err       error

	build sync.Once
	ts    *data.TenantSource
}

var _ data.Source = (*Source)(nil)

// Open starts reading the snapshot at path and returns once the file is known to be a snapshot (format marker and
// version, when the file gives them first, as miscope writes them) and the tenant's name is read. A file that is
// refused by then returns an *Error; one refused later reports it through the Source. Close the Source to stop a read
// that is no longer wanted.
func Open(path string) (*Source, error) { return OpenContext(context.Background(), path) }

// OpenContext is Open bounded by ctx: cancelling it stops the read at any point, even while the file is a named pipe
// that nobody has opened for writing yet or that sends nothing, and OpenContext then returns ctx's error.
func OpenContext(ctx context.Context, path string) (*Source, error) {
	f, err := openContext(ctx, path)
	if err != nil {
		return nil, err
	}
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	rctx, stop := context.WithCancel(ctx)
	// A read blocked on a pipe only ends when the file is closed.
	stopClosing := context.AfterFunc(rctx, func() { f.Close() })
	s := &Source{
		path:    path,
		file:    f,
		size:    size,
		stop:    stop,
		done:    make(chan struct{}),
		ready:   make(chan struct{}),
		changed: make(chan struct{}),
		info:    data.SourceInfo{Origin: data.OriginSnapshot, Label: path},
	}
	l := newLoader(&fileReader{ctx: rctx, r: f, n: &s.read}, path)
	l.header = s.setHeader
	l.page = s.addPage
	l.identitiesDone = s.identitiesDone
	go func() {
		defer close(s.done)
		t, origin, err := l.run()
		stopClosing()
		f.Close()
		if err != nil && rctx.Err() != nil {
			err = &Error{Path: path, Reason: "closed before it was read completely"}
		}
		s.finish(t, origin, err)
	}()
	select {
	case <-s.ready:
	case <-s.done:
	case <-ctx.Done():
		s.Close()
		return nil, ctx.Err()
	}
	select {
	case <-s.done:
		if s.err != nil { // refused before anything was shown: a small file may be read whole by now
			return nil, s.err
		}
	default:
	}
	return s, nil
}

// openContext opens path, giving up when ctx ends: opening a named pipe waits until something opens it for writing.
func openContext(ctx context.Context, path string) (*os.File, error) {
	if st, err := os.Stat(path); err == nil && (st.Mode().IsRegular() || st.IsDir()) {
		return openFile(path) // does not wait: no goroutine to start
	}
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := openFile(path)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		return o.f, o.err
	case <-ctx.Done():
		go func() { // the open ends when a writer comes, or with the process
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// fileReader counts what is read, for progress, and ends the read when the Source is closed.
type fileReader struct {
	ctx context.Context
	r   io.Reader
	n   *atomic.Int64
}

func (r *fileReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.r.Read(p)
	r.n.Add(int64(n))
	return n, err
}

func (s *Source) setHeader(origin data.Origin, t *data.Tenant) {
	s.mu.Lock()
	s.setInfo(origin, t)
	s.mu.Unlock()
	close(s.ready)
}

// setInfo fills the description from the file; s.mu is held.
func (s *Source) setInfo(origin data.Origin, t *data.Tenant) {
	if origin != "" {
		s.info.Origin = origin
	}
	s.info.TenantID, s.info.TenantName, s.info.Cloud, s.info.CollectedAt = t.ID, t.DisplayName, t.Cloud, t.CollectedAt
}

func (s *Source) addPage(p []data.Identity) {
	s.mu.Lock()
	s.pages = append(s.pages, p[:len(p):len(p)])
	s.notify()
	s.mu.Unlock()
}

func (s *Source) identitiesDone() {
	s.mu.Lock()
	s.pagesDone = true
	s.notify()
	s.mu.Unlock()
}

// notify wakes every reader waiting for more; s.mu is held.
func (s *Source) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Source) finish(t *data.Tenant, origin data.Origin, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notify()
	s.err = err
	if err != nil {
		return
	}
	s.tenant = t
	s.setInfo(origin, t)
	if !s.pagesDone {
		// The identities were held back until the file proved to be a snapshot (its marker came after them).
		s.pages = nil
		for start := 0; start < len(t.Identities); start += data.PageSize {
			end := min(start+data.PageSize, len(t.Identities))
			s.pages = append(s.pages, t.Identities[start:end:end])
		}
		s.pagesDone = true
	}
}

// Info describes the snapshot: its origin and tenant as the file gives them, and its path as the label.
func (s *Source) Info() data.SourceInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info
}

// Identities calls page with each page of identities as soon as it is read from the file. It returns the file's
// fault if one is found before the list is complete.
func (s *Source) Identities(ctx context.Context, page func([]data.Identity) error) error {
	next := 0
	for {
		s.mu.Lock()
		pages, complete, err, changed := s.pages, s.pagesDone, s.err, s.changed
		s.mu.Unlock()
		for ; next < len(pages); next++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := page(pages[next]); err != nil {
				return err
			}
		}
		switch {
		case complete && next == 0:
			// No identities: the tenant's gaps, at the end of the file, may say why.
			ts, err := s.source(ctx)
			if err != nil {
				return err
			}
			return ts.Identities(ctx, page)
		case complete:
			return nil
		case err != nil:
			return err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Wait blocks until the whole file is read and returns its fault, if any: a command that needs the whole snapshot
// (report, collect) refuses a bad file with it before doing anything else.
func (s *Source) Wait(ctx context.Context) error {
	select {
	case <-s.done:
		return s.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done is closed when the whole file has been read, well or not.
func (s *Source) Done() <-chan struct{} { return s.done }

// Close stops reading the file if it is still being read, and waits until it is closed. What was read stays
// available when the read had finished.
func (s *Source) Close() error {
	s.stop()
	s.file.Close() // wakes a read blocked on a pipe; closing twice is harmless
	<-s.done
	return nil
}

// source waits for the whole file and joins it, once.
func (s *Source) source(ctx context.Context) (*data.TenantSource, error) {
	if err := s.Wait(ctx); err != nil {
		return nil, err
	}
	s.build.Do(func() { s.ts = data.NewTenantSource(s.tenant, s.Info()) })
	return s.ts, nil
}

// Index returns the joined tenant, built once, after the whole file is read. It has the signature of the cache's
// Index, so the cache can use this join rather than build its own.
func (s *Source) Index(ctx context.Context, progress func(data.Progress)) (*data.Index, error) {
	if _, err := s.Tenant(ctx, progress); err != nil {
		return nil, err
	}
	ts, err := s.source(ctx)
	if err != nil {
		return nil, err
	}
	return ts.Index(), nil
}

// Tenant waits for the whole file, reporting how much of it has been read.
func (s *Source) Tenant(ctx context.Context, progress func(data.Progress)) (*data.Tenant, error) {
	if progress != nil {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		const mb = 1 << 20
	wait:
		for {
			progress(data.Progress{Stage: "reading snapshot (MB)", Done: int(s.read.Load() / mb),
				Total: int((s.size + mb - 1) / mb)})
			select {
			case <-s.done:
				break wait
			case <-tick.C:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	if err := s.Wait(ctx); err != nil {
		return nil, err
	}
	if progress != nil {
		n := len(s.tenant.Identities)
		progress(data.Progress{Stage: "loaded", Done: n, Total: n})
	}
	return s.tenant, nil
}

// section reads one identity's section from the tenant once the file is read.
func section[T any](s *Source, ctx context.Context, id string,
	read func(*data.TenantSource, context.Context, string) ([]T, error)) ([]T, error) {
	ts, err := s.source(ctx)
	if err != nil {
		return nil, err
	}
	return read(ts, ctx, id)
}

func (s *Source) AttachedResources(ctx context.Context, id string) ([]data.Resource, error) {
	return section(s, ctx, id, (*data.TenantSource).AttachedResources)
}

func (s *Source) Groups(ctx context.Context, id string) ([]data.GroupMembership, error) {
	return section(s, ctx, id, (*data.TenantSource).Groups)
}

func (s *Source) DirectoryRoles(ctx context.Context, id string) ([]data.DirectoryRole, error) {
	return section(s, ctx, id, (*data.TenantSource).DirectoryRoles)
}

func (s *Source) AppRoles(ctx context.Context, id string) ([]data.AppRoleAssignment, error) {
	return section(s, ctx, id, (*data.TenantSource).AppRoles)
}

func (s *Source) AzureRoles(ctx context.Context, id string) ([]data.AzureRole, error) {
	return section(s, ctx, id, (*data.TenantSource).AzureRoles)
}

func (s *Source) FederatedCredentials(ctx context.Context, id string) ([]data.FederatedCredential, error) {
	return section(s, ctx, id, (*data.TenantSource).FederatedCredentials)
}
