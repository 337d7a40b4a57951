package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/cache"
	"github.com/miscope/miscope/data/report"
	"github.com/miscope/miscope/data/triage"
)

// Exit codes of `miscope report` (exitUsage, 2, is every command's).
const (
	exitOK       = 0 // the report was written and no finding reached --fail-on
	exitFindings = 1 // an open finding at or above --fail-on
	// exitIncomplete: the report was written, but the read cannot be trusted to pass: the identity list could not be
	// read, or (with --fail-on, and no finding at or above it) parts that could not be read could hide one.
	exitIncomplete = 3
)

// reportFormats lists the report formats by name.
var reportFormats = []string{"json", "csv", "markdown", "sarif"}

// reportOptions are the flags of `miscope report`. The zero value writes JSON to stdout and never fails on findings.
type reportOptions struct {
	// Format is json (the default), csv, markdown (or md) or sarif.
	Format string
	// Output is the file to write, atomically and with mode 0600; empty or "-" means stdout.
	Output string
	// FailOn is the severity at or above which a finding makes the exit code 1; empty never fails.
	FailOn string
	// Inventory writes one CSV row per identity instead of one per finding.
	Inventory bool
	// Progress, when set, hears how far reading the tenant has come.
	Progress func(data.Progress)
	// Triage is the triage file whose decisions the report carries; empty means triage.DefaultPath when it exists.
	Triage string
	// Baseline, when set, is an earlier read of the tenant: each finding gets its baseline state against it.
	Baseline data.Source
	// Log hears which findings made --fail-on fail (standard error).
	Log io.Writer
	// Now is the clock that decides which decisions expired; nil means time.Now.
	Now func() time.Time
}

// reportArgs are the flags of `miscope report`.
type reportArgs struct {
	sf       sourceFlags
	opts     reportOptions
	baseline string
	force    bool
}

func reportFlags() (*flag.FlagSet, *reportArgs) {
	fs := newFlagSet("report")
	a := &reportArgs{}
	a.sf.register(fs)
	opts := &a.opts
	fs.StringVar(&opts.Format, "format", "json", "output `FORMAT`: json, csv, markdown or sarif")
	fs.StringVar(&opts.Output, "o", "", "write to `FILE` instead of standard output; its extension, if it names a format, must be --format's")
	fs.StringVar(&opts.FailOn, "fail-on", "", "exit 1 when a finding is at or above `SEVERITY` (info, low, medium, high, critical); "+
		"3 when none is but parts that could not be read could hide one")
	fs.BoolVar(&opts.Inventory, "inventory", false, "with --format csv: one row per identity instead of per finding")
	fs.StringVar(&opts.Triage, "triage", "", "apply the decisions of triage `FILE` (default: "+triage.DefaultPath+" when it exists)")
	fs.StringVar(&a.baseline, "baseline", "", "mark findings new, unchanged, updated or absent against `OLD` (a snapshot file, demo or live)")
	fs.BoolVar(&a.force, "force", false, forceHelp)
	return fs, a
}

func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs, a := reportFlags()
	if err := parse(fs, args, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, nil
		}
		return exitUsage, err
	}
	opts := a.opts
	// Everything that can be checked is checked before the tenant is read: a mistake costs no wait.
	if _, err := reportWriter(opts); err != nil {
		return exitUsage, err
	}
	if opts.FailOn != "" {
		if _, err := assess.ParseSeverity(opts.FailOn); err != nil {
			return exitUsage, usageError{"--fail-on: " + err.Error()}
		}
	}
	if err := a.sf.validate(); err != nil {
		return exitUsage, err
	}
	if opts.Output != "" && opts.Output != "-" {
		var err error
		if opts.Output, err = outputPath(opts.Output, a.force); err != nil {
			return exitUsage, err
		}
		if err := checkOutput("-o", opts.Output); err != nil {
			return exitUsage, err
		}
		if err := checkExtension(opts.Output, reportFormat(opts.Format), reportExtensions); err != nil {
			return exitUsage, err
		}
	}
	if _, err := loadTriage(opts.Triage); err != nil {
		return exitUsage, err
	}
	opts.Log = stderr
	if a.baseline != "" {
		old, err := openSpec(ctx, a.baseline, a.sf, stderr)
		if err != nil {
			return exitUsage, fmt.Errorf("--baseline: %w", err)
		}
		defer old.Close()
		opts.Baseline = old
	}
	a.sf.wholeFile = true
	src, err := a.sf.open(ctx, stderr)
	if err != nil {
		return exitUsage, err
	}
	defer src.Close()
	tuneMemory(ctx, src)
	code, err := writeReport(ctx, src, opts, stdout)
	if err != nil {
		return code, withForceHint(err)
	}
	return code, nil
}

// writeReport reads the tenant from src, assesses it, writes the report and returns the exit code. err says what
// went wrong, and what to do, when the code is exitUsage or exitIncomplete.
func writeReport(ctx context.Context, src data.Source, opts reportOptions, stdout io.Writer) (int, error) {
	write, err := reportWriter(opts)
	if err != nil {
		return exitUsage, err
	}
	failOn := assess.Severity(-1)
	if opts.FailOn != "" {
		if failOn, err = assess.ParseSeverity(opts.FailOn); err != nil {
			return exitUsage, fmt.Errorf("--fail-on: %w", err)
		}
	}
	decisions, err := loadTriage(opts.Triage)
	if err != nil {
		return exitUsage, err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	x, r, err := assessed(ctx, src, opts.Progress)
	if err != nil {
		return exitUsage, fmt.Errorf("cannot read the tenant: %w", err)
	}
	d := report.Build(x, r, src.Info())
	d.ApplyTriage(decisions, now())
	if opts.Baseline != nil {
		bx, br, err := assessed(ctx, opts.Baseline, nil)
		if err != nil {
			return exitUsage, fmt.Errorf("cannot read the baseline: %w", err)
		}
		d.ApplyBaseline(report.Build(bx, br, opts.Baseline.Info()))
	}
	if opts.Output == "" || opts.Output == "-" {
		err = write(stdout, d)
	} else {
		err = data.WriteFileAtomic(opts.Output, func(w io.Writer) error { return write(w, d) })
	}
	if err != nil {
		return exitUsage, fmt.Errorf("cannot write the report: %w", err)
	}
	// Without the identity list there is nothing to judge, whatever else was found (users and applications are
	// read apart from it): that is what the run must say.
	if list, _ := report.Unread(x, r, failOn); list != nil {
		return incomplete(x, r, failOn)
	}
	if failOn >= 0 && report.FailOnSummary(opts.Log, d, failOn) > 0 {
		return exitFindings, nil
	}
	return incomplete(x, r, failOn)
}

// incomplete decides whether a report that found nothing at or above failOn (-1: no --fail-on) can pass: not when
// the identity list could not be read, nor when a part that could not be read could hide a finding at or above
// failOn.
func incomplete(x *data.Index, r *assess.Result, failOn assess.Severity) (int, error) {
	list, hiding := report.Unread(x, r, failOn)
	if list != nil {
		return exitIncomplete, fmt.Errorf("the managed identity list could not be read, so there was nothing to "+
			"judge (%s); the report lists what else could not be read. Grant what it needs and run again", list.Error())
	}
	if len(hiding) == 0 {
		return exitOK, nil
	}
	n := len(hiding)
	if n > 3 {
		hiding = append(hiding[:3], fmt.Sprintf("and %d more", n-3))
	}
	return exitIncomplete, fmt.Errorf("no finding reached --fail-on %s, but %s could not be read and could hide "+
		"one: %s. The report lists them; grant what they need, or fail on a higher severity", failOn,
		data.Plural(n, "part", "parts"), strings.Join(hiding, "; "))
}

// loadTriage reads the triage file the report applies: the one named, which must exist, or the default one in the
// current folder when there is one.
func loadTriage(path string) (*triage.File, error) {
	if path == "" {
		if _, err := os.Stat(triage.DefaultPath); err != nil {
			return &triage.File{Version: triage.FileVersion}, nil
		}
		path = triage.DefaultPath
	} else if _, err := os.Stat(path); err != nil {
		return nil, usageError{fmt.Sprintf("--triage %s: no such file (miscope writes it when a decision is taken "+
			"in the explorer)", path)}
	}
	return triage.Load(path)
}

// reportFormat is the canonical name of a --format value ("md" is markdown), or "" when it names none.
func reportFormat(format string) string {
	switch f := strings.ToLower(strings.TrimSpace(format)); f {
	case "", "json":
		return "json"
	case "md", "markdown":
		return "markdown"
	case "csv", "sarif":
		return f
	}
	return ""
}

// reportExtensions maps the file extensions that name a report format to it.
var reportExtensions = map[string]string{".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown",
	".sarif": "sarif"}

// reportWriter picks the writer for the options, or says why they do not make sense.
func reportWriter(opts reportOptions) (func(io.Writer, *report.Document) error, error) {
	format := reportFormat(opts.Format)
	if opts.Inventory && format != "csv" {
		return nil, usageError{"--inventory writes CSV: add --format csv"}
	}
	switch format {
	case "json":
		return report.WriteJSON, nil
	case "csv":
		if opts.Inventory {
			return report.WriteInventoryCSV, nil
		}
		return report.WriteCSV, nil
	case "markdown":
		return report.WriteMarkdown, nil
	case "sarif":
		return report.WriteSARIF, nil
	}
	return nil, usageError{fmt.Sprintf("unknown --format %q: use one of %s", opts.Format, strings.Join(reportFormats, ", "))}
}

// assessed reads the tenant and assesses it, through the cache's shared assessment when src is a cache (which a
// server's explorers share too).
func assessed(ctx context.Context, src data.Source, progress func(data.Progress)) (*data.Index, *assess.Result, error) {
	if c, ok := src.(*cache.Cache); ok {
		a, err := c.Assess(ctx, progress)
		if err != nil {
			return nil, nil, err
		}
		return a.Index, a.Result, nil
	}
	x, err := index(ctx, src, progress)
	if err != nil {
		return nil, nil, err
	}
	return x, assess.Assess(x), nil
}

// index reads and joins the tenant, reusing the source's own join when it keeps one (the cache, a snapshot).
func index(ctx context.Context, src data.Source, progress func(data.Progress)) (*data.Index, error) {
	if j, ok := src.(interface {
		Index(context.Context, func(data.Progress)) (*data.Index, error)
	}); ok {
		return j.Index(ctx, progress)
	}
	t, err := src.Tenant(ctx, progress)
	if err != nil {
		return nil, err
	}
	return data.NewIndex(t), nil
}
