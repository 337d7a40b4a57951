package assess

import (
	"slices"
	"strings"
	"sync"
)

// Narrower Graph permissions: what MI-PRIV-GRAPH's remediation offers instead of a permission, taken from Microsoft
// Graph's published app roles (tiers/graph-app-roles.json) and graded as the rules grade them, so a suggestion is
// never one the rules would grade higher. Of the same family (the name before the first dot):
//   - the form granted item by item (Sites.Selected, Files.SelectedOperations.Selected): graded lower;
//   - the form limited to what the app owns or to its own folder (Application.ReadWrite.OwnedBy,
//     Files.ReadWrite.AppFolder): graded lower;
//   - the read-only form of a permission that reads and writes (GroupMember.Read.All for GroupMember.ReadWrite.All),
//     for a workload that only reads: graded no higher;
//   - the basic form of a permission that reads (Mail.ReadBasic for Mail.Read, User.ReadBasic.All for User.Read.All):
//     graded lower.
// A permission without any gets none: its remediation says so rather than naming one that does not fit.

// narrowerForm is one suggestion and when it fits.
type narrowerForm struct {
	value, when string
}

// narrowerByValue maps a permission's lowercase value to its narrower forms; built once, from the published list.
var narrowerByValue = sync.OnceValue(func() map[string][]narrowerForm {
	families := map[string][]string{}
	for _, a := range ref.graphRoles.AppRoles {
		f := strings.ToLower(familyOf(a.Value))
		families[f] = append(families[f], a.Value)
	}
	out := map[string][]narrowerForm{}
	for _, vs := range families {
		slices.Sort(vs)
		for _, held := range vs {
			if forms := narrowerForms(held, vs); len(forms) > 0 {
				out[strings.ToLower(held)] = forms
			}
		}
	}
	return out
})

// narrowerPermissions lists the narrower forms of a Graph permission, by its value; none when the published list has
// none that fits.
func narrowerPermissions(value string) []narrowerForm {
	return narrowerByValue()[strings.ToLower(value)]
}

func familyOf(value string) string {
	f, _, _ := strings.Cut(value, ".")
	return f
}

// narrowerForms picks the narrower forms of held among the permissions of its family, in the order of the list above.
func narrowerForms(held string, family []string) []narrowerForm {
	hs, ok := permissionSeverity(held)
	if !ok {
		return nil
	}
	parts := strings.Split(held, ".")
	var selected, owned, read, basic []narrowerForm
	for _, c := range family {
		if c == held {
			continue
		}
		cs, ok := permissionSeverity(c)
		if !ok {
			continue
		}
		cp := strings.Split(c, ".")
		switch {
		case strings.Contains(c, "Selected") && !strings.Contains(held, "Selected"):
			if cs < hs {
				selected = append(selected, narrowerForm{c, "only the items it is granted, one by one"})
			}
		case len(cp) == 3 && len(parts) == 3 && cp[1] == parts[1] && (cp[2] == "OwnedBy" || cp[2] == "AppFolder") &&
			parts[2] == "All":
			if cs < hs {
				when := "only the applications it owns"
				if cp[2] == "AppFolder" {
					when = "only its own folder"
				}
				owned = append(owned, narrowerForm{c, when})
			}
		case len(cp) == len(parts) && len(cp) >= 2 && cp[1] == "ReadBasic" && parts[1] == "Read" &&
			slices.Equal(cp[2:], parts[2:]):
			if cs < hs {
				basic = append(basic, narrowerForm{c, "basic properties only, no content"})
			}
		case len(cp) == len(parts) && len(cp) >= 2 && cp[1] == "Read" && strings.HasPrefix(parts[1], "Read") &&
			parts[1] != "Read" && !readOnlyPermission(held) && slices.Equal(cp[2:], parts[2:]):
			if cs <= hs {
				read = append(read, narrowerForm{c, "if it only reads"})
			}
		}
	}
	return slices.Concat(selected, owned, read, basic)
}

// permissionSeverity is the severity the rules give a Graph permission, by its value.
func permissionSeverity(value string) (Severity, bool) {
	g, ok := GraphPermissionGrade("", value)
	if !ok {
		return Info, false
	}
	return g.Severity, true
}

// heldPermission is a Graph permission an identity holds, as MI-PRIV-GRAPH grades it.
type heldPermission struct {
	sev   Severity
	value string
}

// oneGraphRemediation keeps the remediation of each single permission, which most identities that hold any have:
// thousands of identities share a few texts, written once.
var oneGraphRemediation sync.Map // lowercase value -> string

// remediateGraphUnnamed is the remediation of permissions that could not be named: nothing narrower can be offered.
const remediateGraphUnnamed = "Remove the app role assignment from the identity, or grant the narrowest permission " +
	"the workload needs. " + tokenCacheNote

// remediateGraphFor is remediateGraph for an identity's MI-PRIV-GRAPH finding, kept once per distinct text.
func remediateGraphFor(held []heldPermission, texts *evidenceTexts) string {
	switch len(held) {
	case 0:
		return remediateGraphUnnamed
	case 1:
		if s, ok := oneGraphRemediation.Load(held[0].value); ok {
			return s.(string)
		}
		s := remediateGraph(held)
		oneGraphRemediation.Store(held[0].value, s)
		return s
	}
	return texts.line(remediateGraph(held))
}

// remediateGraph is MI-PRIV-GRAPH's remediation for the permissions an identity holds: the narrower forms of each
// that has some (the most severe first, at most three), or, when none has, that none is published.
func remediateGraph(held []heldPermission) string {
	slices.SortStableFunc(held, func(a, b heldPermission) int {
		if a.sev != b.sev {
			return int(b.sev - a.sev)
		}
		return strings.Compare(a.value, b.value)
	})
	var parts, none, unknown []string // none: published Graph permissions without a narrower form; unknown: others
	for i, h := range held {
		if i > 0 && h.value == held[i-1].value {
			continue
		}
		if len(parts)+len(none)+len(unknown) == 3 {
			break
		}
		forms := narrowerPermissions(h.value)
		switch _, published := ref.appRoleByValue[strings.ToLower(h.value)]; {
		case len(forms) == 0 && published:
			none = append(none, h.value)
			continue
		case len(forms) == 0:
			unknown = append(unknown, h.value)
			continue
		}
		alts := make([]string, len(forms))
		for i, f := range forms {
			alts[i] = f.value + " (" + f.when + ")"
		}
		parts = append(parts, "instead of "+h.value+", "+strings.Join(alts, " or "))
	}
	switch len(none) {
	case 0:
	case 1:
		parts = append(parts, none[0]+" has no narrower form among Microsoft Graph's published permissions")
	default:
		parts = append(parts, strings.Join(none, ", ")+" have no narrower form among Microsoft Graph's published permissions")
	}
	if len(unknown) > 0 { // another API's permission, or one not published: miscope cannot say there is none
		parts = append(parts, "miscope knows no narrower form of "+strings.Join(unknown, ", "))
	}
	switch n := len(none) + len(unknown); {
	case n == 1:
		parts = append(parts, "keep it only if the workload cannot do without it")
	case n > 1:
		parts = append(parts, "keep those only if the workload cannot do without them")
	}
	return "Remove the app role assignment from the identity, or grant the narrowest permission the workload needs: " +
		strings.Join(parts, "; ") + ". " + tokenCacheNote
}
