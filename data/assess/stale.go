package assess

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/miscope/miscope/data"
)

// MI-STALE is what deletions leave behind. A system-assigned identity goes with its resource, and a deleted principal
// can no longer sign in, but Azure keeps the role assignments that name them: the portal lists them as "Identity not
// found" of type Unknown. They do nothing today, count against the 4,000 role assignments a subscription may hold, and
// muddy every access review; Microsoft's managed identity guidance asks for them to be deleted.

// staleNote closes every MI-STALE remediation.
const staleNote = "Deleting a role assignment of a principal that no longer exists removes no access anyone uses."

// deleteAssignmentsCommand is the command that deletes role assignments by id.
func deleteAssignmentsCommand(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return "az role assignment delete --ids " + strings.Join(ids, " ")
}

// assignmentLine is the evidence of one role assignment left behind, ending with tail, and whether its role writes
// or grants.
func (e *engine) assignmentLine(a *data.RoleAssignment, tail string) (Evidence, bool) {
	info := e.assigned(a.RoleDefinitionID, a.Condition)
	role := data.LastSegment(a.RoleDefinitionID)
	if info.resolved {
		role = info.name + " (" + role + ")"
	}
	id := a.ID
	if id == "" {
		id = "(id not read)"
	}
	return Evidence{Text: fmt.Sprintf("role assignment %s: %s at %s", id, role, e.scopeText(a.Scope)) + tail,
			Kind: EvidenceAzureRoleAssignment, ID: a.ID, PrincipalID: a.PrincipalID,
			RoleID: data.LastSegment(a.RoleDefinitionID), Scope: a.Scope},
		info.resolved && info.class >= classWrite
}

// deleteAssignmentFixes are the commands that delete role assignments, one each: those the finding's evidence shows
// first, in its order, then any the evidence had no room for.
func deleteAssignmentFixes(shown []*Evidence, as []*data.RoleAssignment, why string) []Command {
	pos := map[string]int{}
	for i, x := range shown {
		if x.Kind == EvidenceAzureRoleAssignment && x.ID != "" {
			pos[data.Key(x.ID)] = i
		}
	}
	order := slices.Clone(as)
	slices.SortStableFunc(order, func(a, b *data.RoleAssignment) int {
		pa, oka := pos[data.Key(a.ID)]
		pb, okb := pos[data.Key(b.ID)]
		switch {
		case oka && okb:
			return cmp.Compare(pa, pb)
		case oka != okb:
			if oka {
				return -1
			}
			return 1
		}
		return strings.Compare(data.Key(a.ID), data.Key(b.ID))
	})
	var out []Command
	seen := map[string]bool{}
	for _, a := range order {
		if a.ID == "" || seen[data.Key(a.ID)] {
			continue
		}
		seen[data.Key(a.ID)] = true
		out = append(out, Command{Note: "delete the role assignment at " + a.Scope + " " + why,
			Args: []string{"az", "role", "assignment", "delete", "--ids", a.ID}})
	}
	return out
}

// fixLast gives the finding add has just recorded its fix commands.
func (e *engine) fixLast(rule, id string, fix func(f *Finding) []Command) {
	if n := len(e.findings); n > 0 && e.findings[n-1].RuleID == rule && e.findings[n-1].IdentityID == id {
		e.findings[n-1].Fix = fix(&e.findings[n-1])
	}
}

// assignmentIDs lists the ids of role assignments, for the delete command.
func assignmentIDs(as []*data.RoleAssignment) []string {
	ids := make([]string, 0, len(as))
	for _, a := range as {
		if a.ID != "" {
			ids = append(ids, a.ID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// stale is MI-STALE for an identity: a system-assigned identity whose resource was not found where it was read.
// Since the identity is deleted with its resource, it is either on its way out or its resource is out of sight;
// either way its role assignments are what will remain.
func (e *engine) stale(i int, attached []*data.Resource) {
	id := &e.x.Tenant.Identities[i]
	if id.Kind != data.SystemAssigned || id.ResourceID == "" || len(attached) > 0 {
		return
	}
	if _, ok := e.x.Resource(id.ResourceID); ok || !e.resourcesReadable(id, id.ResourceID) {
		return
	}
	as := e.x.RoleAssignmentsOf(id.ID)
	sev := Info
	ev := []evidence{{Info, identityEvidence(id, fmt.Sprintf("resource %s was not found; a system-assigned identity is deleted with its "+
		"resource, so this one is being removed or its resource has moved out of what was read", id.ResourceID))}}
	for _, a := range as {
		line, writes := e.assignmentLine(a, "; it stays behind when the identity goes")
		s := Info
		if writes {
			s = Low
		}
		sev = max(sev, s)
		ev = append(ev, evidence{s, line})
	}
	if len(as) > 0 {
		sev = max(sev, Low)
	}
	ev[0].sev = sev
	fix := "Check that the resource is really gone. "
	if cmdline := deleteAssignmentsCommand(assignmentIDs(as)); cmdline != "" {
		fix += "Then delete the identity's role assignments, which Azure does not delete with it: " + cmdline + ". "
	}
	fix += "Its service principal goes with the resource; directory roles and application permissions go with it. " + staleNote
	e.add(RuleStale, id.ID, ev, func(evidence) string {
		return "System-assigned identity " + quote(e.identityName(id)) + " outlives its resource"
	}, fix)
	e.fixLast(RuleStale, id.ID, func(f *Finding) []Command {
		return deleteAssignmentFixes(f.Evidence, as, "left behind by the identity of a deleted resource")
	})
}

// dangling is MI-STALE for role assignments whose principal the directory no longer has: one finding per deleted
// principal, keyed by its id.
func (e *engine) dangling() {
	t := e.x.Tenant
	for i := range t.Principals {
		p := &t.Principals[i]
		if !p.NotFound {
			continue
		}
		as := e.x.RoleAssignmentsOf(p.ID)
		if len(as) == 0 {
			continue
		}
		kind := strings.ToLower(cmp.Or(string(p.Type), "principal"))
		if p.Type == data.PrincipalServicePrincipal {
			kind = "service principal (an application or a managed identity)"
		}
		var ev []evidence
		for _, a := range as {
			line, writes := e.assignmentLine(a, "; its principal "+p.ID+" no longer exists")
			s := Info
			if writes {
				// A deleted user or application can be restored for 30 days, and its roles with it.
				s = Low
			}
			ev = append(ev, evidence{s, line})
		}
		ids := assignmentIDs(as)
		fix := "Delete the role assignments, which Azure keeps after their principal is deleted"
		if cmdline := deleteAssignmentsCommand(ids); cmdline != "" {
			fix += ": " + cmdline
		}
		fix += ". A principal created moments ago can also be missing while the directory replicates; if " +
			p.ID + " is new, wait and collect again. " + staleNote
		n := len(as)
		e.add(RuleStale, p.ID, ev, func(evidence) string {
			return fmt.Sprintf("%s of a deleted %s %s remain", data.Plural(n, "role assignment", "role assignments"),
				kind, p.ID)
		}, fix)
		e.fixLast(RuleStale, p.ID, func(f *Finding) []Command {
			return deleteAssignmentFixes(f.Evidence, as, "of the deleted principal "+p.ID)
		})
	}
}
