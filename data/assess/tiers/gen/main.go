// Command gen refreshes the reference data under data/assess/tiers from local clones of its public sources. It is a
// developer's step (it needs the clones, and CI never runs it); the engine and its tests read only the committed
// files. Run it through `go generate ./data/assess` with the clones named by environment variables:
//
//	AZURE_TIERING         github.com/emiliensocchi/azure-tiering       (tiers of Graph permissions, Entra and Azure roles)
//	AZURE_BUILTIN_ROLES   github.com/easimon/azure-builtin-roles       (`az role definition list`, one file per role)
//	AADINFO               github.com/jlaundry/aadinfo                  (Graph beta roleManagement/directory/roleDefinitions)
//	GRAPH_PERMISSIONS     github.com/merill/graph-permissions-explorer (the Graph service principal's app roles)
//	GRAPH_DEVX_CONTENT    github.com/microsoftgraph/microsoft-graph-devx-content (Graph permission descriptions)
//
// A clone may be bare: files are read with git at HEAD, and each source is recorded with its commit and date. Only
// facts are kept (ids, names, tiers, actions); the reasons for each grade are written by hand in grades.json, which
// this command never rewrites but checks: it lists the tier-0 entries that have no reason yet.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

func main() {
	out := flag.String("out", ".", "directory of the reference data (data/assess/tiers)")
	tiering := flag.String("tiering", os.Getenv("AZURE_TIERING"), "clone of emiliensocchi/azure-tiering")
	azureRoles := flag.String("azure-roles", os.Getenv("AZURE_BUILTIN_ROLES"), "clone of easimon/azure-builtin-roles")
	aadinfo := flag.String("aadinfo", os.Getenv("AADINFO"), "clone of jlaundry/aadinfo")
	graphExplorer := flag.String("graph-permissions", os.Getenv("GRAPH_PERMISSIONS"),
		"clone of merill/graph-permissions-explorer")
	devx := flag.String("graph-devx", os.Getenv("GRAPH_DEVX_CONTENT"),
		"clone of microsoftgraph/microsoft-graph-devx-content")
	flag.Parse()
	sources := map[string]string{"AZURE_TIERING": *tiering, "AZURE_BUILTIN_ROLES": *azureRoles,
		"AADINFO": *aadinfo, "GRAPH_PERMISSIONS": *graphExplorer, "GRAPH_DEVX_CONTENT": *devx}
	if *tiering == "" && *azureRoles == "" && *aadinfo == "" && *graphExplorer == "" && *devx == "" {
		// `go generate ./...` run for another package must not fail here: without clones there is nothing to refresh.
		fmt.Println("tiers: reference data not refreshed (set AZURE_TIERING, AZURE_BUILTIN_ROLES, AADINFO, " +
			"GRAPH_PERMISSIONS and GRAPH_DEVX_CONTENT to clones of the sources to refresh it)")
		return
	}
	for name, dir := range sources {
		if dir == "" {
			fail(fmt.Errorf("%s is not set: clone the source it names (see the comment at the top of %s) and set it "+
				"to the clone's path", name, "data/assess/tiers/gen/main.go"))
		}
	}
	steps := []func() error{
		func() error { return genAzureRoles(*azureRoles, *out) },
		func() error { return genEntraRoles(*aadinfo, *out) },
		func() error { return genGraphAppRoles(*graphExplorer, *devx, *out) },
		func() error { return genTiers(*tiering, *out) },
		func() error { return checkGrades(*out) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}

// Source names one public source as it was read.
type Source struct {
	Repo   string `json:"repo"`
	Path   string `json:"path"`
	Commit string `json:"commit"`
	Date   string `json:"date"`
}

// repo reads files of a clone at HEAD.
type repo struct{ dir, name string }

func (r repo) git(args ...string) ([]byte, error) {
	cmd := exec.Command("git", append([]string{"-C", r.dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: git %s: %v: %s", r.dir, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

func (r repo) source(path string) (Source, error) {
	out, err := r.git("log", "-1", "--format=%H %cs", "HEAD")
	if err != nil {
		return Source{}, err
	}
	commit, date, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	return Source{Repo: r.name, Path: path, Commit: commit, Date: date}, nil
}

func (r repo) file(path string) ([]byte, error) { return r.git("show", "HEAD:"+path) }

// files reads many files in one git process.
func (r repo) files(paths []string) (map[string][]byte, error) {
	cmd := exec.Command("git", "-C", r.dir, "cat-file", "--batch")
	var in bytes.Buffer
	for _, p := range paths {
		fmt.Fprintf(&in, "HEAD:%s\n", p)
	}
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: git cat-file: %v", r.dir, err)
	}
	got := map[string][]byte{}
	br := bufio.NewReader(bytes.NewReader(out))
	for _, p := range paths {
		header, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		var sha, typ string
		var size int
		if strings.HasSuffix(strings.TrimSpace(header), "missing") {
			continue // a file the clone lacks (a shallow or partial copy): reported by the caller
		}
		if _, err := fmt.Sscanf(header, "%s %s %d", &sha, &typ, &size); err != nil {
			return nil, fmt.Errorf("%s: git cat-file: %q", r.dir, header)
		}
		b := make([]byte, size+1)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, err
		}
		got[p] = b[:size]
	}
	return got, nil
}

func write(dir, name string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s\n", filepath.Join(dir, name))
	return os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644)
}

var guid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// AzureRole is a built-in Azure role definition, its permission blocks merged.
type AzureRole struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Actions        []string `json:"actions,omitempty"`
	NotActions     []string `json:"notActions,omitempty"`
	DataActions    []string `json:"dataActions,omitempty"`
	NotDataActions []string `json:"notDataActions,omitempty"`
	// Conditional marks a role whose permissions carry a condition (most often a delegation condition on role
	// assignments), which the merged lists above do not express.
	Conditional bool `json:"conditional,omitempty"`
}

func genAzureRoles(dir, out string) error {
	r := repo{dir, "easimon/azure-builtin-roles"}
	src, err := r.source("azure-roles/")
	if err != nil {
		return err
	}
	raw, err := r.git("ls-tree", "--name-only", "-z", "HEAD", "azure-roles/")
	if err != nil {
		return err
	}
	names := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	files, err := r.files(names)
	if err != nil {
		return err
	}
	var roles []AzureRole
	for _, n := range names {
		b, ok := files[n]
		if !ok {
			return fmt.Errorf("%s: %s is missing from the clone", dir, n)
		}
		var d struct {
			Name        string `json:"name"`
			RoleName    string `json:"roleName"`
			RoleType    string `json:"roleType"`
			Permissions []struct {
				Actions        []string `json:"actions"`
				NotActions     []string `json:"notActions"`
				DataActions    []string `json:"dataActions"`
				NotDataActions []string `json:"notDataActions"`
				Condition      *string  `json:"condition"`
			} `json:"permissions"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			return fmt.Errorf("%s: %s: %v", dir, n, err)
		}
		if d.RoleType != "BuiltInRole" || !guid.MatchString(d.Name) {
			return fmt.Errorf("%s: %s: not a built-in role definition (type %q, name %q)", dir, n, d.RoleType, d.Name)
		}
		role := AzureRole{ID: d.Name, Name: d.RoleName}
		for _, p := range d.Permissions {
			role.Actions = append(role.Actions, p.Actions...)
			role.NotActions = append(role.NotActions, p.NotActions...)
			role.DataActions = append(role.DataActions, p.DataActions...)
			role.NotDataActions = append(role.NotDataActions, p.NotDataActions...)
			if p.Condition != nil && *p.Condition != "" {
				role.Conditional = true
			}
		}
		roles = append(roles, role)
	}
	slices.SortFunc(roles, func(a, b AzureRole) int { return strings.Compare(a.ID, b.ID) })
	return write(out, "azure-builtin-roles.json", struct {
		Source Source      `json:"source"`
		Roles  []AzureRole `json:"roles"`
	}{src, roles})
}

// EntraRole is a built-in Entra role template.
type EntraRole struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Privileged bool   `json:"privileged,omitempty"`
	// ReadOnly is true for a reader role whose every action reads (service health and support tickets aside).
	ReadOnly bool `json:"readOnly,omitempty"`
}

func genEntraRoles(dir, out string) error {
	r := repo{dir, "jlaundry/aadinfo"}
	const path = "info/roles.graph.json"
	src, err := r.source(path)
	if err != nil {
		return err
	}
	b, err := r.file(path)
	if err != nil {
		return err
	}
	var d struct {
		Value []struct {
			TemplateID      string `json:"templateId"`
			DisplayName     string `json:"displayName"`
			IsBuiltIn       bool   `json:"isBuiltIn"`
			IsPrivileged    bool   `json:"isPrivileged"`
			RolePermissions []struct {
				AllowedResourceActions []string `json:"allowedResourceActions"`
			} `json:"rolePermissions"`
		} `json:"value"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("%s: %s: %v", dir, path, err)
	}
	var roles []EntraRole
	for _, v := range d.Value {
		if !v.IsBuiltIn {
			continue
		}
		if !guid.MatchString(v.TemplateID) {
			return fmt.Errorf("%s: %s: role %q has template id %q", dir, path, v.DisplayName, v.TemplateID)
		}
		readOnly, n := true, 0
		for _, p := range v.RolePermissions {
			for _, a := range p.AllowedResourceActions {
				n++
				if !readAction(a) {
					readOnly = false
				}
			}
		}
		// A service administrator's power lies mostly outside the directory's resource actions (Exchange, Teams,
		// the sync service), so only a role that says it reads is taken at its word.
		readOnly = readOnly && n > 0 && strings.Contains(v.DisplayName, "Reader")
		roles = append(roles, EntraRole{ID: v.TemplateID, Name: v.DisplayName, Privileged: v.IsPrivileged,
			ReadOnly: readOnly})
	}
	slices.SortFunc(roles, func(a, b EntraRole) int { return strings.Compare(a.ID, b.ID) })
	return write(out, "entra-role-templates.json", struct {
		Source Source      `json:"source"`
		Roles  []EntraRole `json:"roles"`
	}{src, roles})
}

// readAction reports whether an Entra resource action only reads. Service health, support tickets and the message
// centre are in nearly every role and change nothing in the directory.
func readAction(a string) bool {
	a = strings.ToLower(a)
	for _, p := range []string{"microsoft.azure.servicehealth/", "microsoft.office365.servicehealth/",
		"microsoft.azure.supporttickets/", "microsoft.office365.supporttickets/", "microsoft.office365.messagecenter/"} {
		if strings.HasPrefix(a, p) {
			return true
		}
	}
	return strings.HasSuffix(a, "read") || strings.HasSuffix(a, "/readbasic") ||
		strings.Contains(a, "/serviceaction/get")
}

// AppRole is a Microsoft Graph application permission.
type AppRole struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

var (
	h1         = regexp.MustCompile(`<h1 id="[^"]*">([^<]+)</h1>`)
	idColumns  = regexp.MustCompile(`<th>Category</th>\s*<th>([^<]*)</th>\s*(?:<th>([^<]*)</th>)?`)
	identifier = regexp.MustCompile(`<td>Identifier</td>\s*<td>([^<]*)</td>\s*(?:<td>([^<]*)</td>)?`)
)

func genGraphAppRoles(explorerDir, devxDir, out string) error {
	ex := repo{explorerDir, "merill/graph-permissions-explorer"}
	exSrc, err := ex.source("site/permission/")
	if err != nil {
		return err
	}
	raw, err := ex.git("ls-tree", "--name-only", "-z", "HEAD", "site/permission/")
	if err != nil {
		return err
	}
	var pages []string
	for _, n := range strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00") {
		if strings.HasSuffix(n, ".html") {
			pages = append(pages, n)
		}
	}
	files, err := ex.files(pages)
	if err != nil {
		return err
	}
	byID := map[string]string{}
	for _, p := range pages {
		b, ok := files[p]
		if !ok {
			fmt.Printf("note: %s lacks %s (too large for the clone?); the other source may cover it\n", explorerDir, p)
			continue
		}
		name, cols, ids := h1.FindSubmatch(b), idColumns.FindSubmatch(b), identifier.FindSubmatch(b)
		if name == nil || cols == nil || ids == nil {
			continue
		}
		for i := 1; i <= 2; i++ {
			if string(cols[i]) == "Application" && guid.Match(bytes.TrimSpace(ids[i])) {
				byID[string(bytes.TrimSpace(ids[i]))] = string(bytes.TrimSpace(name[1]))
			}
		}
	}
	dv := repo{devxDir, "microsoftgraph/microsoft-graph-devx-content"}
	const devxPath = "permissions/permissions-descriptions.json"
	dvSrc, err := dv.source(devxPath)
	if err != nil {
		return err
	}
	b, err := dv.file(devxPath)
	if err != nil {
		return err
	}
	var d struct {
		ApplicationScopesList []AppRole `json:"applicationScopesList"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("%s: %s: %v", devxDir, devxPath, err)
	}
	for _, a := range d.ApplicationScopesList {
		if _, ok := byID[a.ID]; !ok && guid.MatchString(a.ID) {
			byID[a.ID] = a.Value
		}
	}
	roles := make([]AppRole, 0, len(byID))
	for id, v := range byID {
		roles = append(roles, AppRole{id, v})
	}
	slices.SortFunc(roles, func(a, b AppRole) int { return strings.Compare(a.ID, b.ID) })
	return write(out, "graph-app-roles.json", struct {
		Sources  []Source  `json:"sources"`
		AppRoles []AppRole `json:"appRoles"`
	}{[]Source{exSrc, dvSrc}, roles})
}

// Tiered is one entry of a reference tier list: facts only. Name is the published name; ReferenceName is the tier
// list's when it differs (a role renamed since).
type Tiered struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	ReferenceName string `json:"referenceName,omitempty"`
	Tier          int    `json:"tier"`
}

// published reads the published names that genAzureRoles, genEntraRoles and genGraphAppRoles wrote.
func published(out string) (graph, entra, azure map[string]string, err error) {
	var g struct{ AppRoles []AppRole }
	var e struct{ Roles []EntraRole }
	var a struct{ Roles []AzureRole }
	for name, v := range map[string]any{"graph-app-roles.json": &g, "entra-role-templates.json": &e,
		"azure-builtin-roles.json": &a} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			return nil, nil, nil, err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %v", name, err)
		}
	}
	graph, entra, azure = map[string]string{}, map[string]string{}, map[string]string{}
	for _, x := range g.AppRoles {
		graph[x.ID] = x.Value
	}
	for _, x := range e.Roles {
		entra[x.ID] = x.Name
	}
	for _, x := range a.Roles {
		azure[x.ID] = x.Name
	}
	return graph, entra, azure, nil
}

func genTiers(dir, out string) error {
	pubGraph, pubEntra, pubAzure, err := published(out)
	if err != nil {
		return err
	}
	r := repo{dir, "emiliensocchi/azure-tiering"}
	src, err := r.source("")
	if err != nil {
		return err
	}
	read := func(path string, pub map[string]string) ([]Tiered, error) {
		b, err := r.file(path)
		if err != nil {
			return nil, err
		}
		var entries []struct {
			ID        string `json:"id"`
			AssetName string `json:"assetName"`
			Tier      string `json:"tier"`
		}
		if err := json.Unmarshal(b, &entries); err != nil {
			return nil, fmt.Errorf("%s: %s: %v", dir, path, err)
		}
		var ts []Tiered
		for _, e := range entries {
			var t int
			if _, err := fmt.Sscanf(e.Tier, "%d", &t); err != nil || t < 0 || t > 3 || !guid.MatchString(e.ID) {
				return nil, fmt.Errorf("%s: %s: entry %q has tier %q and id %q", dir, path, e.AssetName, e.Tier, e.ID)
			}
			name, ok := pub[e.ID]
			if !ok {
				// An id the published lists do not hold (another API's permission, a role az does not list) could
				// never match what a tenant returns: leave it out rather than keep an id no test can vouch for.
				fmt.Printf("note: %s: %s (%s) is not in the published list: left out\n", path, e.AssetName, e.ID)
				continue
			}
			entry := Tiered{ID: e.ID, Name: name, Tier: t}
			if name != e.AssetName {
				entry.ReferenceName = e.AssetName
			}
			ts = append(ts, entry)
		}
		slices.SortFunc(ts, func(a, b Tiered) int { return strings.Compare(a.ID, b.ID) })
		return ts, nil
	}
	graph, err := read("Microsoft Graph application permissions/tiered-msgraph-app-permissions.json", pubGraph)
	if err != nil {
		return err
	}
	entra, err := read("Entra roles/tiered-entra-roles.json", pubEntra)
	if err != nil {
		return err
	}
	azure, err := read("Azure roles/tiered-azure-roles.json", pubAzure)
	if err != nil {
		return err
	}
	return write(out, "reference-tiers.json", struct {
		Source Source   `json:"source"`
		Graph  []Tiered `json:"graph"`
		Entra  []Tiered `json:"entra"`
		Azure  []Tiered `json:"azure"`
	}{src, graph, entra, azure})
}

// checkGrades lists the tier-0 entries that grades.json gives no reason for, so that a refresh that brings new ones
// is noticed; the test suite holds the rest.
func checkGrades(out string) error {
	var tiers struct {
		Graph, Entra, Azure []Tiered
	}
	var grades struct {
		Graph, Entra, Azure map[string]json.RawMessage
	}
	for name, v := range map[string]any{"reference-tiers.json": &tiers, "grades.json": &grades} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
	}
	for kind, list := range map[string][]Tiered{"graph": tiers.Graph, "entra": tiers.Entra} {
		have := map[string]map[string]json.RawMessage{"graph": grades.Graph, "entra": grades.Entra}[kind]
		for _, t := range list {
			if _, ok := have[t.ID]; t.Tier == 0 && !ok {
				fmt.Printf("grades.json: %s tier-0 %s (%s) has no reason yet: add one\n", kind, t.Name, t.ID)
			}
		}
	}
	return nil
}
