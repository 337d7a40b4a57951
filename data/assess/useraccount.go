package assess

// USER-AS-SERVICE: user accounts that hold roles and sign in only from scripts and services, which a managed
// identity should replace (Microsoft's managed identity guidance asks to move such accounts).

import (
	"cmp"
	"fmt"

	"github.com/miscope/miscope/data"
)

// serviceUsers is USER-AS-SERVICE.
func (e *engine) serviceUsers() {
	if g := e.x.UsageGap(data.SectionUserSignIns); g != nil {
		e.notAssessed(g, RuleUserAsService)
		return
	}
	w := newUsageWindow(e.x.Tenant.Usage)
	for i := range e.x.Tenant.Usage.Users {
		u := &e.x.Tenant.Usage.Users[i]
		// Only non-interactive sign-ins in the window: a person signs in interactively at least now and then.
		if w.within(u.LastInteractive) || !w.within(u.LastNonInteractive) {
			continue
		}
		var ev []evidence
		sev := Low
		for _, a := range e.x.RoleAssignmentsOf(u.ID) {
			r := heldAssignment{RoleAssignment: a}
			info := e.assigned(r.defID(), a.Condition)
			s := Low
			name := r.defID()
			if info.resolved {
				name = info.name
				if info.class >= classWrite {
					s = Medium
				}
			}
			sev = max(sev, s)
			ev = append(ev, evidence{s, azureRoleEvidence(r, fmt.Sprintf("holds %s (%s) at %s", name, r.defID(),
				e.scopeText(a.Scope)))})
		}
		for _, r := range e.x.DirectoryRoles(u.ID) {
			s, _, ok := e.directoryRole(r.RoleTemplateID, r.DirectoryScopeID)
			s = min(max(s, Low), High) // the account is the finding; its role's own grade is MI-PRIV-DIRROLE's business
			if !ok {
				s = Low
			}
			sev = max(sev, s)
			ev = append(ev, evidence{s, dirRoleEvidence(r, "holds "+e.dirRoleLine(r))})
		}
		if len(ev) == 0 {
			continue
		}
		never := "no interactive sign-in " + cutAt(w.text, " (")
		if u.LastInteractive.IsZero() {
			never = "never signed in interactively"
		} else {
			never += " (last on " + day(u.LastInteractive) + ")"
		}
		name := cmp.Or(u.DisplayName, u.UserPrincipalName, u.ID)
		ev = append(ev, evidence{sev, Evidence{Text: fmt.Sprintf("user %s (%s): %s; last non-interactive sign-in on %s",
			quote(name), cmp.Or(u.UserPrincipalName, u.ID), never, day(u.LastNonInteractive)),
			Kind: EvidencePrincipal, ID: u.ID, PrincipalID: u.ID}})
		weak := 0
		switch {
		case u.PasswordNeverExpires == nil:
			ev = append(ev, evidence{Info, note("password policy not readable")})
		case *u.PasswordNeverExpires:
			weak++
			ev = append(ev, evidence{Info, note("its password never expires")})
		}
		switch {
		case u.MFARegistered == nil:
			ev = append(ev, evidence{Info, note("multifactor registration not readable (needs " + data.NeedsUserSignIns + ")")})
		case !*u.MFARegistered:
			weak++
			ev = append(ev, evidence{Info, note("no multifactor method registered: a password alone signs it in")})
		}
		// A privileged account guarded by a password alone is the easier target.
		if weak > 0 && sev >= Medium {
			sev = min(sev+1, High)
		}
		for i := range ev {
			if ev[i].Kind == EvidencePrincipal {
				ev[i].sev = sev
			}
		}
		e.add(RuleUserAsService, u.ID, ev, func(evidence) string {
			return "User account " + quote(name) + " is used as a service account: move its work to a managed identity"
		}, "Give the workload that signs in as this user a managed identity (or workload identity federation where it "+
			"runs outside Azure) with the roles it needs, then remove the user's roles and disable the account.")
		userID := u.ID
		e.fixLast(RuleUserAsService, u.ID, func(f *Finding) []Command {
			f.Fix = nil
			cmds := f.Commands()
			return append(cmds, Command{Note: "disable the account once the workload has moved",
				Args: []string{"az", "ad", "user", "update", "--id", userID, "--account-enabled", "false"}})
		})
	}
}
