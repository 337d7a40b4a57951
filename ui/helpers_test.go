package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/cache"
)

const (
	tenantID = "11111111-1111-1111-1111-111111111111"
	sub1     = "aaaaaaaa-0000-0000-0000-000000000001"
	sub2     = "aaaaaaaa-0000-0000-0000-000000000002"

	idWeb     = "00000000-0000-0000-0000-0000000000a1"
	idDeploy  = "00000000-0000-0000-0000-0000000000a2"
	idHostile = "00000000-0000-0000-0000-0000000000a3"
	idClean   = "00000000-0000-0000-0000-0000000000a4"
	idGraph   = "00000000-0000-0000-0000-0000000000a5"

	grpTier0    = "00000000-0000-0000-0000-0000000000b1"
	grpDeployer = "00000000-0000-0000-0000-0000000000b2"

	globalAdmin = "62e90394-69f5-4237-9190-012177145e10"
	ownerRole   = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c"
	readerRole  = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
)

// hostileName tries to clear the screen, set the clipboard, and reverse the text that follows it.
const hostileName = "evil\x1b[2J\x1b]52;c;cHduZWQ=\x07\u202egnp.exe\r\nX"

func rg(sub, name string) string { return "/subscriptions/" + sub + "/resourceGroups/" + name }

// testTenant is a small tenant with every kind of thing the views show: an identity that is tenant admin through a
// role-assignable group and owner of a subscription, a user-assigned identity on two apps with a federated
// credential, a hostile display name, a clean identity, and one whose Azure roles are not readable.
func testTenant() *data.Tenant {
	vm := rg(sub1, "rg-web") + "/providers/Microsoft.Compute/virtualMachines/vm-web-01"
	uami := rg(sub1, "rg-deploy") + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-deploy"
	app1 := rg(sub1, "rg-deploy") + "/providers/Microsoft.Web/sites/app-orders"
	app2 := rg(sub2, "rg-fn") + "/providers/Microsoft.Web/sites/fn-billing"
	logic := rg(sub2, "rg-logic") + "/providers/Microsoft.Logic/workflows/la-evil"
	fn := rg(sub2, "rg-fn") + "/providers/Microsoft.Web/sites/fn-clean"
	graphVM := rg(sub2, "rg-graph") + "/providers/Microsoft.Compute/virtualMachines/vm-graph"
	return &data.Tenant{
		ID:          tenantID,
		DisplayName: "Contoso",
		CollectedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		ManagementGroups: []data.ManagementGroup{
			{ID: "/providers/Microsoft.Management/managementGroups/" + tenantID, Name: tenantID, DisplayName: "Tenant Root Group"},
			{ID: "/providers/Microsoft.Management/managementGroups/mg-prod", Name: "mg-prod", DisplayName: "Production",
				ParentID: "/providers/Microsoft.Management/managementGroups/" + tenantID},
		},
		Subscriptions: []data.Subscription{
			{ID: sub1, DisplayName: "prod-web", ManagementGroupID: "/providers/Microsoft.Management/managementGroups/mg-prod"},
			{ID: sub2, DisplayName: "prod-data"},
		},
		Identities: []data.Identity{
			{ID: idWeb, AppID: "app-a1", DisplayName: "id-vm-web", Kind: data.SystemAssigned, ResourceID: vm},
			{ID: idDeploy, AppID: "app-a2", DisplayName: "uami-deploy", Kind: data.UserAssigned, ResourceID: uami},
			{ID: idHostile, AppID: "app-a3", DisplayName: hostileName, Kind: data.SystemAssigned, ResourceID: logic},
			{ID: idClean, AppID: "app-a4", DisplayName: "fn-clean", Kind: data.SystemAssigned, ResourceID: fn},
			{ID: idGraph, AppID: "app-a5", DisplayName: "vm-graph", Kind: data.SystemAssigned, ResourceID: graphVM},
		},
		Resources: []data.Resource{
			{ID: vm, Name: "vm-web-01", Type: "Microsoft.Compute/virtualMachines", SystemAssignedPrincipalID: idWeb},
			{ID: uami, Name: "uami-deploy", Type: "Microsoft.ManagedIdentity/userAssignedIdentities"},
			{ID: app1, Name: "app-orders", Type: "Microsoft.Web/sites", UserAssignedIdentityIDs: []string{uami}},
			{ID: app2, Name: "fn-billing", Type: "Microsoft.Web/sites", UserAssignedIdentityIDs: []string{uami}},
			{ID: logic, Name: "la-evil", Type: "Microsoft.Logic/workflows", SystemAssignedPrincipalID: idHostile},
			{ID: fn, Name: "fn-clean", Type: "Microsoft.Web/sites", SystemAssignedPrincipalID: idClean},
			{ID: graphVM, Name: "vm-graph", Type: "Microsoft.Compute/virtualMachines", SystemAssignedPrincipalID: idGraph},
		},
		Groups: []data.Group{
			{ID: grpTier0, DisplayName: "Tier0 Admins", RoleAssignable: true},
			{ID: grpDeployer, DisplayName: "Deployers"},
		},
		Memberships: []data.Membership{
			{IdentityID: idWeb, GroupID: grpTier0},
			{IdentityID: idDeploy, GroupID: grpDeployer},
			{IdentityID: idHostile, GroupID: grpTier0},
		},
		DirectoryRoleDefinitions: []data.DirectoryRoleDefinition{
			{TemplateID: globalAdmin, DisplayName: "Global Administrator", IsBuiltIn: true, IsPrivileged: true},
		},
		DirectoryRoleAssignments: []data.DirectoryRoleAssignment{
			{PrincipalID: grpTier0, RoleTemplateID: globalAdmin, DirectoryScopeID: "/", State: data.Active},
		},
		AppRoleAssignments: []data.AppRoleAssignment{
			{PrincipalID: idGraph, ResourceAppID: data.MicrosoftGraphAppID, ResourceDisplayName: "Microsoft Graph",
				AppRoleID: "19dbc75e-c2e2-444c-a770-ec69d8559fc7", Permission: "Directory.ReadWrite.All"},
		},
		RoleDefinitions: []data.RoleDefinition{
			{ID: ownerRole, RoleName: "Owner", Actions: []string{"*"}},
			{ID: contributor, RoleName: "Contributor", Actions: []string{"*"},
				NotActions: []string{"Microsoft.Authorization/*/Write"}},
			{ID: readerRole, RoleName: "Reader", Actions: []string{"*/read"}},
		},
		RoleAssignments: []data.RoleAssignment{
			{PrincipalID: idWeb, PrincipalType: data.PrincipalServicePrincipal, RoleDefinitionID: ownerRole,
				Scope: "/subscriptions/" + sub1},
			{PrincipalID: grpDeployer, PrincipalType: data.PrincipalGroup, RoleDefinitionID: contributor,
				Scope: rg(sub1, "rg-deploy")},
			{PrincipalID: idClean, PrincipalType: data.PrincipalServicePrincipal, RoleDefinitionID: readerRole,
				Scope: "/subscriptions/" + sub1},
		},
		FederatedCredentials: []data.FederatedCredential{
			{IdentityID: idDeploy, Name: "github-main", Issuer: "https://token.actions.githubusercontent.com",
				Subject: "repo:contoso/orders:ref:refs/heads/main", Audiences: []string{"api://AzureADTokenExchange"}},
		},
		Gaps: []data.Gap{
			{Section: data.SectionAzureRoles, IdentityID: idGraph, Scope: "/subscriptions/" + sub2,
				Reason: "403 reading role assignments of prod-data", Needs: "Microsoft.Authorization/roleAssignments/read"},
		},
	}
}

func newTestModel(t *data.Tenant) *Model {
	src := data.NewTenantSource(t, data.SourceInfo{Origin: data.OriginDemo, Label: "demo tenant"})
	return New(Options{Source: cache.New(src, cache.Options{})})
}

// probe runs the model in a real program and lets the test look at it between messages, on the program's own
// goroutine, so the test never races with Update.
type probe struct{ *Model }

type probeMsg struct {
	fn   func(*Model)
	done chan struct{}
}

func (p probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch pm := msg.(type) {
	case probeMsg:
		pm.fn(p.Model)
		close(pm.done)
		return p, nil
	case keyRun:
		return p, pm.fn(p.Model)
	}
	_, cmd := p.Model.Update(msg)
	return p, cmd
}

type session struct {
	t  *testing.T
	tm *teatest.TestModel
	m  *Model
}

func start(t *testing.T, m *Model, w, h int) *session {
	t.Helper()
	tm := teatest.NewTestModel(t, probe{m}, teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	s := &session{t: t, tm: tm, m: m}
	t.Cleanup(func() { _ = tm.Quit(); m.Close() })
	return s
}

// inspect runs fn against the live model.
func (s *session) inspect(fn func(*Model)) {
	s.t.Helper()
	done := make(chan struct{})
	s.tm.Send(probeMsg{fn: fn, done: done})
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		s.t.Fatal("the program did not answer")
	}
}

// waitFor waits until cond holds for the model, failing with the screen when it never does.
func (s *session) waitFor(what string, cond func(*Model) bool) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var ok bool
		s.inspect(func(m *Model) { ok = cond(m) })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %s; screen:\n%s", what, s.screen())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitText waits until the screen shows every one of texts.
func (s *session) waitText(texts ...string) string {
	s.t.Helper()
	var screen string
	s.waitFor(fmt.Sprintf("%q on screen", texts), func(m *Model) bool {
		screen = plain(m)
		for _, t := range texts {
			if !strings.Contains(screen, t) {
				return false
			}
		}
		return true
	})
	return screen
}

// screen is what the view shows, without styles.
func (s *session) screen() string {
	var out string
	s.inspect(func(m *Model) { out = plain(m) })
	return out
}

func plain(m *Model) string { return ansi.Strip(m.View().Content) }

func (s *session) keys(keys ...string) {
	for _, k := range keys {
		s.tm.Send(keyMsg(k))
	}
}

func (s *session) typeText(text string) { s.tm.Type(text) }

// keyMsg builds the key press a terminal sends for a key name.
func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "ctrl+d":
		return tea.KeyPressMsg{Code: 'd', Mod: tea.ModCtrl}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// ready waits for the list and the assessment.
func (s *session) ready() {
	s.t.Helper()
	s.waitFor("the list and the assessment", func(m *Model) bool {
		return !m.list.loading && !m.as.running && m.as.result != nil
	})
}

// checkFrame asserts the frame fills the terminal exactly and no line is wider than it.
func checkFrame(t *testing.T, content string, w, h int) {
	t.Helper()
	lines := strings.Split(content, "\n")
	if len(lines) != h {
		t.Errorf("frame has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if sw := ansi.StringWidth(l); sw > w {
			t.Errorf("line %d is %d cells wide, more than %d: %q", i, sw, w, ansi.Strip(l))
		}
	}
}
