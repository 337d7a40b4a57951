package ui

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
)

func TestSharing(t *testing.T) {
	tn := testTenant()
	x := data.NewIndex(tn)
	a := newAssessment(x, assess.Assess(x))
	app1 := rg(sub1, "rg-deploy") + "/providers/Microsoft.Web/sites/app-orders"
	for _, tc := range []struct {
		name   string
		target pivotTarget
		want   []string
		how    string
	}{
		{"group", pivotTarget{kind: pivotGroup, id: grpTier0}, []string{idWeb, idHostile}, "direct member"},
		{"directory role through a group", pivotTarget{kind: pivotDirectoryRole, id: globalAdmin},
			[]string{idWeb, idHostile}, "active · via group Tier0 Admins"},
		{"scope", pivotTarget{kind: pivotScope, id: "/SUBSCRIPTIONS/" + strings.ToUpper(sub1)}, []string{idWeb, idClean},
			"· direct"},
		{"role anywhere", pivotTarget{kind: pivotRole, id: contributor}, []string{idDeploy},
			"[rg] " + rg(sub1, "rg-deploy") + " · via group Deployers"},
		{"resource", pivotTarget{kind: pivotResource, id: app1}, []string{idDeploy}, "attached (user-assigned)"},
		{"permission", pivotTarget{kind: pivotPermission, id: data.MicrosoftGraphAppID + "|19dbc75e-c2e2-444c-a770-ec69d8559fc7"},
			[]string{idGraph}, "granted on Microsoft Graph"},
		{"nobody", pivotTarget{kind: pivotGroup, id: "no-such-group"}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := sharing(x, a, tc.target)
			var got []string
			for _, r := range rows {
				got = append(got, r.id)
				if !strings.Contains(r.cells[4], tc.how) {
					t.Errorf("%s: how is %q, want it to say %q", r.id, r.cells[4], tc.how)
				}
				if r.cells[2] == "" || r.cells[3] == "" {
					t.Errorf("%s: severity %q and reach %q should come from the assessment", r.id, r.cells[2], r.cells[3])
				}
			}
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("sharing %s: got %v, want %v", tc.name, got, want)
			}
		})
	}
}

// Under NO_COLOR Bubble Tea writes through an ASCII profile: colours go, attributes stay. The list must still say
// which row is selected and how severe each identity is.
func TestNoColorKeepsMeaning(t *testing.T) {
	s := start(t, newTestModel(testTenant()), 100, 24)
	s.ready()
	var buf bytes.Buffer
	w := &colorprofile.Writer{Forward: &buf, Profile: colorprofile.Ascii}
	if _, err := w.WriteString(s.content()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if regexp.MustCompile(`\x1b\[[0-9;]*(3[0-9]|9[0-7]|38;)`).MatchString(out) {
		t.Errorf("colour survived the ASCII profile: %q", out)
	}
	for _, want := range []string{"› ", "critical", "medium", "none", "SEVERITY▼"} {
		if !strings.Contains(out, want) {
			t.Errorf("without colour the list lacks %q", want)
		}
	}
}
