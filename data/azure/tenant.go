package azure

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/microsoftgraph/msgraph-sdk-go/organization"

	"github.com/miscope/miscope/data"
)

// Tenant reads the whole tenant: the identity list, then (in parallel, within the concurrency bound) the per-identity
// Graph reads in $batch requests, the tenant-wide Entra lists and the ARM lists. Parts that answer 403 become gaps
// naming what they need; parts that still fail after the retries become gaps with the reason, and the rest is read.
// Only a rejected credential or token, or the context ending, stops the read.
func (s *Source) Tenant(ctx context.Context, progress func(data.Progress)) (*data.Tenant, error) {
	if progress == nil {
		progress = func(data.Progress) {}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A full read reads everything afresh (the cache above decides when one is needed); its tenant-wide parts then
	// serve the section methods. A part still being read for a section was started moments ago: it is joined, not
	// started again.
	s.mu.Lock()
	clear(s.parts)
	s.mu.Unlock()
	t := &data.Tenant{Cloud: s.env.cloud}

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	fail := func(err error) {
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
			cancel()
		}
	}
	gaps := func(gs ...data.Gap) {
		mu.Lock()
		t.Gaps = append(t.Gaps, gs...)
		mu.Unlock()
	}
	// record keeps what a part's error says: a gap, a failure of the part (as a gap of sec with the reason), or a
	// reason to stop.
	record := func(sec data.Section, err error) {
		for _, e := range leaves(err) {
			if fatal(e) {
				fail(e)
			} else if g, ok := data.AsGap(e); ok {
				gaps(*g)
			} else if g, ok := asFailure(e); ok {
				gaps(*g)
			} else {
				gaps(data.Gap{Section: sec, Reason: e.Error()})
			}
		}
	}

	var (
		dir   directory
		roles azureRoles
		res   resources
		sc    scopes
		scErr error
		apps  []data.Application
	)
	// Sign-ins need nothing of the rest: they are read beside it.
	usage := make(chan usageRead, 1)
	go func() { usage <- s.startUsage(ctx, progress) }()
	wg.Add(4)
	go func() {
		defer wg.Done()
		s.mu.Lock()
		named := s.tenantName != ""
		s.mu.Unlock()
		if !named { // New names the tenant; ask again only when it could not
			s.readOrganization(ctx)
		}
	}()
	go func() {
		defer wg.Done()
		var err error
		dir, err = s.directory(ctx)
		gaps(dir.gaps...)
		record(data.SectionDirectoryRoles, err)
	}()
	go func() {
		defer wg.Done()
		// The scopes are listed once and handed to both ARM parts, so a listing that failed is not tried again
		// by each.
		sc, scErr = s.scopes(ctx)
		gaps(sc.gaps...)
		record(data.SectionAzureRoles, scErr)
		if fatal(scErr) {
			return
		}
		var awg sync.WaitGroup
		awg.Add(1)
		go func() {
			defer awg.Done()
			var err error
			roles, err = shared(s, ctx, "azureRoles", func(ctx context.Context) (azureRoles, error) {
				return s.readAzureRoles(ctx, sc, scErr)
			})
			gaps(roles.gaps...)
			record(data.SectionAzureRoles, err)
		}()
		var err error
		res, err = shared(s, ctx, "resources", func(ctx context.Context) (resources, error) {
			return s.readResources(ctx, sc, scErr)
		})
		gaps(res.gaps...)
		record(data.SectionResources, err)
		// Federated credentials: one list per user-assigned identity (ARM has no wider list), started as soon as
		// the identities are known.
		record(data.SectionFederatedCredentials, s.readAllFederated(ctx, res.uamis, t, gaps))
		awg.Wait()
	}()
	go func() {
		defer wg.Done()
		var gs []data.Gap
		var err error
		apps, gs, err = s.applications(ctx)
		gaps(gs...)
		record(data.SectionApplications, err)
	}()

	// The identity list streams; each page's Graph reads start as soon as it arrives.
	graphs := map[string]*identityGraph{}
	var gwg sync.WaitGroup
	var done int
	// Identities go to Graph in whole batches (three requests each: 20 identities fill three $batch requests): a
	// page's remainder waits for the next page, so no batch is sent part empty except the last.
	var carry []string
	perBatch := batchSize
	start := func(ids []string) {
		if len(ids) == 0 {
			return
		}
		gwg.Add(1)
		go func() {
			defer gwg.Done()
			m, err := s.readIdentityGraph(ctx, ids, true, true, true)
			mu.Lock()
			for k, v := range m {
				graphs[k] = v
			}
			done += len(ids)
			n, total := done, len(t.Identities)
			mu.Unlock()
			progress(data.Progress{Stage: "Graph permissions and groups", Done: n, Total: total})
			record(data.SectionIdentities, err)
		}()
	}
	err := s.Identities(ctx, func(page []data.Identity) error {
		// The Graph workers started for earlier pages read the count under mu while this appends.
		mu.Lock()
		t.Identities = append(t.Identities, page...)
		n := len(t.Identities)
		mu.Unlock()
		progress(data.Progress{Stage: "identities", Done: n})
		for _, id := range page {
			carry = append(carry, id.ID)
		}
		whole := len(carry) / perBatch * perBatch
		start(carry[:whole:whole])
		carry = append([]string(nil), carry[whole:]...)
		return nil
	})
	if err == nil {
		start(carry)
	}
	record(data.SectionIdentities, err)
	gwg.Wait()
	wg.Wait()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	progress(data.Progress{Stage: "joining", Done: len(t.Identities), Total: len(t.Identities)})

	// What the identities own, and the service principals they can sign in as through it.
	ownsOf := map[string][]data.Ownership{}
	var owns []data.Ownership
	for _, id := range t.Identities {
		if g := graphs[data.Key(id.ID)]; g != nil && g.ownedErr == nil && len(g.owned) > 0 {
			ownsOf[data.Key(id.ID)] = ownerships(id.ID, g.owned)
			owns = append(owns, ownsOf[data.Key(id.ID)]...)
		}
	}
	owned := s.ownedPrincipals(ctx, owns)

	// Names of the APIs whose permissions are granted, and the nesting of groups.
	var resIDs []string
	for _, g := range graphs {
		for _, a := range g.appRoles {
			resIDs = append(resIDs, a.ResourceID)
		}
	}
	for _, p := range owned {
		for _, a := range p.appRoles {
			resIDs = append(resIDs, a.ResourceID)
		}
	}
	sps := s.resourceSPs(ctx, resIDs)
	ids := make(map[string]string, len(t.Identities))
	for _, id := range t.Identities {
		ids[data.Key(id.ID)] = id.ID
	}
	parents, direct, unknown := s.nesting(ctx, graphs, ids)

	groups := map[string]data.Group{}
	present := t.Identities[:0]
	for _, id := range t.Identities {
		g := graphs[data.Key(id.ID)]
		if g != nil && g.gone {
			s.opts.Log("identity %s was deleted while it was read", id.ID)
			continue
		}
		present = append(present, id)
		if g == nil {
			continue
		}
		if g.ownedErr != nil {
			record(data.SectionOwnerships, g.ownedErr)
		} else {
			for _, o := range ownsOf[data.Key(id.ID)] {
				if p := owned[data.Key(o.AppID)]; o.ObjectType == data.OwnedApplication && p != nil {
					o.ServicePrincipalID = p.id
				}
				t.Ownerships = append(t.Ownerships, o)
			}
		}
		if g.appErr != nil {
			record(data.SectionAppRoles, g.appErr)
		} else {
			t.AppRoleAssignments = append(t.AppRoleAssignments, appRoleAssignments(id.ID, g.appRoles, sps)...)
		}
		if g.groupErr != nil {
			record(data.SectionGroups, g.groupErr)
			// Without its groups, the roles an identity holds through them are not known either.
			for _, sec := range []data.Section{data.SectionDirectoryRoles, data.SectionAzureRoles} {
				if c := throughGroups(g.groupErr, sec, id.ID); c != nil {
					gaps(*c)
				}
			}
		} else {
			gs, ms := memberships(id.ID, g.groups, parents, direct[data.Key(id.ID)])
			for _, grp := range gs {
				groups[data.Key(grp.ID)] = grp
			}
			t.Memberships = append(t.Memberships, ms...)
			if err := unknown[data.Key(id.ID)]; err != nil {
				record(data.SectionGroups, err)
			}
		}
	}

	t.Identities = present
	t.AppRoleAssignments = append(t.AppRoleAssignments, ownedAppRoles(t, owned, sps, gaps)...)
	t.ManagementGroups, t.Subscriptions = sc.mgs, sc.subs
	if len(sc.subs) == 0 {
		// User-assigned identities are found in ARM before their federated credentials are read: with no
		// subscription, none were, and each says so rather than showing none.
		g := noSubscription(data.SectionFederatedCredentials)
		if scErr != nil {
			g.Reason, g.Needs = "the subscription list could not be read: "+scErr.Error(), ""
		}
		for _, id := range t.Identities {
			if id.Kind == data.UserAssigned {
				g.IdentityID = id.ID
				t.Gaps = append(t.Gaps, g)
			}
		}
	}
	t.Gaps = append(t.Gaps, unlistedFederated(t.Identities, res, sc, t.Gaps)...)
	t.Gaps = distinctGaps(t.Gaps)
	t.Resources = res.list
	t.DirectoryRoleDefinitions, t.DirectoryRoleAssignments = dir.defs, dir.assignments
	t.RoleDefinitions, t.RoleAssignments = roles.defs, roles.assignments
	t.Applications = apps

	known := map[string]bool{}
	for _, id := range t.Identities {
		known[data.Key(id.ID)] = true
	}
	// Other principals: those that are neither identities nor groups already known through memberships.
	var unnamed *data.Gap
	t.Principals, unnamed = s.principalNames(ctx, roles.assignments, func(id string) bool {
		_, isGroup := groups[id]
		return known[id] || isGroup
	})
	if unnamed != nil {
		t.Gaps = append(t.Gaps, *unnamed)
	}
	for _, g := range groups {
		t.Groups = append(t.Groups, g)
	}
	sort.Slice(t.Groups, func(a, b int) bool { return t.Groups[a].ID < t.Groups[b].ID })

	// Usage last: it is judged against what was granted, and names the users among the principals. Its tenant-wide
	// reads ran beside the rest.
	used := <-usage
	if used.err != nil {
		return nil, used.err
	}
	t.Gaps = append(t.Gaps, s.finishUsage(ctx, t, used)...)

	s.mu.Lock()
	t.ID, t.DisplayName = s.tenantID, s.tenantName
	s.mu.Unlock()
	t.CollectedAt = time.Now().UTC()
	progress(data.Progress{Stage: "done", Done: len(t.Identities), Total: len(t.Identities)})
	return t, ctx.Err()
}

// readOrganization names the tenant. It is a nicety: a failure is logged and the read goes on.
func (s *Source) readOrganization(ctx context.Context) {
	if err := s.graphSlots.acquire(ctx); err != nil {
		return
	}
	resp, err := s.graph.client.Organization().Get(ctx, &organization.OrganizationRequestBuilderGetRequestConfiguration{
		QueryParameters: &organization.OrganizationRequestBuilderGetQueryParameters{Select: []string{"id", "displayName"}}})
	s.graphSlots.release()
	if err != nil {
		s.opts.Log("the organization is not readable: %v", err)
		return
	}
	for _, o := range resp.GetValue() {
		id := strings.ToLower(deref(o.GetId()))
		s.mu.Lock()
		if s.tenantID == "" || s.tenantID == id {
			s.tenantID, s.tenantName = id, deref(o.GetDisplayName())
		}
		s.mu.Unlock()
	}
}

// readAllFederated lists the federated credentials of every user-assigned identity ARM listed. An identity deleted
// since it was listed is skipped; the other failures are returned, joined, for the caller to record.
func (s *Source) readAllFederated(ctx context.Context, uamis []uami, t *data.Tenant, gaps func(...data.Gap)) error {
	var (
		mu   sync.Mutex
		errs []error
	)
	// As many lists at once as the subscriptions' request slots can take: a goroutine per identity would mostly
	// wait for a slot.
	subs := map[string]bool{}
	for _, u := range uamis {
		subs[data.Key(u.sub)] = true
	}
	var g errgroup.Group
	g.SetLimit(max(1, len(subs)) * s.opts.Concurrency)
	for _, u := range uamis {
		g.Go(func() error {
			fcs, err := s.federatedCredentials(ctx, u)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if g, ok := data.AsGap(err); ok {
					g.IdentityID = u.principalID
					gaps(*g)
				} else {
					errs = append(errs, err)
				}
				return nil
			}
			t.FederatedCredentials = append(t.FederatedCredentials, fcs...)
			return nil
		})
	}
	g.Wait()
	sort.SliceStable(t.FederatedCredentials, func(a, b int) bool {
		x, y := t.FederatedCredentials[a], t.FederatedCredentials[b]
		if x.IdentityID != y.IdentityID {
			return x.IdentityID < y.IdentityID
		}
		return x.Name < y.Name
	})
	return errors.Join(errs...)
}

// ---- lazy per-identity sections ----

// sectionIndex joins a partial tenant around one identity and answers from it, with the gaps of the parts read.
func sectionIndex(ident data.Identity, fill func(t *data.Tenant)) *data.Index {
	t := &data.Tenant{Identities: []data.Identity{ident}}
	fill(t)
	return data.NewIndex(t)
}

func gapErr(x *data.Index, id string, sec data.Section) error {
	gs := x.Gaps(id, sec)
	if len(gs) == 0 {
		return nil
	}
	g := gs[0]
	return &g
}

// AttachedResources answers from the tenant-wide resource read, done once.
func (s *Source) AttachedResources(ctx context.Context, id string) ([]data.Resource, error) {
	ident, err := s.identity(ctx, id)
	if err != nil {
		return nil, err
	}
	res, rerr := s.resources(ctx)
	if fatal(rerr) {
		return nil, rerr
	}
	x := sectionIndex(ident, func(t *data.Tenant) { t.Resources, t.Gaps = res.list, res.gaps })
	return x.Attached(ident.ID), sectionError(rerr, gapErr(x, ident.ID, data.SectionAttached))
}

// sectionError is the error a section method returns with its answer, which may be partial: a failure comes first,
// as a plain error that no cache keeps so the section is asked again (with the gap's words when there is one too);
// otherwise the gap that makes the section not readable, which is an answer and is kept.
func sectionError(errs ...error) error {
	var gap error
	var failed []string
	for _, err := range errs {
		for _, e := range leaves(err) {
			if fatal(e) {
				return e
			}
			if _, ok := data.AsGap(e); ok {
				if gap == nil {
					gap = e
				}
				continue
			}
			failed = append(failed, e.Error())
		}
	}
	if len(failed) == 0 {
		return gap
	}
	if gap != nil {
		failed = append(failed, gap.Error())
	}
	return errors.New(strings.Join(failed, "; "))
}

// identityGroups reads one identity's groups with one Graph request (plus the parents of its groups when it has
// several). nested, when not nil, says why which memberships are direct is not known; the groups are.
func (s *Source) identityGroups(ctx context.Context, ident data.Identity) (gs []data.Group, ms []data.Membership, nested, err error) {
	type answer struct {
		groups []data.Group
		ms     []data.Membership
		nested error
	}
	a, err := shared(s, ctx, "groups|"+data.Key(ident.ID), func(ctx context.Context) (answer, error) {
		m, err := s.readIdentityGraph(ctx, []string{ident.ID}, false, true, false)
		if err != nil {
			return answer{}, err
		}
		g := m[data.Key(ident.ID)]
		if g.gone {
			return answer{}, data.ErrNotFound
		}
		if g.groupErr != nil {
			return answer{}, g.groupErr
		}
		k := data.Key(ident.ID)
		parents, direct, unknown := s.nesting(ctx, m, map[string]string{k: ident.ID})
		gs, ms := memberships(ident.ID, g.groups, parents, direct[k])
		a := answer{gs, ms, unknown[k]}
		if _, gap := data.AsGap(a.nested); a.nested != nil && !gap {
			return a, a.nested // a failure, not kept: the next ask reads again
		}
		return a, nil
	})
	if err != nil && err == a.nested {
		err = nil
	}
	return a.groups, a.ms, a.nested, err
}

// Groups reads the identity's groups.
func (s *Source) Groups(ctx context.Context, id string) ([]data.GroupMembership, error) {
	ident, err := s.identity(ctx, id)
	if err != nil {
		return nil, err
	}
	gs, ms, nested, err := s.identityGroups(ctx, ident)
	if err != nil {
		return nil, err
	}
	x := sectionIndex(ident, func(t *data.Tenant) { t.Groups, t.Memberships = gs, ms })
	return x.Groups(ident.ID), sectionError(nested)
}

// DirectoryRoles joins the tenant-wide Entra role assignments (read once) with the identity and its groups.
func (s *Source) DirectoryRoles(ctx context.Context, id string) ([]data.DirectoryRole, error) {
	ident, err := s.identity(ctx, id)
	if err != nil {
		return nil, err
	}
	// A list that failed (eligible assignments answering 500, say) leaves a partial answer: it is returned with a
	// plain error, so it is shown but not kept as if complete.
	dir, derr := s.directory(ctx)
	if fatal(derr) {
		return nil, derr
	}
	gs, ms, _, gerr := s.identityGroups(ctx, ident)
	if fatal(gerr) {
		return nil, gerr
	}
	x := sectionIndex(ident, func(t *data.Tenant) {
		t.DirectoryRoleDefinitions, t.DirectoryRoleAssignments, t.Gaps = dir.defs, dir.assignments, dir.gaps
		t.Groups, t.Memberships = gs, ms
	})
	// Without the groups, roles held through a group cannot be seen: say so.
	return x.DirectoryRoles(ident.ID), sectionError(derr, gapErr(x, ident.ID, data.SectionDirectoryRoles),
		sectionGap(gerr, data.SectionDirectoryRoles, ident.ID))
}

// throughGroups restates a groups gap or failure for a section that depends on the groups, or nil.
func throughGroups(err error, sec data.Section, id string) *data.Gap {
	g, ok := data.AsGap(err)
	if !ok {
		g, ok = asFailure(err)
	}
	if !ok {
		return nil
	}
	c := *g
	c.Section, c.IdentityID = sec, id
	c.Reason = "roles held through groups: " + c.Reason
	return &c
}

// sectionGap restates a groups gap for a section that depends on the groups.
func sectionGap(err error, sec data.Section, id string) error {
	if err == nil {
		return nil
	}
	if g, ok := data.AsGap(err); ok {
		c := *g
		c.Section, c.IdentityID = sec, id
		c.Reason = "roles held through groups: " + c.Reason
		return &c
	}
	return err
}

// AppRoles reads the identity's application permissions with one Graph request and names them from the resource
// service principals, each read once.
func (s *Source) AppRoles(ctx context.Context, id string) ([]data.AppRoleAssignment, error) {
	ident, err := s.identity(ctx, id)
	if err != nil {
		return nil, err
	}
	m, err := s.readIdentityGraph(ctx, []string{ident.ID}, true, false, false)
	if err != nil {
		return nil, err
	}
	g := m[data.Key(ident.ID)]
	if g.gone {
		return nil, data.ErrNotFound
	}
	if g.appErr != nil {
		return nil, g.appErr
	}
	var resIDs []string
	for _, a := range g.appRoles {
		resIDs = append(resIDs, a.ResourceID)
	}
	return appRoleAssignments(ident.ID, g.appRoles, s.resourceSPs(ctx, resIDs)), nil
}

// AzureRoles joins the Azure role assignments (read once per subscription and management group) with the identity
// and its groups.
func (s *Source) AzureRoles(ctx context.Context, id string) ([]data.AzureRole, error) {
	ident, err := s.identity(ctx, id)
	if err != nil {
		return nil, err
	}
	roles, rerr := s.azureRoles(ctx)
	if fatal(rerr) {
		return nil, rerr
	}
	// The scopes the assignments were read at, failures included (rerr carries them).
	sc := roles.scopes
	gs, ms, _, gerr := s.identityGroups(ctx, ident)
	if fatal(gerr) {
		return nil, gerr
	}
	x := sectionIndex(ident, func(t *data.Tenant) {
		t.RoleDefinitions, t.RoleAssignments = roles.defs, roles.assignments
		t.Gaps = append(append([]data.Gap(nil), sc.gaps...), roles.gaps...)
		t.ManagementGroups, t.Subscriptions = sc.mgs, sc.subs
		t.Groups, t.Memberships = gs, ms
	})
	return x.AzureRoles(ident.ID), sectionError(rerr, gapErr(x, ident.ID, data.SectionAzureRoles),
		sectionGap(gerr, data.SectionAzureRoles, ident.ID))
}

// FederatedCredentials reads the federated credentials of a user-assigned identity with one ARM request; a
// system-assigned identity has none.
func (s *Source) FederatedCredentials(ctx context.Context, id string) ([]data.FederatedCredential, error) {
	ident, err := s.identity(ctx, id)
	if err != nil {
		return nil, err
	}
	if ident.Kind != data.UserAssigned || data.SubscriptionOf(ident.ResourceID) == "" {
		return nil, nil
	}
	u := uami{id: ident.ResourceID, principalID: ident.ID, sub: data.SubscriptionOf(ident.ResourceID),
		group: data.ResourceGroupOf(ident.ResourceID), name: data.ResourceName(ident.ResourceID)}
	if u.group == "" {
		// Entra spells it "resourcegroups"; ResourceGroupOf accepts any casing, so an empty group means a
		// malformed id.
		return nil, &data.Gap{Section: data.SectionFederatedCredentials, IdentityID: ident.ID,
			Reason: "the identity's resource id has no resource group"}
	}
	fcs, err := s.federatedCredentials(ctx, u)
	if g, ok := data.AsGap(err); ok {
		g.IdentityID = ident.ID
	}
	return fcs, err
}

var _ data.Source = (*Source)(nil)

// unlistedFederated is a gap for each user-assigned identity whose federated credentials were not read because ARM
// did not list the identity: its subscription's list was refused or failed, the subscription was not read, or ARM
// did not know it. Identities that have such a gap already keep theirs.
func unlistedFederated(idents []data.Identity, res resources, sc scopes, have []data.Gap) []data.Gap {
	listed := map[string]bool{}
	for _, u := range res.uamis {
		listed[data.Key(u.principalID)], listed[data.Key(u.id)] = true, true
	}
	delete(listed, "")
	gapped := map[string]bool{}
	subGap := map[string]data.Gap{} // by subscription: why its user-assigned identities could not be listed
	for _, g := range have {
		switch {
		case g.Section == data.SectionFederatedCredentials && g.IdentityID != "":
			gapped[data.Key(g.IdentityID)] = true
		case g.Section == data.SectionAttached && data.SubscriptionOf(g.Scope) != "":
			if _, ok := subGap[data.SubscriptionOf(g.Scope)]; !ok {
				subGap[data.SubscriptionOf(g.Scope)] = g
			}
		}
	}
	read := map[string]bool{}
	for _, sub := range sc.subs {
		read[data.Key(sub.ID)] = true
	}
	var out []data.Gap
	for _, id := range idents {
		if id.Kind != data.UserAssigned || listed[data.Key(id.ID)] || listed[data.Key(id.ResourceID)] || gapped[data.Key(id.ID)] {
			continue
		}
		sub := data.SubscriptionOf(id.ResourceID)
		g := data.Gap{Section: data.SectionFederatedCredentials, IdentityID: id.ID, Scope: "/subscriptions/" + sub}
		switch sg, failed := subGap[sub]; {
		case sub == "":
			g.Scope, g.Reason = "", "the identity's resource id names no subscription, so ARM was not asked"
		case failed:
			g.Scope, g.Needs = sg.Scope, sg.Needs
			g.Reason = "the user-assigned identities of its subscription could not be listed: " + sg.Reason
		case !read[sub]:
			g.Reason, g.Needs = "subscription "+sub+" was not read", "Reader on /subscriptions/"+sub
		default:
			g.Reason = "ARM did not list the identity in subscription " + sub + ", so its credentials were not asked for"
		}
		out = append(out, g)
	}
	return out
}

// distinctGaps drops repeats: a failed listing is reported by each part that needed it.
func distinctGaps(gs []data.Gap) []data.Gap {
	seen := map[data.Gap]bool{}
	out := gs[:0]
	for _, g := range gs {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}
