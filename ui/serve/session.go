package serve

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/bubbletea"
	"github.com/charmbracelet/colorprofile"
	"github.com/miscope/miscope/data"
	gossh "golang.org/x/crypto/ssh"
)

// session is the server's view of one served terminal: its program, its idle timer and, once the server ends it,
// why.
type session struct {
	who   string // user, address and key fingerprint, for the log
	start time.Time

	mu      sync.Mutex
	model   tea.Model
	program *tea.Program
	idle    *time.Timer
	reason  string // set when the server ends the session
}

// end quits the session's program, recording why for the user and the log. The first reason wins.
func (ss *session) end(reason string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.reason == "" {
		ss.reason = reason
	}
	if ss.program != nil {
		ss.program.Quit()
	}
}

// quit ends the program without a reason to report: the client left.
func (ss *session) quit() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.program != nil {
		ss.program.Quit()
	}
}

func (ss *session) endReason() string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.reason
}

// describe names a session for the log: the user name the client chose (cleaned and quoted, it is not to be
// trusted), its address and the fingerprint of the key it signed in with.
func describe(sess ssh.Session) string {
	fp := "none"
	if k := sess.PublicKey(); k != nil {
		fp = gossh.FingerprintSHA256(k)
	}
	return fmt.Sprintf("user=%q addr=%s key=%s", data.Clean(sess.User()), sess.RemoteAddr(), fp)
}

// refuse tells the client in one line why it is not served and closes the session.
func (s *Server) refuse(sess ssh.Session, who, why string) {
	s.log.Printf("session refused %s: %s", who, why)
	fmt.Fprintf(sess.Stderr(), "miscope: %s\n", why)
	sess.Exit(1)
}

// admit decides whether a session is served. It runs before anything else is shown to the client.
func (s *Server) admit(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		who := describe(sess)
		// The key that signed in is checked against the file as it is now. The authentication callback may have
		// been asked about other keys on this connection (a client can offer an authorized key without ever
		// signing with it), so only the key the connection proved counts, and it must still be authorized.
		if key := sess.PublicKey(); key == nil || !s.keys.allows(key) {
			s.refuse(sess, who, "this key is not authorized here")
			return
		}
		if sess.RawCommand() != "" || sess.Subsystem() != "" {
			s.refuse(sess, who, "miscope serve runs no commands; connect with ssh -t and no command")
			return
		}
		if _, _, ok := sess.Pty(); !ok {
			s.refuse(sess, who, "miscope needs an interactive terminal; connect with ssh -t")
			return
		}
		ss := &session{who: who, start: time.Now()}
		s.mu.Lock()
		switch {
		case s.closing:
			s.mu.Unlock()
			s.refuse(sess, who, "the server is shutting down")
			return
		case len(s.sessions) >= s.opts.MaxSessions:
			s.mu.Unlock()
			s.refuse(sess, who, fmt.Sprintf("the server is at its limit of %d sessions; try again later", s.opts.MaxSessions))
			return
		}
		s.sessions[sess] = ss
		s.running.Add(1)
		n := len(s.sessions)
		s.mu.Unlock()

		s.log.Printf("connect %s (%d of %d sessions)", who, n, s.opts.MaxSessions)
		defer func() {
			s.mu.Lock()
			delete(s.sessions, sess)
			s.mu.Unlock()
			reason := ss.endReason()
			if reason == "" {
				reason = "left"
			}
			s.log.Printf("disconnect %s after %s: %s", who, time.Since(ss.start).Round(time.Second), reason)
			s.running.Done()
		}()
		next(sess)
		// Exit here rather than after the handler returns, so a stopping server, which waits for running
		// sessions, does not close the connection before the client has its exit status.
		sess.Exit(0)
	}
}

// teaMiddleware runs one TUI per session through wish's Bubble Tea middleware, which hands the session's window
// size changes to the program as tea.WindowSizeMsg.
func (s *Server) teaMiddleware() wish.Middleware {
	return bubbletea.MiddlewareWithProgramHandler(func(sess ssh.Session) *tea.Program {
		s.mu.Lock()
		ss := s.sessions[sess]
		s.mu.Unlock()
		if ss == nil {
			return nil
		}
		pty, _, _ := sess.Pty()
		env := append(sess.Environ(), "TERM="+pty.Term)
		in := &activity{r: sess}
		opts := append(bubbletea.MakeOptions(sess),
			tea.WithInput(in), // replaces the session itself, so every keystroke restarts the idle timer
			tea.WithColorProfile(profile(env)),
			// The server's own signals are not the session's: SIGINT stops the server, which ends each session
			// with a word to its user.
			tea.WithoutSignalHandler(),
		)
		m := s.newModel()
		p := tea.NewProgram(m, opts...)

		ss.mu.Lock()
		ss.model, ss.program = m, p
		if ss.reason != "" { // ended before the program existed, e.g. by a shutdown
			p.Quit()
		}
		timeout := s.opts.IdleTimeout
		ss.idle = time.AfterFunc(timeout, func() {
			ss.end(fmt.Sprintf("session closed after %s without input", timeout))
		})
		ss.mu.Unlock()
		in.touch = func() { ss.idle.Reset(timeout) }
		in.gone = ss.quit
		return p
	})
}

// farewell runs after the TUI has restored the terminal: it stops the idle timer and tells the user why the server
// ended the session, if it did.
func (s *Server) farewell(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		s.mu.Lock()
		ss := s.sessions[sess]
		s.mu.Unlock()
		if ss != nil {
			ss.mu.Lock()
			if ss.idle != nil {
				ss.idle.Stop()
			}
			reason, m := ss.reason, ss.model
			ss.mu.Unlock()
			// Stop whatever the session's TUI was still fetching; the shared cache keeps serving the others.
			if c, ok := m.(interface{ Close() }); ok {
				c.Close()
			}
			if reason != "" {
				fmt.Fprintf(sess, "miscope: %s\n", reason)
			}
		}
		next(sess)
	}
}

// activity passes a session's input through, reporting that the user did something and when the input ends.
type activity struct {
	r     io.Reader
	touch func()
	gone  func()
}

func (a *activity) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 && a.touch != nil {
		a.touch()
	}
	if err != nil && a.gone != nil {
		// The client closed its side of the session: the program would otherwise wait for keys that never come.
		a.gone()
	}
	return n, err
}

// profile is the colour profile for a session's environment. It follows no-color.org, where any non-empty NO_COLOR
// turns colour off; colorprofile alone ignores values such as NO_COLOR=yes.
func profile(env []string) colorprofile.Profile {
	p := colorprofile.Env(env)
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "NO_COLOR="); ok && v != "" && p > colorprofile.ASCII {
			p = colorprofile.ASCII
		}
	}
	return p
}
