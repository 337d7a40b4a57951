package assess

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/miscope/miscope/data"
)

// The reference data in tiers/ is refreshed by a developer from clones of its public sources (see tiers/gen); CI and
// the engine only read the committed files.
//go:generate go run ./tiers/gen -out tiers

//go:embed tiers/reference-tiers.json tiers/grades.json tiers/azure-builtin-roles.json tiers/entra-role-templates.json tiers/graph-app-roles.json
var tierFiles embed.FS

// NoTier is the Tier of a permission or role that the reference tier list does not grade.
const NoTier = -1

// Grade is miscope's verdict on one Microsoft Graph application permission, Entra role or Azure built-in role: the
// reference's tier, the severity miscope gives it at its widest scope (the tenant for Graph and Entra), and why.
type Grade struct {
	ID   string
	Name string
	// Tier is azure-tiering's tier: 0 a known path to Global Administrator (or, for Azure, to escalation), 1 broad
	// write or sensitive read without such a path, 2 and 3 little to no security consequence; NoTier when untiered.
	Tier       int
	Severity   Severity
	ReadOnly   bool // reads only: at most low
	Privileged bool // Microsoft's PRIVILEGED label (Entra roles)
	Path       string
	Departs    string // why miscope grades it otherwise than the reference's tier maps to, or ""
	Source     string
}

// Tier0 reports whether miscope treats it as tier 0: the reference knows a path from it to Global Administrator and
// miscope does not depart from that (a departure grades it lower and says why).
func (g Grade) Tier0() bool { return g.Tier == 0 && g.Severity == Critical }

type sourceRef struct {
	Repo   string `json:"repo"`
	Path   string `json:"path"`
	Commit string `json:"commit"`
	Date   string `json:"date"`
}

func (s sourceRef) String() string {
	c := s.Commit
	if len(c) > 7 {
		c = c[:7]
	}
	return fmt.Sprintf("github.com/%s@%s (%s)", s.Repo, c, s.Date)
}

type tieredEntry struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Tier int    `json:"tier"`
}

type gradeEntry struct {
	Name  string `json:"name"`
	Path  string `json:"path"`
	Grade string `json:"grade"`
	Why   string `json:"why"`
}

type entraTemplate struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Privileged bool   `json:"privileged"`
	ReadOnly   bool   `json:"readOnly"`
}

type azureBuiltin struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Actions        []string `json:"actions"`
	NotActions     []string `json:"notActions"`
	DataActions    []string `json:"dataActions"`
	NotDataActions []string `json:"notDataActions"`
	Conditional    bool     `json:"conditional"`
}

// reference is the embedded reference data, decoded once.
type reference struct {
	tiers struct {
		Source              sourceRef
		Graph, Entra, Azure []tieredEntry
	}
	grades struct {
		Paths               map[string]string
		Graph, Entra, Azure map[string]gradeEntry
	}
	azureRoles struct {
		Source sourceRef
		Roles  []azureBuiltin
	}
	entraRoles struct {
		Source sourceRef
		Roles  []entraTemplate
	}
	graphRoles struct {
		Sources  []sourceRef
		AppRoles []struct{ ID, Value string }
	}

	graph, entra, azure map[string]Grade // by lowercase id
	graphByValue        map[string]string
	appRoles            map[string]string // published Graph app roles: id -> value
	appRoleByValue      map[string]string
	templates           map[string]entraTemplate
	builtins            map[string]azureBuiltin
}

var ref = mustLoadReference()

func mustLoadReference() *reference {
	r, err := loadReference()
	if err != nil {
		panic("embedded tier data: " + err.Error() + " (regenerate it with `go generate ./data/assess`)")
	}
	return r
}

func loadReference() (*reference, error) {
	r := &reference{}
	for name, v := range map[string]any{"reference-tiers.json": &r.tiers, "grades.json": &r.grades,
		"azure-builtin-roles.json": &r.azureRoles, "entra-role-templates.json": &r.entraRoles,
		"graph-app-roles.json": &r.graphRoles} {
		b, err := tierFiles.ReadFile("tiers/" + name)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	r.appRoles, r.appRoleByValue = map[string]string{}, map[string]string{}
	for _, a := range r.graphRoles.AppRoles {
		r.appRoles[data.Key(a.ID)] = a.Value
		r.appRoleByValue[strings.ToLower(a.Value)] = data.Key(a.ID)
	}
	r.templates = map[string]entraTemplate{}
	for _, t := range r.entraRoles.Roles {
		r.templates[data.Key(t.ID)] = t
	}
	r.builtins = map[string]azureBuiltin{}
	for _, b := range r.azureRoles.Roles {
		r.builtins[data.Key(b.ID)] = b
	}
	tiering := "azure-tiering " + r.tiers.Source.String()
	entraSrc := "Microsoft Entra role definitions, isPrivileged " + r.entraRoles.Source.String()

	r.graph, r.graphByValue = map[string]Grade{}, map[string]string{}
	for _, t := range r.tiers.Graph {
		g := Grade{ID: t.ID, Name: t.Name, Tier: t.Tier, ReadOnly: readOnlyPermission(t.Name), Source: tiering}
		switch t.Tier {
		case 0:
			g.Severity = Critical
		case 1:
			g.Severity = Medium
		default:
			g.Severity = Low
		}
		if err := r.apply(&g, r.grades.Graph); err != nil {
			return nil, err
		}
		r.graph[data.Key(t.ID)] = g
		r.graphByValue[strings.ToLower(t.Name)] = data.Key(t.ID)
	}
	r.entra = map[string]Grade{}
	for _, t := range r.tiers.Entra {
		m := r.templates[data.Key(t.ID)]
		g := Grade{ID: t.ID, Name: t.Name, Tier: t.Tier, ReadOnly: m.ReadOnly, Privileged: m.Privileged,
			Source: tiering}
		switch {
		case t.Tier == 0:
			g.Severity = Critical
		case t.Tier == 1 && m.Privileged: // Microsoft's label decides between the two grades tier 1 allows
			g.Severity = High
		case t.Tier == 1:
			g.Severity = Medium
		case m.Privileged:
			g.Severity = Low
		default:
			g.Severity = Info
		}
		if m.ReadOnly {
			g.Severity = min(g.Severity, Low)
		}
		if err := r.apply(&g, r.grades.Entra); err != nil {
			return nil, err
		}
		r.entra[data.Key(t.ID)] = g
	}
	// Roles the reference has not tiered yet: Microsoft's label grades them, and grades.json may say more.
	for _, m := range r.entraRoles.Roles {
		if _, ok := r.entra[data.Key(m.ID)]; ok || !m.Privileged {
			continue
		}
		g := Grade{ID: m.ID, Name: m.Name, Tier: NoTier, ReadOnly: m.ReadOnly, Privileged: true, Severity: High,
			Source: entraSrc}
		if m.ReadOnly {
			g.Severity = Low
		}
		if err := r.apply(&g, r.grades.Entra); err != nil {
			return nil, err
		}
		r.entra[data.Key(m.ID)] = g
	}
	r.azure = map[string]Grade{}
	for _, t := range r.tiers.Azure {
		g := Grade{ID: t.ID, Name: t.Name, Tier: t.Tier, Source: tiering}
		if err := r.apply(&g, r.grades.Azure); err != nil {
			return nil, err
		}
		r.azure[data.Key(t.ID)] = g
	}
	return r, nil
}

// apply adds grades.json's reason and departure to g.
func (r *reference) apply(g *Grade, entries map[string]gradeEntry) error {
	e, ok := entries[g.ID]
	if !ok {
		return nil
	}
	if e.Path != "" {
		text, ok := r.grades.Paths[e.Path]
		if !ok {
			return fmt.Errorf("grades.json: %s names path %q, which is not in paths", g.Name, e.Path)
		}
		g.Path = text
	}
	if e.Grade != "" {
		s, ok := severityNamed(e.Grade)
		if !ok {
			return fmt.Errorf("grades.json: %s has grade %q", g.Name, e.Grade)
		}
		g.Severity = s
	}
	g.Departs = e.Why
	return nil
}

func severityNamed(s string) (Severity, bool) {
	switch s {
	case "critical":
		return Critical, true
	case "high":
		return High, true
	case "medium":
		return Medium, true
	case "low":
		return Low, true
	case "none", "info":
		return Info, true
	}
	return Info, false
}

// readOnlyPermission reports whether a Graph permission's value says it only reads.
func readOnlyPermission(value string) bool {
	v := strings.ToLower(value)
	return strings.Contains(v, ".read") && !strings.Contains(v, "write") && !strings.Contains(v, ".readupdate")
}

// GraphPermissionGrade grades a Microsoft Graph application permission by its app role id, or by its value when the
// id is not in the reference list. ok is false when the reference does not tier it.
func GraphPermissionGrade(appRoleID, value string) (Grade, bool) {
	if g, ok := ref.graph[data.Key(appRoleID)]; ok {
		return g, true
	}
	if id, ok := ref.graphByValue[strings.ToLower(value)]; ok && value != "" {
		return ref.graph[id], true
	}
	return Grade{}, false
}

// EntraRoleGrade grades a built-in Entra role by its template id: the reference's tier, or Microsoft's PRIVILEGED
// label for a role the reference has not tiered. ok is false for a role neither of them marks.
func EntraRoleGrade(templateID string) (Grade, bool) {
	g, ok := ref.entra[data.Key(templateID)]
	return g, ok
}

// AzureRoleGrade gives the reference's tier of an Azure built-in role and miscope's departure from it, if any.
func AzureRoleGrade(roleDefinitionID string) (Grade, bool) {
	g, ok := ref.azure[data.Key(data.LastSegment(roleDefinitionID))]
	return g, ok
}

// BuiltinRoleDefinition is an Azure built-in role definition as `az role definition list` publishes it, for tenants
// whose definitions could not be read. Conditional is true when the published role carries a condition, which the
// lists do not express.
func BuiltinRoleDefinition(roleDefinitionID string) (d data.RoleDefinition, conditional, ok bool) {
	b, ok := ref.builtins[data.Key(data.LastSegment(roleDefinitionID))]
	if !ok {
		return data.RoleDefinition{}, false, false
	}
	return data.RoleDefinition{ID: b.ID, RoleName: b.Name, Actions: b.Actions, NotActions: b.NotActions,
		DataActions: b.DataActions, NotDataActions: b.NotDataActions}, b.Conditional, true
}

// GraphAppRoleValue names a Microsoft Graph application permission by its app role id, from the published list.
func GraphAppRoleValue(appRoleID string) (string, bool) {
	v, ok := ref.appRoles[data.Key(appRoleID)]
	return v, ok
}

// EntraRoleTemplateName names a built-in Entra role by its template id, from the published list.
func EntraRoleTemplateName(templateID string) (string, bool) {
	t, ok := ref.templates[data.Key(templateID)]
	return t.Name, ok
}
