package azure

import (
	"context"
	"errors"
	"fmt"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/managementgroups/armmanagementgroups"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/msi/armmsi"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"

	"github.com/miscope/miscope/data"
)

type armClients struct {
	opts *arm.ClientOptions
	// raw sends the requests armmsi cannot model (see federatedCredentials) through the same ARM pipeline: the
	// same endpoint, token, retries and transport as the SDK clients.
	raw *arm.Client
}

// armBucket returns the slots of one ARM throttling bucket: ARM throttles reads per subscription (and per tenant
// for tenant-level reads), so each subscription gets Concurrency slots of its own and work spread over
// subscriptions runs side by side, as ARM allows. "" is the tenant-level bucket.
func (s *Source) armBucket(subscription string) slots {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := strings.ToLower(subscription)
	b, ok := s.armSlots[k]
	if !ok {
		b = make(slots, s.opts.Concurrency)
		s.armSlots[k] = b
	}
	return b
}

func newARMClients(s *Source) (*armClients, error) {
	// DisableRPRegistration: a reader must never try to register resource providers (a write) on a 409.
	opts := &arm.ClientOptions{ClientOptions: s.env.clientOptions(s.opts), DisableRPRegistration: true}
	raw, err := arm.NewClient(moduleName, moduleVersion, s.cred, opts)
	if err != nil {
		return nil, err
	}
	return &armClients{opts: opts, raw: raw}, nil
}

// armErr turns an ARM failure into a gap (403), ErrTokenRejected (401) or a plain error.
func armErr(err error, sec data.Section, scope, what, needs string) error {
	if err := credentialErr(err); err != nil {
		return err
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case http.StatusForbidden:
			return &data.Gap{Section: sec, Scope: scope, Reason: what + " answered 403 " + re.ErrorCode, Needs: needs}
		case http.StatusUnauthorized:
			return fmt.Errorf("%w: Azure Resource Manager answered 401 %s", ErrTokenRejected, data.Clean(re.ErrorCode))
		}
		return fmt.Errorf("reading %s: %d %s", what, re.StatusCode, data.Clean(re.ErrorCode))
	}
	return fmt.Errorf("reading %s: %s", what, data.Clean(firstLine(err.Error())))
}

// gapOr splits an error into a gap to record and an error to stop on.
func gapOr(err error) (*data.Gap, error) {
	if g, ok := data.AsGap(err); ok {
		return g, nil
	}
	return nil, err
}

// pages drains an azcore pager, taking a slot of the bucket (see armBucket) for each page.
func pages[T any](ctx context.Context, s *Source, bucket string, p interface {
	More() bool
	NextPage(context.Context) (T, error)
}, each func(T)) error {
	for p.More() {
		slots := s.armBucket(bucket)
		if err := slots.acquire(ctx); err != nil {
			return err
		}
		page, err := p.NextPage(ctx)
		slots.release()
		if err != nil {
			return err
		}
		each(page)
	}
	return nil
}

// needsSubscriptions is what makes the subscriptions, and so every Azure part, readable.
const needsSubscriptions = "Reader on the subscriptions (or the root management group)"

// noSubscription is the tenant-wide gap of an Azure part when no subscription could be read.
func noSubscription(sec data.Section) data.Gap {
	return data.Gap{Section: sec, Reason: "no subscription is readable", Needs: needsSubscriptions}
}

// scopes is the ARM estate that can be read: subscriptions and the management group hierarchy above them.
type scopes struct {
	subs []data.Subscription
	mgs  []data.ManagementGroup
	gaps []data.Gap
}

func (s *Source) scopes(ctx context.Context) (scopes, error) {
	return shared(s, ctx, "scopes", s.readScopes)
}

func (s *Source) readScopes(ctx context.Context) (scopes, error) {
	var out scopes
	var fails []error
	// keep records a 403 as a gap and a failure for the caller; it reports whether the read can go on.
	keep := func(err error) bool {
		switch g, err := gapOr(err); {
		case g != nil:
			out.gaps = append(out.gaps, *g)
		case fatal(err):
			fails = []error{err}
			return false
		default:
			fails = append(fails, err)
		}
		return true
	}
	c, err := armsubscriptions.NewClient(s.cred, s.arm.opts)
	if err != nil {
		return out, err
	}
	want := map[string]bool{}
	for _, id := range s.opts.Subscriptions {
		want[strings.ToLower(strings.TrimSpace(id))] = true
	}
	tenants := map[string]bool{}
	err = pages(ctx, s, "", c.NewListPager(nil), func(p armsubscriptions.ClientListResponse) {
		for _, sub := range p.Value {
			id := strings.ToLower(deref(sub.SubscriptionID))
			if id == "" || len(want) > 0 && !want[id] {
				continue
			}
			out.subs = append(out.subs, data.Subscription{ID: id, DisplayName: deref(sub.DisplayName),
				State: string(deref(sub.State))})
			if t := deref(sub.TenantID); t != "" {
				tenants[strings.ToLower(t)] = true
			}
		}
	})
	listErr := err
	if err != nil && !keep(soft(armErr(err, data.SectionAzureRoles, "", "the subscription list", needsSubscriptions),
		data.SectionAzureRoles, "", "")) {
		return out, errors.Join(fails...)
	}
	for id := range want {
		if !containsSub(out.subs, id) {
			// A subscription asked for by name but not listed is still read: listing may be what is denied.
			out.subs = append(out.subs, data.Subscription{ID: id})
		}
	}
	if len(out.subs) == 0 && listErr == nil {
		// A reader without any Azure role lists no subscription: an empty 200, not a 403. Nothing in ARM was seen,
		// which must not read as "no Azure roles" or "every resource deleted".
		out.gaps = append(out.gaps, noSubscription(data.SectionAzureRoles))
	}
	s.mu.Lock()
	if s.tenantID == "" && len(tenants) == 1 {
		for t := range tenants {
			s.tenantID = t
		}
	}
	tenantID := s.tenantID
	s.mu.Unlock()

	// Management groups: the list names them; the descendants of the root group give every parent link, including
	// which group each subscription sits in, in one paged read.
	mc, err := armmanagementgroups.NewClient(s.cred, s.arm.opts)
	if err != nil {
		return out, errors.Join(append(fails, err)...)
	}
	var names []string
	err = pages(ctx, s, "", mc.NewListPager(nil), func(p armmanagementgroups.ClientListResponse) {
		for _, mg := range p.Value {
			name := deref(mg.Name)
			dn := ""
			if mg.Properties != nil {
				dn = deref(mg.Properties.DisplayName)
			}
			out.mgs = append(out.mgs, data.ManagementGroup{ID: mgScope(name), Name: name, DisplayName: dn})
			names = append(names, name)
		}
	})
	if err != nil {
		const scope = "/providers/Microsoft.Management/managementGroups"
		keep(soft(armErr(err, data.SectionAzureRoles, scope, "the management group list", "Management Group Reader"),
			data.SectionAzureRoles, scope, ""))
		return out, errors.Join(fails...)
	}
	root := ""
	for _, n := range names {
		if strings.EqualFold(n, tenantID) {
			root = n
		}
	}
	if root == "" && len(names) > 0 {
		s.opts.Log("no management group is named after the tenant; the hierarchy is read from %s", names[0])
		root = names[0]
	}
	if root == "" {
		return out, errors.Join(fails...)
	}
	parent := map[string]string{}
	err = pages(ctx, s, "", mc.NewGetDescendantsPager(root, nil), func(p armmanagementgroups.ClientGetDescendantsResponse) {
		for _, d := range p.Value {
			if d.Properties == nil || d.Properties.Parent == nil {
				continue
			}
			parent[data.Key(deref(d.ID))] = deref(d.Properties.Parent.ID)
		}
	})
	if err != nil && !keep(soft(armErr(err, data.SectionAzureRoles, mgScope(root), "the management group hierarchy",
		"Management Group Reader"), data.SectionAzureRoles, mgScope(root), "")) {
		return out, errors.Join(fails...)
	}
	for i := range out.mgs {
		out.mgs[i].ParentID = parent[data.Key(out.mgs[i].ID)]
	}
	for i := range out.subs {
		out.subs[i].ManagementGroupID = parent[data.Key("/subscriptions/"+out.subs[i].ID)]
	}
	return out, errors.Join(fails...)
}

func containsSub(subs []data.Subscription, id string) bool {
	for _, s := range subs {
		if s.ID == id {
			return true
		}
	}
	return false
}

func mgScope(name string) string { return "/providers/Microsoft.Management/managementGroups/" + name }

// azureRoles are the Azure role assignments of every principal at every readable scope, and the definitions they
// use.
type azureRoles struct {
	assignments []data.RoleAssignment
	defs        []data.RoleDefinition
	gaps        []data.Gap
	scopes      scopes // where they were read
}

func (s *Source) azureRoles(ctx context.Context) (azureRoles, error) {
	return shared(s, ctx, "azureRoles", func(ctx context.Context) (azureRoles, error) {
		sc, err := s.scopes(ctx)
		return s.readAzureRoles(ctx, sc, err)
	})
}

// readAzureRoles reads the role assignments at the scopes that could be listed; scErr, the failure of listing them,
// is passed on with the result.
func (s *Source) readAzureRoles(ctx context.Context, sc scopes, scErr error) (azureRoles, error) {
	out := azureRoles{scopes: sc}
	if fatal(scErr) {
		return out, scErr
	}
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
		defs = map[string]data.RoleDefinition{}
	)
	add := func(list []*armauthorization.RoleAssignment) {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range list {
			if a == nil || a.Properties == nil {
				continue
			}
			p := a.Properties
			key := data.Key(deref(a.ID))
			if key == "" {
				key = data.Key(deref(p.Scope) + "|" + deref(p.PrincipalID) + "|" + deref(p.RoleDefinitionID))
			}
			if seen[key] { // a subscription's list repeats what is inherited from above
				continue
			}
			seen[key] = true
			out.assignments = append(out.assignments, data.RoleAssignment{
				ID:               deref(a.ID),
				PrincipalID:      strings.ToLower(deref(p.PrincipalID)),
				PrincipalType:    data.PrincipalType(deref(p.PrincipalType)),
				RoleDefinitionID: strings.ToLower(data.LastSegment(deref(p.RoleDefinitionID))),
				Scope:            deref(p.Scope),
				Condition:        deref(p.Condition),
			})
		}
	}
	addDefs := func(list []*armauthorization.RoleDefinition) {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range list {
			if rd, ok := toRoleDefinition(d); ok {
				defs[data.Key(rd.ID)] = rd
			}
		}
	}
	gap := func(err error, scope string) error {
		g, err := gapOr(soft(err, data.SectionAzureRoles, scope, ""))
		if g != nil {
			mu.Lock()
			out.gaps = append(out.gaps, *g)
			mu.Unlock()
		}
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(sc.subs)+len(sc.mgs))
	for _, sub := range sc.subs {
		scope := "/subscriptions/" + sub.ID
		wg.Add(2)
		go func() {
			defer wg.Done()
			c, err := armauthorization.NewRoleAssignmentsClient(sub.ID, s.cred, s.arm.opts)
			if err == nil {
				err = pages(ctx, s, sub.ID, c.NewListForSubscriptionPager(nil), func(p armauthorization.RoleAssignmentsClientListForSubscriptionResponse) {
					add(p.Value)
				})
			}
			if err != nil {
				errs <- gap(armErr(err, data.SectionAzureRoles, scope, "role assignments of subscription "+sub.ID, "Reader on "+scope), scope)
			}
		}()
		go func() {
			defer wg.Done()
			c, err := armauthorization.NewRoleDefinitionsClient(s.cred, s.arm.opts)
			if err == nil {
				err = pages(ctx, s, sub.ID, c.NewListPager(scope, nil), func(p armauthorization.RoleDefinitionsClientListResponse) {
					addDefs(p.Value)
				})
			}
			if err != nil {
				errs <- gap(armErr(err, data.SectionAzureRoles, scope, "role definitions of subscription "+sub.ID, "Reader on "+scope), scope)
			}
		}()
	}
	for _, mg := range sc.mgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := armauthorization.NewRoleAssignmentsClient("", s.cred, s.arm.opts)
			if err == nil {
				// armauthorization sends $filter unencoded (NOTES §5): it must be URL-safe as given.
				f := url.PathEscape("atScope()")
				err = pages(ctx, s, "", c.NewListForScopePager(mg.ID, &armauthorization.RoleAssignmentsClientListForScopeOptions{Filter: &f}),
					func(p armauthorization.RoleAssignmentsClientListForScopeResponse) { add(p.Value) })
			}
			if err != nil {
				errs <- gap(armErr(err, data.SectionAzureRoles, mg.ID, "role assignments of management group "+mg.Name, "Reader on "+mg.ID), mg.ID)
			}
		}()
	}
	wg.Wait()
	close(errs)
	fails := []error{scErr}
	for err := range errs {
		if fatal(err) {
			return out, err
		}
		fails = append(fails, err)
	}
	// Definitions the subscription lists did not name (custom roles of a management group without subscriptions,
	// deleted roles) are asked for one by one; those that cannot be resolved stay unresolved, never skipped.
	var missing []string
	for _, a := range out.assignments {
		if _, ok := defs[data.Key(a.RoleDefinitionID)]; !ok && !slices.Contains(missing, data.Key(a.RoleDefinitionID)) {
			missing = append(missing, data.Key(a.RoleDefinitionID))
		}
	}
	if len(missing) > 0 {
		c, err := armauthorization.NewRoleDefinitionsClient(s.cred, s.arm.opts)
		if err != nil {
			return out, err
		}
		for _, id := range missing {
			slots := s.armBucket("")
			if err := slots.acquire(ctx); err != nil {
				return out, err
			}
			r, err := c.GetByID(ctx, "/providers/Microsoft.Authorization/roleDefinitions/"+id, nil)
			slots.release()
			if err != nil {
				var re *azcore.ResponseError
				if errors.As(err, &re) && (re.StatusCode == http.StatusNotFound || re.StatusCode == http.StatusForbidden) {
					continue
				}
				if err := armErr(err, data.SectionAzureRoles, "", "role definition "+id, ""); fatal(err) {
					return out, err
				} else {
					// The assignments stay, with the definition unresolved.
					s.opts.Log("%v", err)
				}
				continue
			}
			addDefs([]*armauthorization.RoleDefinition{&r.RoleDefinition})
		}
	}
	// Keep the definitions that are used: a subscription lists hundreds of built-in roles.
	used := map[string]bool{}
	for _, a := range out.assignments {
		used[data.Key(a.RoleDefinitionID)] = true
		// A delegation condition names the roles its holder may grant; the assessment judges it by them.
		for _, id := range conditionGUIDs.FindAllString(a.Condition, -1) {
			used[data.Key(id)] = true
		}
	}
	for k, d := range defs {
		if used[k] {
			out.defs = append(out.defs, d)
		}
	}
	sort.Slice(out.defs, func(a, b int) bool { return out.defs[a].ID < out.defs[b].ID })
	return out, errors.Join(fails...)
}

// conditionGUIDs finds the GUIDs in a role assignment's condition.
var conditionGUIDs = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

func toRoleDefinition(d *armauthorization.RoleDefinition) (data.RoleDefinition, bool) {
	if d == nil {
		return data.RoleDefinition{}, false
	}
	id := strings.ToLower(data.LastSegment(firstNonEmpty(deref(d.Name), deref(d.ID))))
	if id == "" {
		return data.RoleDefinition{}, false
	}
	rd := data.RoleDefinition{ID: id}
	if p := d.Properties; p != nil {
		rd.RoleName = deref(p.RoleName)
		rd.Custom = strings.EqualFold(deref(p.RoleType), "CustomRole")
		for _, perm := range p.Permissions {
			if perm == nil {
				continue
			}
			rd.Actions = append(rd.Actions, derefAll(perm.Actions)...)
			rd.NotActions = append(rd.NotActions, derefAll(perm.NotActions)...)
			rd.DataActions = append(rd.DataActions, derefAll(perm.DataActions)...)
			rd.NotDataActions = append(rd.NotDataActions, derefAll(perm.NotDataActions)...)
		}
	}
	return rd, true
}

// resources are the resources that carry an identity block, plus the user-assigned identities themselves.
type resources struct {
	list  []data.Resource
	uamis []uami
	gaps  []data.Gap
}

// uami is a user-assigned identity as ARM lists it.
type uami struct {
	id, principalID, sub, group, name string
}

func (s *Source) resources(ctx context.Context) (resources, error) {
	return shared(s, ctx, "resources", func(ctx context.Context) (resources, error) {
		sc, err := s.scopes(ctx)
		return s.readResources(ctx, sc, err)
	})
}

// readResources reads the resources of the subscriptions that could be listed; scErr is the failure of listing them.
func (s *Source) readResources(ctx context.Context, sc scopes, scErr error) (resources, error) {
	var out resources
	if fatal(scErr) {
		return out, scErr
	}
	if len(sc.subs) == 0 {
		if scErr != nil {
			// The subscription list failed: what it would have named is unknown, not empty.
			reason := "the subscription list could not be read: " + scErr.Error()
			return out, errors.Join(&failure{data.Gap{Section: data.SectionResources, Reason: reason}},
				&failure{data.Gap{Section: data.SectionAttached, Reason: reason}})
		}
		out.gaps = append(out.gaps, noSubscription(data.SectionResources), noSubscription(data.SectionAttached))
		return out, nil
	}
	var (
		mu   sync.Mutex
		byID = map[string]int{}
	)
	put := func(r data.Resource) {
		mu.Lock()
		defer mu.Unlock()
		if n, ok := byID[data.Key(r.ID)]; ok {
			// Keep the identity block if one of the two reads had it.
			if out.list[n].SystemAssignedPrincipalID == "" {
				out.list[n].SystemAssignedPrincipalID = r.SystemAssignedPrincipalID
			}
			if len(out.list[n].UserAssignedIdentityIDs) == 0 {
				out.list[n].UserAssignedIdentityIDs = r.UserAssignedIdentityIDs
			}
			return
		}
		byID[data.Key(r.ID)] = len(out.list)
		out.list = append(out.list, r)
	}
	var wg sync.WaitGroup
	var uaErr, resErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		uaErr = s.readUserAssigned(ctx, sc.subs, &mu, &out, put)
	}()
	if err := s.readResourceGraph(ctx, sc.subs, put); err != nil {
		if fatal(err) {
			wg.Wait()
			return out, err
		}
		s.opts.Log("Resource Graph failed (%v); listing resources per subscription", err)
		resErr = s.readResourcesPerSubscription(ctx, sc.subs, &mu, &out, put)
	}
	wg.Wait()
	sort.Slice(out.list, func(a, b int) bool { return data.Key(out.list[a].ID) < data.Key(out.list[b].ID) })
	return out, errors.Join(uaErr, resErr)
}

func (s *Source) readUserAssigned(ctx context.Context, subs []data.Subscription, mu *sync.Mutex, out *resources,
	put func(data.Resource)) error {
	var fails []error
	for _, sub := range subs {
		c, err := armmsi.NewUserAssignedIdentitiesClient(sub.ID, s.cred, s.arm.opts)
		if err != nil {
			return err
		}
		err = pages(ctx, s, sub.ID, c.NewListBySubscriptionPager(nil), func(p armmsi.UserAssignedIdentitiesClientListBySubscriptionResponse) {
			for _, u := range p.Value {
				id := deref(u.ID)
				put(data.Resource{ID: id, Name: firstNonEmpty(deref(u.Name), data.ResourceName(id)),
					Type: typeOf(id, deref(u.Type)), Location: deref(u.Location)})
				pid := ""
				if u.Properties != nil {
					pid = strings.ToLower(deref(u.Properties.PrincipalID))
				}
				mu.Lock()
				out.uamis = append(out.uamis, uami{id: id, principalID: pid, sub: sub.ID, group: data.ResourceGroupOf(id),
					name: data.ResourceName(id)})
				mu.Unlock()
			}
		})
		if err != nil {
			if err := out.noteSubscriptionFailure(mu, err, sub.ID, "user-assigned identities", &fails); err != nil {
				return err
			}
		}
	}
	return errors.Join(fails...)
}

// noteSubscriptionFailure sorts out one subscription's failed list: a 403 becomes a gap, another failure is kept in
// fails to report, and only a failure that must stop the whole read is returned.
func (out *resources) noteSubscriptionFailure(mu *sync.Mutex, err error, sub, what string, fails *[]error) error {
	scope := "/subscriptions/" + sub
	g, err := gapOr(soft(armErr(err, data.SectionAttached, scope, what+" of subscription "+sub, "Reader on "+scope),
		data.SectionAttached, scope, ""))
	switch {
	case fatal(err):
		return err
	case err != nil:
		*fails = append(*fails, err)
	default:
		mu.Lock()
		out.gaps = append(out.gaps, *g)
		mu.Unlock()
	}
	return nil
}

// resourceQuery asks Resource Graph for every resource with an identity block.
const resourceQuery = "Resources | where isnotempty(identity) | project id, name, type, location, identity"

func (s *Source) readResourceGraph(ctx context.Context, subs []data.Subscription, put func(data.Resource)) error {
	c, err := armresourcegraph.NewClient(s.cred, s.arm.opts)
	if err != nil {
		return err
	}
	ids := make([]*string, len(subs))
	for i := range subs {
		ids[i] = &subs[i].ID
	}
	var skip *string
	for {
		slots := s.armBucket("")
		if err := slots.acquire(ctx); err != nil {
			return err
		}
		resp, err := c.Resources(ctx, armresourcegraph.QueryRequest{
			Query:         to.Ptr(resourceQuery),
			Subscriptions: ids,
			Options: &armresourcegraph.QueryRequestOptions{
				Top: to.Ptr(int32(1000)), SkipToken: skip, ResultFormat: to.Ptr(armresourcegraph.ResultFormatObjectArray),
			},
		}, nil)
		slots.release()
		if err != nil {
			return err
		}
		rows, ok := resp.Data.([]any)
		if !ok && resp.Data != nil {
			return fmt.Errorf("Resource Graph answered rows of an unexpected shape")
		}
		for _, row := range rows {
			if m, ok := row.(map[string]any); ok {
				if r, ok := resourceFromRow(m); ok {
					put(r)
				}
			}
		}
		if resp.SkipToken == nil || *resp.SkipToken == "" {
			return nil
		}
		skip = resp.SkipToken
	}
}

func resourceFromRow(m map[string]any) (data.Resource, bool) {
	str := func(v any) string { s, _ := v.(string); return s }
	id := str(m["id"])
	if id == "" {
		return data.Resource{}, false
	}
	r := data.Resource{ID: id, Name: firstNonEmpty(str(m["name"]), data.ResourceName(id)), Type: typeOf(id, str(m["type"])),
		Location: str(m["location"])}
	if ident, ok := m["identity"].(map[string]any); ok {
		r.SystemAssignedPrincipalID = strings.ToLower(str(ident["principalId"]))
		if ua, ok := ident["userAssignedIdentities"].(map[string]any); ok {
			for k := range ua {
				r.UserAssignedIdentityIDs = append(r.UserAssignedIdentityIDs, k)
			}
			sort.Strings(r.UserAssignedIdentityIDs)
		}
	}
	return r, true
}

func (s *Source) readResourcesPerSubscription(ctx context.Context, subs []data.Subscription, mu *sync.Mutex,
	out *resources, put func(data.Resource)) error {
	var fails []error
	for _, sub := range subs {
		c, err := armresources.NewClient(sub.ID, s.cred, s.arm.opts)
		if err != nil {
			return err
		}
		err = pages(ctx, s, sub.ID, c.NewListPager(nil), func(p armresources.ClientListResponse) {
			for _, g := range p.Value {
				if g == nil || g.Identity == nil {
					continue
				}
				id := deref(g.ID)
				r := data.Resource{ID: id, Name: firstNonEmpty(deref(g.Name), data.ResourceName(id)),
					Type: typeOf(id, deref(g.Type)), Location: deref(g.Location),
					SystemAssignedPrincipalID: strings.ToLower(deref(g.Identity.PrincipalID))}
				for k := range g.Identity.UserAssignedIdentities {
					r.UserAssignedIdentityIDs = append(r.UserAssignedIdentityIDs, k)
				}
				sort.Strings(r.UserAssignedIdentityIDs)
				if r.SystemAssignedPrincipalID == "" && len(r.UserAssignedIdentityIDs) == 0 {
					continue
				}
				put(r)
			}
		})
		if err != nil {
			if err := out.noteSubscriptionFailure(mu, err, sub.ID, "resources", &fails); err != nil {
				return err
			}
		}
	}
	return errors.Join(fails...)
}

// typeOf prefers the type spelled in the id (Resource Graph lowercases its type column).
func typeOf(id, reported string) string {
	if t := data.ResourceType(id); t != "" {
		return t
	}
	return reported
}

func derefAll(in []*string) []string {
	var out []string
	for _, p := range in {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}
