package demo

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/miscope/miscope/data"
)

// usageWindow is the window the demo and synthetic tenants' usage covers, ending when they were read.
const usageWindow = data.DefaultUsageDays

// exchangeOnlineResource is the resource application Exchange Online sign-ins name.
const exchangeOnlineResource = exchangeOnlineAppID

func newUsage() *data.Usage {
	return &data.Usage{Source: data.UsageDemo, WindowDays: usageWindow,
		From: collectedAt.AddDate(0, 0, -usageWindow), To: collectedAt, SignIns: []data.SignIn{}}
}

func daysAgo(d float64) time.Time { return collectedAt.Add(-time.Duration(d*24*3600) * time.Second) }

// signedIn records that a principal signed in to a resource application, last daysAgo days before the read, count
// times in the window. A sign-in older than the window has count 0 and no resource: then only the last one is known.
func (b *builder) signedIn(principalID, resourceAppID string, last float64, count int) {
	if b.t.Usage == nil {
		b.t.Usage = newUsage()
	}
	b.t.Usage.SignIns = append(b.t.Usage.SignIns, data.SignIn{PrincipalID: principalID, ResourceAppID: resourceAppID,
		ResourceName: data.ResourceAppName(resourceAppID), Last: daysAgo(last), Count: count})
}

// touched records that a principal acted on an Azure resource.
func (b *builder) touched(principalID, resourceID string, last float64, count int) {
	b.t.Usage.Activity = append(b.t.Usage.Activity, data.ResourceActivity{PrincipalID: principalID,
		ResourceID: resourceID, Last: daysAgo(last), Count: count})
}

// user records how a user account with roles signs in; a negative day count means never.
func (b *builder) user(id, upn string, interactive, nonInteractive float64, passwordNeverExpires, mfa *bool) {
	u := data.UserUsage{ID: id, UserPrincipalName: upn, PasswordNeverExpires: passwordNeverExpires, MFARegistered: mfa}
	for _, p := range b.t.Principals {
		if p.ID == id {
			u.DisplayName = p.DisplayName
		}
	}
	if interactive >= 0 {
		u.LastInteractive = daysAgo(interactive)
	}
	if nonInteractive >= 0 {
		u.LastNonInteractive = daysAgo(nonInteractive)
	}
	b.t.Usage.Users = append(b.t.Usage.Users, u)
}

func boolPtr(v bool) *bool { return &v }

// usage gives the synthetic tenant's identities, applications and users sign-ins: most active, some idle (last seen
// before the window), some never seen, some that use only one of their grants. It draws from its own random source,
// so the rest of the tenant is the same with or without it.
func (g *synth) usage() {
	t := g.t
	rng := rand.New(rand.NewPCG(uint64(len(t.Identities)), 0x7573616765)) // "usage"
	u := newUsage()
	u.SignIns = make([]data.SignIn, 0, len(t.Identities)*2)
	signIn := func(p, app string, last float64, count int) {
		u.SignIns = append(u.SignIns, data.SignIn{PrincipalID: p, ResourceAppID: app,
			ResourceName: data.ResourceAppName(app), Last: daysAgo(last), Count: count})
	}
	// What each identity holds decides where it signs in when it is active: the resource of each of its grants,
	// most of the time (a grant nobody uses is the exception a tenant has, not the rule).
	rolePlanes := map[string][]string{}
	for _, d := range t.RoleDefinitions {
		var planes []string
		if len(d.Actions) > 0 {
			planes = append(planes, data.AzureResourceManagerAppID)
		}
		for _, da := range d.DataActions {
			if p := data.DataPlaneAppID(da); p != "" && !slices.Contains(planes, p) {
				planes = append(planes, p)
			}
		}
		rolePlanes[data.Key(d.ID)] = planes
	}
	planes := map[string][]string{}
	add := func(p string, ps ...string) {
		for _, x := range ps {
			if !slices.Contains(planes[p], x) {
				planes[p] = append(planes[p], x)
			}
		}
	}
	for i := range t.RoleAssignments {
		a := &t.RoleAssignments[i]
		add(a.PrincipalID, rolePlanes[data.Key(data.LastSegment(a.RoleDefinitionID))]...)
	}
	for i := range t.AppRoleAssignments {
		add(t.AppRoleAssignments[i].PrincipalID, t.AppRoleAssignments[i].ResourceAppID)
	}
	for i := range t.DirectoryRoleAssignments {
		add(t.DirectoryRoleAssignments[i].PrincipalID, data.MicrosoftGraphAppID)
	}
	for i := range t.Identities {
		id := &t.Identities[i]
		ps := planes[id.ID]
		if len(ps) == 0 {
			ps = []string{data.AzureResourceManagerAppID}
		}
		switch r := rng.Float64(); {
		case r < 0.10: // never seen
		case r < 0.25: // idle: last seen before the window
			signIn(id.ID, "", float64(usageWindow+1+rng.IntN(150)), 0) // only the last one is known
		default:
			only := r < 0.30 // uses one of its grants only
			for n, p := range ps {
				if n > 0 && (only || rng.IntN(10) == 0) {
					continue
				}
				signIn(id.ID, p, rng.Float64()*7, 1+rng.IntN(5000))
			}
			if slices.Contains(ps, data.AzureResourceManagerAppID) && id.ResourceID != "" && rng.IntN(2) == 0 {
				u.Activity = append(u.Activity, data.ResourceActivity{PrincipalID: id.ID, ResourceID: id.ResourceID,
					Last: daysAgo(rng.Float64() * 7), Count: 1 + rng.IntN(200)})
			}
		}
	}
	for i := range t.Applications {
		if rng.IntN(5) > 0 {
			signIn(t.Applications[i].ID, data.MicrosoftGraphAppID, rng.Float64()*10, 1+rng.IntN(500))
		}
	}
	for i := range t.Principals {
		p := &t.Principals[i]
		if p.Type != data.PrincipalUser || p.NotFound {
			continue
		}
		uu := data.UserUsage{ID: p.ID, DisplayName: p.DisplayName, PasswordNeverExpires: boolPtr(false),
			MFARegistered: boolPtr(true), LastNonInteractive: daysAgo(rng.Float64() * 3)}
		if rng.IntN(20) > 0 {
			uu.LastInteractive = daysAgo(rng.Float64() * 20)
		} else {
			uu.PasswordNeverExpires, uu.MFARegistered = boolPtr(rng.IntN(2) == 0), boolPtr(rng.IntN(2) == 0)
		}
		u.Users = append(u.Users, uu)
	}
	t.Usage = u
}
