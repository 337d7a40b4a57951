package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// --version and -v print the version, as `version` does.
func TestVersionFlags(t *testing.T) {
	_, want, _ := runCmd(t, "version")
	if !strings.HasPrefix(want, "miscope ") {
		t.Fatalf("version printed %q", want)
	}
	for _, args := range [][]string{{"--version"}, {"-v"}} {
		code, out, errOut := runCmd(t, args...)
		if code != 0 || out != want {
			t.Errorf("%v: exit %d, printed %q %q, want %q", args, code, out, errOut, want)
		}
	}
}

// Errors and help spell flags as the README does: --demo-size, and -o for the one-letter flag; never Go's -demo-size.
func TestFlagsAreNamedAsTheReadmeNamesThem(t *testing.T) {
	oneDash := regexp.MustCompile(`(^|[\s(\[|,])-[a-z][a-z]+`)
	for _, args := range [][]string{{"--demo-size", "x"}, {"--bogus"}, {"report", "--format"}, {"collect", "--keep", "1"},
		{"serve", "--max-sessions", "0"}, {"diff", "--nope"}, {"report", "--fail-on", "severe", "--demo"}} {
		code, _, errOut := runCmd(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if m := oneDash.FindString(errOut); m != "" {
			t.Errorf("%v: %q names a flag with one dash (%q)", args, errOut, m)
		}
	}
	if _, _, errOut := runCmd(t, "--demo-size", "x"); !strings.Contains(errOut, `--demo-size "x"`) {
		t.Errorf("a bad value does not name its flag: %q", errOut)
	}
	if _, _, errOut := runCmd(t, "--bogus"); !strings.Contains(errOut, "unknown flag --bogus") {
		t.Errorf("an unknown flag: %q", errOut)
	}
	for _, c := range commands {
		if c.name == "" {
			continue
		}
		help := c.help()
		if m := oneDash.FindString(help); m != "" {
			t.Errorf("help of %s names a flag with one dash (%q):\n%s", c.name, m, help)
		}
	}
}

// Every command's help has its usage, examples and exit codes, and --help prints it with exit 0.
func TestEveryCommandHelpHasExamplesAndExitCodes(t *testing.T) {
	for _, c := range commands {
		name := c.name
		if name == "" || name == "version" {
			continue
		}
		code, out, errOut := runCmd(t, name, "--help")
		help := out + errOut
		if code != 0 {
			t.Errorf("%s --help: exit %d", name, code)
		}
		for _, want := range []string{"Usage: miscope " + name, "Examples:", "Exit codes:", "  0 "} {
			if !strings.Contains(help, want) {
				t.Errorf("%s --help lacks %q:\n%s", name, want, help)
			}
		}
	}
	_, out, errOut := runCmd(t, "report", "--help")
	for _, want := range []string{"--demo-size N", "-o FILE", "--fail-on SEVERITY", "  3 ", "Source flags"} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("report --help lacks %q", want)
		}
	}
}

// Flag values, output paths and export folders are checked before anything is read, and collect and report refuse
// them alike, with exit 2.
func TestBadValuesAreRefusedBeforeAnyWork(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, nil, 0o600)
	for _, cmd := range [][]string{{"collect", "-o", filepath.Join(dir, "out.json")}, {"report"}} {
		for _, c := range []struct {
			args []string
			says string
		}{
			{[]string{"--concurrency", "0"}, `--concurrency "0": takes a number from 1 to`},
			{[]string{"--concurrency", "-5"}, `--concurrency "-5"`},
			{[]string{"--concurrency", "many"}, `--concurrency "many"`},
			{[]string{"--usage-window", "0"}, `--usage-window "0": takes a number of days from 1d to 730d`},
			{[]string{"--usage-window", "731d"}, `--usage-window "731d"`},
			{[]string{"--usage-window", "a month"}, `--usage-window "a month"`},
		} {
			// A live tenant: were the value not refused first, sign-in would fail instead.
			code, _, errOut := runCmd(t, append(append(slicesClone(cmd), c.args...), "--auth", "environment")...)
			if code != exitUsage || !strings.Contains(errOut, c.says) {
				t.Errorf("%v %v: exit %d %q, want 2 saying %q", cmd, c.args, code, errOut, c.says)
			}
		}
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"collect", "--demo", "-o", filepath.Join(dir, "missing", "x.json")}, "does not exist"},
		{[]string{"report", "--demo", "-o", filepath.Join(dir, "missing", "x.json")}, "does not exist"},
		{[]string{"collect", "--demo", "-o", dir}, "is a folder"},
		{[]string{"report", "--demo", "-o", dir}, "is a folder"},
		{[]string{"collect", "--demo", "-o", filepath.Join(file, "x.json")}, "is not a folder"},
		{[]string{"report", "--demo", "--format", "markdown", "-o", filepath.Join(dir, "r.csv")}, "name it " + filepath.Join(dir, "r.md")},
		{[]string{"diff", "demo", "demo", "--format", "json", "-o", filepath.Join(dir, "d.md")}, "but --format is json"},
		{[]string{"--demo", "--export-dir", filepath.Join(dir, "missing")}, "--export-dir " + filepath.Join(dir, "missing") + ": no such folder"},
		{[]string{"--demo", "--export-dir", file}, "not a folder"},
		{[]string{"serve", "--demo", "--authorized-keys", file, "--export-dir", filepath.Join(dir, "missing")}, "no such folder"},
		{[]string{"serve", "--demo", "--authorized-keys", file, "--idle-timeout", "-1s"}, "positive duration"},
		{[]string{"collect", "--demo", "--history", dir, "--keep", "1"}, "at least 2"},
		{[]string{"report", "--demo", "--workspace", "c0ffee00-1111-2222-3333-444455556666"}, "live tenant's usage"},
		{[]string{"report", "--demo-size", "10", "--usage-window", "7d"}, "live tenant's usage"},
	} {
		code, _, errOut := runCmd(t, c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.says) {
			t.Errorf("%v: exit %d %q, want 2 saying %q", c.args, code, errOut, c.says)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("a refused command left files behind: %v", entries)
	}
	// A name that is no format's is the user's choice.
	if code, _, errOut := runCmd(t, "report", "--demo", "--format", "markdown", "-o", filepath.Join(dir, "r.txt")); code != 0 {
		t.Errorf("report -o r.txt: exit %d %s", code, errOut)
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// The exit codes of report, end to end: usage errors 2, a finding at --fail-on 1, done 0, and the report file 0600.
func TestReportExitCodes(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--demo", "--format", "xml"}, exitUsage, "use one of json, csv, markdown, sarif"},
		{[]string{"--demo", "--fail-on", "severe"}, exitUsage, "--fail-on"},
		{[]string{"--demo", "--format", "json", "--inventory"}, exitUsage, "--format csv"},
		{[]string{"--demo", "--fail-on", "high"}, exitFindings, "--fail-on high"},
		{[]string{"--demo", "--format", "md", "--fail-on", "critical"}, exitFindings, ""},
		{[]string{"--demo", "--format", "csv"}, exitOK, ""},
		{[]string{"--demo", "--triage", filepath.Join(dir, "missing.yaml")}, exitUsage, "no such file"},
	} {
		code, _, errOut := runCmd(t, append([]string{"report"}, c.args...)...)
		if code != c.code || !strings.Contains(errOut, c.says) {
			t.Errorf("report %v: exit %d %q, want %d saying %q", c.args, code, errOut, c.code, c.says)
		}
	}
	path := filepath.Join(dir, "report.sarif")
	code, out, _ := runCmd(t, "report", "--demo", "--format", "sarif", "-o", path)
	if st, err := os.Stat(path); code != 0 || out != "" || err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("report -o: exit %d, stdout %d bytes, %v", code, len(out), err)
	}
}

// A broken triage file is refused with its path, line and reason, exit 2, by report and by the explorer alike, and
// the explorer without a terminal says what is wrong with its input before that it needs a terminal.
func TestBrokenInputsAreNamedBeforeTheTerminal(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\ndecisions:\n  - fingerprint: [\n"), 0o600)
	for _, args := range [][]string{{"report", "--demo", "--triage", bad}, {"--demo", "--triage", bad}} {
		code, _, errOut := runCmd(t, args...)
		if code != exitUsage || !strings.Contains(errOut, bad+":3") || strings.Contains(errOut, "terminal") {
			t.Errorf("%v: exit %d %q, want 2 naming %s:3", args, code, errOut, bad)
		}
	}
	snap := filepath.Join(dir, "new.json")
	os.WriteFile(snap, []byte(`{"format":"miscope-snapshot","version":99,"tenant":{}}`), 0o600)
	code, _, errOut := runCmd(t, "--snapshot", snap)
	if code != exitUsage || !strings.Contains(errOut, "written by a newer miscope") {
		t.Errorf("explorer on a newer snapshot without a terminal: exit %d %q", code, errOut)
	}
	code, _, errOut = runCmd(t, "--demo")
	if code != exitUsage || !strings.Contains(errOut, "needs a terminal") {
		t.Errorf("explorer without a terminal: exit %d %q", code, errOut)
	}
}

// Completion scripts for bash, zsh and fish parse in their shell (when it is installed) and offer each command's
// flags as the help spells them; bash completes them for real.
func TestCompletionScripts(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		code, out, errOut := runCmd(t, "completion", sh)
		if code != 0 || !strings.Contains(out, "demo-size") || !strings.Contains(out, "fail-on") {
			t.Fatalf("completion %s: exit %d %q", sh, code, errOut)
		}
		check := map[string][]string{"bash": {"bash", "-n"}, "zsh": {"zsh", "-n"}, "fish": {"fish", "--no-execute"}}[sh]
		if _, err := exec.LookPath(check[0]); err != nil {
			continue
		}
		cmd := exec.Command(check[0], append(check[1:], "/dev/stdin")...)
		cmd.Stdin = strings.NewReader(out)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s does not parse its completion: %v\n%s", sh, err, b)
		}
	}
	if code, _, _ := runCmd(t, "completion", "tcsh"); code != exitUsage {
		t.Errorf("completion tcsh: exit %d, want 2", code)
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash here")
	}
	_, script, _ := runCmd(t, "completion", "bash")
	complete := func(line string) string {
		t.Helper()
		words := strings.Fields(line)
		if strings.HasSuffix(line, " ") {
			words = append(words, "")
		}
		prog := script + "\nCOMP_WORDS=(" + strings.Join(quoteAll(words), " ") + ")\nCOMP_CWORD=" +
			strconvItoa(len(words)-1) + "\n_miscope\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		b, err := exec.Command("bash", "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, b)
		}
		return string(b)
	}
	if got := complete("miscope rep"); strings.TrimSpace(got) != "report" {
		t.Errorf("miscope rep<TAB> = %q", got)
	}
	if got := complete("miscope report --fail"); strings.TrimSpace(got) != "--fail-on" {
		t.Errorf("miscope report --fail<TAB> = %q", got)
	}
	if got := complete("miscope report --format "); !strings.Contains(got, "sarif") || strings.Contains(got, "text") {
		t.Errorf("miscope report --format <TAB> = %q", got)
	}
	if got := complete("miscope diff --format "); !strings.Contains(got, "text") {
		t.Errorf("miscope diff --format <TAB> = %q", got)
	}
	if got := complete("miscope --demo-"); strings.TrimSpace(got) != "--demo-size" {
		t.Errorf("miscope --demo-<TAB> = %q", got)
	}
}

func quoteAll(ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = "'" + w + "'"
	}
	return out
}

func strconvItoa(n int) string { return string(rune('0' + n)) }

// The man page is made from the same descriptions: every command, every flag as the help spells it, and the exit
// codes; man renders it when it is installed.
func TestManPage(t *testing.T) {
	code, out, errOut := runCmd(t, "man")
	if code != 0 || !strings.HasPrefix(out, ".TH MISCOPE 1") {
		t.Fatalf("man: exit %d %q %.80q", code, errOut, out)
	}
	text := strings.ReplaceAll(out, `\-`, "-")
	for _, c := range commands {
		if c.name != "" && !strings.Contains(text, c.name) {
			t.Errorf("the man page lacks the command %s", c.name)
		}
		for _, f := range c.completedFlags() {
			if !strings.Contains(text, f.name) {
				t.Errorf("the man page lacks %s of %q", f.name, c.name)
			}
		}
	}
	for _, want := range []string{"EXIT STATUS", "EXAMPLES", "miscope report --demo --format markdown"} {
		if !strings.Contains(text, want) {
			t.Errorf("the man page lacks %q", want)
		}
	}
	if _, err := exec.LookPath("man"); err == nil {
		cmd := exec.Command("man", "-l", "-")
		cmd.Stdin = strings.NewReader(out)
		cmd.Env = append(os.Environ(), "MANPAGER=cat", "MANWIDTH=100")
		if b, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(b), "EXIT STATUS") {
			t.Errorf("man cannot render the page: %v\n%.500s", err, b)
		}
	}
}
