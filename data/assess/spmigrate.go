package assess

// SP-MIGRATE: applications that sign in with secrets or certificates and could use a managed identity.

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/miscope/miscope/data"
)

// longLived is the credential lifetime above which a secret is noted as long-lived.
const longLived = 365 * 24 * time.Hour

// applications is SP-MIGRATE.
func (e *engine) applications() {
	signIns := e.x.UsageGap(data.SectionSignIns) == nil
	var w usageWindow
	if signIns {
		w = newUsageWindow(e.x.Tenant.Usage)
	}
	for i := range e.x.Tenant.Applications {
		app := &e.x.Tenant.Applications[i]
		if len(app.Credentials) == 0 {
			continue
		}
		// A managed identity's service principal carries an Azure-managed certificate; it is never a secret to rotate.
		if _, ok := e.x.Identity(app.ID); ok {
			continue
		}
		name := cmp.Or(app.DisplayName, app.ID)
		sev := Low
		var ev []evidence
		active, secrets, certs := 0, 0, 0
		for _, c := range app.Credentials {
			kind := "certificate"
			if strings.EqualFold(c.Type, "password") {
				kind = "secret"
				secrets++
			} else {
				certs++
			}
			line := fmt.Sprintf("%s %s (%s)", kind, quote(c.DisplayName), c.KeyID)
			s := Low
			switch {
			case !c.End.IsZero() && c.End.Before(e.now):
				line += fmt.Sprintf(", expired on %s: delete it", c.End.UTC().Format("2006-01-02"))
				s = Info
			default:
				active++
				line += ", valid until " + c.End.UTC().Format("2006-01-02")
				if kind == "secret" && !c.Start.IsZero() && c.End.Sub(c.Start) > longLived {
					line += fmt.Sprintf(", long-lived (%d days)", int(c.End.Sub(c.Start).Hours()/24))
					s = Medium
				}
			}
			ev = append(ev, evidence{s, Evidence{Text: line, Kind: EvidenceApplicationCredential, ID: c.KeyID,
				PrincipalID: app.ID}})
		}
		if len(app.Hosts) > 0 && active > 0 {
			sev = Medium
			for _, h := range app.Hosts {
				ev = append(ev, evidence{Info, resourceEvidence(h, "runs in Azure on "+h+", which can have a managed identity")})
			}
		}
		if active == 0 {
			sev = Info
		}
		// Usage says which of two fixes fits: an application that signs in from where it runs in Azure is a strong
		// candidate to move; one that no longer signs in is a candidate for removal instead.
		idle := false
		if signIns && active > 0 {
			use := e.x.Usage(app.ID)
			switch last := use.Last(); {
			case !w.within(last):
				idle = true
				seen := "never seen signing in"
				if !last.IsZero() {
					seen = "last signed in on " + day(last)
				}
				ev = append(ev, evidence{Info, note("no sign-in " + w.text + "; " + seen + ": disable it rather than move it")})
			case len(app.Hosts) > 0:
				ev = append(ev, evidence{Info, note(signInText(use.SignIns[0]) + ", and runs in Azure: a strong candidate for a managed identity")})
			default:
				ev = append(ev, evidence{Info, note(signInText(use.SignIns[0]))})
			}
		}
		for _, v := range ev {
			sev = max(sev, v.sev)
		}
		// The finding's severity is the application's, not its worst line's.
		ev = append(ev, evidence{sev, Evidence{Text: fmt.Sprintf("application %s (app id %s) signs in with %d secret(s) and %d certificate(s), %d still valid",
			quote(name), app.AppID, secrets, certs, active), Kind: EvidencePrincipal, ID: app.ID, PrincipalID: app.ID}})
		if idle {
			e.add(RuleSPMigrate, app.ID, ev, func(evidence) string {
				return "Application " + quote(name) + " has valid credentials but has not signed in " + cutAt(w.text, " (")
			}, "Nothing signs in as this application: disable its service principal, and remove its secrets and "+
				"certificates (or the application) once nobody objects.")
			spID := app.ID
			e.fixLast(RuleSPMigrate, app.ID, func(*Finding) []Command {
				return []Command{{Note: "disable the idle application's service principal (reversible)",
					Args: []string{"az", "ad", "sp", "update", "--id", spID, "--set", "accountEnabled=false"}}}
			})
			continue
		}
		e.add(RuleSPMigrate, app.ID, ev, func(evidence) string {
			return "Application " + quote(name) + " signs in with a secret or certificate and could use a managed identity"
		}, "Move the workload to a managed identity (or workload identity federation where it runs outside Azure), "+
			"then remove the application's secrets and certificates. Until then keep secrets short-lived and delete "+
			"expired ones.")
	}
}
