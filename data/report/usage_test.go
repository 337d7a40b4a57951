package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/demo"
)

func buildDemo(t *testing.T, mutate func(*data.Tenant)) *Document {
	t.Helper()
	tn := demo.Build()
	if mutate != nil {
		mutate(tn)
	}
	x := data.NewIndex(tn)
	return Build(x, assess.Assess(x), data.SourceInfo{Origin: data.OriginDemo})
}

// Each identity's usage travels with the report: its last sign-in and sign-ins per resource in JSON, a lastSignIn
// column in the inventory, the window in Markdown; over a gap it is "not readable", never "never".
func TestUsageInReports(t *testing.T) {
	d := buildDemo(t, nil)
	if d.Usage == nil || d.Usage.WindowDays != 30 || d.Usage.Source != data.UsageDemo {
		t.Fatalf("report usage window = %+v", d.Usage)
	}
	byName := map[string]Identity{}
	for _, i := range d.Identities {
		byName[i.DisplayName] = i
	}
	if u := byName["id-appreg-automation"].Usage; u == nil || u.LastSignIn != "" || u.SignedInInWindow {
		t.Errorf("id-appreg-automation never signed in: %+v", u)
	}
	if u := byName["adf-research-ingest"].Usage; u == nil || !u.SignedInInWindow || len(u.SignIns) != 1 ||
		u.SignIns[0].ResourceName != "Azure Storage" || u.SignIns[0].Count != 3100 {
		t.Errorf("adf-research-ingest usage: %+v", u)
	}
	named := false
	for _, f := range d.Findings {
		if f.RuleID == assess.RuleUserAsService && f.IdentityName == "svc-backup-scheduler" {
			named = true
		}
	}
	if !named {
		t.Error("the USER-AS-SERVICE finding does not name its user account")
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"usage": {"source":"demo"`) || !strings.Contains(js.String(), `"lastSignIn":`) {
		t.Errorf("the JSON report lacks usage:\n%.300s", js.String())
	}
	lastOf := func(d *Document) map[string]string {
		var b bytes.Buffer
		if err := WriteInventoryCSV(&b, d); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := -1
		for i, c := range rows[0] {
			if c == "lastSignIn" {
				col = i
			}
		}
		if col < 0 {
			t.Fatalf("no lastSignIn column: %v", rows[0])
		}
		out := map[string]string{}
		for _, r := range rows[1:] {
			out[r[1]] = r[col]
		}
		return out
	}
	if got := lastOf(d)["id-appreg-automation"]; got != "never" {
		t.Errorf("inventory lastSignIn of id-appreg-automation = %q", got)
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "Usage: sign-ins from 2026-10-21T09:30:00Z to 2026-11-20T09:30:00Z (demo).") {
		t.Error("the Markdown report does not give the usage window")
	}

	gap := buildDemo(t, func(tn *data.Tenant) {
		tn.Gaps = append(tn.Gaps, data.Gap{Section: data.SectionSignIns, Reason: "403", Needs: data.NeedsSignInLogs})
	})
	if gap.Usage != nil {
		t.Errorf("usage window given over a gap: %+v", gap.Usage)
	}
	for name, v := range lastOf(gap) {
		if v != "not readable" {
			t.Errorf("over a gap %s's lastSignIn is %q", name, v)
		}
	}
	md.Reset()
	if err := WriteMarkdown(&md, gap); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "Usage: not readable") {
		t.Error("the Markdown report does not say usage was not readable")
	}
}
