package assess

import (
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
)

const (
	arm     = data.AzureResourceManagerAppID
	graphID = data.MicrosoftGraphAppID
	kv      = data.AzureKeyVaultAppID
)

// usageRead marks usage as read over the 30 days to the tenant's read, with nothing seen yet.
func (b *builder) usageRead() *data.Usage {
	if b.t.Usage == nil {
		b.t.Usage = &data.Usage{Source: data.UsageWorkspace, WindowDays: 30, From: collected.AddDate(0, 0, -30),
			To: collected, SignIns: []data.SignIn{}}
	}
	return b.t.Usage
}

func (b *builder) signIn(principal, resourceApp string, daysAgo, count int) {
	u := b.usageRead()
	u.SignIns = append(u.SignIns, data.SignIn{PrincipalID: principal, ResourceAppID: resourceApp,
		Last: collected.AddDate(0, 0, -daysAgo), Count: count})
}

func (b *builder) acted(principal, resourceID string, count int) {
	u := b.usageRead()
	u.Activity = append(u.Activity, data.ResourceActivity{PrincipalID: principal, ResourceID: resourceID,
		Last: collected.AddDate(0, 0, -1), Count: count})
}

// serviceUser adds a user with roles; interactive < 0 means it never signed in interactively.
func (b *builder) serviceUser(id string, interactive int, passwordNeverExpires, mfa *bool) {
	b.user(id, id)
	u := data.UserUsage{ID: id, UserPrincipalName: id + "@example", LastNonInteractive: collected.AddDate(0, 0, -1),
		PasswordNeverExpires: passwordNeverExpires, MFARegistered: mfa}
	if interactive >= 0 {
		u.LastInteractive = collected.AddDate(0, 0, -interactive)
	}
	b.usageRead().Users = append(b.usageRead().Users, u)
}

func (b *builder) usageGap(s data.Section) {
	b.usageRead()
	b.t.Gaps = append(b.t.Gaps, data.Gap{Section: s, Reason: "403 Forbidden", Needs: data.NeedsSignInLogs})
}

func yes() *bool { v := true; return &v }
func no() *bool  { v := false; return &v }

func site(group, name string) string {
	return rg(sub1, group) + "/providers/Microsoft.Web/sites/" + name
}

func TestUsageRules(t *testing.T) {
	contributorOnSub := func(b *builder) {
		b.vmIdentity("mi", "rg-app")
		b.azure("mi", data.PrincipalServicePrincipal, roleContributor, "/subscriptions/"+sub1)
	}
	cases := []ruleCase{
		// MI-UNUSED
		{name: "privileged and never signed in", build: func(b *builder) {
			contributorOnSub(b)
			b.usageRead()
		}, want: map[string]Severity{RuleUnused: High, RuleUnusedGrant: none}, evidence: "never seen signing in"},
		{name: "privileged and signed in", build: func(b *builder) {
			contributorOnSub(b)
			b.signIn("mi", arm, 2, 40)
		}, want: map[string]Severity{RuleUnused: none, RuleUnusedGrant: none}},
		{name: "last sign-in older than the window", build: func(b *builder) {
			contributorOnSub(b)
			b.signIn("mi", arm, 45, 0)
		}, want: map[string]Severity{RuleUnused: High}, evidence: "last signed in on 2026-01-15"},
		{name: "sign-ins not readable: no MI-UNUSED", build: func(b *builder) {
			contributorOnSub(b)
			b.usageGap(data.SectionSignIns)
		}, want: map[string]Severity{RuleUnused: none, RuleUnusedGrant: none}},
		{name: "usage not read at all: no MI-UNUSED", build: contributorOnSub,
			want: map[string]Severity{RuleUnused: none}},
		{name: "an idle reader is not a finding", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleReader, "/subscriptions/"+sub1)
			b.usageRead()
		}, want: map[string]Severity{RuleUnused: none}},
		{name: "a data role above reader counts as privilege", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleKVSecretUser, rg(sub1, "rg-app")+"/providers/Microsoft.KeyVault/vaults/kv")
			b.usageRead()
		}, want: map[string]Severity{RuleUnused: Low}},
		{name: "a role through a group counts, and the fix leaves the group", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.group("g-ops", "Ops", false, "mi")
			b.azure("g-ops", data.PrincipalGroup, roleContributor, rg(sub1, "rg-other"))
			b.usageRead()
		}, want: map[string]Severity{RuleUnused: Medium}, evidence: `member of group "Ops" (g-ops), which holds Contributor`},

		// MI-UNUSED-GRANT
		{name: "Graph permission with no Graph sign-in", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.graph("mi", permRoleMgmt, "RoleManagement.ReadWrite.Directory")
			b.azure("mi", data.PrincipalServicePrincipal, roleReader, rg(sub1, "rg-app"))
			b.signIn("mi", arm, 1, 10)
		}, want: map[string]Severity{RuleUnusedGrant: Critical, RuleUnused: none},
			evidence: "no sign-in to Microsoft Graph in the 30 days to 2026-03-01"},
		{name: "Graph permission used", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.graph("mi", permRoleMgmt, "RoleManagement.ReadWrite.Directory")
			b.signIn("mi", graphID, 1, 10)
		}, want: map[string]Severity{RuleUnusedGrant: none, RuleUnused: none}},
		{name: "control-plane role unused, data role used", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleContributor, rg(sub1, "rg-other"))
			b.azure("mi", data.PrincipalServicePrincipal, roleKVSecretUser, rg(sub1, "rg-app")+"/providers/Microsoft.KeyVault/vaults/kv")
			b.signIn("mi", kv, 1, 300)
		}, want: map[string]Severity{RuleUnusedGrant: Medium}, evidence: "keep Key Vault Secrets User"},
		{name: "data role on a service never signed in to", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleKVSecretUser, rg(sub1, "rg-app")+"/providers/Microsoft.KeyVault/vaults/kv")
			b.signIn("mi", arm, 1, 3)
		}, want: map[string]Severity{RuleUnusedGrant: Low}, evidence: "no sign-in to Azure Key Vault"},
		{name: "directory role with no Graph sign-in", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.directory("mi", dirUserAdmin, "/", data.Active)
			b.signIn("mi", arm, 1, 3)
		}, want: map[string]Severity{RuleUnusedGrant: Critical}, evidence: "no sign-in to Microsoft Graph"},
		{name: "grants not judged over a sign-in gap", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.graph("mi", permRoleMgmt, "RoleManagement.ReadWrite.Directory")
			b.signIn("mi", arm, 1, 3)
			b.usageGap(data.SectionSignIns)
		}, want: map[string]Severity{RuleUnusedGrant: none, RuleUnused: none}},

		// MI-OVERSCOPED
		{name: "contributor on a subscription, acting on two sites of one group", build: func(b *builder) {
			contributorOnSub(b)
			b.signIn("mi", arm, 1, 50)
			b.acted("mi", site("rg-web", "app-a"), 10)
			b.acted("mi", site("rg-web", "app-b"), 4)
		}, want: map[string]Severity{RuleOverscoped: Medium, RuleUnusedGrant: none},
			evidence: "acted on " + site("rg-web", "app-a") + " 10 times"},
		{name: "actions across resource groups of the same subscription", build: func(b *builder) {
			contributorOnSub(b)
			b.signIn("mi", arm, 1, 50)
			b.acted("mi", site("rg-web", "app-a"), 10)
			b.acted("mi", site("rg-api", "app-b"), 4)
		}, want: map[string]Severity{RuleOverscoped: none}},
		{name: "more than five resources", build: func(b *builder) {
			contributorOnSub(b)
			b.signIn("mi", arm, 1, 50)
			for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
				b.acted("mi", site("rg-web", "app-"+n), 1)
			}
		}, want: map[string]Severity{RuleOverscoped: none}},
		{name: "no workspace: not assessed", build: func(b *builder) {
			contributorOnSub(b)
			b.signIn("mi", arm, 1, 50)
			b.acted("mi", site("rg-web", "app-a"), 10)
			b.usageGap(data.SectionActivity)
		}, want: map[string]Severity{RuleOverscoped: none}},
		{name: "a role at a resource group is narrow enough", build: func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleContributor, rg(sub1, "rg-web"))
			b.signIn("mi", arm, 1, 50)
			b.acted("mi", site("rg-web", "app-a"), 10)
		}, want: map[string]Severity{RuleOverscoped: none}},

		// USER-AS-SERVICE
		{name: "user with contributor signing in only from scripts, no MFA", identity: "u-svc", build: func(b *builder) {
			b.serviceUser("u-svc", -1, yes(), no())
			b.azure("u-svc", data.PrincipalUser, roleContributor, rg(sub1, "rg-app"))
		}, want: map[string]Severity{RuleUserAsService: High}, evidence: "never signed in interactively"},
		{name: "user with reader, MFA unknown", identity: "u-svc", build: func(b *builder) {
			b.serviceUser("u-svc", 200, no(), nil)
			b.azure("u-svc", data.PrincipalUser, roleReader, rg(sub1, "rg-app"))
		}, want: map[string]Severity{RuleUserAsService: Low}, evidence: "multifactor registration not readable"},
		{name: "user with a directory role", identity: "u-svc", build: func(b *builder) {
			b.serviceUser("u-svc", -1, no(), yes())
			b.directory("u-svc", dirUserAdmin, "/", data.Active)
		}, want: map[string]Severity{RuleUserAsService: High}},
		{name: "a person signs in interactively", identity: "u-dana", build: func(b *builder) {
			b.serviceUser("u-dana", 3, no(), yes())
			b.azure("u-dana", data.PrincipalUser, roleContributor, rg(sub1, "rg-app"))
		}, want: map[string]Severity{RuleUserAsService: none}},
		{name: "a user without roles", identity: "u-svc", build: func(b *builder) {
			b.serviceUser("u-svc", -1, yes(), no())
		}, want: map[string]Severity{RuleUserAsService: none}},
		{name: "users' sign-ins not readable", identity: "u-svc", build: func(b *builder) {
			b.serviceUser("u-svc", -1, yes(), no())
			b.azure("u-svc", data.PrincipalUser, roleContributor, rg(sub1, "rg-app"))
			b.usageGap(data.SectionUserSignIns)
		}, want: map[string]Severity{RuleUserAsService: none}},
	}
	runRuleCases(t, cases)
}

// Over a gap the usage rules say they were not assessed and why, rather than staying silent.
func TestUsageGapsSayWhatWasNotAssessed(t *testing.T) {
	b := newTenant()
	b.vmIdentity("mi", "rg-app")
	b.azure("mi", data.PrincipalServicePrincipal, roleContributor, "/subscriptions/"+sub1)
	b.usageGap(data.SectionSignIns)
	r := b.assess()
	var reasons []string
	for _, g := range r.Gaps {
		if g.Section == data.SectionSignIns && strings.Contains(g.Reason, "not assessed") {
			reasons = append(reasons, g.Reason)
			if g.Needs != data.NeedsSignInLogs {
				t.Errorf("gap %+v does not say what it needs", g)
			}
		}
	}
	if len(reasons) != 1 || !strings.Contains(reasons[0], RuleUnused) || !strings.Contains(reasons[0], RuleUnusedGrant) {
		t.Errorf("not-assessed gaps = %q", reasons)
	}
}

func TestUsageFixes(t *testing.T) {
	t.Run("overscoped: narrower built-in role first, then the broad assignment", func(t *testing.T) {
		b := newTenant()
		b.vmIdentity("mi", "rg-app")
		b.azure("mi", data.PrincipalServicePrincipal, roleContributor, "/subscriptions/"+sub1)
		b.signIn("mi", arm, 1, 50)
		b.acted("mi", site("rg-web", "app-a"), 10)
		b.acted("mi", site("rg-web", "app-b"), 4)
		f := findingOf(t, b.assess(), RuleOverscoped, "mi")
		cmds := f.Commands()
		if len(cmds) != 2 {
			t.Fatalf("commands = %q", cmds)
		}
		create, _ := cmds[0].Line()
		want := "az role assignment create --assignee-object-id mi --assignee-principal-type ServicePrincipal " +
			"--role de139f84-1756-47ae-9be6-808fbbe84772 --scope " + rg(sub1, "rg-web")
		if create != want {
			t.Errorf("first command\n got %s\nwant %s", create, want)
		}
		if del, _ := cmds[1].Line(); del != "az role assignment delete --ids ra-mi-"+roleContributor+"/subscriptions/"+sub1 {
			t.Errorf("second command %s", del)
		}
		if !strings.Contains(f.Remediation, "Website Contributor") {
			t.Errorf("remediation does not name the fitting role: %s", f.Remediation)
		}
	})
	t.Run("unused user-assigned identity is deleted", func(t *testing.T) {
		b := newTenant()
		ua := b.userAssigned("mi")
		b.azure("mi", data.PrincipalServicePrincipal, roleContributor, "/subscriptions/"+sub1)
		b.usageRead()
		f := findingOf(t, b.assess(), RuleUnused, "mi")
		cmds := f.Commands()
		if len(cmds) < 2 {
			t.Fatalf("commands = %q", cmds)
		}
		if l, _ := cmds[0].Line(); l != "az identity delete --ids "+ua {
			t.Errorf("first command %s", l)
		}
		if l, _ := cmds[1].Line(); !strings.HasPrefix(l, "az role assignment delete --ids ") {
			t.Errorf("second command %s", l)
		}
	})
	t.Run("unused grant: the remediation names what to remove and what to keep", func(t *testing.T) {
		b := newTenant()
		b.vmIdentity("mi", "rg-app")
		b.azure("mi", data.PrincipalServicePrincipal, roleContributor, rg(sub1, "rg-other"))
		b.azure("mi", data.PrincipalServicePrincipal, roleKVSecretUser, rg(sub1, "rg-app")+"/providers/Microsoft.KeyVault/vaults/kv")
		b.signIn("mi", kv, 1, 300)
		f := findingOf(t, b.assess(), RuleUnusedGrant, "mi")
		if !strings.Contains(f.Remediation, "Remove the grants it has not used in the 30 days to 2026-03-01: Contributor") ||
			!strings.Contains(f.Remediation, "Keep what it uses: Key Vault Secrets User") ||
			!strings.Contains(f.Remediation, noteARM) {
			t.Errorf("remediation: %s", f.Remediation)
		}
		cmds := f.Commands()
		if len(cmds) != 1 {
			t.Fatalf("commands = %q", cmds)
		}
		if l, _ := cmds[0].Line(); !strings.Contains(l, roleContributor) {
			t.Errorf("the fix removes something else: %s", l)
		}
	})
}

func TestSPMigrateUsage(t *testing.T) {
	valid := []data.Credential{{KeyID: "k1", Type: "password", Start: collected.AddDate(0, -1, 0), End: collected.AddDate(0, 5, 0)}}
	app := data.Application{ID: "sp-app", AppID: "app-id", DisplayName: "Payroll", Credentials: valid,
		Hosts: []string{vmID(sub1, "rg-app", "vm-pay")}}
	for _, c := range []struct {
		name      string
		build     func(b *builder)
		title     string // a substring of the title
		evidence  string
		fixPrefix string // "" when there must be no command
	}{
		{"signs in from where it runs", func(b *builder) { b.signIn("sp-app", graphID, 1, 90) },
			"could use a managed identity", "a strong candidate", ""},
		{"has not signed in for the window", func(b *builder) { b.usageRead() },
			"has not signed in in the 30 days", "disable it rather than move it", "az ad sp update --id sp-app --set"},
		{"sign-ins not readable", func(b *builder) { b.usageGap(data.SectionSignIns) },
			"could use a managed identity", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newTenant()
			b.t.Applications = []data.Application{app}
			c.build(b)
			f := findingOf(t, b.assess(), RuleSPMigrate, "sp-app")
			if !strings.Contains(f.Title, c.title) {
				t.Errorf("title %q", f.Title)
			}
			var text []string
			for _, e := range f.Evidence {
				text = append(text, e.Text)
			}
			all := strings.Join(text, "\n")
			if c.evidence != "" && !strings.Contains(all, c.evidence) {
				t.Errorf("evidence lacks %q:\n%s", c.evidence, all)
			}
			if c.evidence == "" && (strings.Contains(all, "sign") && strings.Contains(all, "window")) {
				t.Errorf("evidence speaks of usage over a gap:\n%s", all)
			}
			cmds := f.Commands()
			switch {
			case c.fixPrefix == "" && len(cmds) > 0:
				t.Errorf("commands %q", cmds)
			case c.fixPrefix != "":
				if len(cmds) != 1 {
					t.Fatalf("commands %q", cmds)
				}
				if l, _ := cmds[0].Line(); !strings.HasPrefix(l, c.fixPrefix) {
					t.Errorf("command %s", l)
				}
			}
		})
	}
}

// Every role miscope suggests in place of a broader one is a published built-in role that writes the kind of
// resource it is suggested for.
func TestFittingRolesArePublished(t *testing.T) {
	for kind, id := range fittingRoles {
		d, _, ok := BuiltinRoleDefinition(id)
		if !ok {
			t.Errorf("%s: role %s is not a published built-in role", kind, id)
			continue
		}
		provider, _, _ := strings.Cut(kind, "/")
		found := false
		for _, a := range d.Actions {
			found = found || strings.HasPrefix(strings.ToLower(a), provider+"/")
		}
		if !found {
			t.Errorf("%s: %s (%s) has no action of %s", kind, d.RoleName, id, provider)
		}
	}
}
