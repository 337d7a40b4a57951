package report

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/triage"
)

// Exit codes of `miscope report`.
const (
	ExitOK       = 0 // the report was written and no finding reached --fail-on
	ExitFindings = 1 // an open finding at or above --fail-on
	ExitUsage    = 2 // a usage or input error: unknown format, bad severity, unreadable tenant, unwritable output
	// ExitIncomplete: the report was written, but the read cannot be trusted to pass: the identity list could not be
	// read, or (with --fail-on, and no finding at or above it) parts that could not be read could hide one.
	ExitIncomplete = 3
)

// Formats lists the report formats by name.
var Formats = []string{"json", "csv", "markdown", "sarif"}

// Options are the flags of `miscope report`. The zero value writes JSON to stdout and never fails on findings.
type Options struct {
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

// Run is `miscope report`: it reads the tenant from src, assesses it, writes the report and returns the exit code.
// err says what went wrong, and what to do, when the code is ExitUsage or ExitIncomplete.
func Run(ctx context.Context, src data.Source, opts Options, stdout io.Writer) (int, error) {
	write, err := writer(opts)
	if err != nil {
		return ExitUsage, err
	}
	failOn := assess.Severity(-1)
	if opts.FailOn != "" {
		if failOn, err = assess.ParseSeverity(opts.FailOn); err != nil {
			return ExitUsage, fmt.Errorf("--fail-on: %w", err)
		}
	}
	decisions, err := loadTriage(opts.Triage)
	if err != nil {
		return ExitUsage, err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	x, err := index(ctx, src, opts.Progress)
	if err != nil {
		return ExitUsage, fmt.Errorf("cannot read the tenant: %w", err)
	}
	r := assess.Assess(x)
	d := Build(x, r, src.Info())
	d.ApplyTriage(decisions, now())
	if opts.Baseline != nil {
		bx, err := index(ctx, opts.Baseline, nil)
		if err != nil {
			return ExitUsage, fmt.Errorf("cannot read the baseline: %w", err)
		}
		d.ApplyBaseline(Build(bx, assess.Assess(bx), opts.Baseline.Info()))
	}
	if opts.Output == "" || opts.Output == "-" {
		err = write(stdout, d)
	} else {
		err = data.WriteFileAtomic(opts.Output, func(w io.Writer) error { return write(w, d) })
	}
	if err != nil {
		return ExitUsage, fmt.Errorf("cannot write the report: %w", err)
	}
	if failOn >= 0 && failOnSummary(opts.Log, d, failOn) > 0 {
		return ExitFindings, nil
	}
	return incomplete(x, r, failOn)
}

// incomplete decides whether a report that found nothing at or above failOn (-1: no --fail-on) can pass: not when
// the identity list could not be read, nor when a part that could not be read could hide a finding at or above
// failOn.
func incomplete(x *data.Index, r *assess.Result, failOn assess.Severity) (int, error) {
	var hiding []string
	apps := make(map[string]bool, len(x.Tenant.Applications))
	for _, a := range x.Tenant.Applications {
		apps[data.Key(a.ID)] = true
	}
	for _, g := range r.Gaps {
		if _, identity := x.Identity(g.IdentityID); g.IdentityID != "" && !identity && !apps[data.Key(g.IdentityID)] {
			continue // about something the tenant does not hold
		}
		if g.Section == data.SectionIdentities && len(x.Tenant.Identities) == 0 {
			return ExitIncomplete, fmt.Errorf("the managed identity list could not be read, so there was nothing to "+
				"judge (%s); the report lists what else could not be read. Grant what it needs and run again",
				data.Clean(g.Error()))
		}
		if sev, ok := assess.Hidden(g); ok && failOn >= 0 && sev >= failOn {
			what := string(g.Section)
			if g.IdentityID != "" {
				what += " of " + g.IdentityID
			}
			if g.Scope != "" {
				what += " at " + g.Scope
			}
			if g.Needs != "" {
				what += " (needs " + g.Needs + ")"
			}
			hiding = append(hiding, data.Clean(what))
		}
	}
	if len(hiding) == 0 {
		return ExitOK, nil
	}
	n := len(hiding)
	if n > 3 {
		hiding = append(hiding[:3], fmt.Sprintf("and %d more", n-3))
	}
	return ExitIncomplete, fmt.Errorf("no finding reached --fail-on %s, but %d %s could not be read and could hide "+
		"one: %s. The report lists them; grant what they need, or fail on a higher severity", failOn, n,
		plural(n, "part", "parts"), strings.Join(hiding, "; "))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
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
		return nil, fmt.Errorf("--triage %s: no such file (miscope writes it when a decision is taken in the "+
			"explorer)", path)
	}
	return triage.Load(path)
}

// writer picks the writer for the options, or says why they do not make sense.
func writer(opts Options) (func(io.Writer, *Document) error, error) {
	format := strings.ToLower(strings.TrimSpace(opts.Format))
	if opts.Inventory && format != "csv" {
		return nil, fmt.Errorf("--inventory writes CSV: add --format csv")
	}
	switch format {
	case "", "json":
		return WriteJSON, nil
	case "csv":
		if opts.Inventory {
			return WriteInventoryCSV, nil
		}
		return WriteCSV, nil
	case "markdown", "md":
		return WriteMarkdown, nil
	case "sarif":
		return WriteSARIF, nil
	}
	return nil, fmt.Errorf("unknown format %q: use one of %s", opts.Format, strings.Join(Formats, ", "))
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
