package assess

import (
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
)

// TestFixCommands: each rule's finding carries the exact ids of what it stands on and the commands that remove it,
// and nothing else: a role held through a group is fixed by leaving the group, never by deleting the group's
// assignment for everyone; MI-SHARED and SP-MIGRATE, whose fix is a redesign, carry none.
func TestFixCommands(t *testing.T) {
	const (
		groupOps = "99999999-0000-0000-0000-0000000000a1"
		pimID    = "elig-schedule-1"
		activeID = "dir-assignment-1"
		appRA    = "app-role-assignment-1"
	)
	uai := uaiID(sub1, "rg-identities", "mi")
	cases := []struct {
		name  string
		build func(b *builder)
		rule  string
		want  [][]string // each command's arguments, in order
		never string     // no command may contain this
	}{
		{"direct Azure role: deleted by its id", func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleOwner, "/subscriptions/"+sub1)
		}, RulePrivAzure, [][]string{{"az", "role", "assignment", "delete", "--ids", "ra-mi-" + roleOwner + "/subscriptions/" + sub1}}, "member"},
		{"Azure role without an id: named by principal, role and scope", func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleOwner, "/subscriptions/"+sub1)
			b.t.RoleAssignments[0].ID = ""
		}, RulePrivAzure, [][]string{{"az", "role", "assignment", "delete", "--assignee", "mi", "--role", roleOwner, "--scope", "/subscriptions/" + sub1}}, "--ids"},
		{"Azure role through a group: the identity leaves the group", func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.group(groupOps, "ops", false, "mi")
			b.azure(groupOps, data.PrincipalGroup, roleOwner, "/subscriptions/"+sub1)
		}, RulePrivAzure, [][]string{{"az", "ad", "group", "member", "remove", "--group", groupOps, "--member-id", "mi"}}, "assignment delete"},
		{"active directory role: deleted by its id", func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.directory("mi", dirGlobalAdmin, "/", data.Active)
			b.t.DirectoryRoleAssignments[0].ID = activeID
		}, RulePrivDirRole, [][]string{{"az", "rest", "--method", "DELETE", "--url", graphURL + "/roleManagement/directory/roleAssignments/" + activeID}}, "adminRemove"},
		{"eligible directory role: a PIM adminRemove request", func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.directory("mi", dirGlobalAdmin, "/", data.Eligible)
			b.t.DirectoryRoleAssignments[0].ID = pimID
		}, RulePrivDirRole, [][]string{{"az", "rest", "--method", "POST", "--url", graphURL + "/roleManagement/directory/roleEligibilityScheduleRequests",
			"--headers", "Content-Type=application/json", "--body",
			`{"action":"adminRemove","principalId":"mi","roleDefinitionId":"` + dirGlobalAdmin + `","directoryScopeId":"/","justification":"Removed after a miscope finding"}`}}, "DELETE"},
		{"application permission: its app role assignment deleted", func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.graph("mi", permRoleMgmt, "RoleManagement.ReadWrite.Directory")
			b.t.AppRoleAssignments[0].ID = appRA
		}, RulePrivGraph, [][]string{{"az", "rest", "--method", "DELETE", "--url", graphURL + "/servicePrincipals/mi/appRoleAssignments/" + appRA}}, "POST"},
		{"privileged group: the identity leaves it", func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.group(groupOps, "admins", true, "mi")
			b.directory(groupOps, dirGlobalAdmin, "/", data.Active)
		}, RulePrivGroup, [][]string{{"az", "ad", "group", "member", "remove", "--group", groupOps, "--member-id", "mi"}}, "assignment"},
		{"risky federated credential: deleted by name on its identity", func(b *builder) {
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-1"))
			b.fic("mi", "gh-pr", github, "repo:contoso/app:pull_request")
		}, RuleFICRisk, [][]string{{"az", "identity", "federated-credential", "delete", "--name", "gh-pr", "--identity-name", "mi",
			"--resource-group", "rg-identities", "--subscription", sub1, "--yes"}}, "group member"},
		{"orphaned identity: deleted", func(b *builder) {
			b.userAssigned("mi")
			b.azure("mi", data.PrincipalServicePrincipal, roleReader, "/subscriptions/"+sub1)
		}, RuleOrphaned, [][]string{{"az", "identity", "delete", "--ids", uai}}, "assignment"},
		{"shared identity: no command, the fix is a redesign", func(b *builder) {
			var targets []string
			for _, n := range []string{"a", "b", "c", "d", "e"} {
				targets = append(targets, vmID(sub1, "rg-app", "vm-"+n))
			}
			b.userAssigned("mi", targets...)
		}, RuleShared, nil, "az"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newTenant()
			c.build(b)
			r := b.assess()
			var f *Finding
			for _, g := range r.For("mi") {
				if g.RuleID == c.rule {
					f = &g
				}
			}
			if f == nil {
				t.Fatalf("%s did not fire: %+v", c.rule, r.For("mi"))
			}
			var got [][]string
			for _, cmd := range f.Commands() {
				got = append(got, cmd.Args)
				line, ok := cmd.Line()
				if !ok || cmd.Note == "" {
					t.Errorf("command %q is not pasteable or has no note", cmd.Args)
				}
				if c.never != "" && strings.Contains(line, c.never) {
					t.Errorf("command %q holds %q", line, c.never)
				}
			}
			if !slices.EqualFunc(got, c.want, slices.Equal) {
				t.Errorf("commands =\n%q\nwant\n%q", got, c.want)
			}
			// Every object-backed item carries its ids, and its key names them.
			for _, e := range f.Evidence {
				if e.Kind == EvidenceNote {
					continue
				}
				if e.Key() == "" || e.ID == "" && e.PrincipalID == "" {
					t.Errorf("evidence %q (%s) carries no ids", e.Text, e.Kind)
				}
			}
		})
	}
}

// TestFixOnDemo: on the demo tenant every finding of a rule that removes something names a command for it, every
// command renders for a shell, and the rules whose fix is a redesign carry none.
func TestFixOnDemo(t *testing.T) {
	r := Assess(data.NewIndex(demoTenant(t)))
	with := map[string]int{}
	for _, f := range r.Findings {
		fix := f.Commands()
		switch f.RuleID {
		case RuleShared, RuleSPMigrate:
			if len(fix) > 0 {
				t.Errorf("%s carries commands: %q", f.RuleID, fix)
			}
			continue
		}
		if len(fix) > 0 {
			with[f.RuleID]++
		}
		for _, c := range fix {
			if _, ok := c.Line(); !ok {
				t.Errorf("%s: command %q does not render", f.RuleID, c.Args)
			}
			if !strings.HasPrefix(strings.Join(c.Args, " "), "az ") {
				t.Errorf("%s: command %q is not an az command", f.RuleID, c.Args)
			}
		}
	}
	for _, rule := range []string{RulePrivAzure, RulePrivDirRole, RulePrivGraph, RulePrivGroup, RuleFICRisk, RuleOrphaned,
		RuleStale, RuleExposed} {
		if with[rule] == 0 {
			t.Errorf("no %s finding on the demo tenant carries a command", rule)
		}
	}
}

// TestCommandQuoting: an argument cannot break out of its command: whatever a tenant names things, the shell hands
// each argument over exactly; an argument it cannot carry safely (a control, bidi or invisible character) makes the
// command refuse to render.
func TestCommandQuoting(t *testing.T) {
	safe := []string{
		`Contoso's "prod"`, "two  spaces", "$(touch /tmp/miscope-pwned)", "`id`", "a;b&&c|d", "'", "''", `\'`, "*", "~root",
		"-rf", "", "é日本", "=x", "#comment", "!x",
	}
	c := Command{Args: append([]string{"printf", `%s\0`}, safe...)}
	line, ok := c.Line()
	if !ok {
		t.Fatalf("refused %q", c.Args)
	}
	out, err := exec.Command("sh", "-c", line).Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", line, err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if !slices.Equal(got, safe) {
		t.Errorf("the shell saw\n%q\nwant\n%q\nfrom %s", got, safe, line)
	}
	if _, err := exec.LookPath("bash"); err == nil {
		out, err := exec.Command("bash", "-c", line).Output()
		if err != nil || !bytes.Equal(out, []byte(strings.Join(safe, "\x00")+"\x00")) {
			t.Errorf("bash saw %q (%v)", out, err)
		}
	}
	for _, bad := range []string{"a\nrm -rf ~", "a\rb", "\x1b[2J", "\u202egnp.exe", "a\x00b", "tab\there", "\u200bzero", "\xff"} {
		if line, ok := (Command{Args: []string{"az", "identity", "delete", "--name", bad}}).Line(); ok || line != "" {
			t.Errorf("%q rendered as %q", bad, line)
		}
	}
}
