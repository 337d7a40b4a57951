package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/miscope/miscope/data"
)

// pivotKind is what a pivot starts from.
type pivotKind int

const (
	pivotGroup pivotKind = iota
	pivotDirectoryRole
	pivotScope
	pivotRole
	pivotResource
	pivotPermission
)

func (k pivotKind) noun() string {
	return [...]string{"group", "directory role", "scope", "Azure role", "resource", "permission"}[k]
}

// pivotTarget is a group, role, scope, resource or permission seen in the detail view.
type pivotTarget struct {
	kind  pivotKind
	id    string // group id, role template id, scope, role definition id, resource id, "resourceAppId|appRoleId"
	extra string // the role definition of a scope line; the permission value of a permission
	label string // for the breadcrumb
	role  string // a scope line's role name: what o lists the others with
}

// pivotView lists every identity that shares a pivot target.
type pivotView struct {
	target pivotTarget
	req    int
	tablePage
	loading bool
	err     error
}

type pivotMsg struct {
	req  int
	rows []row
	err  error
}

func pivotColumns() []column {
	return []column{
		{name: colName, title: "NAME", width: 16, flex: 2},
		{name: colKind, title: "KIND", width: 4},
		{name: colSeverity, title: "SEVERITY", width: 9, numeric: true, sev: true},
		{name: colReach, title: "REACH", width: 10, flex: 1, numeric: true},
		{name: colDetail, title: "HOW", width: 12, flex: 3},
	}
}

// openPivot lists, in a command, every identity that shares t.
func (m *Model) openPivot(t pivotTarget) tea.Cmd {
	tb := newTable(pivotColumns(), colSeverity, true)
	v := &pivotView{target: t, req: m.nextReq(), tablePage: newTablePage(tb), loading: true}
	m.push(v)
	src, ctx, a, req := m.src, m.ctx, m.as.result, v.req
	return func() tea.Msg {
		x, err := src.Index(ctx, nil)
		if err != nil {
			return pivotMsg{req: req, err: err}
		}
		return pivotMsg{req: req, rows: sharing(x, a, t)}
	}
}

// sharing finds the identities that share t and says how each one holds it.
func sharing(x *data.Index, a *assessment, t pivotTarget) []row {
	var rows []row
	for i := range x.Tenant.Identities {
		id := &x.Tenant.Identities[i]
		var how []string
		switch t.kind {
		case pivotGroup:
			for _, g := range x.Groups(id.ID) {
				if data.SameID(g.ID, t.id) {
					if g.Transitive {
						how = append(how, "transitive member")
					} else {
						how = append(how, "direct member")
					}
				}
			}
		case pivotDirectoryRole:
			for _, r := range x.DirectoryRoles(id.ID) {
				if data.SameID(r.RoleTemplateID, t.id) {
					how = append(how, string(r.State)+" · "+viaText(x, r.Via))
				}
			}
		case pivotScope:
			for _, r := range x.AzureRoles(id.ID) {
				if data.SameID(r.Scope, t.id) {
					how = append(how, r.RoleName+" · "+viaText(x, r.Via))
				}
			}
		case pivotRole:
			for _, r := range x.AzureRoles(id.ID) {
				if data.SameID(r.RoleDefinitionID, t.id) {
					how = append(how, breadth(a, r.Scope)+" "+r.Scope+" · "+viaText(x, r.Via))
				}
			}
		case pivotResource:
			for _, r := range x.Attached(id.ID) {
				if data.SameID(r.ID, t.id) {
					how = append(how, "attached ("+string(id.Kind)+")")
				}
			}
		case pivotPermission:
			for _, p := range x.AppRoles(id.ID) {
				if data.SameID(p.ResourceAppID+"|"+p.AppRoleID, t.id) {
					how = append(how, "granted on "+p.ResourceDisplayName)
				}
			}
		}
		if len(how) > 0 {
			rows = append(rows, pivotRow(id, a, strings.Join(how, "; ")))
		}
	}
	return rows
}

func viaText(x *data.Index, via string) string {
	if via == data.ViaDirect || via == "" {
		return "direct"
	}
	g := strings.TrimPrefix(via, "group:")
	if grp, ok := x.Group(g); ok && grp.DisplayName != "" {
		return "via group " + grp.DisplayName
	}
	return "via group " + g
}

func pivotRow(id *data.Identity, a *assessment, how string) row {
	name := displayName(id.DisplayName, id.ID)
	r := row{
		cells: []string{name, kindShort(id.Kind), "", "", how},
		nums:  make([]int64, 5),
		id:    id.ID,
		label: name,
		sev:   -1,
		hay:   strings.ToLower(name + "\x00" + id.ID + "\x00" + how),
	}
	if a != nil {
		if f := a.fact(id.ID); f != nil {
			r.cells[2], r.nums[2] = f.severity()
			if f.count > 0 {
				r.sev = int8(f.sev)
			}
			r.cells[3], r.nums[3] = f.reach, int64(f.reachLevel)
			r.hay += "\x00" + strings.ToLower(r.cells[2]+"\x00"+f.reach)
		}
	}
	return r
}

func (v *pivotView) apply(msg pivotMsg) {
	v.loading, v.err = false, msg.err
	if msg.err == nil {
		v.t.setRows(msg.rows)
	}
}

func (v *pivotView) busy() bool                         { return v.loading }
func (v *pivotView) hints(c *pageContext) []key.Binding { return c.keys.pivotHints() }
func (v *pivotView) kind() string                       { return "pivot" }
func (v *pivotView) crumb() string                      { return v.target.kind.noun() + ": " + v.target.label }
func (v *pivotView) heading() string                    { return "Identities sharing " + v.crumb() }
func (v *pivotView) title(c *pageContext) string        { return v.f.render(c, v.heading()) }
func (v *pivotView) Table() (string, []string, [][]string) {
	cols, rows := v.t.export()
	return v.heading(), cols, rows
}

func (v *pivotView) counts() string {
	if v.loading || v.err != nil {
		return ""
	}
	return v.t.counts()
}

func (v *pivotView) render(c *pageContext, w, h int) string {
	switch {
	case v.loading:
		return c.spinnerView() + " finding every identity that shares this " + v.target.kind.noun() + "…"
	case v.err != nil:
		return c.st.Error.Render("error: ") + errText(v.err)
	case len(v.t.rows) == 0:
		return "No managed identity shares this " + v.target.kind.noun() + "."
	}
	return v.body(c, w, h, "identity")
}

func (v *pivotView) key(c *pageContext, msg tea.KeyPressMsg) tea.Cmd {
	return v.tablePage.key(c, msg, func(r *row) tea.Cmd { return c.ask(openIdentityMsg{id: r.id}) })
}
