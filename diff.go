package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/term"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/cache"
	"github.com/miscope/miscope/data/diff"
)

// diffArgs are the flags of `miscope diff`.
type diffArgs struct {
	sf        sourceFlags
	format    string
	output    string
	failOnNew string
	history   string
}

func diffFlags() (*flag.FlagSet, *diffArgs) {
	fs := newFlagSet("diff")
	a := &diffArgs{}
	a.sf.register(fs)
	fs.StringVar(&a.format, "format", "text", "output `FORMAT`: text, markdown or json")
	fs.StringVar(&a.output, "o", "", "write to `FILE` instead of standard output")
	fs.StringVar(&a.failOnNew, "fail-on-new", "", "exit 1 when a new finding is at or above `SEVERITY`")
	fs.StringVar(&a.history, "history", "", "compare the two newest snapshots in `DIR` (made by collect --history)")
	return fs, a
}

// runDiff is `miscope diff OLD NEW`: what changed in the tenant between two reads. It returns the exit code: 1 when
// --fail-on-new finds a new finding at or above its severity, 2 for a usage or input error.
func runDiff(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs, a := diffFlags()
	sf, format, output, failOnNew, history := &a.sf, &a.format, &a.output, &a.failOnNew, &a.history
	// The operands may come before, between or after the flags; "--demo" names the demo tenant as an operand.
	var operands []string
	rest := slices.Clone(args)
	for i, a := range rest {
		if a == "--demo" || a == "-demo" {
			rest[i] = "demo"
		}
	}
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printHelp(fs, stderr)
				return 0, nil
			}
			return exitUsage, usageError{fmt.Sprintf("%s (see miscope diff --help)", flagError(err))}
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		operands, rest = append(operands, rest[0]), rest[1:]
	}
	if sf.demo || sf.demoSize > 0 || sf.snapshot != "" {
		return exitUsage, usageError{"diff takes its two sides as operands: miscope diff OLD NEW, each a snapshot " +
			"file, demo or live"}
	}
	write, err := diff.Writer(*format, diff.Style{})
	if err != nil {
		return exitUsage, usageError{err.Error()}
	}
	minNew := assess.Severity(-1)
	if *failOnNew != "" {
		if minNew, err = assess.ParseSeverity(*failOnNew); err != nil {
			return exitUsage, usageError{"--fail-on-new: " + err.Error()}
		}
	}
	if *history != "" {
		if len(operands) > 0 {
			return exitUsage, usageError{"give either --history DIR or OLD NEW, not both"}
		}
		if operands, err = newestSnapshots(*history, 2); err != nil {
			return exitUsage, err
		}
	}
	if len(operands) != 2 {
		return exitUsage, usageError{"diff needs two sides: miscope diff OLD NEW (each a snapshot file, demo or " +
			"live), or miscope diff --history DIR"}
	}
	if *output != "" && *output != "-" {
		if err := checkOutput("-o", *output); err != nil {
			return exitUsage, err
		}
		f := strings.ToLower(cmpOr(*format, "text"))
		if f == "md" {
			f = "markdown"
		}
		if err := checkExtension(*output, f, diffExtensions); err != nil {
			return exitUsage, err
		}
	}
	old, err := openSide(ctx, operands[0], *sf, stderr)
	if err != nil {
		return exitUsage, err
	}
	new, err := openSide(ctx, operands[1], *sf, stderr)
	if err != nil {
		return exitUsage, err
	}
	r := diff.Compare(old, new)
	if *output == "" || *output == "-" {
		if colourful(stdout) && (strings.EqualFold(*format, "text") || *format == "") {
			write, _ = diff.Writer("text", terminalStyle())
		}
		err = write(stdout, r)
	} else {
		err = data.WriteFileAtomic(*output, func(w io.Writer) error { return write(w, r) })
	}
	if err != nil {
		return exitUsage, fmt.Errorf("cannot write the diff: %w", err)
	}
	if minNew >= 0 {
		if tripped := r.NewAtOrAbove(minNew); len(tripped) > 0 {
			fmt.Fprintf(stderr, "miscope: %s at or above %s:\n", data.Plural(len(tripped), "new finding", "new findings"), minNew)
			for i, f := range tripped {
				if i == 5 {
					fmt.Fprintf(stderr, "  … and %d more\n", len(tripped)-i)
					break
				}
				fmt.Fprintf(stderr, "  %s %s %s %s\n", f.Severity, f.RuleID, data.Clean(cmpOr(f.IdentityName, f.IdentityID)),
					f.Fingerprint)
			}
			return 1, nil
		}
	}
	return 0, nil
}

// diffExtensions maps the file extensions that name a diff format to it.
var diffExtensions = map[string]string{".json": "json", ".md": "markdown", ".markdown": "markdown", ".txt": "text"}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// openSpec opens a tenant named the way diff and --baseline name one: a snapshot file, demo, or live (the tenant the
// source flags sign in to).
func openSpec(ctx context.Context, spec string, live sourceFlags, stderr io.Writer) (*cache.Cache, error) {
	sf := live
	sf.wholeFile = true
	sf.demo, sf.demoSize, sf.snapshot = false, 0, ""
	switch strings.ToLower(spec) {
	case "demo", "--demo":
		sf.demo = true
	case "live":
		sf.noCache = true // compared against what the tenant holds now, not a cached read
	default:
		sf.snapshot = spec
	}
	return sf.open(ctx, stderr)
}

// openSide reads one side of a diff.
func openSide(ctx context.Context, spec string, live sourceFlags, stderr io.Writer) (diff.Side, error) {
	src, err := openSpec(ctx, spec, live, stderr)
	if err != nil {
		return diff.Side{}, err
	}
	defer src.Close()
	x, err := src.Index(ctx, nil)
	if err != nil {
		return diff.Side{}, fmt.Errorf("cannot read %s: %w", spec, err)
	}
	return diff.Side{Info: src.Info(), X: x, R: assess.Assess(x)}, nil
}

// colourful reports whether w is a terminal that wants colour.
func colourful(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd()) && os.Getenv("NO_COLOR") == ""
}

func terminalStyle() diff.Style {
	paint := func(st lipgloss.Style) func(string) string { return func(s string) string { return st.Render(s) } }
	return diff.Style{
		Added:   paint(lipgloss.NewStyle().Foreground(lipgloss.Green)),
		Removed: paint(lipgloss.NewStyle().Foreground(lipgloss.Red)),
		Changed: paint(lipgloss.NewStyle().Foreground(lipgloss.Yellow)),
		Heading: paint(lipgloss.NewStyle().Bold(true)),
	}
}
