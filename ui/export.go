package ui

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/report"
)

// This file is where the export (e) and copy (y, Y) keys land. Every view implements Tabular, so both take exactly
// what the view shows, after filter and sort, and both write through the same writers as `miscope report`.

// exportFormat is one of the formats a view can be exported in.
type exportFormat int

const (
	formatCSV exportFormat = iota
	formatJSON
	formatMarkdown
	formatCount
)

func (f exportFormat) String() string {
	return [...]string{"CSV", "JSON", "Markdown"}[f]
}

// ext is the file name extension of the format.
func (f exportFormat) ext() string { return [...]string{".csv", ".json", ".md"}[f] }

// checkExtension refuses a path whose extension names another format than the one chosen (a .csv file holding
// Markdown would mislead whoever opens it by its name; renaming it silently would write where the user did not say).
// An extension that names no format is the user's choice.
func (f exportFormat) checkExtension(path string) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".markdown" {
		ext = ".md"
	}
	for _, other := range []exportFormat{formatCSV, formatJSON, formatMarkdown} {
		if other != f && ext == other.ext() {
			return fmt.Errorf("%s names a %s file but %s is chosen: name it %s, or press tab for %s",
				filepath.Base(path), other, f, strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))+f.ext(), other)
		}
	}
	return nil
}

// write encodes a table in the format with the writers `miscope report` uses, so both escape alike.
func (f exportFormat) write(w io.Writer, t report.Table) error {
	switch f {
	case formatJSON:
		return report.WriteTableJSON(w, t)
	case formatMarkdown:
		return report.WriteTableMarkdown(w, t)
	default:
		return report.WriteTableCSV(w, t)
	}
}

type exportStage int

const (
	exportChoosing   exportStage = iota // format and path
	exportConfirming                    // the file exists: overwrite? y/n
	exportWriting                       // the write is running in a command
)

// exportState is the export prompt, a component of its own: its state (the zero value is closed) and its methods,
// which reach the program only through an exportEnv.
type exportState struct {
	open   bool
	stage  exportStage
	format exportFormat
	onPath bool // the path input has the focus, rather than the format
	// clip is true in a served session without an export folder: the export goes to the user's clipboard instead.
	clip  bool
	path  textinput.Model
	keys  exportKeys
	job   *exportJob // the export waiting for an answer to "overwrite?" or for its command
	jobID int        // replies to a job that is no longer current are dropped
}

// exportJob is one export: the view's table at the moment enter was pressed, and where it goes.
type exportJob struct {
	id     int
	format exportFormat
	// tableLater writes out the view's table as it was when the job was made; it runs in the job's command.
	tableLater func() report.Table
	path       string // "" for a copy to the clipboard
	overwrite  bool
	served     bool // only a plain file in the server's export folder may be written: no link is followed
}

// exportDoneMsg reports a finished write, or that the file exists and needs the user's word.
type exportDoneMsg struct {
	id     int
	rows   int
	exists bool
	err    error
}

// copyMsg carries a table encoded for the clipboard: from the export prompt (job is its id) or from Y (job 0).
type copyMsg struct {
	job    int
	title  string
	format exportFormat
	rows   int
	out    []byte
	err    error
	why    string // what to do instead when it is too large
}

// encodeForCopy encodes a table in a command, since a large view takes a while to encode.
func encodeForCopy(job int, f exportFormat, later func() report.Table, why string) tea.Cmd {
	return func() tea.Msg {
		t := later()
		var b bytes.Buffer
		err := f.write(&b, t)
		return copyMsg{job: job, title: t.Title, format: f, rows: len(t.Rows), out: b.Bytes(), err: err, why: why}
	}
}

// startExport opens the export prompt for the current view.
func (e *exportState) startExport(env exportEnv) tea.Cmd {
	if e.open {
		return nil
	}
	*e = exportState{open: true, format: e.format, keys: defaultExportKeys(), jobID: e.jobID}
	e.clip = env.opts.Served && env.opts.ExportDir == ""
	if !e.clip {
		e.path = textinput.New()
		e.path.Prompt = ""
		e.path.CharLimit = 4096
		// Under SSH ctrl+v would read the server's clipboard, not the user's; bracketed paste still works.
		e.path.KeyMap.Paste.SetEnabled(false)
		// Tab and the arrows belong to the prompt, not to completion, which the path input does not use.
		e.path.KeyMap.AcceptSuggestion.SetEnabled(false)
		e.path.KeyMap.NextSuggestion.SetEnabled(false)
		e.path.KeyMap.PrevSuggestion.SetEnabled(false)
		st := e.path.Styles()
		st.Cursor.Blink = false // a blinking cursor would repaint a remote screen twice a second for nothing
		e.path.SetStyles(st)
		e.path.SetValue(e.exportName(env, e.format))
		e.path.CursorEnd()
		e.fitExportPath(env, env.width)
	}
	return nil
}

// exportName is the prefilled path: miscope-<view>-<tenant>-<yyyymmdd-hhmmss>.<ext>, in ExportDir when one is set.
// In a served session the input holds only the file name, since the folder is fixed.
func (e *exportState) exportName(env exportEnv, f exportFormat) string {
	what := env.top.kind()
	if d, ok := env.top.(*detailView); ok { // an identity's export names the identity
		what += "-" + slug(cmp.Or(d.ident.DisplayName, d.id), "identity")
	}
	name := "miscope-" + what + "-" + tenantSlug(env.info) + "-" + env.opts.Now().Format("20060102-150405") + f.ext()
	switch {
	case env.opts.Served:
		return name
	case env.opts.ExportDir != "":
		return filepath.Join(env.opts.ExportDir, name)
	}
	return "./" + name
}

// tenantSlug is a short, file-name-safe form of the tenant's name (or id): lower case letters, digits and dashes.
func tenantSlug(info data.SourceInfo) string {
	return slug(cmp.Or(slug(info.TenantName, ""), slug(info.TenantID, ""), string(info.Origin)), "tenant")
}

// slug is a short, file-name-safe form of s: lower case letters, digits and dashes, or otherwise when s has none.
func slug(s, otherwise string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(data.CleanInput(s)) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= 24 {
			break
		}
	}
	if b.Len() == 0 {
		return otherwise
	}
	return b.String()
}

// closeExport closes the prompt and shows msg.
func (e *exportState) closeExport(env exportEnv, msg string, isErr bool) tea.Cmd {
	e.open, e.job = false, nil
	return env.flash(msg, isErr)
}

// exportUpdate lets an open export prompt take messages before the views do. It reports whether it took msg.
func (e *exportState) exportUpdate(env exportEnv, msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case exportDoneMsg:
		if e.job == nil || msg.id != e.job.id {
			return nil, true
		}
		return e.exportDone(env, msg), true
	case copyMsg:
		if msg.job != 0 && (e.job == nil || msg.job != e.job.id) {
			return nil, true
		}
		return e.copied(env, msg), true
	}
	if !e.open {
		return nil, false
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		e.fitExportPath(env, msg.Width)
		return nil, false // the root takes the new size too
	case tea.KeyPressMsg:
		if key.Matches(msg, env.keys.ForceQuit) {
			return nil, false
		}
		return e.exportKey(env, msg), true
	case tea.PasteMsg:
		if e.stage == exportChoosing && e.onPath {
			var cmd tea.Cmd
			e.path, cmd = e.path.Update(tea.PasteMsg{Content: data.CleanInput(msg.Content)})
			return cmd, true
		}
		return nil, true
	}
	return nil, false
}

func (e *exportState) exportKey(env exportEnv, msg tea.KeyPressMsg) tea.Cmd {
	k := e.keys
	switch e.stage {
	case exportWriting:
		return nil // the write finishes on its own; it is quick and leaves nothing half-written
	case exportConfirming:
		switch {
		case key.Matches(msg, k.Yes):
			e.job.overwrite = true
			return e.runExport(env)
		case key.Matches(msg, k.No):
			kept := e.job.path
			e.stage, e.job, e.onPath = exportChoosing, nil, true
			e.path.Focus()
			return env.flash("kept "+kept+": choose another name, or esc", false)
		}
		return nil
	}
	switch {
	case key.Matches(msg, env.keys.Back):
		return e.closeExport(env, "export cancelled", false)
	case key.Matches(msg, env.keys.Open):
		return e.submitExport(env)
	case key.Matches(msg, k.NextFormatOnPath) || !e.onPath && key.Matches(msg, k.NextFormat):
		e.setExportFormat(env, (e.format+1)%formatCount)
		return nil
	case key.Matches(msg, k.PrevFormatOnPath) || !e.onPath && key.Matches(msg, k.PrevFormat):
		e.setExportFormat(env, (e.format+formatCount-1)%formatCount)
		return nil
	case key.Matches(msg, k.ToPath, k.ToFormat) && !e.clip:
		e.onPath = key.Matches(msg, k.ToPath)
		if e.onPath {
			e.path.Focus()
		} else {
			e.path.Blur()
		}
		return nil
	}
	if !e.onPath {
		switch {
		case key.Matches(msg, k.CSV):
			e.setExportFormat(env, formatCSV)
		case key.Matches(msg, k.JSON):
			e.setExportFormat(env, formatJSON)
		case key.Matches(msg, k.Markdown):
			e.setExportFormat(env, formatMarkdown)
		}
		return nil
	}
	var cmd tea.Cmd
	e.path, cmd = e.path.Update(msg)
	return cmd
}

// setExportFormat changes the format and, when the path still ends in the old extension, the extension with it.
func (e *exportState) setExportFormat(env exportEnv, f exportFormat) {
	if !e.clip {
		if p := e.path.Value(); strings.HasSuffix(p, e.format.ext()) {
			e.path.SetValue(strings.TrimSuffix(p, e.format.ext()) + f.ext())
			e.path.CursorEnd()
		}
	}
	e.format = f
}

// submitExport takes the view's table as it is now and starts writing it, after checking the path for what can be
// told without touching the disk.
func (e *exportState) submitExport(env exportEnv) tea.Cmd {
	e.jobID++
	job := &exportJob{id: e.jobID, format: e.format, tableLater: tableLaterOf(env.top), served: env.opts.Served}
	if !e.clip {
		p, err := e.exportPath(env, strings.TrimSpace(e.path.Value()))
		if err == nil {
			err = e.format.checkExtension(p)
		}
		if err != nil {
			return env.flash(err.Error(), true)
		}
		job.path = p
	}
	e.job = job
	return e.runExport(env)
}

// exportPath turns what the user typed into the path to write. A served session writes only straight into the
// export folder: a name that climbs out of it (.., an absolute path) or into a sub-folder is refused, so a remote
// user cannot write anywhere else on the server.
func (e *exportState) exportPath(env exportEnv, typed string) (string, error) {
	if typed == "" {
		return "", errors.New("type a file name to export to")
	}
	if env.opts.Served {
		if !filepath.IsLocal(typed) || strings.ContainsAny(typed, `/\`) {
			return "", fmt.Errorf("%q is not a plain file name: exports on this server go only into its export folder",
				typed)
		}
		return filepath.Join(env.opts.ExportDir, typed), nil
	}
	if strings.HasSuffix(typed, "/") || strings.HasSuffix(typed, string(filepath.Separator)) {
		return "", fmt.Errorf("%s is a folder: add a file name", typed)
	}
	return typed, nil
}

// runExport starts the job in a command: the encoding and all disk access happen off the Update loop.
func (e *exportState) runExport(env exportEnv) tea.Cmd {
	e.stage = exportWriting
	job := *e.job
	if job.path == "" {
		return encodeForCopy(job.id, job.format, job.tableLater, "filter the view first")
	}
	return func() tea.Msg {
		rows, exists, err := writeExport(job)
		return exportDoneMsg{id: job.id, rows: rows, exists: exists, err: err}
	}
}

// writeExport writes a job's file atomically (0600, temporary file then rename). Unless the job may overwrite, an
// existing file is left alone and reported, so the user can be asked first.
func writeExport(job exportJob) (rows int, exists bool, err error) {
	path := expandHome(job.path)
	if fi, err := os.Lstat(path); job.served && err == nil && !fi.Mode().IsRegular() {
		return 0, false, fmt.Errorf("%s is not a plain file: exports on this server go only to plain files in its export folder",
			filepath.Base(path))
	}
	switch fi, err := os.Stat(path); {
	case err == nil && fi.IsDir():
		return 0, false, fmt.Errorf("%s is a folder: add a file name", job.path)
	case err == nil && !job.overwrite:
		return 0, true, nil
	}
	t := job.tableLater()
	err = data.WriteFileAtomic(path, func(w io.Writer) error { return job.format.write(w, t) })
	return len(t.Rows), false, explainWriteError(job.path, err)
}

// expandHome lets a local user type ~/ for their home folder, as in a shell.
func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// explainWriteError says what went wrong in the user's terms and what to do next. The atomic write has already
// removed its temporary file, so every message can promise that nothing was written.
func explainWriteError(path string, err error) error {
	if err == nil {
		return nil
	}
	dir := filepath.Dir(path)
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("disk full: nothing was written to %s; free some space or export elsewhere", path)
	case errors.Is(err, syscall.ENOENT):
		return fmt.Errorf("folder %s does not exist: create it or choose another path", dir)
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%s is not a folder: choose another path", dir)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Errorf("no permission to write in %s: choose another folder", dir)
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%s is on a read-only file system: choose another folder", dir)
	}
	return fmt.Errorf("%v: nothing was written", err)
}

// exportDone ends a write: a success closes the prompt; an existing file asks before overwriting; an error keeps
// the prompt open so the path can be changed.
func (e *exportState) exportDone(env exportEnv, msg exportDoneMsg) tea.Cmd {
	job := e.job
	switch {
	case msg.exists:
		e.stage = exportConfirming
		return nil
	case msg.err != nil:
		e.stage, e.job, e.onPath = exportChoosing, nil, true
		e.path.Focus()
		return env.flash(msg.err.Error(), true)
	}
	// The message keeps to the status line: a path longer than the room left is cut in the middle, keeping its folder
	// and the end of its name.
	rows, format := data.Plural(msg.rows, "row", "rows"), job.format.String()
	room := max(20, env.width) - 2 - len("exported  to  ()") - len(rows) - len(format)
	return e.closeExport(env, fmt.Sprintf("exported %s to %s (%s)", rows, midCut(job.path, room), format), false)
}

// copied sends a table that was encoded for the clipboard, unless it is too large for a terminal to take: then it
// says so rather than let the terminal cut it silently.
func (e *exportState) copied(env exportEnv, msg copyMsg) tea.Cmd {
	done := env.flash
	if msg.job != 0 {
		done = func(text string, isErr bool) tea.Cmd { return e.closeExport(env, text, isErr) }
	}
	switch {
	case msg.err != nil:
		return done("copy failed: "+msg.err.Error(), true)
	case len(msg.out) > maxCopy:
		return done(fmt.Sprintf("too large to copy (%s, %d KB; the limit is %d KB): %s",
			data.Plural(msg.rows, "row", "rows"), (len(msg.out)+1023)/1024, maxCopy/1024, msg.why), true)
	}
	return tea.Batch(setClipboard(string(msg.out)),
		done(fmt.Sprintf("copied %s as %s (%s)", msg.title, msg.format, data.Plural(msg.rows, "row", "rows")), false))
}

// exportView is the prompt line shown in place of the view's title while the prompt is open, or "".
func (e *exportState) exportView(env exportEnv, w int) string {
	if !e.open {
		return ""
	}
	st := env.st
	switch e.stage {
	case exportConfirming:
		// The question comes first and a long path loses its start, so the file name stays in view at 80 columns.
		q := "Overwrite the existing file? y/n "
		return st.Title.Render(q) + st.Error.Render(leftCut(e.job.path, w-ansi.StringWidth(q)))
	case exportWriting:
		return e.exportPrefix(env, w) + leftCut(e.path.Value(), w-lipgloss.Width(e.exportPrefix(env, w))-2) + " …"
	}
	if e.clip {
		return e.exportPrefix(env, w)
	}
	return e.exportPrefix(env, w) + e.exportPathView(env)
}

// exportPathView shows the path. Away from the input it is cut in the middle, so both the folder it goes to and the
// file name's end stay in view; in the input, which scrolls to the cursor, "…" says when its start is out of view.
func (e *exportState) exportPathView(env exportEnv) string {
	width := e.path.Width()
	if !e.onPath {
		return midCut(e.path.Value(), width+1)
	}
	if ansi.StringWidth(e.path.Value()) > width && e.path.Position() >= width {
		return env.st.Dim.Render("…") + e.path.View()
	}
	return e.path.View()
}

// exportPrefix is the prompt line before the path input: the formats and, in a served session, the fixed folder.
func (e *exportState) exportPrefix(env exportEnv, w int) string {
	e, st := e, env.st
	var b strings.Builder
	if e.clip {
		b.WriteString(st.Title.Render("Copy as") + " ")
	} else {
		b.WriteString(st.Title.Render("Export") + " ")
	}
	for f := range formatCount {
		name := " " + f.String() + " "
		if f == formatMarkdown && w < 100 {
			name = " MD " // room for the path at 80 columns
		}
		switch {
		case f == e.format && !e.onPath:
			b.WriteString(st.Selected.Render(name))
		case f == e.format:
			b.WriteString(st.Key.Render(name))
		default:
			b.WriteString(st.Dim.Render(name))
		}
	}
	if e.clip {
		b.WriteString(" to your clipboard " + st.Dim.Render("(this server keeps no exports)"))
		return b.String()
	}
	b.WriteString(" to ")
	if env.opts.Served {
		// The fixed folder, cut from the left when long: its end is what tells folders apart.
		b.WriteString(st.Dim.Render(leftCut(shown(strings.TrimSuffix(env.opts.ExportDir, "/"))+"/", w/4)))
	}
	return b.String()
}

// fitExportPath gives the path input the rest of the prompt line, so a long path scrolls inside it instead of being
// cut off the screen. It runs when the prompt opens and when the terminal is resized.
func (e *exportState) fitExportPath(env exportEnv, w int) {
	if !e.open || e.clip {
		return
	}
	w = max(20, w)
	e.path.SetWidth(max(8, w-lipgloss.Width(e.exportPrefix(env, w))-2)) // a cell for the "…" of a scrolled path
	e.path.SetCursor(e.path.Position())                                 // scrolls the input to the cursor at the new width
}

// midCut fits a path in w cells by cutting its middle: it keeps its folder (up to a third of w) and the end of its
// file name, which is what tells exports apart. A plain file name loses its start.
func midCut(s string, w int) string {
	sw := ansi.StringWidth(s)
	slash := strings.LastIndexAny(s, `/\`)
	if sw <= w || w < 5 || slash < 0 {
		return leftCut(s, w)
	}
	head := min(ansi.StringWidth(s[:slash+1]), (w-1)/3)
	tail := w - 1 - head
	return ansi.Truncate(s, head, "") + "…" + ansi.TruncateLeft(s, sw-tail, "")
}

// maxCopy is the most a copy sends through the terminal; OSC 52 payloads beyond it are cut by many terminals, so a
// larger copy is refused rather than truncated silently.
const maxCopy = 100_000

// copySelected copies the id of the item under the cursor with OSC 52, which reaches the user's own clipboard over
// SSH too.
func (m *Model) copySelected() tea.Cmd {
	label, id := m.top().Selected()
	if id == "" {
		return m.setFlash("nothing selected to copy", true)
	}
	return tea.Batch(setClipboard(id), m.setFlash(fmt.Sprintf("copied %s: %s", label, id), false))
}

// copyView copies the current view as a Markdown table, written by the same writer as a Markdown export.
func (m *Model) copyView() tea.Cmd {
	why := "filter the view first, or export it with e"
	if m.opts.Served && m.opts.ExportDir == "" {
		why = "filter the view first"
	}
	return encodeForCopy(0, formatMarkdown, tableLaterOf(m.top()), why)
}

// tableLater takes the current view's table: views whose table is costly to write out take only what they need here
// and do the rest in the command that calls the result, so Update stays quick at any size.
func tableLaterOf(v view) func() report.Table {
	var later func() (string, []string, [][]string)
	if d, ok := v.(interface {
		tableLater() func() (string, []string, [][]string)
	}); ok {
		later = d.tableLater()
	} else {
		t, c, r := v.Table()
		later = func() (string, []string, [][]string) { return t, c, r }
	}
	var numeric []bool
	var filter, sort string
	if f := filterOf(v); f != nil {
		numeric, _, sort = f.t.exportScope()
		filter = f.query
	}
	return func() report.Table {
		title, cols, rows := later()
		return report.Table{Title: title, Columns: cols, Rows: rows, Numeric: numeric, Filter: filter, Sort: sort}
	}
}

// markdownTable is a view's table as Markdown.
func markdownTable(title string, cols []string, rows [][]string) string {
	var b strings.Builder
	_ = report.WriteTableMarkdown(&b, report.Table{Title: title, Columns: cols, Rows: rows}) // a Builder never fails
	return b.String()
}

// mdEscape escapes one Markdown table cell.
func mdEscape(s string) string { return report.MarkdownCell(s) }

// exportEnv is what the export prompt needs from the program: the view it exports, whose tenant it is, where files
// go, the clock, the width, the keys and styles, and the status line.
type exportEnv struct {
	top   view
	info  data.SourceInfo
	opts  Options
	width int
	keys  keyMap
	st    *styles
	flash func(msg string, isErr bool) tea.Cmd
}

// exportEnv is the program's side of the export prompt.
func (m *Model) exportEnv() exportEnv {
	return exportEnv{top: m.top(), info: m.src.Info(), opts: m.opts, width: m.width, keys: m.keys, st: &m.st,
		flash: m.setFlash}
}
