package assess

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/demo"
)

// TestTierIDsArePublished holds every id the classification uses against the published lists kept in tiers/: the
// Azure built-in role definitions, the Microsoft Graph service principal's app roles and the Entra role templates.
// A wrong GUID, or a right GUID under another role's name, fails here.
func TestTierIDsArePublished(t *testing.T) {
	check := func(kind, id, name string, published func(string) (string, bool)) {
		t.Helper()
		got, ok := published(id)
		switch {
		case !ok:
			t.Errorf("%s %q has id %s, which is not in the published list", kind, name, id)
		case name != "" && !strings.EqualFold(got, name):
			t.Errorf("%s id %s is %q in the published list, not %q", kind, id, got, name)
		}
	}
	azureName := func(id string) (string, bool) {
		d, _, ok := BuiltinRoleDefinition(id)
		return d.RoleName, ok
	}
	for _, e := range ref.tiers.Graph {
		check("graph permission", e.ID, e.Name, GraphAppRoleValue)
	}
	for _, e := range ref.tiers.Entra {
		check("entra role", e.ID, e.Name, EntraRoleTemplateName)
	}
	for _, e := range ref.tiers.Azure {
		check("azure role", e.ID, e.Name, azureName)
	}
	for id, e := range ref.grades.Graph {
		check("grades.json graph", id, e.Name, GraphAppRoleValue)
	}
	for id, e := range ref.grades.Entra {
		check("grades.json entra", id, e.Name, EntraRoleTemplateName)
	}
	for id, e := range ref.grades.Azure {
		check("grades.json azure", id, e.Name, azureName)
	}
	for id := range builtinClasses {
		check("builtin class override", id, "", azureName)
	}
	// The ids the tests themselves use are held too, so that a test cannot pass on an id no tenant returns.
	for _, id := range []string{roleOwner, roleContributor, roleReader, roleUAA, roleRBACAdmin, roleVMContrib,
		roleKVSecretUser, roleMIOperator, roleAutomationContrib, roleVMUserLogin, roleMetricsPublisher,
		roleNetworkContrib} {
		check("test role", id, "", azureName)
	}
	for _, id := range []string{dirGlobalAdmin, dirUserAdmin, dirGlobalRead, dirTeamsAdmin, dirW365Admin,
		dirYammerAdmin, dirAIAdmin, dirAgentIDAdmin, dirLifecycleAdmin, dirSecurityReader, dirAttrProvReader,
		dirDirReaders, dirCloudDevAdmin} {
		check("test entra role", id, "", EntraRoleTemplateName)
	}
	for _, id := range []string{permRoleMgmt, permGroupRW, permUserReadA, permAppReadUpdate, permUserDeleteRestore,
		permUserEnableDisable, permAuthMethodTAP, permAuthMethodPhone, permAuthMethodOATH, permPasswordProfile,
		permDevMgmtConfig, permDevMgmtRBAC, permDevMgmtScripts, permOrganizationRW, permSynchronizationRW,
		permPolicyCA, permBitlockerRead, permLAPSRead, permChatReadBasic, permChatRead, permMailSend} {
		check("test graph permission", id, "", GraphAppRoleValue)
	}
}

// TestTierDataIsComplete: every tier-0 Graph permission and Entra role has a reason in this project's words, every
// departure says why, and the published lists are whole (a truncated refresh would grade real roles as unknown).
func TestTierDataIsComplete(t *testing.T) {
	for _, g := range ref.graph {
		if g.Tier0() && g.Path == "" {
			t.Errorf("graph permission %s is tier 0 but grades.json gives no path", g.Name)
		}
	}
	for _, g := range ref.entra {
		if g.Tier0() && g.Path == "" {
			t.Errorf("entra role %s is tier 0 but grades.json gives no path", g.Name)
		}
	}
	for kind, entries := range map[string]map[string]gradeEntry{"graph": ref.grades.Graph, "entra": ref.grades.Entra,
		"azure": ref.grades.Azure} {
		for id, e := range entries {
			if e.Path == "" && e.Why == "" {
				t.Errorf("grades.json %s %s (%s) says neither path nor why", kind, e.Name, id)
			}
		}
	}
	for name, n := range map[string]int{"azure built-in roles": len(ref.builtins), "graph app roles": len(ref.appRoles),
		"entra role templates": len(ref.templates), "tiered graph permissions": len(ref.tiers.Graph),
		"tiered entra roles": len(ref.tiers.Entra), "tiered azure roles": len(ref.tiers.Azure)} {
		if n < 100 {
			t.Errorf("%s: only %d entries; the reference data looks truncated", name, n)
		}
	}
	for _, s := range []sourceRef{ref.tiers.Source, ref.azureRoles.Source, ref.entraRoles.Source} {
		if len(s.Commit) != 40 || len(s.Date) != len("2006-01-02") {
			t.Errorf("source %s has no commit and date", s.Repo)
		}
	}
}

// TestDemoCatalogueIsPublished: the demo tenant's built-in role definitions, directory roles and Graph permissions
// carry the published ids and names, so that the demo cannot teach a wrong id (as it once did for Automation
// Contributor): the code that builds it, the embedded snapshot and the synthetic tenants alike.
func TestDemoCatalogueIsPublished(t *testing.T) {
	embedded, err := demo.Tenant()
	if err != nil {
		t.Fatal(err)
	}
	for name, tn := range map[string]*data.Tenant{"demo.Build": demo.Build(), "embedded demo": embedded,
		"synthetic": demo.Synthetic(200, 1)} {
		t.Run(name, func(t *testing.T) { checkPublished(t, tn) })
	}
}

func checkPublished(t *testing.T, tn *data.Tenant) {
	t.Helper()
	for _, d := range tn.RoleDefinitions {
		if d.Custom {
			continue
		}
		p, _, ok := BuiltinRoleDefinition(d.ID)
		if !ok || p.RoleName != d.RoleName {
			t.Errorf("demo built-in role %q has id %s; published: %q (found %v)", d.RoleName, d.ID, p.RoleName, ok)
		}
	}
	for _, d := range tn.DirectoryRoleDefinitions {
		if name, ok := EntraRoleTemplateName(d.TemplateID); d.IsBuiltIn && (!ok || name != d.DisplayName) {
			t.Errorf("demo directory role %q has template id %s; published: %q (found %v)", d.DisplayName,
				d.TemplateID, name, ok)
		}
	}
	for _, a := range tn.AppRoleAssignments {
		if !strings.EqualFold(a.ResourceAppID, data.MicrosoftGraphAppID) {
			continue
		}
		if v, ok := GraphAppRoleValue(a.AppRoleID); !ok || (a.Permission != "" && v != a.Permission) {
			t.Errorf("demo Graph permission %q has app role id %s; published: %q (found %v)", a.Permission,
				a.AppRoleID, v, ok)
		}
	}
}

// Graph permissions and Entra roles the reference grades, by published id.
const (
	permAppReadUpdate     = "fc023787-fd04-4e44-9bc7-d454f00c0f0a"
	permUserDeleteRestore = "eccc023d-eccf-4e7b-9683-8813ab36cecc"
	permUserEnableDisable = "3011c876-62b7-4ada-afa2-506cbbecc68c"
	permAuthMethodTAP     = "627169a8-8c15-451c-861a-5b80e383de5c"
	permAuthMethodPhone   = "6e85d483-7092-4375-babe-0a94a8213a58"
	permAuthMethodOATH    = "7e9ebcc1-90aa-4471-8051-e68d6b4e9c89"
	permPasswordProfile   = "cc117bb9-00cf-4eb8-b580-ea2a878fe8f7"
	permDevMgmtConfig     = "9241abd9-d0e6-425a-bd4f-47ba86e767a4"
	permDevMgmtRBAC       = "e330c4f0-4170-414e-a55a-2f022ec2b57b"
	permDevMgmtScripts    = "9255e99d-faf5-445e-bbf7-cb71482737c4"
	permOrganizationRW    = "292d869f-3427-49a8-9dab-8c70152b74e9"
	permSynchronizationRW = "9b50c33d-700f-43b1-b2eb-87e89b703581"
	permPolicyCA          = "01c0a623-fc9b-48e9-b794-0756f8e8f067"
	permBitlockerRead     = "57f1cf28-c0c4-4ec3-9a30-19a2eaaf2f6e"
	permLAPSRead          = "884b599e-4d48-43a5-ba94-15c414d00588"
	permChatReadBasic     = "b2e060da-3baf-4687-9611-f4ebc0f0cbde"
	permChatRead          = "6b7d71aa-70aa-4810-a8d9-5d9fb2830017"
	permMailSend          = "b633e1c5-b582-4048-a93e-9f11b44c7e96"

	dirTeamsAdmin     = "69091246-20e8-4a56-aa4d-066075b2a7a8"
	dirW365Admin      = "11451d60-acb2-45eb-a7d6-43d0f0125c13"
	dirYammerAdmin    = "810a2642-a034-447f-a5e8-41beaa378541"
	dirAIAdmin        = "d2562ede-74db-457e-a7b6-544e236ebb61"
	dirAgentIDAdmin   = "db506228-d27e-4b7d-95e5-295956d6615f"
	dirLifecycleAdmin = "59d46f88-662b-457b-bceb-5c3809e5908f"
	dirSecurityReader = "5d6b6bb7-de71-4623-b4af-96380a352509"
	dirAttrProvReader = "422218e4-db15-4ef9-bbe0-8afb41546d79"
	dirDirReaders     = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
	dirCloudDevAdmin  = "7698a772-787b-4ac8-901f-60d6b08affd2"
)

// TestGradesFromTheReference: the verdicts the reference lists decide, both ways, through the whole engine.
func TestGradesFromTheReference(t *testing.T) {
	graph := func(id, value string) func(b *builder) {
		return func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.graph("mi", id, value)
		}
	}
	dir := func(template string) func(b *builder) {
		return func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.directory("mi", template, "/", data.Active)
		}
	}
	tier0Graph := map[string]string{
		permAppReadUpdate: "Application.ReadUpdate.All", permUserDeleteRestore: "User.DeleteRestore.All",
		permUserEnableDisable: "User.EnableDisableAccount.All", permAuthMethodTAP: "UserAuthMethod-TAP.ReadWrite.All",
		permAuthMethodPhone: "UserAuthMethod-Phone.ReadWrite.All", permAuthMethodOATH: "UserAuthMethod-HardwareOATH.ReadWrite.All",
		permPasswordProfile: "User-PasswordProfile.ReadWrite.All", permDevMgmtConfig: "DeviceManagementConfiguration.ReadWrite.All",
		permDevMgmtRBAC: "DeviceManagementRBAC.ReadWrite.All", permDevMgmtScripts: "DeviceManagementScripts.ReadWrite.All",
		permOrganizationRW: "Organization.ReadWrite.All", permSynchronizationRW: "Synchronization.ReadWrite.All",
		permPolicyCA: "Policy.ReadWrite.ConditionalAccess",
	}
	var cases []ruleCase
	for id, value := range tier0Graph {
		cases = append(cases,
			ruleCase{name: value + " is tier 0", build: graph(id, value),
				want: map[string]Severity{RulePrivGraph: Critical}, reach: LabelGraphTier0, evidence: "tier 0"},
			// Known by its id alone: the tenant did not name it.
			ruleCase{name: value + " is tier 0 by id", build: graph(id, ""),
				want: map[string]Severity{RulePrivGraph: Critical}, evidence: value})
	}
	cases = append(cases,
		ruleCase{name: "BitLocker keys of every device are not low", build: graph(permBitlockerRead, "BitlockerKey.Read.All"),
			want: map[string]Severity{RulePrivGraph: High}, reach: LabelDirectoryReader},
		ruleCase{name: "local administrator passwords are not low",
			build: graph(permLAPSRead, "DeviceLocalCredential.Read.All"),
			want:  map[string]Severity{RulePrivGraph: High}},
		ruleCase{name: "basic chat properties are not high (no grading by name prefix)",
			build: graph(permChatReadBasic, "Chat.ReadBasic.All"),
			want:  map[string]Severity{RulePrivGraph: Low}, reach: LabelAllDataRead},
		ruleCase{name: "every chat's messages are high", build: graph(permChatRead, "Chat.Read.All"),
			want: map[string]Severity{RulePrivGraph: High}, reach: LabelAllDataRead},
		ruleCase{name: "sending mail as any user writes data of every user", build: graph(permMailSend, "Mail.Send"),
			want: map[string]Severity{RulePrivGraph: High}, reach: LabelAllDataWrite},
		ruleCase{name: "a permission newer than the reference is graded by its name, not above medium",
			build: graph("00000000-1234-4000-8000-000000000001", "Widgets.ReadWrite.All"),
			want:  map[string]Severity{RulePrivGraph: Medium}, evidence: "Widgets.ReadWrite.All"},
		ruleCase{name: "Exchange full access to every mailbox outranks one vault's secrets", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.t.AppRoleAssignments = append(b.t.AppRoleAssignments, data.AppRoleAssignment{PrincipalID: "mi",
				ResourceAppID: "00000002-0000-0ff1-ce00-000000000000", ResourceDisplayName: "Office 365 Exchange Online",
				AppRoleID: "dc890d15-9560-4a4c-9b7f-a736ec74ec40", Permission: "full_access_as_app"})
			b.azure("mi", data.PrincipalServicePrincipal, roleKVSecretUser,
				rg(sub1, "rg-app")+"/providers/Microsoft.KeyVault/vaults/kv-app")
		}, want: map[string]Severity{RulePrivGraph: High}, reach: LabelAllDataWrite},
	)
	for id, name := range map[string]string{dirTeamsAdmin: "Teams Administrator", dirW365Admin: "Windows 365 Administrator",
		dirYammerAdmin: "Yammer Administrator", dirAIAdmin: "AI Administrator", dirAgentIDAdmin: "Agent ID Administrator",
		dirLifecycleAdmin: "Lifecycle Workflows Administrator"} {
		cases = append(cases, ruleCase{name: name + " is tier 0", build: dir(id),
			want: map[string]Severity{RulePrivDirRole: Critical}, reach: LabelTenantAdmin, evidence: name})
	}
	cases = append(cases,
		ruleCase{name: "Security Reader reads, it is no directory writer", build: dir(dirSecurityReader),
			want: map[string]Severity{RulePrivDirRole: Low}, reach: LabelDirectoryReader},
		ruleCase{name: "Attribute Provisioning Reader reads, it is no directory writer", build: dir(dirAttrProvReader),
			want: map[string]Severity{RulePrivDirRole: Low}, reach: LabelDirectoryReader},
		ruleCase{name: "Directory Readers is no finding", build: dir(dirDirReaders),
			want: map[string]Severity{RulePrivDirRole: none}},
		ruleCase{name: "a tier-1 role Microsoft marks privileged is high", build: dir(dirCloudDevAdmin),
			want: map[string]Severity{RulePrivDirRole: High}, reach: LabelDirectoryWriter},
	)
	runRuleCases(t, cases)

	// The reach says why, in this project's words.
	b := newTenant()
	graph(permAppReadUpdate, "Application.ReadUpdate.All")(b)
	if d := b.assess().Reach["mi"].Detail; !strings.Contains(d, "adds a secret or certificate to an application") {
		t.Errorf("reach detail of Application.ReadUpdate.All gives no reason: %q", d)
	}

	// Graded from the list, not from a fallback.
	for _, id := range []string{dirAgentIDAdmin, dirLifecycleAdmin, dirTeamsAdmin} {
		g, ok := EntraRoleGrade(id)
		if !ok || g.Tier != 0 || !strings.Contains(g.Source, "azure-tiering") || g.Path == "" {
			t.Errorf("%s: grade %+v, want tier 0 from azure-tiering with a path", id, g)
		}
	}
}

// TestAzureTierGrades: the reference tier bounds the grid: a tier-0 role over a subscription is at least high, a
// tier-3 role at most low, and a departure (Reader, Managed Identity Operator) is graded by its actions.
func TestAzureTierGrades(t *testing.T) {
	builtin := func(id, scope string) func(b *builder) {
		return func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, id, scope)
		}
	}
	sub := "/subscriptions/" + sub1
	runRuleCases(t, []ruleCase{
		{name: "Automation Contributor on a subscription is tier 0", build: builtin(roleAutomationContrib, sub),
			want: map[string]Severity{RulePrivAzure: High}, reach: "sub operator"},
		{name: "Virtual Machine User Login on a subscription is tier 0", build: builtin(roleVMUserLogin, sub),
			want: map[string]Severity{RulePrivAzure: High}},
		{name: "Monitoring Metrics Publisher (tier 3) is at most low", build: builtin(roleMetricsPublisher, sub),
			want: map[string]Severity{RulePrivAzure: Low}, reach: LabelDataWrite},
		{name: "Managed Identity Operator departs from tier 0: graded by its actions", build: builtin(roleMIOperator, sub),
			want: map[string]Severity{RulePrivAzure: Medium}},
		{name: "Network Contributor (tier 1) on a subscription writes configuration: medium",
			build: builtin(roleNetworkContrib, sub), want: map[string]Severity{RulePrivAzure: Medium},
			reach: LabelConfigWrite},
		{name: "Reader departs from tier 1: read only, no finding", build: builtin(roleReader, sub),
			want: map[string]Severity{RulePrivAzure: none}, reach: LabelReadOnly},
	})
}

// Built-in roles of the data families, by published id.
const (
	roleAutomationContrib = "f353d9bd-d4a6-484e-a77a-8050b599b867"
	roleVMUserLogin       = "fb879df8-f326-4884-b1cf-06f3ad86be52"
	roleMetricsPublisher  = "3913510d-42f4-4e42-8a64-420c390055eb"
	roleNetworkContrib    = "4d97b98b-1d4f-4787-a291-c67834d212e7"
)

// TestReachOfDataRoleFamilies: each built-in data role, judged from its published definition (the tenant's copy
// unread), gets the reach its actions earn; one that can write is never "read only", and the labels order as the
// levels do.
func TestReachOfDataRoleFamilies(t *testing.T) {
	want := map[string]string{
		"Storage Blob Data Reader":                    LabelDataRead,
		"Storage Blob Data Contributor":               LabelDataWrite,
		"Storage Blob Data Owner":                     LabelDataWrite,
		"Storage Queue Data Reader":                   LabelDataRead,
		"Storage Queue Data Contributor":              LabelDataWrite,
		"Storage Queue Data Message Sender":           LabelDataWrite,
		"Storage Queue Data Message Processor":        LabelDataWrite,
		"Storage Table Data Reader":                   LabelDataRead,
		"Storage Table Data Contributor":              LabelDataWrite,
		"Storage File Data SMB Share Reader":          LabelDataRead,
		"Storage File Data SMB Share Contributor":     LabelDataWrite,
		"Key Vault Secrets User":                      LabelDataRead,
		"Key Vault Certificate User":                  LabelDataRead,
		"Key Vault Reader":                            LabelDataRead,
		"Key Vault Secrets Officer":                   LabelDataWrite,
		"Key Vault Crypto User":                       LabelDataWrite,
		"Key Vault Crypto Service Encryption User":    LabelDataWrite,
		"Key Vault Administrator":                     LabelDataWrite,
		"Azure Service Bus Data Sender":               LabelDataWrite,
		"Azure Service Bus Data Receiver":             LabelDataRead,
		"Azure Service Bus Data Owner":                LabelDataWrite,
		"Azure Event Hubs Data Sender":                LabelDataWrite,
		"Azure Event Hubs Data Receiver":              LabelDataRead,
		"Azure Event Hubs Data Owner":                 LabelDataWrite,
		"EventGrid Data Sender":                       LabelDataWrite,
		"App Configuration Data Reader":               LabelDataRead,
		"App Configuration Data Owner":                LabelDataWrite,
		"Monitoring Metrics Publisher":                LabelDataWrite,
		"Storage Account Key Operator Service Role":   LabelDataWrite,
		"Network Contributor":                         LabelConfigWrite,
		"Reader":                                      LabelReadOnly,
		"Monitoring Reader":                           LabelReadOnly,
		"Virtual Machine Contributor":                 "res operator",
		"Contributor":                                 "res contrib",
		"Owner":                                       "res owner",
		"Cognitive Services OpenAI User":              LabelDataWrite, // runs the models: uses data
		"Azure Kubernetes Service RBAC Reader":        LabelDataRead,
		"Azure Kubernetes Service RBAC Cluster Admin": "res operator",
	}
	byName := map[string]string{}
	for id, b := range ref.builtins {
		byName[b.Name] = id
	}
	vnet := rg(sub1, "rg-net") + "/providers/Microsoft.Network/virtualNetworks/vnet-hub"
	for name, label := range want {
		id, ok := byName[name]
		if !ok {
			t.Errorf("%s is not in the published built-in roles", name)
			continue
		}
		b := newTenant()
		b.vmIdentity("mi", "rg-app")
		b.azure("mi", data.PrincipalServicePrincipal, id, vnet) // one resource: the narrowest scope
		r := b.assess()
		if got := r.Reach["mi"].Label; got != label {
			t.Errorf("%s on one resource: reach %q, want %q", name, got, label)
		}
	}

	// Ordered: at the same scope each class is above the one before it.
	var prev int
	for _, c := range []azureClass{classRead, classConfig, classDataRead, classData, classLateral, classWrite, classGrant} {
		l, _ := azureReach(c, data.ScopeResource)
		if l <= prev {
			t.Errorf("class %s has level %d, not above %d", c.word(), l, prev)
		}
		prev = l
	}
	all, _ := azureReach(classData, data.ScopeSubscription)
	if levelAllDataRead <= all {
		t.Errorf("every user's mail (%d) must outrank one subscription's data (%d)", levelAllDataRead, all)
	}
}

// TestReachLabelsFitTheColumn: every label the engine gives fits the identity list's reach column at 80 columns.
func TestReachLabelsFitTheColumn(t *testing.T) {
	const width = 14
	labels := []string{LabelTenantAdmin, LabelGraphTier0, LabelDirectoryWriter, LabelDirectoryReader,
		LabelAllDataWrite, LabelAllDataRead, LabelDataWrite, LabelDataRead, LabelConfigWrite, LabelReadOnly, LabelNone,
		LabelNotReadable, LabelUnresolved}
	for _, l := range []data.ScopeLevel{data.ScopeRootManagementGroup, data.ScopeManagementGroup,
		data.ScopeSubscription, data.ScopeResourceGroup, data.ScopeResource} {
		for c := classNone; c <= classGrant; c++ {
			_, label := azureReach(c, l)
			labels = append(labels, label)
		}
	}
	for _, s := range labels {
		if utf8.RuneCountInString(s) > width {
			t.Errorf("reach label %q is %d characters, more than %d", s, utf8.RuneCountInString(s), width)
		}
	}
}

// TestEveryBuiltinRoleHasAClass: every published built-in role is judged to some class, and a role with any
// non-read data action is never "read only".
func TestEveryBuiltinRoleHasAClass(t *testing.T) {
	for _, b := range builtinRoles {
		c := b.permissions().class()
		if c == classNone && (len(b.Actions) > 0 || len(b.DataActions) > 0) {
			t.Errorf("%s has actions but no class", b.Name)
		}
		for _, a := range b.DataActions {
			if !readsOnly(a) && !strings.HasSuffix(strings.ToLower(a), "/delete") && c <= classDataRead {
				t.Errorf("%s has data action %s but is judged %s", b.Name, a, c.word())
			}
		}
	}
}
