package assess

import (
	"bytes"
	"os"
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
			// An application nobody signs in as is disabled rather than moved: that is a command.
			idle := f.RuleID == RuleSPMigrate && strings.Contains(f.Title, "has not signed in")
			if len(fix) > 0 != idle {
				t.Errorf("%s %q carries commands: %q", f.RuleID, f.Title, fix)
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

// TestPathFixCommands: MI-PATH breaks a path at its first step, whatever kind of object that step stands on, with the
// same command the privilege rule of that object gives (one place builds each), and never touches the steps further
// along (the group's role, the identity it reaches), which others may rely on.
func TestPathFixCommands(t *testing.T) {
	const appRA = "app-role-assignment-9"
	cases := []struct {
		name  string
		build func(b *builder)
		twin  string     // the rule whose fix for the same object must be the same command, if any
		want  [][]string // nil: the finding has no command
		never string
	}{
		{"a Graph permission: its app role assignment deleted", func(b *builder) {
			escalation(b)
			b.t.AppRoleAssignments[0].ID = appRA
		}, RulePrivGraph, [][]string{{"az", "rest", "--method", "DELETE", "--url", graphURL + "/servicePrincipals/mi/appRoleAssignments/" + appRA}}, "role assignment delete"},
		{"a Graph permission whose assignment id was not read: its assignments listed", escalation, RulePrivGraph,
			[][]string{{"az", "rest", "--method", "GET", "--url", graphURL + "/servicePrincipals/mi/appRoleAssignments"}}, "DELETE"},
		{"a membership: the identity leaves the group", func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.group("g-vm", "VM Operators", false, "mi")
			b.vmIdentity("ga", "rg-admin")
			b.directory("ga", dirGlobalAdmin, "/", data.Active)
			b.azure("g-vm", data.PrincipalGroup, roleVMContrib, vmID(sub1, "rg-admin", "vm-ga"))
		}, "", [][]string{{"az", "ad", "group", "member", "remove", "--group", "g-vm", "--member-id", "mi"}}, "role assignment"},
		{"a role on another identity's resource: that assignment deleted", func(b *builder) {
			b.vmIdentity("mi", "rg-app")
			b.vmIdentity("ga", "rg-admin")
			b.directory("ga", dirGlobalAdmin, "/", data.Active)
			b.azure("mi", data.PrincipalServicePrincipal, roleVMContrib, rg(sub1, "rg-admin"))
		}, "", [][]string{{"az", "role", "assignment", "delete", "--ids", "ra-mi-" + roleVMContrib + rg(sub1, "rg-admin")}}, "member"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newTenant()
			c.build(b)
			r := b.assess()
			byRule := map[string]*Finding{}
			for _, g := range r.For("mi") {
				byRule[g.RuleID] = &g
			}
			f := byRule[RulePath]
			if f == nil {
				t.Fatalf("no MI-PATH finding: %+v", r.For("mi"))
			}
			var got [][]string
			for _, cmd := range f.Commands() {
				got = append(got, cmd.Args)
				line, ok := cmd.Line()
				if !ok || cmd.Note == "" {
					t.Errorf("command %q is not pasteable or has no note", cmd.Args)
				}
				if strings.Contains(line, c.never) {
					t.Errorf("command %q holds %q: it breaks the path further along", line, c.never)
				}
			}
			if !slices.EqualFunc(got, c.want, slices.Equal) {
				t.Errorf("commands =\n%q\nwant\n%q\nevidence %+v", got, c.want, f.Evidence[0])
			}
			if c.twin == "" {
				return
			}
			twin := byRule[c.twin]
			if twin == nil {
				t.Fatalf("no %s finding for the first step's object", c.twin)
			}
			if tc := twin.Commands(); len(tc) == 0 || !slices.Equal(tc[0].Args, c.want[0]) {
				t.Errorf("%s removes the same object with %q, MI-PATH with %q", c.twin, tc, c.want)
			}
		})
	}
}

// TestCommandsAreDistinct: a fix removes each object once, in the order the evidence first names it, even when the
// evidence names it several times (MI-EXPOSED, one principal's assignment over several resources of the identity);
// a rule's own Fix is not changed in place.
func TestCommandsAreDistinct(t *testing.T) {
	b := newTenant()
	b.userAssigned("mi", vmID(sub1, "rg-app", "vm-1"), vmID(sub1, "rg-app", "vm-2"), vmID(sub1, "rg-web", "vm-3"))
	b.directory("mi", dirGlobalAdmin, "/", data.Active)
	b.user("u-dev", "Dev User")
	b.azure("u-dev", data.PrincipalUser, roleVMContrib, rg(sub1, "rg-app"))
	b.user("u-ops", "Ops User")
	b.azure("u-ops", data.PrincipalUser, roleVMContrib, "/subscriptions/"+sub1)
	r := b.assess()
	var f *Finding
	for _, g := range r.For("mi") {
		if g.RuleID == RuleExposed {
			f = &g
		}
	}
	if f == nil {
		t.Fatalf("no MI-EXPOSED finding: %+v", r.For("mi"))
	}
	named := map[string]int{} // how often the evidence names each assignment
	for _, e := range f.Evidence {
		if e.Kind == EvidenceAzureRoleAssignment {
			named[e.ID]++
		}
	}
	if named["ra-u-ops-"+roleVMContrib+"/subscriptions/"+sub1] < 2 {
		t.Fatalf("the evidence names the subscription-wide assignment %d times; the test needs it repeated: %q",
			named["ra-u-ops-"+roleVMContrib+"/subscriptions/"+sub1], Texts(f.Evidence))
	}
	if !strings.HasPrefix(f.Title, "2 role assignments let") {
		t.Errorf("the title counts %q, want the 2 distinct assignments", f.Title)
	}
	var got []string
	for _, c := range f.Commands() {
		got = append(got, strings.Join(c.Args, " "))
		if !strings.Contains(c.Note, "everything it grants at its scope goes with it") {
			t.Errorf("the note %q does not warn that the other principal loses the whole assignment", c.Note)
		}
	}
	want := []string{
		"az role assignment delete --ids ra-u-dev-" + roleVMContrib + rg(sub1, "rg-app"),
		"az role assignment delete --ids ra-u-ops-" + roleVMContrib + "/subscriptions/" + sub1,
	}
	slices.Sort(got) // the order is the evidence's, checked below
	if !slices.Equal(got, want) {
		t.Errorf("commands\n%q\nwant each assignment once\n%q", got, want)
	}

	a, bb, c := Command{Args: []string{"az", "a"}}, Command{Args: []string{"az", "b"}}, Command{Args: []string{"az", "c"}}
	own := []Command{a, bb, a, c, bb}
	g := Finding{RuleID: RuleStale, Fix: own}
	if got := g.Commands(); !slices.EqualFunc(got, []Command{a, bb, c}, func(x, y Command) bool { return slices.Equal(x.Args, y.Args) }) {
		t.Errorf("a rule's own fix %q gives %q, want a, b, c in that order", own, got)
	}
	if len(own) != 5 || !slices.Equal(own[2].Args, a.Args) {
		t.Errorf("the rule's own fix was changed in place: %q", own)
	}
}

// TestPathStepCommands: a path step is fixed as the object it stands on (Via) is fixed by the rule of that object.
// The directory roles that write groups are all tier 0, so no MI-PATH starts with one today (a tier-0 identity gets
// no path finding); their steps are checked here, tenant-wide as the graph takes them.
func TestPathStepCommands(t *testing.T) {
	const groupsAdmin = "fdd7a751-b60b-444a-984c-02652fe8fa1c"
	for _, c := range []struct {
		step Evidence
		rule string
		as   Evidence // the same object as its own rule's evidence
	}{
		{Evidence{Kind: EvidencePathStep, Via: EvidenceDirectoryRoleAssignment, ID: "dir-1", PrincipalID: "mi", RoleID: groupsAdmin, ResourceID: "g"},
			RulePrivDirRole, Evidence{Kind: EvidenceDirectoryRoleAssignment, ID: "dir-1", PrincipalID: "mi", RoleID: groupsAdmin, Scope: "/"}},
		{Evidence{Kind: EvidencePathStep, Via: EvidenceDirectoryRoleEligibility, ID: "elig-1", PrincipalID: "mi", RoleID: groupsAdmin, ResourceID: "g"},
			RulePrivDirRole, Evidence{Kind: EvidenceDirectoryRoleEligibility, ID: "elig-1", PrincipalID: "mi", RoleID: groupsAdmin, Scope: "/"}},
		{Evidence{Kind: EvidencePathStep, Via: EvidenceAppRoleAssignment, ID: "ara-1", PrincipalID: "mi", RoleID: permGroupMemberRW, ResourceID: "g"},
			RulePrivGraph, Evidence{Kind: EvidenceAppRoleAssignment, ID: "ara-1", PrincipalID: "mi", RoleID: permGroupMemberRW, ResourceID: "graph-sp"}},
		{Evidence{Kind: EvidencePathStep, Via: EvidenceAzureRoleAssignment, PrincipalID: "mi", RoleID: roleVMContrib, Scope: rg(sub1, "rg-admin"), ResourceID: "vm"},
			RulePrivAzure, Evidence{Kind: EvidenceAzureRoleAssignment, PrincipalID: "mi", RoleID: roleVMContrib, Scope: rg(sub1, "rg-admin")}},
	} {
		got, want := c.step.pathCommands("mi"), c.as.commands(c.rule, "mi")
		if len(want) == 0 || !slices.EqualFunc(got, want, func(a, b Command) bool { return slices.Equal(a.Args, b.Args) }) {
			t.Errorf("%s step: %q, want %q", c.step.Via, got, want)
		}
	}
	if got := (&Evidence{Kind: EvidencePathStep, ID: "x", PrincipalID: "mi"}).pathCommands("mi"); got != nil {
		t.Errorf("a step whose object is unknown gives %q", got)
	}
}

// TestRulesDocQuotesAccessNotes: docs/RULES.md says how soon each kind of removal bites in the engine's own words,
// and the remediations end with the notes of what they remove: the token's note for what rides in the token, the
// ARM note for Azure role assignments (deleting a group's assignment takes minutes; only leaving the group waits for
// the token), and no note a fix does not touch.
func TestRulesDocQuotesAccessNotes(t *testing.T) {
	doc, err := os.ReadFile("../../docs/RULES.md")
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(doc)), " ")
	for _, n := range []string{noteToken, noteARM, noteARMMembership} {
		if !strings.Contains(flat, n) {
			t.Errorf("docs/RULES.md does not quote the note %q", n)
		}
	}
	for _, wrong := range []string{"a role held through a group rides in the token", "removing a direct one takes effect"} {
		if strings.Contains(strings.ToLower(flat), wrong) {
			t.Errorf("docs/RULES.md still says %q", wrong)
		}
	}
	for _, c := range []struct {
		rule       string
		with, none []string
	}{
		{RulePrivAzure, []string{noteARM, noteARMMembership}, []string{noteToken}},
		{RulePrivGraph, []string{noteToken}, []string{noteARM, noteARMMembership}},
		{RulePrivDirRole, []string{noteToken}, []string{noteARM}},
		{RulePrivGroup, []string{noteToken}, []string{noteARM}},
		{RuleExposed, []string{noteARM}, []string{noteToken, noteARMMembership}},
		{RuleFICRisk, nil, []string{noteToken, noteARM}},
	} {
		b := newTenant()
		switch c.rule {
		case RulePrivAzure:
			b.vmIdentity("mi", "rg-app")
			b.azure("mi", data.PrincipalServicePrincipal, roleOwner, "/subscriptions/"+sub1)
		case RulePrivGraph:
			b.vmIdentity("mi", "rg-app")
			b.graph("mi", permRoleMgmt, "RoleManagement.ReadWrite.Directory")
		case RulePrivDirRole:
			b.vmIdentity("mi", "rg-app")
			b.directory("mi", dirGlobalAdmin, "/", data.Active)
		case RulePrivGroup:
			b.vmIdentity("mi", "rg-app")
			b.group("g", "admins", true, "mi")
			b.directory("g", dirGlobalAdmin, "/", data.Active)
		case RuleExposed:
			b.vmIdentity("mi", "rg-app")
			b.directory("mi", dirGlobalAdmin, "/", data.Active)
			b.user("u", "Dev")
			b.azure("u", data.PrincipalUser, roleVMContrib, rg(sub1, "rg-app"))
		case RuleFICRisk:
			b.userAssigned("mi", vmID(sub1, "rg-app", "vm-1"))
			b.fic("mi", "gh", github, "repo:contoso/app:pull_request")
		}
		var rem string
		for _, f := range b.assess().For("mi") {
			if f.RuleID == c.rule {
				rem = f.Remediation
			}
		}
		if rem == "" {
			t.Errorf("%s did not fire", c.rule)
			continue
		}
		for _, n := range c.with {
			if !strings.Contains(rem, n) {
				t.Errorf("%s remediation lacks %q", c.rule, n)
			}
		}
		for _, n := range c.none {
			if strings.Contains(rem, n) {
				t.Errorf("%s remediation carries %q, which its fix does not concern", c.rule, n)
			}
		}
	}
}
