package ui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/miscope/miscope/data/assess"
)

// Column names shared by the views, so one sort key means the same thing everywhere.
const (
	colName     = "name"
	colKind     = "kind"
	colAttached = "attached"
	colSeverity = "severity"
	colFindings = "findings"
	colReach    = "reach"
	colUsed     = "used"
	colDetail   = "detail"
	colRule     = "rule"
	colIdentity = "identity"
	colTitle    = "title"
	colStatus   = "status"
	colChange   = "change"
)

// column describes one column of a table. Widths are in terminal cells; flex columns share what is left.
type column struct {
	name    string
	alias   string // another column name that sorts by this column (N sorts the findings pane by identity)
	title   string
	width   int // the width of a fixed column, the minimum of a flex one
	flex    int // share of the spare width once every flex column shows its widest cell; 0 for a fixed column
	right   bool
	numeric bool // sorted by row.nums, highest first on the first press
	sev     bool // coloured by the row's severity
}

// row is one line of a table: its cells exactly as the tenant spells them (render cleans them), and what the filter
// searches.
type row struct {
	cells []string
	nums  []int64 // numeric sort keys, parallel to cells (used only by numeric columns)
	hay   string  // lowercase text the filter searches
	extra string  // lowercase text learnt later (roles, permissions), searched too
	id    string  // what copy takes; unique in its table
	ref   string  // the identity open follows when it is not id (a finding's identity)
	src   int32   // index of what the row shows in its view's own data (a finding in the result)
	label string  // what the status bar says was copied
	sev   int8    // severity for colouring; -1 for none
}

// table is a filterable, sortable list that renders only the rows in view, so it stays fast at any size. The
// filtered view is a slice of indices into the rows, in sort order.
type table struct {
	cols   []column
	rows   []row
	order  []int32 // every row in sort order
	view   []int32 // the rows the filter keeps, in sort order
	cursor int     // position in view
	offset int     // first visible position in view

	sortCol  int // -1 keeps the order rows arrived in
	sortDesc bool
	gen      int     // changes with every change of rows or order, so a sort that finishes late is dropped
	pending  bool    // a sort is running in a command; order is the previous one until it lands
	rank     []int32 // each row's place in order, worked out as a page is merged
	query    string  // lowercase filter
	// narrowed are the views of the queries typed since the rows, their order or keep last changed, each query
	// holding the one before it: a key that erases goes back to one of them instead of searching every row again.
	narrowed []narrowing
	height   int   // rows last rendered, for paging
	content  []int // widest cell of each column, up to maxContent, so columns get widths by what they hold

	// match, when set, is what the filter asks of rows that carry no hay: a table of many rows with long unique
	// text (findings) searches its cells where they are rather than keep a lowercase copy of each.
	match func(r *row, q string) bool
	// keep, when set, hides rows whatever the query (the findings pane's decided findings).
	keep func(r *row) bool
}

func newTable(cols []column, sortCol string, desc bool) *table {
	t := &table{cols: cols, sortCol: -1, height: 10, content: make([]int, len(cols))}
	if i := t.colIndex(sortCol); i >= 0 {
		t.sortCol, t.sortDesc = i, desc
	}
	return t
}

func (t *table) colIndex(name string) int {
	for i, c := range t.cols {
		if c.name == name || c.alias != "" && c.alias == name {
			return i
		}
	}
	return -1
}

// maxContent is the most a column asks for by its content; wider cells are cut with "…".
const maxContent = 48

// measure widens the columns' content widths to hold rows. A cell no longer in bytes than the width already known
// cannot be wider, so most cells cost a length check.
func (t *table) measure(rows []row) {
	for i := range rows {
		widen(t.content, rows[i].cells)
	}
}

// widen grows content, the widest cell of each column so far, to hold cells.
func widen(content []int, cells []string) {
	for c, cell := range cells {
		if c < len(content) && len(cell) > content[c] && content[c] < maxContent {
			content[c] = min(maxContent, max(content[c], width(cell)))
		}
	}
}

// remeasure measures every row again after cells changed in place (the assessment filling in its columns).
func (t *table) remeasure() {
	clear(t.content)
	t.measure(t.rows)
}

// less orders two rows by the sort column, then by the first column and id so the order is stable and total.
func (t *table) less(a, b int32) int {
	ra, rb := &t.rows[a], &t.rows[b]
	if c := t.sortCol; c >= 0 {
		var d int
		if t.cols[c].numeric {
			d = cmpInt(ra.nums[c], rb.nums[c])
		} else {
			d = cmpFold(ra.cells[c], rb.cells[c])
		}
		if t.sortDesc {
			d = -d
		}
		if d != 0 {
			return d
		}
	}
	if t.sortCol < 0 {
		return cmpInt(int64(a), int64(b))
	}
	if d := cmpFold(ra.cells[0], rb.cells[0]); d != 0 {
		return d
	}
	return strings.Compare(ra.id, rb.id)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpFold compares ASCII case-insensitively without allocating; other bytes compare as they are.
func cmpFold(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	return cmpInt(int64(len(a)), int64(len(b)))
}

// setRows replaces every row, keeping the cursor on the same item when it is still there.
func (t *table) setRows(rows []row) { t.setMeasuredRows(rows, nil) }

// setMeasuredRows is setRows for rows whose widest cells were measured when they were built (off the Update path);
// with widths nil it measures them.
func (t *table) setMeasuredRows(rows []row, widths []int) {
	t.gen++
	t.pending = false
	keep := t.selectedID()
	t.rows = rows
	if widths != nil {
		copy(t.content, widths)
	} else {
		t.remeasure()
	}
	t.order = make([]int32, len(rows))
	for i := range t.order {
		t.order[i] = int32(i)
	}
	t.sort()
	t.refilter(keep)
}

// reserve moves the rows into room when it holds more of them, so that appending does not grow them on the Update
// path.
func (t *table) reserve(room []row) {
	if cap(room) > cap(t.rows) {
		t.rows = append(room[:0], t.rows...)
	}
}

// appendRows adds rows as a page arrives: the page is sorted on its own and merged, which costs one pass over the
// rows instead of a full sort per page.
func (t *table) appendRows(rows []row) tea.Cmd {
	if t.pending { // the order is not by the current keys yet: add the rows and sort everything again
		start := int32(len(t.rows))
		t.rows = append(t.rows, rows...)
		t.measure(rows)
		for i := range rows {
			t.order = append(t.order, start+int32(i))
		}
		return t.resort()
	}
	t.gen++
	keep := t.selectedID()
	if t.cursor == 0 {
		keep = "" // a user at the top stays at the top as rows arrive
	}
	start := int32(len(t.rows))
	t.rows = append(t.rows, rows...)
	t.measure(rows)
	page := make([]int32, len(rows))
	for i := range page {
		page[i] = start + int32(i)
	}
	slices.SortFunc(page, t.less)
	t.order = merge(t.order, page, t.less)
	// The filtered views follow the order: once every row's place in it is known, merging a page's matches into them
	// compares two numbers instead of two names. Only the new rows are searched: a page arriving while a filter is
	// typed costs its own rows, not 50,000; the views kept for shorter queries take the page's matches too, so
	// erasing stays a look-up.
	t.rank = slices.Grow(t.rank[:0], len(t.rows))[:len(t.rows)]
	for p, r := range t.order {
		t.rank[r] = int32(p)
	}
	byRank := func(a, b int32) int { return cmp.Compare(t.rank[a], t.rank[b]) }
	for k := range t.narrowed {
		n := &t.narrowed[k]
		n.view = merge(n.view, t.filterWith(n.query, page), byRank)
	}
	// The view of the current query is the last of them when there is one (the same slice, merged once).
	if n := len(t.narrowed); n > 0 && t.narrowed[n-1].query == t.query {
		t.view = t.narrowed[n-1].view
	} else {
		t.view = merge(t.view, t.filter(page), byRank)
	}
	t.place(keep)
	return nil
}

// merge merges b, a few new rows, into a, the many already shown, both ordered by compare, in a's own array (grown
// as append grows it). Each new row finds its place by binary search and what follows it moves once, so a page
// costs its own rows' comparisons and one move of part of a, and no new array: a page a few milliseconds apart
// while 50,000 rows arrive would otherwise leave several copies of every view to the collector. a must be no other
// slice's array.
func merge(a, b []int32, compare func(x, y int32) int) []int32 {
	if len(b) == 0 {
		return a
	}
	pos := make([]int, len(b)) // where each of b goes in a as it is
	lo := 0
	for j, r := range b {
		k, _ := slices.BinarySearchFunc(a[lo:], r, compare) // rows never compare equal: ties fall to the id
		lo += k
		pos[j] = lo
	}
	n := len(a)
	a = slices.Grow(a, len(b))[:n+len(b)]
	end := n
	for j := len(b) - 1; j >= 0; j-- { // from the end, so that nothing is overwritten before it moves
		copy(a[pos[j]+j+1:end+j+1], a[pos[j]:end])
		a[pos[j]+j] = b[j]
		end = pos[j]
	}
	return a
}

// filterWith filters rows by another query than the current one.
func (t *table) filterWith(q string, from []int32) []int32 {
	saved := t.query
	t.query = q
	defer func() { t.query = saved }()
	return t.filter(from)
}

// sort orders every row by the sort column, here and now.
func (t *table) sort() {
	if t.sortCol < 0 {
		slices.Sort(t.order)
		return
	}
	keys := t.sortKeys()
	sortByKeys(keys, t.sortDesc)
	for p := range keys {
		t.order[p] = keys[p].i
	}
}

// sortKeys copies what the sort compares into one flat slice of immutable values: comparing values that sit next to
// each other is several times faster than chasing each row's cells, and the slice can be sorted off the Update path.
func (t *table) sortKeys() []sortKey {
	c, numeric := t.sortCol, t.cols[t.sortCol].numeric
	// Rows are read in the order they were built, which is the order they sit in memory; the order they are shown
	// in does not matter to a full sort, and following it costs a cache miss per row.
	keys := make([]sortKey, len(t.rows))
	for i := range t.rows {
		r := &t.rows[i]
		k := sortKey{i: int32(i), name: asciiLower(r.cells[0]), id: r.id}
		if numeric {
			k.n = r.nums[c]
		} else {
			k.s = asciiLower(r.cells[c])
		}
		keys[i] = k
	}
	return keys
}

func sortByKeys(keys []sortKey, desc bool) {
	slices.SortFunc(keys, func(a, b sortKey) int {
		d := cmpInt(a.n, b.n)
		if d == 0 {
			d = strings.Compare(a.s, b.s)
		}
		if desc {
			d = -d
		}
		if d != 0 {
			return d
		}
		if d = strings.Compare(a.name, b.name); d != 0 {
			return d
		}
		return strings.Compare(a.id, b.id)
	})
}

// asyncSortRows is the size from which a full sort runs in a command: at 50,000 rows it takes tens of milliseconds,
// more than a frame.
const asyncSortRows = 10_000

// sortedMsg is a full sort finished in a command.
type sortedMsg struct {
	t     *table
	gen   int
	order []int32
}

// resort sorts every row again after their keys or the sort column changed. A large table is sorted in the returned
// command and keeps its current order until the result arrives; a small one is sorted at once and nil is returned.
func (t *table) resort() tea.Cmd {
	t.gen++
	keep := t.selectedID()
	if t.cursor == 0 {
		keep = "" // a user at the top stays at the top
	}
	if len(t.rows) < asyncSortRows || t.sortCol < 0 {
		t.pending = false
		t.sort()
		t.refilter(keep)
		return nil
	}
	t.pending = true
	keys, desc, gen := t.sortKeys(), t.sortDesc, t.gen
	return func() tea.Msg {
		sortByKeys(keys, desc)
		order := make([]int32, len(keys))
		for p := range keys {
			order[p] = keys[p].i
		}
		return sortedMsg{t: t, gen: gen, order: order}
	}
}

// applySorted installs a finished sort unless the rows or the sort changed since it started.
func (t *table) applySorted(msg sortedMsg) {
	if msg.gen != t.gen || len(msg.order) != len(t.order) {
		return
	}
	keep := t.selectedID()
	if t.cursor == 0 {
		keep = ""
	}
	t.order, t.pending = msg.order, false
	t.refilter(keep)
}

type sortKey struct {
	n       int64
	s, name string
	id      string
	i       int32
}

// asciiLower folds ASCII letters only, the same folding cmpFold does, so a full sort and a merged page agree.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// sortBy sorts by the named column; asking again for the same column reverses the order. It reports whether the
// table has such a column, and returns the sort's command when the table is large.
func (t *table) sortBy(name string) (tea.Cmd, bool) {
	c := t.colIndex(name)
	if c < 0 {
		return nil, false
	}
	if c == t.sortCol {
		t.sortDesc = !t.sortDesc
	} else {
		t.sortCol, t.sortDesc = c, t.cols[c].numeric
	}
	return t.resort(), true
}

// narrowing is a query and the view it kept.
type narrowing struct {
	query string
	view  []int32
}

// setFilter keeps the rows whose text holds q (case-insensitive substring). A query that holds an earlier one only
// searches what that one kept, so typing and erasing cost what the shorter query kept, not every row.
func (t *table) setFilter(q string) {
	q = strings.ToLower(q)
	if q == t.query {
		return
	}
	keep := int32(-1) // the selected row, by index: the rows do not change while a filter is typed
	if t.cursor >= 0 && t.cursor < len(t.view) {
		keep = t.view[t.cursor]
	}
	t.query = q
	// A query that names a field is searched in full: "sev:high" keeps rows the text "sev:h" may not.
	if strings.Contains(q, ":") {
		t.view = t.filter(t.order)
		t.placeRow(keep)
		return
	}
	for n := len(t.narrowed); n > 0 && !strings.Contains(q, t.narrowed[n-1].query); n-- {
		t.narrowed = t.narrowed[:n-1]
	}
	switch n := len(t.narrowed); {
	case n > 0 && t.narrowed[n-1].query == q:
		t.view = t.narrowed[n-1].view
	case n > 0:
		t.view = t.filter(t.narrowed[n-1].view)
		t.narrowed = append(t.narrowed, narrowing{q, t.view})
	default:
		t.view = t.filter(t.order)
		t.narrowed = append(t.narrowed, narrowing{q, t.view})
	}
	t.placeRow(keep)
}

// filter returns the rows of from, in from's order, that the query and keep hold.
func (t *table) filter(from []int32) []int32 {
	if t.query == "" && t.keep == nil {
		return slices.Clone(from)
	}
	text, fields := t.parseQuery()
	holds := func(i int32) bool {
		r := &t.rows[i]
		return (t.keep == nil || t.keep(r)) && t.fieldsMatch(r, fields) && (text == "" || strings.Contains(r.hay, text) ||
			r.extra != "" && strings.Contains(r.extra, text) || t.match != nil && t.match(r, text))
	}
	out := make([]int32, 0, len(from)/4+1)
	if len(from) < len(t.rows)/8 {
		for _, i := range from {
			if holds(i) {
				out = append(out, i)
			}
		}
		return out
	}
	// Many rows are tested in the order they are kept in memory, not in from's (sorted) order, and the matches are
	// then taken in from's order: reading 50,000 rows and their text in order is about three times faster than
	// jumping about (BenchmarkFilterNarrowing).
	in, match := make([]uint64, (len(t.rows)+63)/64), make([]uint64, (len(t.rows)+63)/64)
	for _, i := range from {
		in[i/64] |= 1 << (i % 64)
	}
	for i := range int32(len(t.rows)) {
		if in[i/64]&(1<<(i%64)) != 0 && holds(i) {
			match[i/64] |= 1 << (i % 64)
		}
	}
	for _, i := range from {
		if match[i/64]&(1<<(i%64)) != 0 {
			out = append(out, i)
		}
	}
	return out
}

// queryFields are the fields a filter can name, as gh-dash's filters do: "sev:high", "rule:MI-PATH", "kind:ua".
// Each names the column it is matched against; a table without that column looks for the value in the row's text.
var queryFields = map[string]string{"sev": colSeverity, "rule": colRule, "kind": colKind}

type fieldQuery struct {
	col   int // the column, or -1 to look in the row's text
	value string
}

// parseQuery splits the query into its field terms and the rest, which is searched as one piece of text.
func (t *table) parseQuery() (string, []fieldQuery) {
	if !strings.Contains(t.query, ":") {
		return t.query, nil
	}
	var text []string
	var fields []fieldQuery
	for _, word := range strings.Fields(t.query) {
		name, value, ok := strings.Cut(word, ":")
		col, known := queryFields[name]
		if !ok || !known {
			text = append(text, word)
			continue
		}
		fields = append(fields, fieldQuery{col: t.colIndex(col), value: value})
	}
	return strings.Join(text, " "), fields
}

// fieldsMatch reports whether every field term starts its column's cell (sev:h keeps high), or, in a table without
// that column, is in the row's text.
func (t *table) fieldsMatch(r *row, fields []fieldQuery) bool {
	for _, f := range fields {
		if f.col >= 0 {
			if !strings.HasPrefix(strings.ToLower(r.cells[f.col]), f.value) {
				return false
			}
			continue
		}
		if !strings.Contains(r.hay, f.value) && !strings.Contains(r.extra, f.value) {
			return false
		}
	}
	return true
}

func (t *table) refilter(keep string) {
	t.narrowed = nil // the rows, their order or keep changed: views of earlier queries are stale
	t.view = t.filter(t.order)
	t.place(keep)
}

// place puts the cursor back on the row with id keep; when that row is gone (filtered out), on the first row, which
// is the best match, rather than on whatever row now sits where it was.
func (t *table) place(keep string) {
	if keep != "" {
		t.cursor = max(0, slices.IndexFunc(t.view, func(i int32) bool { return t.rows[i].id == keep }))
	}
	t.clamp()
}

// placeRow is place for a row known by its index while the rows stay as they are (a filter typed): it compares
// indexes instead of reading every row's id.
func (t *table) placeRow(keep int32) {
	if keep >= 0 {
		t.cursor = max(0, slices.Index(t.view, keep))
	}
	t.clamp()
}

func (t *table) clamp() {
	t.cursor = max(0, min(t.cursor, len(t.view)-1))
	h := max(1, t.height)
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+h {
		t.offset = t.cursor - h + 1
	}
	t.offset = max(0, min(t.offset, len(t.view)-h))
}

// fit sets the rows the table shows to what h lines of body leave under its heading, keeping the cursor in view;
// Update calls it (through the view's layout) so that render only draws.
func (t *table) fit(h int) {
	t.height = max(1, h-1)
	t.clamp()
}

func (t *table) move(n int) { t.cursor += n; t.clamp() }
func (t *table) top()       { t.cursor = 0; t.clamp() }
func (t *table) bottom()    { t.cursor = len(t.view) - 1; t.clamp() }

func (t *table) selected() *row {
	if t.cursor < 0 || t.cursor >= len(t.view) {
		return nil
	}
	return &t.rows[t.view[t.cursor]]
}

func (t *table) selectedID() string {
	if r := t.selected(); r != nil {
		return r.id
	}
	return ""
}

// widths lays the columns out in w cells. Every column is at least its minimum and as wide as its title and a sort
// arrow; flex columns then grow to their widest cell: a column a few cells short first (REACH, RULE), then the first
// column (the name, never cut before the others), then the rest; what is left after that goes by flex share.
// Columns that do not fit at all are dropped from the right.
func (t *table) widths(w int) []int {
	ws := make([]int, len(t.cols))
	used, flex := 2, 0 // the cursor marker
	type need struct{ col, n int }
	var needs []need
	for i, c := range t.cols {
		if c.width == 0 && c.flex == 0 {
			continue // a hidden column: searched and exported, not drawn
		}
		ws[i] = max(c.width, ansi.StringWidth(c.title)+1)
		used += ws[i] + 1
		flex += c.flex
		if c.flex > 0 && i < len(t.content) && t.content[i] > ws[i] {
			needs = append(needs, need{i, t.content[i] - ws[i]})
		}
	}
	spare := w - used
	// Who grows first: columns that need only a little (a reach label a few cells over its minimum), then the name
	// (never cut before the others), then the rest, smallest need first. Each takes what it needs while there is room.
	const little = 15
	order := func(n need) [2]int {
		switch {
		case n.n <= little:
			return [2]int{0, n.n}
		case n.col == 0:
			return [2]int{1, 0}
		}
		return [2]int{2, n.n}
	}
	slices.SortStableFunc(needs, func(a, b need) int {
		oa, ob := order(a), order(b)
		return cmp.Or(cmp.Compare(oa[0], ob[0]), cmp.Compare(oa[1], ob[1]))
	})
	for _, nd := range needs {
		if spare <= 0 {
			break
		}
		give := min(nd.n, spare)
		ws[nd.col] += give
		spare -= give
	}
	if spare > 0 && flex > 0 {
		for i, c := range t.cols {
			if c.flex > 0 {
				ws[i] += spare * c.flex / flex
			}
		}
	}
	for i := len(ws) - 1; i > 0 && used > w; i-- { // too narrow: drop columns from the right
		if ws[i] > 0 {
			used -= ws[i] + 1
			ws[i] = 0
		}
	}
	return ws
}

// render draws the header and the visible rows in w x h cells.
func (t *table) render(w, h int, st *styles) string {
	// The frame draws the window Update last fitted (fit), only correcting it locally should the body be another
	// size: render never moves the cursor.
	height := max(1, h-1)
	cursor := max(0, min(t.cursor, len(t.view)-1))
	offset := t.offset
	if cursor < offset {
		offset = cursor
	}
	if cursor >= offset+height {
		offset = cursor - height + 1
	}
	offset = max(0, min(offset, len(t.view)-height))
	ws := t.widths(w)
	var b strings.Builder
	var hdr strings.Builder
	hdr.WriteString("  ")
	for i, c := range t.cols {
		if ws[i] == 0 {
			continue
		}
		title := c.title
		if i == t.sortCol {
			if t.sortDesc {
				title += "▼"
			} else {
				title += "▲"
			}
		}
		hdr.WriteString(fit(title, ws[i], c.right))
		hdr.WriteByte(' ')
	}
	b.WriteString(st.Header.Render(fit(hdr.String(), w, false)))
	end := min(len(t.view), offset+height)
	for pos := offset; pos < end; pos++ {
		b.WriteByte('\n')
		r := &t.rows[t.view[pos]]
		sel := pos == cursor
		var line strings.Builder
		if sel {
			line.WriteString("› ")
		} else {
			line.WriteString("  ")
		}
		for i, c := range t.cols {
			if ws[i] == 0 {
				continue
			}
			text := cell(r.cells[i], ws[i], c.right)
			if c.sev && !sel && r.sev >= 0 {
				text = st.Severity[assess.Severity(r.sev)].Render(text)
			}
			line.WriteString(text)
			line.WriteByte(' ')
		}
		s := line.String()
		if sel {
			s = st.Selected.Render(fit(s, w, false))
		}
		b.WriteString(s)
	}
	return b.String()
}

// export returns exactly what the table shows, in view order, with cells in full.
//
// The last column is the object id each row is about (the identity a finding is about), which the screen leaves out
// for room but an export must carry: names are not unique, ids are.
func (t *table) export() (columns []string, rows [][]string) {
	for _, c := range t.cols {
		columns = append(columns, c.title)
	}
	columns = append(columns, exportIDColumn)
	rows = make([][]string, 0, len(t.view))
	for _, i := range t.view {
		r := &t.rows[i]
		cells := make([]string, len(t.cols), len(t.cols)+1)
		copy(cells, r.cells)
		rows = append(rows, append(cells, cmp.Or(r.ref, r.id)))
	}
	return columns, rows
}

// exportIDColumn names the column of object ids in exports.
const exportIDColumn = "OBJECT ID"

// exportScope says which of the columns export gives are numbers, and the filter and sort that chose and ordered
// its rows, so that an export records what produced it.
func (t *table) exportScope() (numeric []bool, filter, sort string) {
	for _, c := range t.cols {
		numeric = append(numeric, c.numeric)
	}
	numeric = append(numeric, false) // the object id
	if t.sortCol >= 0 {
		dir := "ascending"
		if t.sortDesc {
			dir = "descending"
		}
		sort = t.cols[t.sortCol].title + ", " + dir
	}
	return numeric, t.query, sort
}

// counts is the status bar's position: "12/45" (the selected row of all), "3/10 of 45" while a filter keeps 10 of
// 45, "0 of 45" when it keeps none.
func (t *table) counts() string {
	all := strconv.Itoa(len(t.rows))
	switch {
	case len(t.view) == 0:
		return "0 of " + all
	case len(t.view) == len(t.rows):
		return strconv.Itoa(t.cursor+1) + "/" + all
	}
	return strconv.Itoa(t.cursor+1) + "/" + strconv.Itoa(len(t.view)) + " of " + all
}

// containsFold reports whether strings.ToLower(s) holds q, which is lowercase, without lowering s when it is ASCII.
func containsFold(s, q string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.Contains(strings.ToLower(s), q)
		}
	}
	n := len(q)
	if n == 0 {
		return true
	}
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != q[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}
