package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/muesli/mango"
	"github.com/muesli/roff"
)

// Shell completions and the man page are made from the commands' descriptions and the flags they parse (cli.go),
// like the help, so the three cannot disagree.

// runCompletion is `miscope completion bash|zsh|fish`.
func runCompletion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("completion")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			printHelp(fs, stderr)
			return err
		}
		return usageError{fmt.Sprintf("%s (see miscope completion --help)", flagError(err))}
	}
	if fs.NArg() != 1 {
		return usageError{"completion needs a shell: miscope completion bash, zsh or fish"}
	}
	switch fs.Arg(0) {
	case "bash":
		fmt.Fprint(stdout, bashCompletion())
	case "zsh":
		// zsh runs the bash completion through its own bashcompinit, so both complete alike.
		fmt.Fprint(stdout, "#compdef miscope\nautoload -U +X bashcompinit && bashcompinit\n"+bashCompletion())
	case "fish":
		fmt.Fprint(stdout, fishCompletion())
	default:
		return usageError{fmt.Sprintf("unknown shell %q: use bash, zsh or fish", fs.Arg(0))}
	}
	return nil
}

// completedFlag is a flag as completion sees it: its spelling and what its value is.
type completedFlag struct {
	name, usage string
	takes       string   // "" (a switch), "file", "dir" or "value"
	choices     []string // the values it takes, when they are few
}

// completedFlags lists a command's flags for completion.
func (c *command) completedFlags() []completedFlag {
	if c.flags == nil {
		return nil
	}
	var out []completedFlag
	c.flags().VisitAll(func(f *flag.Flag) {
		value, usage := flag.UnquoteUsage(f)
		cf := completedFlag{name: flagName(f.Name), usage: usage, choices: c.choices[f.Name]}
		switch value {
		case "":
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
				cf.takes = "value"
			}
		case "FILE", "OLD":
			cf.takes = "file"
		case "DIR":
			cf.takes = "dir"
		default:
			cf.takes = "value"
		}
		switch f.Name {
		case "auth":
			cf.choices = []string{"default", "cli", "device-code", "environment", "managed-identity"}
		case "cloud":
			cf.choices = []string{"public", "usgovernment", "china"}
		}
		out = append(out, cf)
	})
	return out
}

// commandNames are the sub-commands: every command but the explorer, which comes first.
func commandNames() []string {
	var names []string
	for _, c := range commands[1:] {
		names = append(names, c.name)
	}
	return names
}

// bashCompletion completes commands, each command's flags, and flag values: files, folders or the values listed.
func bashCompletion() string {
	var b strings.Builder
	b.WriteString("# bash completion for miscope: source <(miscope completion bash)\n_miscope() {\n")
	b.WriteString("  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\" cmd=\"\" w\n")
	b.WriteString("  for w in \"${COMP_WORDS[@]:1:COMP_CWORD-1}\"; do\n    case \"$w\" in\n      ")
	names := commandNames()
	b.WriteString(strings.Join(names, "|") + ") cmd=\"$w\"; break ;;\n    esac\n  done\n")
	b.WriteString("  case \"$cmd\" in\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "    %q)\n      case \"$prev\" in\n", c.name)
		var words []string
		for _, f := range c.completedFlags() {
			words = append(words, f.name)
			switch {
			case len(f.choices) > 0:
				fmt.Fprintf(&b, "        %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", f.name,
					strings.Join(f.choices, " "))
			case f.takes == "file":
				fmt.Fprintf(&b, "        %s) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", f.name)
			case f.takes == "dir":
				fmt.Fprintf(&b, "        %s) COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n", f.name)
			case f.takes == "value":
				fmt.Fprintf(&b, "        %s) return ;;\n", f.name)
			}
		}
		b.WriteString("      esac\n")
		switch c.name {
		case "":
			words = append(words, names...)
			words = append(words, "--help", "--version")
		case "completion":
			words = append(words, "bash", "zsh", "fish")
		case "diff":
			words = append(words, "demo", "live")
			fmt.Fprintf(&b, "      [[ \"$cur\" != -* ]] && COMPREPLY=($(compgen -f -- \"$cur\"))\n")
		}
		words = append(words, "--help")
		fmt.Fprintf(&b, "      COMPREPLY+=($(compgen -W %q -- \"$cur\")) ;;\n", strings.Join(slices.Compact(words), " "))
	}
	b.WriteString("  esac\n}\ncomplete -o filenames -F _miscope miscope\n")
	return b.String()
}

// fishCompletion completes the same with fish's own descriptions.
func fishCompletion() string {
	var b strings.Builder
	b.WriteString("# fish completion for miscope: miscope completion fish > ~/.config/fish/completions/miscope.fish\n")
	b.WriteString("complete -c miscope -f\n")
	for _, c := range commands[1:] {
		fmt.Fprintf(&b, "complete -c miscope -n __fish_use_subcommand -a %s -d %s\n", c.name, fishQuote(c.summary))
	}
	for _, c := range commands {
		cond := "__fish_use_subcommand"
		if c.name != "" {
			cond = "'__fish_seen_subcommand_from " + c.name + "'"
		}
		for _, f := range c.completedFlags() {
			spell := "-l " + strings.TrimPrefix(f.name, "--")
			if len(f.name) == 2 {
				spell = "-s " + f.name[1:]
			}
			fmt.Fprintf(&b, "complete -c miscope -n %s %s", cond, spell)
			switch {
			case len(f.choices) > 0:
				fmt.Fprintf(&b, " -x -a %s", fishQuote(strings.Join(f.choices, " ")))
			case f.takes == "file":
				b.WriteString(" -r -F")
			case f.takes == "dir":
				b.WriteString(" -x -a '(__fish_complete_directories)'")
			case f.takes == "value":
				b.WriteString(" -x")
			}
			fmt.Fprintf(&b, " -d %s\n", fishQuote(firstSentence(f.usage)))
		}
	}
	b.WriteString("complete -c miscope -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n")
	b.WriteString("complete -c miscope -n '__fish_seen_subcommand_from diff' -F -a 'demo live'\n")
	b.WriteString("complete -c miscope -n __fish_use_subcommand -l version -s v -d 'print the version'\n")
	return b.String()
}

func fishQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}

// firstSentence shortens a flag's help to what fits a completion menu.
func firstSentence(s string) string {
	if i := strings.Index(s, "; "); i > 0 {
		return s[:i]
	}
	return s
}

// runMan is `miscope man`: the manual page in roff, from the same descriptions as the help.
func runMan(args []string, stdout, stderr io.Writer) error {
	if err := parse(newFlagSet("man"), args, stderr); err != nil {
		return err
	}
	fmt.Fprint(stdout, manPage())
	return nil
}

// manPage builds the manual with mango, which renders commands, flags and sections as roff.
func manPage() string {
	root := commandNamed("")
	m := mango.NewManPage(1, "miscope", "explore the managed identities of a Microsoft Entra ID tenant").
		WithLongDescription(root.about)
	addFlags := func(mc *mango.Command, c *command) {
		for _, f := range c.completedFlags() {
			name := strings.TrimLeft(f.name, "-")
			_ = mc.AddFlag(mango.Flag{Name: name, Usage: f.usage, PFlag: len(name) > 1})
		}
	}
	addFlags(&m.Root, root)
	var examples, exits strings.Builder
	for _, c := range commands {
		if c.name != "" {
			sub := mango.NewCommand(c.name, c.about, strings.TrimSpace(c.name+" "+c.synopsis))
			addFlags(sub, c)
			_ = m.Root.AddCommand(sub)
		}
		for _, e := range c.examples {
			fmt.Fprintf(&examples, "%s\n    %s\n\n", e.line, e.what)
		}
		if len(c.exits) > 0 {
			fmt.Fprintf(&exits, "%s:\n", strings.TrimSpace("miscope "+c.name))
			for _, e := range c.exits {
				fmt.Fprintf(&exits, "    %d  %s\n", e.code, e.what)
			}
			exits.WriteString("\n")
		}
	}
	m.WithSection("Exit status", exits.String())
	m.WithSection("Examples", examples.String())
	m.WithSection("Environment", "MISCOPE_GRAPH_ENDPOINT, MISCOPE_ARM_ENDPOINT: the defaults of --graph-endpoint "+
		"and --arm-endpoint. NO_COLOR: the explorer draws without colour.")
	m.WithSection("See also", "The README and docs/ of miscope: how verdicts are reached (RULES.md) and triage (TRIAGE.md).")
	return m.Build(roff.NewDocument())
}
