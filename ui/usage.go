package ui

// The detail view's Usage section: where the identity signed in over the usage window, next to the grants each
// sign-in uses, with the grants it never used marked, and the Azure resources it acted on.

import (
	"strconv"
	"strings"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
)

const usageSection = "Usage"

// usageSources names where usage came from, for the window line.
var usageSources = map[string]string{data.UsageWorkspace: "Log Analytics workspace", data.UsageGraph: "Entra sign-in logs",
	data.UsageDemo: "demo tenant"}

// usageEntries lists the identity's usage; it needs the whole read, so it follows the assessment.
func (d *detailView) usageEntries() []entry {
	es := []entry{{section: usageSection, text: usageSection, style: styleHeading}}
	add := func(text, detail string, style entryStyle) {
		es = append(es, entry{section: usageSection, text: text, detail: detail, style: style})
	}
	switch {
	case d.a == nil && d.asErr != nil:
		add("error: the tenant could not be read: "+errText(d.asErr), "", styleError)
		return es
	case d.a == nil:
		add("loading…", "", styleLoading)
		return es
	}
	x := d.a.x
	if g := x.UsageGap(data.SectionSignIns); g != nil {
		add(errText(g), "", styleGap)
		return es
	}
	u := x.Tenant.Usage
	window := "the " + data.Plural(int(u.To.Sub(u.From).Hours()/24+0.5), "day", "days") + " to " + u.To.UTC().Format("2006-01-02")
	if src := usageSources[u.Source]; src != "" {
		window += " (" + src + ")"
	}
	add("window", window, styleField)
	use := x.Usage(d.id)
	grants := assess.GrantUses(x, d.id)
	inWindow := 0
	for _, s := range use.SignIns {
		name := data.ResourceAppName(s.ResourceAppID)
		if name == "" {
			name = s.ResourceName
		}
		if name == "" && s.ResourceAppID != "" {
			name = s.ResourceAppID
		}
		if name == "" {
			name = "a resource not named"
		}
		detail := name + ": last " + s.Last.UTC().Format("2006-01-02") + " (" + daysBefore(u, s) + ")"
		if s.Count > 0 {
			inWindow++
			detail += ", " + data.Plural(s.Count, "sign-in", "sign-ins")
		} else {
			detail += ", before the window"
		}
		var uses []string
		for _, g := range grants {
			if g.Used && data.SameID(g.SignIn.ResourceAppID, s.ResourceAppID) && s.ResourceAppID != "" {
				uses = append(uses, g.Grant)
			}
		}
		if len(uses) > 0 {
			detail += "; uses " + strings.Join(uses, "; ")
		}
		es = append(es, entry{section: usageSection, text: "used", detail: detail, style: styleWrap,
			copyID: s.ResourceAppID})
	}
	if inWindow == 0 {
		add("no sign-in in the window", "", styleNone)
	}
	for _, g := range grants {
		if g.Used || len(g.Resources) == 0 {
			continue
		}
		es = append(es, entry{section: usageSection, text: "unused", style: styleWrap, copyID: g.ID,
			detail: g.Grant + ": no sign-in to " + strings.Join(g.Resources, " or ") + " in the window"})
	}
	if g := x.UsageGap(data.SectionActivity); g != nil {
		add("activity "+errText(g), "", styleGap)
		return es
	}
	for _, a := range use.Activity {
		es = append(es, entry{section: usageSection, text: "acted on", style: styleWrap, copyID: a.ResourceID,
			detail: a.ResourceID + ", " + data.Plural(a.Count, "time", "times") + ", last " +
				a.Last.UTC().Format("2006-01-02"),
			target: &pivotTarget{kind: pivotResource, id: a.ResourceID, label: data.ResourceName(a.ResourceID)}})
	}
	return es
}

// daysBefore says how long before the end of the window a sign-in was.
func daysBefore(u *data.Usage, s data.SignIn) string {
	days := int(u.To.Sub(s.Last).Hours() / 24)
	if days < 1 {
		return "the day of the read"
	}
	return strconv.Itoa(days) + "d before the read"
}
