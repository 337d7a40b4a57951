package serve

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/bubbletea"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/ui"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/time/rate"
)

// Bounds on what one session may cost the server.
const (
	// maxWidth and maxHeight cap the window a session is drawn for. Memory grows with every cell of the screen (a
	// 10000x10000 window would take gigabytes); a bigger terminal shows the explorer in its top-left corner.
	maxWidth, maxHeight = 400, 150
	// keysPerSecond and keyBurst are what a person can type, key repeat included: key, mouse and paste events
	// beyond them are dropped, so a flood of input cannot keep the program busy.
	keysPerSecond, keyBurst = 60, 120
	// inputBytesPerSecond and inputBurst bound the raw input read from a session; reads beyond them are dropped
	// whole before they are decoded. The burst lets a pasted list of ids through.
	inputBytesPerSecond, inputBurst = 4 << 10, 64 << 10
	// maxPaste is the longest paste kept; the rest is cut.
	maxPaste = 8 << 10
	// resizesPerSecond and resizeBurst bound how often a session is laid out again for a new window size; sizes
	// beyond them are coalesced into the latest, delivered a moment later.
	resizesPerSecond, resizeBurst = 10, 20
	// idleWarning is how long before an idle session closes its user is warned (half the timeout when that is
	// shorter).
	idleWarning = time.Minute
)

// clampWindow caps a window size at maxWidth x maxHeight.
func clampWindow(w, h int) (int, int) {
	return min(max(w, 0), maxWidth), min(max(h, 0), maxHeight)
}

// session is the server's view of one served terminal: its program, its idle clock, its input budget and, once the
// server ends it, why.
type session struct {
	who   string // user, address and key fingerprint, for the log
	log   *log.Logger
	key   ssh.PublicKey // the key the session signed in with, checked again while it runs
	start time.Time
	idle  time.Duration // no input for this long ends the session
	warn  time.Duration // the user is warned this long before

	input         *rate.Limiter // raw bytes
	events        *rate.Limiter // keys, mouse and pastes
	resizes       *rate.Limiter
	droppedBytes  atomic.Int64
	droppedEvents atomic.Int64
	dropLogged    atomic.Bool

	mu         sync.Mutex
	model      tea.Model
	program    *tea.Program
	timer      *time.Timer
	lastInput  time.Time
	warned     bool
	latest     tea.WindowSizeMsg // the window's size as last given
	resizeHeld bool              // a size is held back by the resize limit, to be delivered later
	reason     string            // set when the server ends the session
	missing    int               // consecutive key checks that did not find the session's key
}

func newSession(who string, key ssh.PublicKey, idle time.Duration, logger *log.Logger) *session {
	return &session{
		who:     who,
		log:     logger,
		key:     key,
		start:   time.Now(),
		idle:    idle,
		warn:    min(idleWarning, idle/2),
		input:   rate.NewLimiter(inputBytesPerSecond, inputBurst),
		events:  rate.NewLimiter(keysPerSecond, keyBurst),
		resizes: rate.NewLimiter(resizesPerSecond, resizeBurst),
	}
}

// end quits the session's program, recording why for the user and the log. The first reason wins. It never waits
// for the program, which may be busy: the server calls it while stopping.
func (ss *session) end(reason string) {
	ss.mu.Lock()
	if ss.reason == "" {
		ss.reason = reason
	}
	p := ss.program
	ss.mu.Unlock()
	if p != nil {
		go p.Quit()
	}
}

// quit ends the program without a reason to report: the client left.
func (ss *session) quit() {
	ss.mu.Lock()
	p := ss.program
	ss.mu.Unlock()
	if p != nil {
		go p.Quit()
	}
}

func (ss *session) endReason() string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.reason
}

// started hands the session its program and starts its idle clock.
func (ss *session) started(m tea.Model, p *tea.Program) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.model, ss.program = m, p
	if ss.reason != "" { // ended before the program existed, e.g. by a shutdown
		go p.Quit()
	}
	ss.lastInput = time.Now()
	ss.timer = time.AfterFunc(ss.idle-ss.warn, ss.checkIdle)
}

// touch records that the user did something: typed, scrolled, pasted or resized the window.
func (ss *session) touch() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.lastInput = time.Now()
	if ss.warned {
		ss.warned = false
		if p := ss.program; p != nil {
			go p.Send(ui.NoticeMsg{})
		}
	}
}

// checkIdle runs when the idle clock may have run out: it warns the user, ends the session, or, when there was input
// meanwhile, sets itself for the next moment that matters.
func (ss *session) checkIdle() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.timer == nil {
		return // stopped
	}
	quiet := time.Since(ss.lastInput)
	switch {
	case quiet >= ss.idle:
		if ss.reason == "" {
			ss.reason = fmt.Sprintf("session closed after %s without input", ss.idle)
		}
		if p := ss.program; p != nil {
			go p.Quit()
		}
	case quiet >= ss.idle-ss.warn:
		if !ss.warned {
			ss.warned = true
			text := fmt.Sprintf("No input for %s: this session closes in %s unless you press a key",
				roughly(quiet), roughly(ss.idle-quiet))
			p := ss.program
			go p.Send(ui.NoticeMsg{Text: text})
		}
		ss.timer.Reset(ss.idle - quiet)
	default:
		ss.timer.Reset(ss.idle - ss.warn - quiet)
	}
}

// roughly writes d to the second, without the zero units time.Duration adds ("1m", not "1m0s").
func roughly(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// stopClock stops the idle clock once the program has ended.
func (ss *session) stopClock() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.timer != nil {
		ss.timer.Stop()
		ss.timer = nil
	}
}

// filter sees every message before the program does. It caps window sizes, notes the user's activity and drops
// input events beyond what a person can type.
func (ss *session) filter(_ tea.Model, msg tea.Msg) tea.Msg {
	switch m := msg.(type) {
	case tea.WindowSizeMsg:
		ss.touch()
		m.Width, m.Height = clampWindow(m.Width, m.Height)
		return ss.coalesceResize(m)
	case resizeDue:
		return ss.heldResize()
	case tea.SuspendMsg:
		return tea.ResumeMsg{} // nothing to suspend to over SSH
	case tea.KeyMsg, tea.MouseMsg, tea.PasteMsg:
		ss.touch()
		if !ss.events.Allow() {
			ss.droppedEvents.Add(1)
			ss.noteDrop()
			return nil
		}
		if p, ok := m.(tea.PasteMsg); ok && len(p.Content) > maxPaste {
			cut := maxPaste
			for cut > 0 && !utf8.RuneStart(p.Content[cut]) {
				cut--
			}
			ss.droppedBytes.Add(int64(len(p.Content) - cut))
			p.Content = p.Content[:cut]
			return p
		}
	}
	return msg
}

// resizeDue asks the filter for the latest window size that coalesceResize held back.
type resizeDue struct{}

// coalesceResize lets a new window size through while resizes stay within their limit. Beyond it, the size is held
// back, and once the limit allows, the latest size is delivered: the session ends up laid out for the window's real
// size without being laid out again for every size in a storm of them.
func (ss *session) coalesceResize(m tea.WindowSizeMsg) tea.Msg {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.latest = m
	r := ss.resizes.Reserve()
	delay := r.Delay()
	if delay == 0 {
		return m
	}
	r.Cancel()
	if !ss.resizeHeld {
		ss.resizeHeld = true
		p := ss.program
		time.AfterFunc(delay, func() { p.Send(resizeDue{}) })
	}
	return nil
}

// heldResize is the latest window size, for the resizeDue that coalesceResize scheduled.
func (ss *session) heldResize() tea.Msg {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.resizeHeld = false
	return ss.latest
}

// noteDrop logs, once per session, that its input went over the limit.
func (ss *session) noteDrop() {
	if !ss.dropLogged.Swap(true) {
		ss.log.Printf("input over the limit %s: dropping what exceeds %d keys or %d bytes a second", ss.who,
			keysPerSecond, inputBytesPerSecond)
	}
}

// dropped describes the input the session lost to its limits, or "" when it lost none.
func (ss *session) dropped() string {
	b, e := ss.droppedBytes.Load(), ss.droppedEvents.Load()
	if b == 0 && e == 0 {
		return ""
	}
	return fmt.Sprintf("input over the limit dropped: %d bytes, %d key events", b, e)
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
		ss := newSession(who, sess.PublicKey(), s.opts.IdleTimeout, s.log)
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
			if d := ss.dropped(); d != "" {
				reason += " (" + d + ")"
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
		opts := append(bubbletea.MakeOptions(sess),
			// Replaces the session itself as input, so input beyond the session's budget is dropped undecoded.
			tea.WithInput(newInputGate(sess, ss)),
			tea.WithColorProfile(profile(env)),
			// The server's own signals are not the session's: SIGINT stops the server, which ends each session
			// with a word to its user.
			tea.WithoutSignalHandler(),
			// The first size the client asks for is capped like every later one.
			tea.WithWindowSize(clampWindow(pty.Window.Width, pty.Window.Height)),
			// Replaces the filter MakeOptions sets; session.filter keeps what it did.
			tea.WithFilter(ss.filter),
		)
		// Decisions taken in the session are recorded with its user and the key it signed in with.
		who := data.Clean(sess.User())
		if k := sess.PublicKey(); k != nil {
			who += " (ssh " + gossh.FingerprintSHA256(k) + ")"
		}
		m := s.newModel(who)
		p := tea.NewProgram(m, opts...)
		ss.started(m, p)
		return p
	})
}

// farewell runs after the TUI has restored the terminal: it stops the idle clock and tells the user why the server
// ended the session, if it did.
func (s *Server) farewell(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		s.mu.Lock()
		ss := s.sessions[sess]
		s.mu.Unlock()
		if ss != nil {
			ss.stopClock()
			ss.mu.Lock()
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

// inputGate stands between a session's input and its program. It drains the session as fast as the client sends,
// so a flood never queues up behind the program, and passes on only what fits the session's byte budget and a short
// queue; the rest is dropped whole, undecoded. When the input ends, it ends the program, which would otherwise wait
// for keys that never come.
type inputGate struct {
	ss    *session
	queue chan []byte
	err   error  // why the input ended; read once queue is closed
	left  []byte // the rest of a chunk the program has not read yet
}

// pasteEnd is how a terminal ends a bracketed paste.
var pasteEnd = []byte(ansi.BracketedPasteEnd)

// inputQueue is how many reads may wait for the program; more input than that is dropped.
const inputQueue = 16

func newInputGate(r io.Reader, ss *session) *inputGate {
	g := &inputGate{ss: ss, queue: make(chan []byte, inputQueue)}
	go g.drain(r)
	return g
}

func (g *inputGate) drain(r io.Reader) {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if !g.ss.input.AllowN(time.Now(), n) || len(g.queue) == cap(g.queue) {
				g.ss.droppedBytes.Add(int64(n))
				g.ss.noteDrop()
				// The end of a paste still goes through, or the program would take every later key as pasted.
				if !bytes.Contains(chunk, pasteEnd) || len(g.queue) == cap(g.queue) {
					chunk = nil
				} else {
					chunk = pasteEnd
				}
			}
			if chunk != nil {
				g.queue <- append([]byte(nil), chunk...)
			}
		}
		if err != nil {
			g.err = err
			close(g.queue)
			g.ss.quit()
			return
		}
	}
}

func (g *inputGate) Read(p []byte) (int, error) {
	if len(g.left) == 0 {
		chunk, ok := <-g.queue
		if !ok {
			return 0, g.err
		}
		g.left = chunk
	}
	n := copy(p, g.left)
	g.left = g.left[n:]
	return n, nil
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
