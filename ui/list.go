package ui

import (
	"cmp"
	"context"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/cache"
)

// filterLine is the "/" filter of a table view: typed into directly, applied on every keystroke.
type filterLine struct {
	t      *table
	query  string
	typing bool
}

func (f *filterLine) setQuery(q string) {
	f.query = q
	f.t.setFilter(q)
}

// typeKey edits the query while the user types. Moving the cursor still works; enter keeps the filter and esc
// clears it. It reports whether it took the key.
func (f *filterLine) typeKey(c *pageContext, msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := c.keys
	switch {
	case key.Matches(msg, k.ForceQuit):
		return nil, false
	case key.Matches(msg, k.FilterKeep):
		f.typing = false
		return nil, true
	case key.Matches(msg, k.FilterClear):
		f.typing = false
		f.setQuery("")
		return nil, true
	case key.Matches(msg, k.FilterErase):
		if r := []rune(f.query); len(r) > 0 {
			f.setQuery(string(r[:len(r)-1]))
		}
		return nil, true
	case key.Matches(msg, k.FilterEraseAll):
		f.setQuery("")
		return nil, true
	case key.Matches(msg, k.FilterMove):
		return nil, false
	case msg.Text != "" && msg.Mod&^tea.ModShift == 0:
		f.setQuery(f.query + data.CleanInput(msg.Text))
		return nil, true
	}
	return nil, true // other keys do nothing while typing, so a stray letter never fires a command
}

// render is the title line of a filterable view.
func (f *filterLine) render(c *pageContext, title string) string {
	title = shown(title)
	if !f.typing && f.query == "" {
		return c.st.Title.Render(title)
	}
	cursor := ""
	if f.typing {
		cursor = "█"
	}
	return c.st.Title.Render(title) + "  " + c.st.Key.Render("/") + f.query + cursor
}

// tableKey handles the keys every table view shares: moving and sorting. It reports whether it took the key and
// returns the sort's command when there is one.
func tableKey(c *pageContext, t *table, msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := c.keys
	half := max(1, t.height/2)
	switch {
	case key.Matches(msg, k.Up):
		t.move(-1)
	case key.Matches(msg, k.Down):
		t.move(1)
	case key.Matches(msg, k.Top):
		t.top()
	case key.Matches(msg, k.Bottom):
		t.bottom()
	case key.Matches(msg, k.HalfDown):
		t.move(half)
	case key.Matches(msg, k.HalfUp):
		t.move(-half)
	case key.Matches(msg, k.PageDown):
		t.move(t.height)
	case key.Matches(msg, k.PageUp):
		t.move(-t.height)
	default:
		for _, s := range k.sortBindings() {
			if key.Matches(msg, s.key) {
				return t.sortBy(s.col)
			}
		}
		return nil, false
	}
	return nil, true
}

// identitiesView is the identity list: every managed identity of the tenant, streamed page by page.
type identitiesView struct {
	tablePage
	pages   [][]data.Identity // the pages as the source gave them (not copied), together parallel to t.rows
	starts  []int             // position of each page's first identity
	n       int               // identities in pages
	byKey   map[string]int    // data.Key(object id) -> position in the pages
	box     *mailbox          // the stream being read
	cancel  context.CancelFunc
	loading bool
	err     error
}

// identityCells is the number of cells of an identity row: the columns below and the CHG mark.
const identityCells = 8

func identityColumns() []column {
	return []column{
		{name: colName, title: "NAME", width: 14, flex: 3},
		{name: colKind, title: "KIND", width: 4},
		{name: colAttached, title: "ATTACHED", width: 10, flex: 2},
		{name: colSeverity, title: "SEVERITY", width: 9, numeric: true, sev: true},
		{name: colFindings, title: "#", width: 3, numeric: true, right: true},
		{name: colReach, title: "REACH", width: 13, flex: 1, numeric: true},
		{name: colUsed, title: "USED", width: 5, numeric: true, right: true},
	}
}

func newIdentitiesView() *identitiesView {
	t := newTable(identityColumns(), colSeverity, true)
	return &identitiesView{tablePage: newTablePage(t), byKey: map[string]int{}}
}

func (v *identitiesView) kind() string  { return "identities" }
func (v *identitiesView) crumb() string { return "identities" }

func (v *identitiesView) hints(c *pageContext) []key.Binding {
	hs := c.keys.listHints()
	return append(hs[:3:3], append(c.changeHint(), hs[3:]...)...)
}

func (v *identitiesView) title(c *pageContext) string {
	return v.f.render(c, "Managed identities") + c.st.Dim.Render("  sort: N K A S F R U") + c.baselineTitle()
}

func (v *identitiesView) Table() (string, []string, [][]string) {
	cols, rows := v.t.export()
	return "Managed identities", cols, rows
}

func (v *identitiesView) render(c *pageContext, w, h int) string {
	switch {
	case v.err != nil && len(v.t.rows) == 0:
		if _, ok := data.AsGap(v.err); ok {
			return c.st.Gap.Render("The identity list is "+errText(v.err)) + "\n\nPress r to try again."
		}
		return c.st.Error.Render("error: ") + errText(v.err) + "\n\nPress r to try again."
	case v.loading && len(v.t.rows) == 0:
		return c.spinnerView() + " loading managed identities…"
	case !v.loading && len(v.t.rows) == 0:
		return "No managed identities in this tenant."
	}
	out := v.body(c, w, h, "identity")
	if v.err != nil { // some pages came before the error
		out += "\n" + c.st.Error.Render("error: ") + errText(v.err)
	}
	return out
}

func (v *identitiesView) key(c *pageContext, msg tea.KeyPressMsg) tea.Cmd {
	return v.tablePage.key(c, msg, func(r *row) tea.Cmd { return c.ask(openIdentityMsg{id: r.id}) })
}

// identity returns what the list knows of an identity.
func (v *identitiesView) identity(id string) (data.Identity, bool) {
	if i, ok := v.byKey[data.Key(id)]; ok {
		p := sort.Search(len(v.starts), func(p int) bool { return v.starts[p] > i }) - 1
		return v.pages[p][i-v.starts[p]], true
	}
	return data.Identity{}, false
}

// rowsPerUpdate is the most identities one Update merges into the list (the stream sends a page of up to 999 in parts
// of this size, and its mailbox hands over one part at a time): a millisecond or two at 50,000 rows, so a key typed
// while a large tenant arrives waits for little.
const rowsPerUpdate = 256

// pageMsg is a page of identities with its rows built off the Update path. room, when set, is a larger array for
// the list's rows, made and touched off the Update path too: growing them in Update took fresh memory from the
// system, and its first touch cost 20-30 ms at 50,000 rows on a virtual machine, a key typed meanwhile waiting for it.
type pageMsg struct {
	ids  []data.Identity
	rows []row
	room []row
}

// roomPlan gives the list room for its rows ahead of them as a stream sends them (pageMsg.room).
type roomPlan struct{ streamed, planned int }

// room is the array for the rows to use from the page of n rows on, or nil when the last one still holds them. It
// holds twice as many as have come, and its memory is touched here, so that Update finds it in place.
func (p *roomPlan) room(n int) []row {
	p.streamed += n
	if p.streamed <= p.planned {
		return nil
	}
	p.planned = 2 * p.streamed
	room := make([]row, p.planned)
	clear(room)
	return room[:0]
}

// listErrMsg ends a stream that failed.
type listErrMsg struct{ err error }

// loadList starts streaming the identity list from the start, dropping whatever an earlier stream was doing.
func (m *Model) loadList() tea.Cmd {
	v := m.list
	if v.cancel != nil {
		v.cancel()
	}
	ctx, cancel := context.WithCancel(m.ctx)
	box := newMailbox(1)
	v.box, v.cancel, v.loading, v.err = box, cancel, true, nil
	v.pages, v.starts, v.n, v.byKey = nil, nil, 0, map[string]int{}
	v.t.setRows(nil)
	src := m.src
	fetch := func() tea.Msg {
		defer box.close()
		var plan roomPlan
		err := src.Identities(ctx, func(p []data.Identity) error {
			if len(p) == 0 {
				return nil
			}
			rows := make([]row, len(p))
			var room []row
			// Rows are built at the lowest priority, as the assessment runs: keys typed meanwhile go first.
			data.InBackground(func() {
				texts := pageTexts(src, p)
				for i := range p {
					rows[i] = identityRowOf(&p[i], texts[i], nil)
				}
				room = plan.room(len(p))
			})
			for s := 0; s < len(p); s += rowsPerUpdate {
				e := min(s+rowsPerUpdate, len(p))
				box.put(pageMsg{ids: p[s:e:e], rows: rows[s:e:e], room: room})
				room = nil
			}
			return nil
		})
		if err != nil && ctx.Err() == nil {
			box.put(listErrMsg{err})
		}
		return nil
	}
	return tea.Batch(fetch, box.next(m.ctx))
}

// receive takes pages (all that arrived since the last frame, merged in one pass) and the stream's end.
func (v *identitiesView) receive(c *pageContext, msgs []tea.Msg, done bool) tea.Cmd {
	var rows []row
	var cmd tea.Cmd
	for _, msg := range msgs {
		switch msg := msg.(type) {
		case pageMsg:
			v.t.reserve(msg.room)
			for i := range msg.ids {
				v.byKey[data.Key(msg.ids[i].ID)] = v.n + i
			}
			v.pages, v.starts = append(v.pages, msg.ids), append(v.starts, v.n)
			v.n += len(msg.ids)
			rows = append(rows, msg.rows...)
		case listErrMsg:
			v.err = msg.err
		}
	}
	if len(rows) > 0 {
		if a := c.as.result; a != nil {
			for i := range rows {
				a.applyTo(&rows[i])
				setIdentityCell(&rows[i], colChangeIdentity, c.base.identityMark(rows[i].id))
			}
		}
		cmd = v.t.appendRows(rows)
	}
	if done {
		v.loading = false
	}
	return cmd
}

// identityText is what an identity's list row shows and searches before the assessment: the same in every explorer
// on one cache, so it is made once per page for all of them (cache.Cache.Derived).
type identityText struct{ name, attached, hay string }

func newIdentityText(id *data.Identity) identityText {
	name := displayName(id.DisplayName, id.ID)
	attached := ""
	if id.Kind == data.SystemAssigned && id.ResourceID != "" {
		attached = shortResource(id.ResourceID)
	}
	return identityText{name: name, attached: attached,
		hay: strings.ToLower(name + "\x00" + id.ID + "\x00" + id.AppID + "\x00" + id.ResourceID)}
}

// pageKey keys a page of the identity list in the cache's Derived by its first identity.
type pageKey struct{ first *data.Identity }

// pageTexts returns the texts of a page's identities, shared by every explorer on the cache.
func pageTexts(c *cache.Cache, p []data.Identity) []identityText {
	return c.Derived(pageKey{&p[0]}, func() any {
		ts := make([]identityText, len(p))
		for i := range p {
			ts[i] = newIdentityText(&p[i])
		}
		return ts
	}).([]identityText)
}

// identityRow builds the list row of an identity; a is the assessment when it is known.
func identityRow(id data.Identity, a *assessment) row {
	return identityRowOf(&id, newIdentityText(&id), a)
}

func identityRowOf(id *data.Identity, t identityText, a *assessment) row {
	r := row{
		cells: []string{t.name, kindShort(id.Kind), t.attached, "", "", "", "", ""},
		nums:  make([]int64, identityCells),
		id:    id.ID,
		label: t.name,
		sev:   -1,
		hay:   t.hay,
	}
	if a != nil {
		a.applyTo(&r)
	}
	return r
}

func kindShort(k data.Kind) string {
	switch k {
	case data.SystemAssigned:
		return "SA"
	case data.UserAssigned:
		return "UA"
	}
	return "?"
}

// shortTypes names common resource types in a few letters.
var shortTypes = map[string]string{
	"microsoft.compute/virtualmachines":                "vm",
	"microsoft.compute/virtualmachinescalesets":        "vmss",
	"microsoft.web/sites":                              "app",
	"microsoft.web/sites/slots":                        "slot",
	"microsoft.logic/workflows":                        "logic",
	"microsoft.automation/automationaccounts":          "automation",
	"microsoft.containerservice/managedclusters":       "aks",
	"microsoft.datafactory/factories":                  "adf",
	"microsoft.managedidentity/userassignedidentities": "uami",
	"microsoft.sql/servers":                            "sql",
	"microsoft.storage/storageaccounts":                "storage",
	"microsoft.keyvault/vaults":                        "keyvault",
	"microsoft.app/containerapps":                      "containerapp",
	"microsoft.containerinstance/containergroups":      "aci",
	"microsoft.apimanagement/service":                  "apim",
	"microsoft.synapse/workspaces":                     "synapse",
	"microsoft.databricks/workspaces":                  "databricks",
	"microsoft.machinelearningservices/workspaces":     "ml",
	"microsoft.eventhub/namespaces":                    "eventhub",
	"microsoft.servicebus/namespaces":                  "servicebus",
	"microsoft.cognitiveservices/accounts":             "ai",
	"microsoft.search/searchservices":                  "search",
	"microsoft.hybridcompute/machines":                 "arc",
}

// shortResource is "name (type)" for a resource id.
func shortResource(id string) string {
	name := data.ResourceName(id)
	t := data.ResourceType(id)
	if s, ok := shortTypes[strings.ToLower(t)]; ok {
		return name + " (" + s + ")"
	}
	if t == "" {
		return name
	}
	return name + " (" + data.LastSegment(t) + ")"
}

// displayName is what a row calls a principal: its name, or its id when it has none.
func displayName(name, id string) string { return cmp.Or(name, id) }

// severityUnknown is the severity of an identity with no finding but parts that could not be read: "none" would claim
// more than the read can back.
const severityUnknown = "unknown"

// severityCell is the severity column's text, a word so it reads without colour, and its sort key. Unknown (no
// finding, but a part could not be read) ranks above low and info and below medium: what could not be read may hide
// anything and deserves a look before a known small finding, but not before a known medium one.
func severityCell(s assess.Severity, any, incomplete bool) (string, int64) {
	switch {
	case any:
		return s.String(), 2*int64(s) + 2
	case incomplete:
		return severityUnknown, 2*int64(assess.Low) + 3
	}
	return "none", 0
}
