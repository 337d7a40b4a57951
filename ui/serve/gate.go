package serve

import (
	"errors"
	"fmt"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Limits on connections that have not authenticated yet. Anyone who reaches the port can open them, so they are
// bounded per source and in total. Refusing newcomers once a bound is reached would let a few idle sockets lock
// everyone out; instead the gate closes the waiting connection that has made the least progress (sent the fewest
// bytes, then the oldest): an idle socket yields to a client that is really signing in.
const (
	// pendingPerSource is how many unauthenticated connections one source (an IPv4 address, an IPv6 /64) may hold.
	pendingPerSource = 8
	// pendingTotal is how many unauthenticated connections all sources together may hold.
	pendingTotal = 64
	// dropLogEvery is how often a flood of dropped connections is summed up in the log, so the flood cannot flood
	// the log as well.
	dropLogEvery = 10 * time.Second
)

// gate admits TCP connections and tracks them until they close: unauthenticated ones under the limits above,
// authenticated ones under a limit of their own, since a client holding a connection with no session still costs
// memory.
type gate struct {
	authLimit int
	log       *log.Logger

	mu       sync.Mutex
	pending  map[string][]*gateConn // by source, oldest first
	npending int
	authed   int
	dropped  int       // connections dropped since the last log line about it
	lastLog  time.Time // when dropped connections were last logged
}

func newGate(authLimit int, logger *log.Logger) *gate {
	return &gate{authLimit: authLimit, log: logger, pending: map[string][]*gateConn{}}
}

// gateConn is a connection the gate admitted. Closing it (which the SSH server always does when it is done with a
// connection) gives its place back.
type gateConn struct {
	net.Conn
	g      *gate
	source string
	opened time.Time

	received atomic.Int64 // bytes read from the client: how far its handshake has got

	once   sync.Once
	authed bool // guarded by g.mu
	closed bool // guarded by g.mu
}

// source groups addresses the way one client is likely to hold them: an IPv4 address, or the /64 network of an IPv6
// address (one machine commonly has a whole /64 to pick from).
func source(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	if v4 := tcp.IP.To4(); v4 != nil {
		return v4.String()
	}
	return (&net.IPNet{IP: tcp.IP.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}

// admit takes a new connection in as unauthenticated. When its source is at its limit, it first drops the least
// advanced waiting connection of that source; when all sources together are, the least advanced of the sources
// holding the most.
func (g *gate) admit(conn net.Conn) *gateConn {
	gc := &gateConn{Conn: conn, g: g, source: source(conn.RemoteAddr()), opened: time.Now()}
	g.mu.Lock()
	var victim *gateConn
	switch {
	case len(g.pending[gc.source]) >= pendingPerSource:
		victim = leastAdvanced(nil, g.pending[gc.source])
	case g.npending >= pendingTotal:
		most := 0
		for _, list := range g.pending {
			most = max(most, len(list))
		}
		for _, list := range g.pending {
			if len(list) == most {
				victim = leastAdvanced(victim, list)
			}
		}
	}
	if victim != nil {
		g.removePendingLocked(victim)
		victim.closed = true
		g.noteLocked(victim.source, "dropped to make room")
	}
	g.pending[gc.source] = append(g.pending[gc.source], gc)
	g.npending++
	g.mu.Unlock()
	if victim != nil {
		victim.Conn.Close() // its handshake fails and the server lets go of it; see Close for the rest
	}
	return gc
}

// leastAdvanced is the connection of list, or best, that has sent the fewest bytes, the oldest among equals.
func leastAdvanced(best *gateConn, list []*gateConn) *gateConn {
	for _, c := range list {
		if best == nil || c.received.Load() < best.received.Load() ||
			c.received.Load() == best.received.Load() && c.opened.Before(best.opened) {
			best = c
		}
	}
	return best
}

// noteLocked logs an unauthenticated connection the server gave up on, or only counts it when such a line was
// logged within dropLogEvery.
func (g *gate) noteLocked(from, why string) {
	g.dropped++
	if time.Since(g.lastLog) < dropLogEvery {
		return
	}
	g.log.Printf("unauthenticated connection from %s %s (%d such since the last line like this; at most %d wait per "+
		"address, %d in all)", from, why, g.dropped, pendingPerSource, pendingTotal)
	g.dropped, g.lastLog = 0, time.Now()
}

// timedOut notes a connection that did not finish its handshake in time.
func (g *gate) timedOut(addr net.Addr, limit time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.noteLocked(source(addr), fmt.Sprintf("closed: no handshake within %s", limit))
}

func (g *gate) removePendingLocked(gc *gateConn) {
	list := g.pending[gc.source]
	for i, c := range list {
		if c == gc {
			list = append(list[:i:i], list[i+1:]...)
			g.npending--
			break
		}
	}
	if len(list) == 0 {
		delete(g.pending, gc.source)
	} else {
		g.pending[gc.source] = list
	}
}

// errTooManyConnections refuses an authentication when authorized clients already hold the most connections allowed.
var errTooManyConnections = errors.New("too many connections")

// authenticated moves gc from the unauthenticated to the authenticated connections, or refuses when the latter are
// at their limit or gc was dropped meanwhile.
func (g *gate) authenticated(gc *gateConn) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case gc.closed:
		return net.ErrClosed
	case gc.authed:
		return nil
	case g.authed >= g.authLimit:
		g.log.Printf("refused addr=%s: %d authenticated connections already open", gc.RemoteAddr(), g.authed)
		return errTooManyConnections
	}
	g.removePendingLocked(gc)
	gc.authed = true
	g.authed++
	return nil
}

func (gc *gateConn) Read(p []byte) (int, error) {
	n, err := gc.Conn.Read(p)
	gc.received.Add(int64(n))
	return n, err
}

// Close closes the connection and gives its place back.
func (gc *gateConn) Close() error {
	err := gc.Conn.Close()
	gc.once.Do(func() {
		g := gc.g
		g.mu.Lock()
		defer g.mu.Unlock()
		switch {
		case gc.authed:
			g.authed--
		case !gc.closed:
			g.removePendingLocked(gc)
		}
		gc.closed = true
	})
	return err
}

// counts is how many unauthenticated and authenticated connections are open.
func (g *gate) counts() (pending, authed int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.npending, g.authed
}
