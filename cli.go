package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// A command of miscope as its help, its shell completions and its man page describe it: all three are made from
// this one description and from the flags the command parses, so they cannot disagree.
type command struct {
	name     string // "" is the explorer, which runs when no command is given
	summary  string // one line, lower case, as the overview lists it
	synopsis string // after "miscope": what to type
	about    string // a paragraph for the command's help and the man page
	// flags returns the command's flags exactly as it parses them (nil: it takes none).
	flags    func() *flag.FlagSet
	choices  map[string][]string // the values a flag takes, for completion
	examples []example
	exits    []exitCode
}

type example struct{ line, what string }

type exitCode struct {
	code int
	what string
}

// Exit codes every command shares.
var (
	exitDone    = exitCode{0, "done"}
	exitBadCall = exitCode{exitUsage, "a usage or input error (an unknown flag, a bad value, an unreadable snapshot or " +
		"triage file, an output miscope cannot write): nothing was read or written"}
	exitStop = exitCode{exitStopped, "stopped by SIGINT or SIGTERM"}
)

// severities are the values of --fail-on and --fail-on-new.
var severities = []string{"info", "low", "medium", "high", "critical"}

// commands lists miscope's commands in the order help shows them.
var commands = []*command{
	{
		name: "", summary: "open the explorer (a live tenant unless --demo or --snapshot)",
		synopsis: "[--export-dir DIR] [--triage FILE] [--as NAME] [--baseline OLD] [source flags]",
		about: "Opens the explorer on the tenant the source flags name. It needs a terminal; in scripts use " +
			"`miscope report` or `miscope collect`. Keys inside the explorer: press ?.",
		flags: func() *flag.FlagSet { fs, _ := explorerFlags(); return fs },
		examples: []example{
			{"miscope --demo", "explore the embedded demo tenant"},
			{"miscope --tenant contoso.onmicrosoft.com --auth cli", "explore a live tenant, signed in with the Azure CLI"},
			{"miscope --snapshot new.json.gz --baseline old.json.gz", "explore a snapshot, marking what changed since an older one"},
		},
		exits: []exitCode{{0, "the explorer was closed"}, {1, "the tenant could not be read"}, exitBadCall, exitStop},
	},
	{
		name: "collect", summary: "save a snapshot of the tenant (.json or .json.gz)",
		synopsis: "(-o FILE | --history DIR [--keep N]) [--force] [source flags]",
		about: "Reads the whole tenant and saves it as a snapshot (mode 0600) that miscope can explore, report on " +
			"and compare offline. With --history it names the file by time in DIR and keeps the last --keep.",
		flags: func() *flag.FlagSet { fs, _ := collectFlags(); return fs },
		examples: []example{
			{"miscope collect -o contoso.json.gz", "save the live tenant, compressed"},
			{"miscope collect --history snapshots/ --keep 12", "a scheduled run: keep the last 12 snapshots"},
		},
		exits: []exitCode{{0, "the snapshot was written"}, {1, "the tenant could not be read or the file written"},
			exitBadCall, exitStop},
	},
	{
		name: "report", summary: "write the findings as json, csv, markdown or sarif",
		synopsis: "[--format F] [-o FILE] [--force] [--fail-on SEVERITY] [--inventory] [--triage FILE] " +
			"[--baseline OLD] [source flags]",
		about: "Assesses the tenant and writes every finding, with the identities, their access and the parts that " +
			"could not be read, for scripts and CI. Triage decisions are applied from " + "miscope-triage.yaml" +
			" (or --triage FILE).",
		flags:   func() *flag.FlagSet { fs, _ := reportFlags(); return fs },
		choices: map[string][]string{"format": reportFormats, "fail-on": severities},
		examples: []example{
			{"miscope report --demo --format markdown -o findings.md", "a readable report of the demo tenant"},
			{"miscope report --snapshot new.json.gz --format sarif -o miscope.sarif --baseline old.json.gz --fail-on high",
				"CI: fail on an open finding of high or critical severity"},
			{"miscope report --format csv --inventory -o identities.csv", "one row per identity of the live tenant"},
		},
		exits: []exitCode{{exitOK, "the report was written and no open finding reached --fail-on"},
			{exitFindings, "an open finding at or above --fail-on"}, exitBadCall,
			{exitIncomplete, "the report was written, but must not pass: the identity list could not be read, or " +
				"parts that could not be read could hide a finding at or above --fail-on"}, exitStop},
	},
	{
		name: "diff", summary: "what changed between two reads: OLD and NEW are each a snapshot FILE, demo or live",
		synopsis: "[--format F] [-o FILE] [--fail-on-new SEVERITY] (OLD NEW | --history DIR)",
		about: "Compares two reads of the tenant: identities, their access and findings that appeared, changed or " +
			"went. With --history it compares the two newest snapshots of collect --history.",
		flags:   func() *flag.FlagSet { fs, _ := diffFlags(); return fs },
		choices: map[string][]string{"format": {"text", "markdown", "json"}, "fail-on-new": severities},
		examples: []example{
			{"miscope diff old.json.gz new.json.gz", "what changed between two snapshots"},
			{"miscope diff --history snapshots/ --fail-on-new high", "CI: fail when a new high finding appeared"},
		},
		exits: []exitCode{{0, "the difference was written"}, {1, "a new finding at or above --fail-on-new"},
			exitBadCall, exitStop},
	},
	{
		name: "serve", summary: "serve the explorer over SSH",
		synopsis: "--authorized-keys FILE [--listen ADDR] [--host-key FILE] [source flags]",
		about: "Serves the explorer to the SSH keys in --authorized-keys, one session per connection, all on the " +
			"same read of the tenant. It never serves without public-key authentication.",
		flags: func() *flag.FlagSet { fs, _ := serveFlags(); return fs },
		examples: []example{
			{"miscope serve --snapshot contoso.json.gz --authorized-keys ~/.ssh/authorized_keys",
				"share a snapshot on 127.0.0.1:2222"},
			{"miscope serve --authorized-keys keys --listen 0.0.0.0:2222 --export-dir /srv/exports",
				"share the live tenant; sessions may write exports on the server"},
		},
		exits: []exitCode{{0, "stopped"}, {1, "the server failed"}, exitBadCall},
	},
	{
		name: "completion", summary: "print a shell completion script (bash, zsh or fish)",
		synopsis: "bash|zsh|fish",
		about:    "Prints a script that completes miscope's commands, flags and their values in the shell named.",
		examples: []example{
			{"source <(miscope completion bash)", "complete in this bash session"},
			{"miscope completion zsh > \"${fpath[1]}/_miscope\"", "install for zsh"},
			{"miscope completion fish > ~/.config/fish/completions/miscope.fish", "install for fish"},
		},
		exits: []exitCode{exitDone, exitBadCall},
	},
	{
		name: "man", summary: "print the manual page (roff)",
		about: "Prints miscope's manual page, made from the same descriptions as its help.",
		examples: []example{
			{"miscope man | man -l -", "read it"},
			{"miscope man > /usr/local/share/man/man1/miscope.1", "install it"},
		},
		exits: []exitCode{exitDone},
	},
	{
		name: "version", summary: "print the version (also --version, -v)",
		exits: []exitCode{exitDone},
	},
}

// commandNamed finds a command by name.
func commandNamed(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// flagName spells a flag as the README and the help do: -o for a one-letter flag, --demo-size for the others.
func flagName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// sourceFlagNames are the flags every command shares to say where the tenant comes from.
var sourceFlagNames = func() map[string]bool {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	new(sourceFlags).register(fs)
	names := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { names[f.Name] = true })
	return names
}()

// flagLine is one flag of a help text: its name, the value it takes and what it does, with its default.
func flagLine(f *flag.Flag) (string, string) {
	value, usage := flag.UnquoteUsage(f)
	head := flagName(f.Name)
	if value != "" {
		head += " " + strings.ToUpper(value)
	}
	if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "[]" && !strings.Contains(usage, "default") {
		usage += " (default " + d + ")"
	}
	return head, usage
}

// writeFlags writes the flags for which keep is true, aligned.
func writeFlags(w io.Writer, fs *flag.FlagSet, keep func(string) bool) {
	type line struct{ head, usage string }
	var lines []line
	width := 0
	fs.VisitAll(func(f *flag.Flag) {
		if keep(f.Name) {
			h, u := flagLine(f)
			lines = append(lines, line{h, u})
			width = max(width, len(h))
		}
	})
	for _, l := range lines {
		fmt.Fprintf(w, "  %-*s  %s\n", width, l.head, wrapIndent(l.usage, 100, width+4))
	}
}

// help is a command's help: usage, what it does, its flags, the source flags, examples and exit codes.
func (c *command) help() string {
	var b strings.Builder
	name := strings.TrimSpace("miscope " + c.name)
	fmt.Fprintf(&b, "Usage: %s\n\n", strings.TrimSpace(name+" "+c.synopsis))
	if c.about != "" {
		b.WriteString(wrap(c.about, 100) + "\n")
	}
	if c.flags != nil {
		fs := c.flags()
		own := func(n string) bool { return !sourceFlagNames[n] }
		b.WriteString("\nFlags:\n")
		writeFlags(&b, fs, own)
		if fs.Lookup("demo") != nil {
			b.WriteString("\nSource flags (pick one; the default is the live tenant):\n")
			writeFlags(&b, fs, func(n string) bool { return sourceFlagNames[n] })
		}
	}
	if len(c.examples) > 0 {
		b.WriteString("\nExamples:\n")
		for _, e := range c.examples {
			fmt.Fprintf(&b, "  %s\n      %s\n", e.line, e.what)
		}
	}
	if len(c.exits) > 0 {
		b.WriteString("\nExit codes:\n")
		for _, e := range c.exits {
			fmt.Fprintf(&b, "  %-3d  %s\n", e.code, wrapIndent(e.what, 92, 7))
		}
	}
	return b.String()
}

// overview is `miscope --help`: every command, the source flags and where to read more.
func overview() string {
	var b strings.Builder
	b.WriteString("miscope explores the managed identities of a Microsoft Entra ID tenant.\n\nUsage:\n")
	for _, c := range commands {
		line := strings.Join(strings.Fields("miscope "+c.name+" "+c.synopsis), " ")
		fmt.Fprintf(&b, "  %s\n      %s\n", line, c.summary)
	}
	b.WriteString("\nSource flags (pick one; the default is the live tenant):\n")
	fs, _ := explorerFlags()
	writeFlags(&b, fs, func(n string) bool { return sourceFlagNames[n] })
	b.WriteString("\nExplorer flags:\n")
	writeFlags(&b, fs, func(n string) bool { return !sourceFlagNames[n] })
	b.WriteString("\nRun 'miscope COMMAND --help' for a command's flags, examples and exit codes; 'miscope man' for " +
		"the manual.\nKeys inside the explorer: press ?.\n")
	return b.String()
}

// wrap breaks text into lines of at most width columns at spaces.
func wrap(text string, width int) string { return wrapIndent(text, width, 0) }

// wrapIndent wraps text, indenting every line after the first by indent spaces.
func wrapIndent(text string, width, indent int) string {
	var b strings.Builder
	col := 0
	for i, word := range strings.Fields(text) {
		if i > 0 && col+1+len(word) > width-indent {
			b.WriteString("\n" + strings.Repeat(" ", indent))
			col = 0
		} else if i > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += len(word)
	}
	return b.String()
}

// newFlagSet makes a command's flags. A wrong flag gets one line that says where help is; the full help comes with
// --help only.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // the flag package calls it on every mistake; help is printed on --help only, by parse
	return fs
}

// commandName is how the help names the command a flag set belongs to.
func commandName(fs *flag.FlagSet) string {
	if fs.Name() == "miscope" {
		return "miscope"
	}
	return "miscope " + fs.Name()
}

// parse parses a command's flags, prints its help on --help, and says what is wrong, naming flags as the help does.
// Operands are refused unless the command takes them (operands is true).
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(fs, stderr)
			return err
		}
		return usageError{fmt.Sprintf("%s (see %s --help)", flagError(err), commandName(fs))}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q (see %s --help)", fs.Arg(0), commandName(fs))}
	}
	return nil
}

func printHelp(fs *flag.FlagSet, w io.Writer) {
	if fs.Name() == "miscope" {
		fmt.Fprint(w, overview())
		return
	}
	if c := commandNamed(fs.Name()); c != nil {
		fmt.Fprint(w, c.help())
	}
}

var (
	undefinedFlag = regexp.MustCompile(`^flag provided but not defined: -+(.+)$`)
	invalidValue  = regexp.MustCompile(`^invalid (?:boolean )?value ("(?:[^"\\]|\\.)*") for (?:flag )?-+([^:]+): (.*)$`)
	needsArgument = regexp.MustCompile(`^flag needs an argument: -+(.+)$`)
)

// flagError rewrites the flag package's errors, which spell every flag with one dash, as the help spells them.
func flagError(err error) string {
	msg := err.Error()
	if m := undefinedFlag.FindStringSubmatch(msg); m != nil {
		return "unknown flag " + flagName(m[1])
	}
	if m := invalidValue.FindStringSubmatch(msg); m != nil {
		reason := m[3]
		if reason == "parse error" || strings.HasPrefix(reason, "strconv.") {
			reason = "not a number"
		}
		return fmt.Sprintf("%s %s: %s", flagName(m[2]), m[1], reason)
	}
	if m := needsArgument.FindStringSubmatch(msg); m != nil {
		return flagName(m[1]) + " needs a value"
	}
	return msg
}
