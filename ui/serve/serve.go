// Package serve runs miscope's terminal UI over SSH, so a team can triage one tenant from jump hosts: every session
// gets its own UI state over one shared, cached read of the tenant. Only public keys listed in an authorized keys
// file get in, and the key is checked again before anything is served.
package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/cache"
	"github.com/miscope/miscope/ui"
	gossh "golang.org/x/crypto/ssh"
)

// Defaults for the zero values of Options.
const (
	DefaultListen      = "127.0.0.1:2222"
	DefaultIdleTimeout = 15 * time.Minute
	DefaultMaxSessions = 10
)

// handshakeTimeout bounds how long a client may take to authenticate, so half-open connections do not hold their
// place for long. A person typing a key's passphrase is not on this clock: ssh asks before it connects.
const handshakeTimeout = 10 * time.Second

// keyCheckEvery is how often open sessions are checked against the authorized keys file, so a key removed from it
// loses its sessions within seconds.
const keyCheckEvery = time.Second

// shutdownGrace is how long sessions get to leave the alternate screen and say goodbye when the server stops.
const shutdownGrace = 3 * time.Second

// Options configure a Server. AuthorizedKeys and HostKey are required; every other zero value has a default.
type Options struct {
	// Listen is the TCP address to listen on; "" means DefaultListen (loopback only).
	Listen string
	// AuthorizedKeys is an OpenSSH authorized_keys file: the only keys that get in. It is read again whenever it
	// changes. Lines with options (from=, command= ...) are refused, since they would not be honoured.
	AuthorizedKeys string
	// HostKey is the server's private key file: created (Ed25519, 0600) if missing and reused after.
	HostKey string
	// IdleTimeout ends a session that has had no input for this long; 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxSessions is how many sessions may run at once; 0 means DefaultMaxSessions.
	MaxSessions int
	// ExportDir is the only folder served sessions write exports into; "" means exports are copy-only.
	ExportDir string
	// Triage is the triage file sessions read and write decisions in; "" means triage.DefaultPath.
	Triage string
	// Log receives one line per connection, disconnection and refusal, never a secret; nil means standard error.
	Log io.Writer
}

// Server serves the TUI over SSH.
type Server struct {
	src      *cache.Cache
	opts     Options
	keys     *authorizedKeys
	hostKey  gossh.Signer
	log      *log.Logger
	ssh      *ssh.Server
	newModel func(who string) tea.Model
	ready    chan struct{}

	gate *gate

	mu       sync.Mutex
	addr     net.Addr
	started  bool
	closing  bool
	sessions map[ssh.Session]*session
	running  sync.WaitGroup
}

// authLimit bounds authenticated connections; it leaves room for clients that hold a connection with no session.
func (s *Server) authLimit() int { return 4*s.opts.MaxSessions + 16 }

// gateKey is where a connection's place at the gate is kept in its SSH context.
type gateKey struct{}

// openConn admits a new TCP connection through the gate, which may drop a waiting one to make room.
func (s *Server) openConn(ctx ssh.Context, conn net.Conn) net.Conn {
	gc := s.gate.admit(conn)
	ctx.SetValue(gateKey{}, gc)
	return gc
}

// serverConfig hooks the moment a connection proves its key, which is when it stops counting as unauthenticated.
func (s *Server) serverConfig(ctx ssh.Context) *gossh.ServerConfig {
	return &gossh.ServerConfig{
		VerifiedPublicKeyCallback: func(_ gossh.ConnMetadata, _ gossh.PublicKey, perms *gossh.Permissions, _ string) (*gossh.Permissions, error) {
			if gc, ok := ctx.Value(gateKey{}).(*gateConn); ok {
				if err := s.gate.authenticated(gc); err != nil {
					return nil, err
				}
			}
			return perms, nil
		},
	}
}

// New checks the options and prepares a server over src. It refuses to start without a usable authorized keys file
// and creates the host key when it is missing.
func New(src *cache.Cache, opts Options) (*Server, error) {
	if src == nil {
		return nil, errors.New("serve needs a tenant source")
	}
	if opts.Listen == "" {
		opts.Listen = DefaultListen
	}
	if opts.IdleTimeout < 0 || opts.MaxSessions < 0 {
		return nil, errors.New("idle timeout and max sessions cannot be negative")
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.MaxSessions == 0 {
		opts.MaxSessions = DefaultMaxSessions
	}
	if opts.Log == nil {
		opts.Log = os.Stderr
	}
	logger := log.New(opts.Log, "miscope serve: ", log.LstdFlags)
	if opts.ExportDir != "" {
		info, err := os.Stat(opts.ExportDir)
		if err != nil {
			return nil, fmt.Errorf("export folder: %w; create it or leave --export-dir out to allow copy only", err)
		}
		if !info.IsDir() {
			return nil, fmt.Errorf("export folder %s is not a folder", opts.ExportDir)
		}
	}
	keys, err := loadAuthorizedKeys(opts.AuthorizedKeys, logger)
	if err != nil {
		return nil, err
	}
	signer, created, err := hostKey(opts.HostKey)
	if err != nil {
		return nil, err
	}
	if created {
		logger.Printf("created host key %s (%s)", opts.HostKey, gossh.FingerprintSHA256(signer.PublicKey()))
	}
	s := &Server{
		src:      src,
		opts:     opts,
		keys:     keys,
		hostKey:  signer,
		log:      logger,
		ready:    make(chan struct{}),
		sessions: map[ssh.Session]*session{},
	}
	s.gate = newGate(s.authLimit(), logger)
	s.newModel = func(who string) tea.Model {
		return ui.New(ui.Options{Source: src, ExportDir: opts.ExportDir, Served: true, Now: time.Now,
			Triage: opts.Triage, Who: who})
	}
	s.ssh, err = wish.NewServer(
		// The host key goes in first: without one, wish would write a key of its own into the working folder.
		func(srv *ssh.Server) error { srv.AddHostKey(signer); return nil },
		wish.WithAddress(opts.Listen),
		wish.WithVersion("miscope"),
		// Public keys only: no password, keyboard-interactive or anonymous handler is ever set, so no other
		// method is offered to clients.
		wish.WithPublicKeyAuth(s.publicKeyAllowed),
		// Middlewares run last-first: admit, then the TUI, then the farewell line.
		wish.WithMiddleware(s.farewell, s.teaMiddleware(), s.admit),
	)
	if err != nil {
		return nil, err
	}
	s.ssh.HandshakeTimeout = handshakeTimeout
	// A backstop for connections that open no session; sessions have their own input-based idle timer.
	s.ssh.IdleTimeout = opts.IdleTimeout + time.Minute
	s.ssh.ConnCallback = s.openConn
	s.ssh.ServerConfigCallback = s.serverConfig
	s.ssh.ConnectionFailedCallback = func(conn net.Conn, err error) {
		var auth *gossh.ServerAuthError
		var netErr net.Error
		switch {
		case errors.Is(err, net.ErrClosed):
			// The gate dropped it (and logged that) or the server is stopping.
		case errors.As(err, &netErr) && netErr.Timeout():
			s.gate.timedOut(conn.RemoteAddr(), s.ssh.HandshakeTimeout)
		case errors.As(err, &auth):
			s.log.Printf("refused addr=%s: authentication failed", conn.RemoteAddr())
		default:
			s.log.Printf("refused addr=%s: %q", conn.RemoteAddr(), data.Clean(err.Error()))
		}
	}
	return s, nil
}

// publicKeyAllowed is the authentication check. It only answers whether a key may be tried: the key a session
// really signed in with is checked again in admit, since an offered key proves nothing until it has signed.
func (s *Server) publicKeyAllowed(ctx ssh.Context, key ssh.PublicKey) bool {
	if s.keys.allows(key) {
		return true
	}
	s.log.Printf("key refused user=%q addr=%s key=%s", data.Clean(ctx.User()), ctx.RemoteAddr(), gossh.FingerprintSHA256(key))
	return false
}

// ListenAndServe listens on Options.Listen and serves until ctx is cancelled, then ends every session cleanly
// (each terminal is restored and told why) and returns nil. It returns an error if it cannot listen or the server
// fails.
func (s *Server) ListenAndServe(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("server already started")
	}
	s.started = true
	s.mu.Unlock()

	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w; pick another address with --listen", s.opts.Listen, err)
	}
	s.mu.Lock()
	s.addr = ln.Addr()
	s.mu.Unlock()
	close(s.ready)
	s.log.Printf("listening on %s (host key %s, authorized keys: %d, sessions at most: %d, idle timeout %s)",
		ln.Addr(), gossh.FingerprintSHA256(s.hostKey.PublicKey()), s.keys.count(), s.opts.MaxSessions, s.opts.IdleTimeout)

	served := make(chan error, 1)
	go func() { served <- s.ssh.Serve(ln) }()
	watching, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	go s.watchKeys(watching)
	select {
	case err := <-served:
		return fmt.Errorf("ssh server stopped: %w", err)
	case <-ctx.Done():
	}
	s.stop(ln)
	<-served
	s.log.Printf("stopped")
	return nil
}

// stop refuses new connections, asks every session to end, waits a moment for them to restore their terminals and
// then closes what is left. Nothing in it waits on a session's program, so a busy session cannot keep the server
// from stopping.
func (s *Server) stop(ln net.Listener) {
	ln.Close()
	s.mu.Lock()
	s.closing = true
	for _, sess := range s.sessions {
		sess.end("the server is shutting down")
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.running.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(shutdownGrace):
		s.mu.Lock()
		for _, ss := range s.sessions {
			s.log.Printf("closing %s: its session did not end within %s of the shutdown", ss.who, shutdownGrace)
		}
		s.mu.Unlock()
	}
	s.ssh.Close()
}

// watchKeys ends the sessions whose key has left the authorized keys file. A key counts as gone once two checks in a
// row miss it, so a file caught half-written by an editor ends nobody's session.
func (s *Server) watchKeys(ctx context.Context) {
	tick := time.NewTicker(keyCheckEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		s.mu.Lock()
		open := make([]*session, 0, len(s.sessions))
		for _, ss := range s.sessions {
			open = append(open, ss)
		}
		s.mu.Unlock()
		for _, ss := range open {
			allowed := s.keys.allows(ss.key)
			ss.mu.Lock()
			if allowed {
				ss.missing = 0
			} else {
				ss.missing++
			}
			revoked := ss.missing == 2
			ss.mu.Unlock()
			if revoked {
				s.log.Printf("key revoked %s: its key is no longer in %s; ending the session", ss.who, s.opts.AuthorizedKeys)
				ss.end("your key is no longer authorized here; the session is closed")
			}
		}
	}
}

// Addr is the address the server listens on, or nil before ListenAndServe has started listening.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Ready is closed once the server listens, so Addr has its answer.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Sessions is how many sessions are being served now.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}
