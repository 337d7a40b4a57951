// Command miscope finds every managed identity in a Microsoft Entra ID tenant and shows which of them are dangerous
// and why: an interactive explorer (the default), `collect` for offline snapshots, `report` for scripts and CI, and
// `serve` to share the explorer over SSH.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/term"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/azure"
	"github.com/miscope/miscope/data/cache"
	"github.com/miscope/miscope/data/demo"
	"github.com/miscope/miscope/data/snapshot"
	"github.com/miscope/miscope/data/triage"
	"github.com/miscope/miscope/ui"
	"github.com/miscope/miscope/ui/serve"
)

// exitUsage is the exit code for a usage or input error; 1 is kept for "a finding at or above --fail-on".
const exitUsage = 2

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "" && len(args) > 0 && oneOf(args[0], "--version", "-v", "-version") {
		cmd, args = "version", args[1:]
	}
	ctx, stop := stopOnSignal(stderr)
	defer stop()
	var err error
	code := -1 // the command's own exit code, when it gives one
	switch cmd {
	case "":
		err = runExplorer(ctx, args, stderr)
	case "collect":
		err = runCollect(ctx, args, stderr)
	case "report":
		code, err = runReport(ctx, args, stdout, stderr)
	case "diff":
		code, err = runDiff(ctx, args, stdout, stderr)
	case "serve":
		err = runServe(ctx, args, stderr)
	case "completion":
		err = runCompletion(args, stdout, stderr)
	case "man":
		err = runMan(args, stdout, stderr)
	case "version":
		if err = parse(newFlagSet("version"), args, stdout); err == nil {
			fmt.Fprintln(stdout, "miscope", version())
		}
	case "help":
		if len(args) > 0 && commandNamed(args[0]) != nil {
			fmt.Fprint(stdout, commandNamed(args[0]).help())
		} else {
			fmt.Fprint(stdout, overview())
		}
		return 0
	default:
		err = usageError{fmt.Sprintf("unknown command %q (commands: collect, report, diff, serve, completion, man, "+
			"version; see miscope --help)", cmd)}
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		fmt.Fprintln(stderr, "miscope: stopped")
		return exitStopped
	}
	if err != nil {
		// Errors can quote what the tenant or a file holds: standard error is a terminal too.
		fmt.Fprintln(stderr, "miscope:", data.Clean(err.Error()))
	}
	switch {
	case code >= 0:
		if err != nil && code == 0 {
			code = 1
		}
		return code
	case err == nil:
		return 0
	}
	var ue usageError
	var se *snapshot.Error
	var te *triage.ParseError
	if errors.As(err, &ue) || errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, azure.ErrNoCredential) {
		return exitUsage
	}
	return 1
}

// exitStopped is the exit code when miscope is stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report it).
const exitStopped = 130

// signalGrace is how long miscope may take to wind down after SIGINT or SIGTERM before it exits regardless.
const signalGrace = 3 * time.Second

// stopOnSignal returns a context that ends at the first SIGINT or SIGTERM, so that whatever runs (reading a snapshot,
// generating a tenant, the explorer, a server) winds down and cleans up. Whatever does not notice within signalGrace,
// or a second signal, ends the process at once: no step of miscope may keep it from being stopped.
func stopOnSignal(stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
		case <-done:
			return
		}
		cancel()
		select {
		case <-sig:
		case <-time.After(signalGrace):
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "miscope: stopped")
		os.Exit(exitStopped)
	}()
	return ctx, func() {
		signal.Stop(sig)
		close(done)
		cancel()
	}
}

// usageError is a mistake in how miscope was called.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// commit is set by `make build` (-ldflags -X main.commit=...), for builds where Go records no VCS information.
var commit string

// version names the build: its module version, or the commit it was built from.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown build)"
	}
	if commit != "" && (bi.Main.Version == "" || bi.Main.Version == "(devel)") {
		return "commit " + commit
	}
	v := bi.Main.Version
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+changes"
			}
		}
	}
	if (v == "" || v == "(devel)") && rev != "" {
		return "commit " + rev[:min(12, len(rev))] + dirty
	}
	return v
}

// sourceFlags are the flags every command shares to say where the tenant comes from.
type sourceFlags struct {
	demo     bool
	demoSize int
	snapshot string
	noCache  bool
	live     azure.Options
	// wholeFile makes a snapshot load completely before the command starts.
	wholeFile bool
	// usageWindowSet says --usage-window was given: it, like --workspace, only means something for a live tenant.
	usageWindowSet bool
	// interactive is set by the commands people type into (the explorer, serve): the assessment then leaves them a
	// core.
	interactive bool
}

func (f *sourceFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.demo, "demo", false, "use the embedded demo tenant")
	fs.Func("demo-size", "use a synthetic tenant of `N` managed identities", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return errors.New("takes a positive number of identities, e.g. --demo-size 50000")
		}
		f.demoSize = n
		return nil
	})
	fs.StringVar(&f.snapshot, "snapshot", "", "read a snapshot `FILE` made by 'miscope collect'")
	fs.BoolVar(&f.noCache, "no-cache", false, "do not keep a live tenant's read on disk")
	fs.StringVar(&f.live.Auth, "auth", "default", "live sign-in `METHOD`: default, cli, device-code, environment, managed-identity")
	fs.StringVar(&f.live.TenantID, "tenant", "", "tenant `ID` to sign in to")
	fs.StringVar(&f.live.Cloud, "cloud", "public", "`CLOUD`: public, usgovernment or china")
	fs.StringVar(&f.live.GraphEndpoint, "graph-endpoint", os.Getenv("MISCOPE_GRAPH_ENDPOINT"), "Microsoft Graph base `URL` (without /v1.0)")
	fs.StringVar(&f.live.ARMEndpoint, "arm-endpoint", os.Getenv("MISCOPE_ARM_ENDPOINT"), "Azure Resource Manager base `URL`")
	f.live.Concurrency = azure.DefaultConcurrency
	fs.Func("concurrency", fmt.Sprintf("parallel requests to a live tenant (`N`, 1 to %d; default %d)", maxConcurrency,
		azure.DefaultConcurrency), func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxConcurrency {
			return fmt.Errorf("takes a number from 1 to %d (more only earns throttling)", maxConcurrency)
		}
		f.live.Concurrency = n
		return nil
	})
	fs.Func("subscription", "limit Azure Resource Manager to subscription `ID` (repeatable)", func(s string) error {
		f.live.Subscriptions = append(f.live.Subscriptions, s)
		return nil
	})
	fs.StringVar(&f.live.Workspace, "workspace", "", "read usage from the Log Analytics workspace `ID` that receives the sign-in and activity logs")
	fs.Func("usage-window", "how far back usage is read (`DAYS`, e.g. 30d; 1d to 730d; default 30d)", func(v string) error {
		d, err := parseDays(v)
		if err != nil {
			return err
		}
		f.live.UsageWindow = d
		f.usageWindowSet = true
		return nil
	})
}

// maxUsageDays bounds --usage-window: Log Analytics keeps sign-ins for at most two years.
const maxUsageDays = 730

// parseDays reads a usage window as people write it: "30d" or "30".
func parseDays(v string) (time.Duration, error) {
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), "d"))
	if err != nil || n < 1 || n > maxUsageDays {
		return 0, fmt.Errorf("takes a number of days from 1d to %dd, e.g. --usage-window 30d", maxUsageDays)
	}
	return time.Duration(n) * 24 * time.Hour, nil
}

// maxConcurrency bounds --concurrency: Graph and ARM throttle a client long before this many requests in flight.
const maxConcurrency = 64

// validate catches mistakes in the source flags before anything is read or signed in to.
func (f *sourceFlags) validate() error {
	chosen := 0
	for _, on := range []bool{f.demo, f.demoSize > 0, f.snapshot != ""} {
		if on {
			chosen++
		}
	}
	if chosen > 1 {
		return usageError{"choose one of --demo, --demo-size and --snapshot"}
	}
	if f.demoSize > 0 {
		// Refused before a byte is allocated: a tenant too large for the machine would take all its memory.
		if need, have, ok := demoMemory(f.demoSize); ok && need > have {
			return usageError{fmt.Sprintf("--demo-size %d needs about %s of memory (6 KiB per identity), more than the %s "+
				"this machine has: choose at most %d", f.demoSize, gigabytes(need), gigabytes(have), maxDemoSize(have))}
		}
	}
	if chosen > 0 && (f.live.Workspace != "" || f.usageWindowSet) {
		return usageError{"--workspace and --usage-window say how to read a live tenant's usage; the demo tenant and " +
			"snapshots carry their own: drop them, or read the live tenant"}
	}
	if !oneOf(f.live.Auth, "", "default", "cli", "device-code", "environment", "managed-identity") {
		return usageError{fmt.Sprintf("unknown --auth %q: use default, cli, device-code, environment or managed-identity", f.live.Auth)}
	}
	if !oneOf(f.live.Cloud, "", "public", "usgovernment", "china") {
		return usageError{fmt.Sprintf("unknown --cloud %q: use public, usgovernment or china", f.live.Cloud)}
	}
	return nil
}

// demoMemory estimates what a synthetic tenant of n identities needs and says what the machine has.
func demoMemory(n int) (need, have int64, ok bool) {
	have, ok = data.SystemMemory()
	return demo.MemoryFor(n), have, ok
}

// maxDemoSize is the largest synthetic tenant whose estimate fits in have bytes.
func maxDemoSize(have int64) int {
	n := sort.Search(1<<40, func(n int) bool { return demo.MemoryFor(n) > have })
	return max(n-1, 0)
}

func gigabytes(b int64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }

// open builds the Source the flags name, wrapped in the cache.
func (f *sourceFlags) open(ctx context.Context, stderr io.Writer) (*cache.Cache, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	var src data.Source
	opts := cache.Options{}
	if f.interactive {
		cores := runtime.GOMAXPROCS(0)
		opts.AssessWorkers = max(1, cores-1)
		opts.Background = true
		// Three processors more than cores: the work at the lowest priority (the list's rows, the join, the
		// assessment) and the collector's worker each keep a processor while the system gives its core to the
		// keyboard, and one is more often idle, to take up a frame's timer or a key at once; with fewer, a key or a
		// frame would wait for Go's scheduler to preempt one of them (up to 10 ms, more than once), whatever the
		// system's priorities. Measured at 50,000 identities, the worst key of a run was 14-44 ms with two more,
		// 14-32 ms with three.
		if os.Getenv("GOMAXPROCS") == "" {
			runtime.GOMAXPROCS(cores + 3)
		}
	}
	switch {
	case f.demo:
		t, err := demo.Tenant()
		if err != nil {
			return nil, err
		}
		src = data.NewTenantSource(t, data.SourceInfo{Origin: data.OriginDemo, Label: "demo tenant"})
	case f.demoSize > 0:
		if out, ok := stderr.(*os.File); ok && term.IsTerminal(out.Fd()) {
			fmt.Fprintf(stderr, "generating a synthetic tenant of %d identities…\n", f.demoSize)
		}
		t, err := demo.SyntheticContext(ctx, f.demoSize, 1)
		if err != nil {
			return nil, err
		}
		src = data.NewTenantSource(t, data.SourceInfo{Origin: data.OriginDemo,
			Label: fmt.Sprintf("synthetic tenant (%d identities)", f.demoSize)})
	case f.snapshot != "":
		// The explorer shows the first identities while the rest of the file loads; commands that print a result
		// wait for the whole file, so a corrupt one is refused before anything is written.
		snap, err := snapshot.OpenContext(ctx, f.snapshot)
		if err != nil {
			return nil, err
		}
		if f.wholeFile {
			if err := snap.Wait(ctx); err != nil {
				snap.Close()
				return nil, err
			}
		}
		src = snap
	default:
		f.live.DeviceCode = func(message string) { fmt.Fprintln(stderr, "\n"+message+"\n") }
		if f, ok := stderr.(*os.File); ok && term.IsTerminal(f.Fd()) {
			fmt.Fprintln(stderr, "signing in to Microsoft Entra ID…")
		}
		live, err := azure.New(ctx, f.live)
		if err != nil {
			return nil, err
		}
		src = live
		if dir, err := cache.DefaultDir(); err == nil && !f.noCache {
			if err := cache.CheckDir(dir); err != nil {
				fmt.Fprintln(stderr, "miscope:", err) // the tenant is still read, only not kept on disk
			} else {
				opts.Dir = dir
				subs := append([]string(nil), f.live.Subscriptions...)
				for i := range subs {
					subs[i] = strings.ToLower(subs[i])
				}
				slices.Sort(subs)
				opts.Scope = strings.Join([]string{f.live.Cloud, f.live.GraphEndpoint, f.live.ARMEndpoint,
					strings.Join(subs, ",")}, "|")
			}
		}
	}
	return cache.New(src, opts), nil
}

// tuneMemory gives the garbage collector a soft memory limit fitted to the tenant, unless the user chose one with
// GOMEMLIMIT: first the floor, then, once the identity list has been read (the read every view shares), the limit for
// its size, and above what turns out to be live whenever that is more.
func tuneMemory(ctx context.Context, src *cache.Cache) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(data.MemoryLimitFor(0))
	go data.FollowLiveHeap(ctx, time.Second)
	go func() {
		n := 0
		if err := src.Identities(ctx, func(p []data.Identity) error { n += len(p); return nil }); err == nil {
			// Never below what FollowLiveHeap may have raised it to meanwhile.
			debug.SetMemoryLimit(max(debug.SetMemoryLimit(-1), data.MemoryLimitFor(n)))
		}
	}()
}

// explorerArgs are the explorer's flags.
type explorerArgs struct {
	sf         sourceFlags
	exportDir  string
	triageFile string
	as         string
	baseline   string
}

func explorerFlags() (*flag.FlagSet, *explorerArgs) {
	fs := newFlagSet("miscope")
	a := &explorerArgs{}
	a.sf.register(fs)
	fs.StringVar(&a.exportDir, "export-dir", "", "folder for exports (`DIR`; default: the current folder)")
	fs.StringVar(&a.triageFile, "triage", triage.DefaultPath, "read and write triage decisions in `FILE`")
	fs.StringVar(&a.as, "as", "", "`NAME` recorded with your triage decisions (default: who signed in, or your user name)")
	fs.StringVar(&a.baseline, "baseline", "", "mark what changed since `OLD` (a snapshot file, demo or live); c shows only that")
	return fs, a
}

func runExplorer(ctx context.Context, args []string, stderr io.Writer) error {
	fs, a := explorerFlags()
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if err := a.sf.validate(); err != nil {
		return err
	}
	if a.exportDir != "" {
		if err := checkFolder("--export-dir", a.exportDir); err != nil {
			return err
		}
	}
	// A triage file the explorer could not read is refused as report refuses it, rather than opened with an error
	// in the status bar; it is read again when the explorer starts.
	if _, err := triage.Load(a.triageFile); err != nil {
		return err
	}
	terminal := term.IsTerminal(os.Stdin.Fd()) && term.IsTerminal(os.Stdout.Fd())
	a.sf.interactive = true
	var src *cache.Cache
	if a.sf.snapshot != "" {
		// A snapshot that cannot be read is said to be so before anything else: a terminal would not help it.
		var err error
		if src, err = a.sf.open(ctx, stderr); err != nil {
			return err
		}
		defer src.Close()
	}
	if !terminal {
		return usageError{"the explorer needs a terminal; in scripts use `miscope report` or `miscope collect`"}
	}
	if src == nil {
		var err error
		if src, err = a.sf.open(ctx, stderr); err != nil {
			return err
		}
		defer src.Close()
	}
	tuneMemory(ctx, src)
	data.CollectAtLimitWhile(func() { _, _ = src.Assess(ctx, nil) }) // the explorer asks for the same assessment
	var opts []tea.ProgramOption
	opts = append(opts, tea.WithContext(ctx), tea.WithFPS(120))
	if keys := openKeyboard(); keys != nil {
		opts = append(opts, tea.WithInput(keys))
		defer keys.Close() // after the program: its reader may still be waiting for a key
	}
	if os.Getenv("NO_COLOR") != "" { // no-color.org: any non-empty value turns colour off
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	var old *cache.Cache
	if a.baseline != "" {
		var err error
		if old, err = openSpec(ctx, a.baseline, a.sf, stderr); err != nil {
			return fmt.Errorf("--baseline: %w", err)
		}
		defer old.Close()
	}
	p := tea.NewProgram(ui.New(ui.Options{Source: src, ExportDir: a.exportDir, Triage: a.triageFile,
		Who: decider(a.as, src), Baseline: old}), opts...)
	// A snapshot is shown while it loads; one found corrupt after its first identities were shown is still refused:
	// the explorer closes and the reason is printed with exit code 2.
	if snap, ok := src.Source().(*snapshot.Source); ok {
		go func() {
			<-snap.Done()
			if snap.Wait(context.Background()) != nil {
				p.Quit()
			}
		}()
	}
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return err
	}
	if snap, ok := src.Source().(*snapshot.Source); ok {
		select {
		case <-snap.Done():
			return snap.Wait(ctx) // the reason the explorer was closed, if the file turned out corrupt
		default:
		}
	}
	return nil
}

// collectArgs are the flags of `miscope collect`.
type collectArgs struct {
	sf      sourceFlags
	out     string
	history string
	keep    int
	force   bool
}

func collectFlags() (*flag.FlagSet, *collectArgs) {
	fs := newFlagSet("collect")
	a := &collectArgs{keep: 12}
	a.sf.register(fs)
	fs.StringVar(&a.out, "o", "", "write the snapshot to `FILE` (.json or .json.gz)")
	fs.StringVar(&a.history, "history", "", "write the snapshot into `DIR` under a name that sorts by time, keeping the last --keep")
	fs.Func("keep", "with --history: how many snapshots to keep (`N`, at least 2; default 12)", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 {
			return errors.New("takes a number of at least 2, so that diff --history has two snapshots to compare")
		}
		a.keep = n
		return nil
	})
	fs.BoolVar(&a.force, "force", false, forceHelp)
	return fs, a
}

func runCollect(ctx context.Context, args []string, stderr io.Writer) error {
	fs, a := collectFlags()
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	sf, out := &a.sf, &a.out
	switch {
	case a.history != "" && *out != "":
		return usageError{"give either -o FILE or --history DIR, not both"}
	case a.history != "":
		if err := os.MkdirAll(a.history, 0o700); err != nil {
			return usageError{fmt.Sprintf("--history %s: cannot create the folder: %v", a.history, rootCause(err))}
		}
		*out = filepath.Join(a.history, historyName(time.Now()))
	case *out == "":
		return usageError{"collect needs -o FILE (for example: miscope collect -o tenant.json.gz) or --history DIR"}
	}
	if err := sf.validate(); err != nil {
		return err
	}
	path, err := outputPath(*out, a.force)
	if err != nil {
		return err
	}
	if err := checkOutput("-o", path); err != nil {
		return err
	}
	sf.noCache = true
	sf.wholeFile = true
	src, err := sf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer src.Close()
	tuneMemory(ctx, src)
	start := time.Now()
	progress := newProgressLine(stderr)
	t, err := src.Tenant(ctx, progress.show)
	if err != nil {
		return err
	}
	origin := src.Info().Origin
	if err := snapshot.Save(path, t, origin); err != nil {
		return withForceHint(err)
	}
	progress.done("wrote %s: %s, %s not readable, in %s", *out, data.Plural(len(t.Identities), "identity", "identities"),
		data.Plural(len(t.Gaps), "part", "parts"), time.Since(start).Round(time.Millisecond))
	if a.history != "" {
		return pruneHistory(a.history, a.keep)
	}
	return nil
}

// progressLine shows a full read's progress: rewritten in place on a terminal, one line per stage elsewhere (a log
// file or CI).
type progressLine struct {
	w       io.Writer
	inPlace bool
	last    string
}

func newProgressLine(w io.Writer) *progressLine {
	f, ok := w.(*os.File)
	return &progressLine{w: w, inPlace: ok && term.IsTerminal(f.Fd())}
}

func (p *progressLine) show(pr data.Progress) {
	line := fmt.Sprintf("%s: %d", pr.Stage, pr.Done)
	if pr.Total > 0 {
		line = fmt.Sprintf("%s: %d of %d", pr.Stage, pr.Done, pr.Total)
	}
	switch {
	case p.inPlace:
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	case pr.Stage != p.last:
		fmt.Fprintln(p.w, line)
	}
	p.last = pr.Stage
}

// done replaces the progress with a final line.
func (p *progressLine) done(format string, args ...any) {
	if p.inPlace {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

const forceHelp = "write through a symbolic link at the output file even when it or its target belongs to another user"

// outputPath is where -o FILE is written: FILE itself, or with --force the file a symbolic link there points to.
// Without --force a link is followed only when the user owns it and its target (data.WriteFileAtomic).
func outputPath(path string, force bool) (string, error) {
	if !force {
		return path, nil
	}
	return data.ThroughLink(path)
}

// withForceHint tells the user of the command line how to write through a link miscope would not follow.
func withForceHint(err error) error {
	if errors.Is(err, data.ErrUntrustedLink) {
		return fmt.Errorf("%w; --force writes through it", err)
	}
	return err
}

// serveArgs are the flags of `miscope serve`.
type serveArgs struct {
	sf   sourceFlags
	opts serve.Options
}

func serveFlags() (*flag.FlagSet, *serveArgs) {
	fs := newFlagSet("serve")
	a := &serveArgs{opts: serve.Options{IdleTimeout: serve.DefaultIdleTimeout, MaxSessions: serve.DefaultMaxSessions}}
	a.sf.register(fs)
	opts := &a.opts
	fs.StringVar(&opts.Listen, "listen", "127.0.0.1:2222", "listen on `ADDR`")
	fs.StringVar(&opts.AuthorizedKeys, "authorized-keys", "", "public keys allowed in (`FILE`, OpenSSH authorized_keys format; required)")
	fs.StringVar(&opts.HostKey, "host-key", defaultHostKey(), "host key `FILE` (created 0600 if missing)")
	fs.Func("idle-timeout", "end sessions idle for this `DURATION` (default 15m)", func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("takes a positive duration, e.g. --idle-timeout 30m")
		}
		opts.IdleTimeout = d
		return nil
	})
	fs.Func("max-sessions", fmt.Sprintf("at most `N` sessions at once (default %d)", serve.DefaultMaxSessions), func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errors.New("takes a positive number of sessions")
		}
		opts.MaxSessions = n
		return nil
	})
	fs.StringVar(&opts.ExportDir, "export-dir", "", "folder on the server where sessions may write exports (`DIR`; default: none, copy only)")
	fs.StringVar(&opts.Triage, "triage", triage.DefaultPath, "triage `FILE` on the server that sessions read and write decisions in (each recorded with its SSH user and key)")
	return fs, a
}

func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs, a := serveFlags()
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	sf, opts := &a.sf, a.opts
	opts.Log = stderr
	if err := sf.validate(); err != nil {
		return err
	}
	if opts.ExportDir != "" {
		if err := checkFolder("--export-dir", opts.ExportDir); err != nil {
			return err
		}
	}
	if _, err := triage.Load(opts.Triage); err != nil {
		return err
	}
	if opts.AuthorizedKeys == "" {
		return usageError{"serve needs --authorized-keys FILE: miscope never serves without public-key authentication"}
	}
	if opts.HostKey == "" {
		return usageError{"serve needs --host-key FILE (no user config folder to keep one in)"}
	}
	if err := os.MkdirAll(filepath.Dir(opts.HostKey), 0o700); err != nil {
		return fmt.Errorf("cannot create the folder for the host key: %w", err)
	}
	sf.interactive = true
	src, err := sf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer src.Close()
	tuneMemory(ctx, src)
	srv, err := serve.New(src, opts)
	if err != nil {
		return usageError{err.Error()}
	}
	return srv.ListenAndServe(ctx)
}

// decider names whoever takes triage decisions in a local explorer: --as, else who signed in to the live tenant,
// else the user running miscope.
func decider(as string, src *cache.Cache) string {
	if as = strings.TrimSpace(data.CleanInput(as)); as != "" {
		return as
	}
	if live, ok := src.Source().(*azure.Source); ok && live.SignedIn() != "" {
		return live.SignedIn()
	}
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if host, err := os.Hostname(); err == nil && name != "" {
		return data.Clean(name + "@" + host)
	}
	return data.Clean(name)
}

// defaultHostKey keeps the server's host key in the user's config folder, so it survives restarts without landing in
// whatever folder miscope was started from.
func defaultHostKey() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "miscope", "ssh_host_ed25519")
}

func oneOf(s string, choices ...string) bool {
	for _, c := range choices {
		if strings.EqualFold(s, c) {
			return true
		}
	}
	return false
}
