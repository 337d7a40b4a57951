package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/rolemanagement"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"

	"github.com/miscope/miscope/data"
)

// Needs for each Graph part, as the permission that makes it readable.
const (
	needsDirectory  = "Directory.Read.All"
	needsRoleMgmt   = "RoleManagement.Read.Directory"
	needsAppRead    = "Application.Read.All"
	needsGroupRead  = "GroupMember.Read.All"
	needsPrincipals = "Directory.Read.All"
	needsOwned      = "Application.Read.All or Directory.Read.All"
)

// ---- per-identity Graph reads ----

// identityGraph is what Graph says about one identity: its application permissions and its groups. gone is set when
// Graph answered 404: the identity was deleted after it was listed.
type identityGraph struct {
	appRoles []appRoleItem
	groups   []groupItem
	owned    []ownedItem
	appErr   error
	groupErr error
	ownedErr error
	gone     bool
}

// ownedItem is one object an identity owns, as ownedObjects lists it: its type says whether it is a group, an
// application or a service principal; appId links an application to its service principal.
type ownedItem struct {
	Type        string `json:"@odata.type"`
	ID          string `json:"id"`
	AppID       string `json:"appId"`
	DisplayName string `json:"displayName"`
}

func ownedURL(id string) string {
	return "/servicePrincipals/" + url.PathEscape(id) + "/ownedObjects?$select=id,appId,displayName&$top=999"
}

// ownerships turns an identity's ownedObjects answer into ownerships of the kinds that make a path (groups,
// applications, service principals); other objects it may own are not steps to anything.
func ownerships(owner string, items []ownedItem) []data.Ownership {
	var out []data.Ownership
	for _, it := range items {
		var typ data.OwnedType
		switch strings.ToLower(it.Type) {
		case "#microsoft.graph.group":
			typ = data.OwnedGroup
		case "#microsoft.graph.application":
			typ = data.OwnedApplication
		case "#microsoft.graph.serviceprincipal":
			typ = data.OwnedServicePrincipal
		default:
			continue
		}
		out = append(out, data.Ownership{OwnerID: owner, ObjectID: it.ID, ObjectType: typ, AppID: it.AppID,
			DisplayName: it.DisplayName})
	}
	return out
}

type appRoleItem struct {
	ID                  string `json:"id"`
	AppRoleID           string `json:"appRoleId"`
	PrincipalID         string `json:"principalId"`
	ResourceID          string `json:"resourceId"`
	ResourceDisplayName string `json:"resourceDisplayName"`
}

type groupItem struct {
	Type           string `json:"@odata.type"`
	ID             string `json:"id"`
	DisplayName    string `json:"displayName"`
	IsAssignable   *bool  `json:"isAssignableToRole"`
	RoleTemplateID string `json:"roleTemplateId"`
}

func appRolesURL(id string) string {
	return "/servicePrincipals/" + url.PathEscape(id) +
		"/appRoleAssignments?$select=id,appRoleId,principalId,resourceId,resourceDisplayName&$top=999"
}

func groupsURL(id string) string {
	return "/servicePrincipals/" + url.PathEscape(id) + "/transitiveMemberOf?$select=id,displayName,isAssignableToRole&$top=999"
}

// sectionErr turns a failed step into the identity's gap (403), or a failure of the section (anything else that
// outlasted the retries), which a full read records and a section read does not keep.
func sectionErr(err error, sec data.Section, id, what, needs string) error {
	if fatal(err) {
		return err
	}
	var se *httpStatusError
	if errors.As(err, &se) && se.status == http.StatusForbidden {
		return &data.Gap{Section: sec, IdentityID: id, Reason: what + " answered 403 " + se.code, Needs: needs}
	}
	return &failure{data.Gap{Section: sec, IdentityID: id, Reason: what + ": " + err.Error()}}
}

// notFound reports a Graph answer of 404, in a $batch item or a plain request.
func notFound(err error) bool {
	var se *httpStatusError
	if errors.As(err, &se) {
		return se.status == http.StatusNotFound
	}
	st, _ := graphStatus(err)
	return st == http.StatusNotFound
}

// readIdentityGraph reads the application permissions, groups and/or owned objects of identities, 20 requests per
// $batch.
func (s *Source) readIdentityGraph(ctx context.Context, ids []string, appRoles, groups, owned bool) (map[string]*identityGraph, error) {
	out := make(map[string]*identityGraph, len(ids))
	var mu sync.Mutex
	var steps []step
	for _, id := range ids {
		g := &identityGraph{}
		out[data.Key(id)] = g
		if appRoles {
			steps = append(steps, listStep(s, ctx, &mu, g, appRolesURL(id), &g.appRoles, &g.appErr,
				data.SectionAppRoles, id, "application permissions", needsAppRead))
		}
		if groups {
			steps = append(steps, listStep(s, ctx, &mu, g, groupsURL(id), &g.groups, &g.groupErr,
				data.SectionGroups, id, "group memberships", needsGroupRead))
		}
		if owned {
			steps = append(steps, listStep(s, ctx, &mu, g, ownedURL(id), &g.owned, &g.ownedErr,
				data.SectionOwnerships, id, "owned objects", needsOwned))
		}
	}
	return out, s.runBatches(ctx, steps)
}

// resourceSP is a resource service principal (an API such as Microsoft Graph) with its app roles.
type resourceSP struct {
	ID          string `json:"id"`
	AppID       string `json:"appId"`
	DisplayName string `json:"displayName"`
	AppRoles    []struct {
		ID    string `json:"id"`
		Value string `json:"value"`
	} `json:"appRoles"`
}

// resourceSPs reads the app roles of resource service principals, once each, 20 per $batch.
func (s *Source) resourceSPs(ctx context.Context, ids []string) map[string]*resourceSP {
	out := map[string]*resourceSP{}
	var todo []string
	s.mu.Lock()
	for _, id := range ids {
		if p, ok := s.parts["sp|"+data.Key(id)]; ok {
			if r, ok := p.val.(*resourceSP); ok && r != nil {
				out[data.Key(id)] = r
				continue
			}
		}
		if !slices.Contains(todo, id) {
			todo = append(todo, id)
		}
	}
	s.mu.Unlock()
	var mu sync.Mutex
	steps := make([]step, 0, len(todo))
	for _, id := range todo {
		steps = append(steps, step{url: "/servicePrincipals/" + url.PathEscape(id) + "?$select=id,appId,displayName,appRoles",
			done: func(status int, body []byte, err error) {
				if err != nil {
					s.opts.Log("resource service principal %s not readable: %v", id, err)
					return
				}
				var r resourceSP
				if json.Unmarshal(body, &r) != nil {
					return
				}
				mu.Lock()
				out[data.Key(id)] = &r
				mu.Unlock()
				s.mu.Lock()
				s.parts["sp|"+data.Key(id)] = part{at: s.now(), val: &r}
				s.mu.Unlock()
			}})
	}
	if err := s.runBatches(ctx, steps); err != nil {
		s.opts.Log("reading resource service principals: %v", err)
	}
	return out
}

// appRoleAssignments turns Graph's answers into the model, naming each permission from its resource's app roles.
func appRoleAssignments(principal string, items []appRoleItem, sps map[string]*resourceSP) []data.AppRoleAssignment {
	out := make([]data.AppRoleAssignment, 0, len(items))
	for _, it := range items {
		a := data.AppRoleAssignment{ID: it.ID, PrincipalID: firstNonEmpty(strings.ToLower(it.PrincipalID), principal),
			ResourceID: strings.ToLower(it.ResourceID), ResourceDisplayName: it.ResourceDisplayName,
			AppRoleID: strings.ToLower(it.AppRoleID)}
		if sp := sps[data.Key(it.ResourceID)]; sp != nil {
			a.ResourceAppID = strings.ToLower(sp.AppID)
			a.ResourceDisplayName = firstNonEmpty(a.ResourceDisplayName, sp.DisplayName)
			for _, r := range sp.AppRoles {
				if strings.EqualFold(r.ID, it.AppRoleID) {
					a.Permission = r.Value
				}
			}
		}
		out = append(out, a)
	}
	return out
}

// memberships turns transitiveMemberOf answers into groups and memberships. A group is marked transitive for an
// identity when another of the identity's groups is a member of it; parents maps a group to the groups it belongs
// to (nil when unknown, and then every membership is taken as direct). direct, when not nil, names the groups the
// identity is a direct member of and decides instead: it is read when the groups' own parents could not be.
func memberships(identity string, items []groupItem, parents map[string][]string, direct map[string]bool) ([]data.Group, []data.Membership) {
	var groups []data.Group
	var ms []data.Membership
	in := map[string]bool{}
	for _, it := range items {
		if isGroup(it) {
			in[data.Key(it.ID)] = true
		}
	}
	for _, it := range items {
		if !isGroup(it) {
			continue
		}
		groups = append(groups, data.Group{ID: strings.ToLower(it.ID), DisplayName: it.DisplayName,
			RoleAssignable: it.IsAssignable != nil && *it.IsAssignable})
		transitive := false
		if direct != nil {
			transitive = !direct[data.Key(it.ID)]
		} else {
			for other := range in {
				if other != data.Key(it.ID) && slices.Contains(parents[other], data.Key(it.ID)) {
					transitive = true
				}
			}
		}
		ms = append(ms, data.Membership{IdentityID: identity, GroupID: strings.ToLower(it.ID), Transitive: transitive})
	}
	return groups, ms
}

func isGroup(it groupItem) bool {
	return it.Type == "" && it.RoleTemplateID == "" || strings.EqualFold(strings.TrimPrefix(it.Type, "#"), "microsoft.graph.group")
}

// groupParents reads the groups each group belongs to, for the groups that share an identity with another group
// (only those can be reached through another), 20 per $batch. failed holds the groups whose parents could not be
// read, with the reason.
func (s *Source) groupParents(ctx context.Context, graphs map[string]*identityGraph) (parents map[string][]string, failed map[string]error) {
	need := map[string]bool{}
	for _, g := range graphs {
		if groupCount(g) < 2 {
			continue
		}
		for _, it := range g.groups {
			if isGroup(it) {
				need[data.Key(it.ID)] = true
			}
		}
	}
	parents, failed = map[string][]string{}, map[string]error{}
	var mu sync.Mutex
	var steps []step
	for id := range need {
		steps = append(steps, collectionStep(s, ctx, "/groups/"+url.PathEscape(id)+"/transitiveMemberOf?$select=id&$top=999",
			func(items []groupItem) {
				mu.Lock()
				for _, it := range items {
					if isGroup(it) {
						parents[id] = append(parents[id], data.Key(it.ID))
					}
				}
				mu.Unlock()
			}, func(err error) {
				s.opts.Log("parents of group %s not readable: %v", id, err)
				mu.Lock()
				failed[id] = err
				mu.Unlock()
			}))
	}
	sort.Slice(steps, func(a, b int) bool { return steps[a].url < steps[b].url })
	if err := s.runBatches(ctx, steps); err != nil {
		s.opts.Log("reading group parents: %v", err)
		mu.Lock()
		for id := range need {
			if _, ok := parents[id]; !ok && failed[id] == nil {
				failed[id] = err
			}
		}
		mu.Unlock()
	}
	return parents, failed
}

func groupCount(g *identityGraph) int {
	n := 0
	for _, it := range g.groups {
		if isGroup(it) {
			n++
		}
	}
	return n
}

// nesting decides, per identity, which of its groups it belongs to directly. The groups' parents say so; where a
// parent list of one of an identity's groups could not be read, the identity's own direct memberships (memberOf) are
// read instead, 20 per $batch. The answer maps an identity's key to its direct groups (nil where the parents
// decide), and to the error that leaves its nesting unknown when neither could be read.
func (s *Source) nesting(ctx context.Context, graphs map[string]*identityGraph, ids map[string]string) (
	parents map[string][]string, direct map[string]map[string]bool, unknown map[string]error) {
	parents, failed := s.groupParents(ctx, graphs)
	direct, unknown = map[string]map[string]bool{}, map[string]error{}
	if len(failed) == 0 {
		return parents, direct, unknown
	}
	var mu sync.Mutex
	var steps []step
	for k, g := range graphs {
		if g.groupErr != nil || g.gone || groupCount(g) < 2 {
			continue
		}
		var cause error
		for _, it := range g.groups {
			if err := failed[data.Key(it.ID)]; err != nil && isGroup(it) {
				cause = err
				break
			}
		}
		if cause == nil {
			continue
		}
		id := ids[k]
		set := map[string]bool{}
		what := "the identity's direct group memberships, read because the parents of its groups were not (" +
			data.Clean(firstLine(cause.Error())) + "),"
		steps = append(steps, collectionStep(s, ctx, "/servicePrincipals/"+url.PathEscape(id)+"/memberOf?$select=id&$top=999",
			func(items []groupItem) {
				mu.Lock()
				for _, it := range items {
					set[data.Key(it.ID)] = true
				}
				mu.Unlock()
			}, func(err error) {
				mu.Lock()
				unknown[k] = sectionErr(err, data.SectionGroups, id, what, needsGroupRead)
				mu.Unlock()
			}))
		direct[k] = set
	}
	sort.Slice(steps, func(a, b int) bool { return steps[a].url < steps[b].url })
	if err := s.runBatches(ctx, steps); err != nil {
		// The batches stopped before every answer came: what was not answered is not known.
		for k := range direct {
			unknown[k] = soft(err, data.SectionGroups, "", ids[k])
		}
	}
	for k := range unknown {
		delete(direct, k)
	}
	return parents, direct, unknown
}

// ---- tenant-wide Graph reads ----

// directory is the tenant-wide Entra role picture: definitions and assignments, active and eligible.
type directory struct {
	defs        []data.DirectoryRoleDefinition
	assignments []data.DirectoryRoleAssignment
	gaps        []data.Gap
}

func (s *Source) directory(ctx context.Context) (directory, error) {
	return shared(s, ctx, "directory", s.readDirectory)
}

func (s *Source) readDirectory(ctx context.Context) (directory, error) {
	var out directory
	var mu sync.Mutex
	keep := func(err error, what, needs string) error {
		if err == nil {
			return nil
		}
		g, err := gapOr(soft(graphErr(err, data.SectionDirectoryRoles, what, needs), data.SectionDirectoryRoles, "", ""))
		if g != nil {
			mu.Lock()
			out.gaps = append(out.gaps, *g)
			mu.Unlock()
		}
		return err
	}
	dirs := s.graph.client.RoleManagement().Directory()
	// Active assignments and eligibility schedules are read alike and differ only in their state.
	assignmentFields := []string{"id", "principalId", "roleDefinitionId", "directoryScopeId"}
	assignments := func(what string, state data.AssignmentState, first func(context.Context) (serialization.Parsable, error),
		factory serialization.ParsableFactory) func() error {
		return func() error {
			err := graphList(ctx, s, first, factory, func(a directoryAssignment) {
				mu.Lock()
				out.assignments = append(out.assignments, data.DirectoryRoleAssignment{ID: deref(a.GetId()),
					PrincipalID: strings.ToLower(deref(a.GetPrincipalId())), RoleTemplateID: strings.ToLower(deref(a.GetRoleDefinitionId())),
					DirectoryScopeID: firstNonEmpty(deref(a.GetDirectoryScopeId()), "/"), State: state})
				mu.Unlock()
			})
			if st, _ := graphStatus(err); err != nil && st == http.StatusNotFound && state == data.Eligible {
				s.opts.Log("role eligibility is not served here: %v", err)
				return nil
			}
			return keep(err, what, needsRoleMgmt)
		}
	}
	lists := []func() error{
		func() error {
			err := graphList(ctx, s, func(ctx context.Context) (serialization.Parsable, error) {
				return dirs.RoleDefinitions().Get(ctx, &rolemanagement.DirectoryRoleDefinitionsRequestBuilderGetRequestConfiguration{
					QueryParameters: &rolemanagement.DirectoryRoleDefinitionsRequestBuilderGetQueryParameters{
						Select: []string{"id", "templateId", "displayName", "isBuiltIn"}}})
			}, models.CreateUnifiedRoleDefinitionCollectionResponseFromDiscriminatorValue, func(d models.UnifiedRoleDefinitionable) {
				mu.Lock()
				out.defs = append(out.defs, data.DirectoryRoleDefinition{
					TemplateID:  strings.ToLower(firstNonEmpty(deref(d.GetTemplateId()), deref(d.GetId()))),
					DisplayName: deref(d.GetDisplayName()), IsBuiltIn: deref(d.GetIsBuiltIn())})
				mu.Unlock()
			})
			return keep(err, "directory role definitions", needsRoleMgmt)
		},
		assignments("directory role assignments", data.Active, func(ctx context.Context) (serialization.Parsable, error) {
			return dirs.RoleAssignments().Get(ctx, &rolemanagement.DirectoryRoleAssignmentsRequestBuilderGetRequestConfiguration{
				QueryParameters: &rolemanagement.DirectoryRoleAssignmentsRequestBuilderGetQueryParameters{Select: assignmentFields}})
		}, models.CreateUnifiedRoleAssignmentCollectionResponseFromDiscriminatorValue),
		assignments("eligible directory role assignments", data.Eligible, func(ctx context.Context) (serialization.Parsable, error) {
			return dirs.RoleEligibilitySchedules().Get(ctx, &rolemanagement.DirectoryRoleEligibilitySchedulesRequestBuilderGetRequestConfiguration{
				QueryParameters: &rolemanagement.DirectoryRoleEligibilitySchedulesRequestBuilderGetQueryParameters{Select: assignmentFields}})
		}, models.CreateUnifiedRoleEligibilityScheduleCollectionResponseFromDiscriminatorValue),
	}
	errs := make([]error, len(lists))
	var wg sync.WaitGroup
	for i, list := range lists {
		wg.Go(func() { errs[i] = list() })
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// directoryAssignment is what active and eligible Entra role assignments have in common.
type directoryAssignment interface {
	GetId() *string
	GetPrincipalId() *string
	GetRoleDefinitionId() *string
	GetDirectoryScopeId() *string
}

// rawCredential is a password or key credential as Graph returns it, before it is judged.
type rawCredential struct {
	password     bool
	keyID, usage string
	customKey    string // customKeyIdentifier, raw bytes
	displayName  string
	start, end   time.Time
}

// signInCredentials keeps the credentials an application signs in with: its passwords and the public keys of its
// certificates (usage Verify). A SAML application's service principal also holds a token-signing certificate: a
// Sign key, its Verify twin and the password of the private key, all sharing one customKeyIdentifier (and the
// password the Sign key's keyId). They sign tokens for others, so they are left out.
func signInCredentials(creds []rawCredential) []data.Credential {
	signing := map[string]bool{}
	for _, c := range creds {
		if !c.password && strings.EqualFold(c.usage, "Sign") {
			signing["kid|"+c.customKey] = true
			signing["id|"+strings.ToLower(c.keyID)] = true
		}
	}
	var out []data.Credential
	for _, c := range creds {
		if c.customKey != "" && signing["kid|"+c.customKey] || signing["id|"+strings.ToLower(c.keyID)] {
			continue
		}
		typ := "password"
		if !c.password {
			if !strings.EqualFold(c.usage, "Verify") {
				continue
			}
			typ = "certificate"
		}
		out = append(out, data.Credential{KeyID: strings.ToLower(c.keyID), Type: typ, DisplayName: c.displayName,
			Start: c.start, End: c.end})
	}
	return out
}

// credentialsOf reads the credentials of a service principal or application.
func credentialsOf(pws []models.PasswordCredentialable, keys []models.KeyCredentialable) []rawCredential {
	var out []rawCredential
	for _, p := range pws {
		out = append(out, rawCredential{password: true, keyID: keyID(p.GetKeyId()), customKey: string(p.GetCustomKeyIdentifier()),
			displayName: deref(p.GetDisplayName()), start: timeOf(p.GetStartDateTime()), end: timeOf(p.GetEndDateTime())})
	}
	for _, k := range keys {
		out = append(out, rawCredential{keyID: keyID(k.GetKeyId()), usage: deref(k.GetUsage()),
			customKey: string(k.GetCustomKeyIdentifier()), displayName: deref(k.GetDisplayName()),
			start: timeOf(k.GetStartDateTime()), end: timeOf(k.GetEndDateTime())})
	}
	return out
}

func keyID(u *uuid.UUID) string {
	if u == nil {
		return ""
	}
	return u.String()
}

// applications lists the applications of the tenant that sign in with a secret or certificate: the candidates to
// move to a managed identity. Their service principals are listed (an application is known here by its service
// principal), and so are the application objects, where most secrets and certificates live; the two are joined by
// appId. Both lists page at 999, so they cost a request per 999 applications each.
func (s *Source) applications(ctx context.Context) ([]data.Application, []data.Gap, error) {
	var (
		wg           sync.WaitGroup
		sps          []*data.Application
		onApps       = map[string][]data.Credential{} // by Key(appId)
		spErr, apErr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		apErr = graphList(ctx, s, func(ctx context.Context) (serialization.Parsable, error) {
			return s.graph.client.Applications().Get(ctx, &applications.ApplicationsRequestBuilderGetRequestConfiguration{
				QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{
					Select: []string{"appId", "displayName", "passwordCredentials", "keyCredentials"},
					Top:    to.Ptr(int32(data.PageSize)),
				}})
		}, models.CreateApplicationCollectionResponseFromDiscriminatorValue, func(a models.Applicationable) {
			if cs := signInCredentials(credentialsOf(a.GetPasswordCredentials(), a.GetKeyCredentials())); len(cs) > 0 {
				k := data.Key(deref(a.GetAppId()))
				onApps[k] = append(onApps[k], cs...)
			}
		})
	}()
	spErr = graphList(ctx, s, func(ctx context.Context) (serialization.Parsable, error) {
		return s.graph.client.ServicePrincipals().Get(ctx, &serviceprincipals.ServicePrincipalsRequestBuilderGetRequestConfiguration{
			QueryParameters: &serviceprincipals.ServicePrincipalsRequestBuilderGetQueryParameters{
				Filter: to.Ptr("servicePrincipalType eq 'Application'"),
				Select: []string{"id", "appId", "displayName", "passwordCredentials", "keyCredentials"},
				Top:    to.Ptr(int32(data.PageSize)),
			}})
	}, models.CreateServicePrincipalCollectionResponseFromDiscriminatorValue, func(sp models.ServicePrincipalable) {
		sps = append(sps, &data.Application{ID: strings.ToLower(deref(sp.GetId())), AppID: strings.ToLower(deref(sp.GetAppId())),
			DisplayName: deref(sp.GetDisplayName()),
			Credentials: signInCredentials(credentialsOf(sp.GetPasswordCredentials(), sp.GetKeyCredentials()))})
	})
	wg.Wait()
	var gaps []data.Gap
	var fails []error
	for _, e := range []struct {
		err  error
		what string
	}{{spErr, "application service principals"}, {apErr, "applications"}} {
		if e.err == nil {
			continue
		}
		g, err := gapOr(soft(graphErr(e.err, data.SectionApplications, e.what, needsAppRead), data.SectionApplications, "", ""))
		if fatal(err) {
			return nil, nil, err
		}
		if g != nil {
			gaps = append(gaps, *g)
		} else {
			fails = append(fails, err)
		}
	}
	if spErr != nil {
		// Without the service principals no application can be named.
		return nil, gaps, errors.Join(fails...)
	}
	var out []data.Application
	for _, app := range sps {
		seen := map[string]bool{}
		for _, c := range app.Credentials {
			seen[c.KeyID] = true
		}
		for _, c := range onApps[data.Key(app.AppID)] {
			if !seen[c.KeyID] {
				seen[c.KeyID] = true
				app.Credentials = append(app.Credentials, c)
			}
		}
		if len(app.Credentials) > 0 {
			out = append(out, *app)
		}
	}
	return out, gaps, errors.Join(fails...)
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// principalNames looks up every other principal that holds an Azure role (users, groups, application service
// principals), 20 per $batch: its name for evidence, and whether it still exists. A 404 marks it NotFound, which makes
// its role assignments dangling; any other failure leaves it unnamed and undecided, and one gap says how many and why.
func (s *Source) principalNames(ctx context.Context, as []data.RoleAssignment, skip func(id string) bool) ([]data.Principal, *data.Gap) {
	seen := map[string]bool{}
	var ps []data.Principal
	for _, a := range as {
		k := data.Key(a.PrincipalID)
		if skip(k) || seen[k] {
			continue
		}
		seen[k] = true
		ps = append(ps, data.Principal{ID: a.PrincipalID, Type: a.PrincipalType})
	}
	sort.Slice(ps, func(a, b int) bool { return ps[a].ID < ps[b].ID })
	var (
		mu      sync.Mutex
		steps   []step
		unnamed int
		why     error
	)
	for i := range ps {
		p := &ps[i]
		var u string
		switch p.Type {
		case data.PrincipalGroup:
			u = "/groups/" + url.PathEscape(p.ID) + "?$select=id,displayName"
		case data.PrincipalUser:
			u = "/users/" + url.PathEscape(p.ID) + "?$select=id,displayName"
		case data.PrincipalServicePrincipal:
			u = "/servicePrincipals/" + url.PathEscape(p.ID) + "?$select=id,displayName"
		default:
			continue
		}
		steps = append(steps, step{url: u, done: func(status int, body []byte, err error) {
			if err != nil {
				mu.Lock()
				if notFound(err) {
					p.NotFound = true // deleted: no name to read, and its role assignments dangle
				} else {
					unnamed, why = unnamed+1, err
				}
				mu.Unlock()
				return
			}
			var it groupItem
			if json.Unmarshal(body, &it) != nil {
				return
			}
			mu.Lock()
			p.DisplayName = it.DisplayName
			mu.Unlock()
		}})
	}
	if err := s.runBatches(ctx, steps); err != nil {
		s.opts.Log("looking up principals: %v", err)
		if why == nil {
			why = err
		}
	}
	if why == nil {
		return ps, nil
	}
	g := &data.Gap{Section: data.SectionPrincipals, Needs: needsPrincipals}
	if gap, ok := data.AsGap(sectionErr(why, data.SectionPrincipals, "", "principal names", needsPrincipals)); ok {
		g.Reason = gap.Reason
	} else {
		g.Reason, g.Needs = "principal names: "+firstLine(why.Error()), ""
	}
	g.Reason = fmt.Sprintf("%s; %d of the principals holding Azure roles are shown by id only", g.Reason, max(unnamed, 1))
	return ps, g
}

// listStep is one identity's list in a $batch: its items are added to into, and a failure is recorded in failed
// (a 404 means the identity is gone).
func listStep[T any](s *Source, ctx context.Context, mu *sync.Mutex, g *identityGraph, u string, into *[]T,
	failed *error, sec data.Section, id, what, needs string) step {
	return collectionStep(s, ctx, u, func(items []T) {
		mu.Lock()
		*into = append(*into, items...)
		mu.Unlock()
	}, func(err error) {
		mu.Lock()
		if notFound(err) {
			g.gone = true
		} else {
			*failed = sectionErr(err, sec, id, what, needs)
		}
		mu.Unlock()
	})
}

// ownedPrincipal is what the tenant read learns of a service principal an identity owns (directly, or through its
// application): its id and the application permissions it holds, which the identity can use by adding a credential.
type ownedPrincipal struct {
	id       string
	appRoles []appRoleItem
	err      error // the permissions could not be read
}

// ownedPrincipals reads, for each application and service principal the identities own, the service principal's id
// (for an application, by its appId) and its application permissions, 20 requests per $batch. Directory and Azure
// roles are read tenant-wide already; these permissions are read per principal only. An application without a
// service principal in this tenant (404) leads nowhere and is left out. The answer is keyed by the ownership's
// target: Key(object id) for a service principal, Key(appId) for an application.
func (s *Source) ownedPrincipals(ctx context.Context, owns []data.Ownership) map[string]*ownedPrincipal {
	out := map[string]*ownedPrincipal{}
	var mu sync.Mutex
	var steps []step
	for _, o := range owns {
		var key, sel string
		switch {
		case o.ObjectType == data.OwnedServicePrincipal:
			key, sel = data.Key(o.ObjectID), "/servicePrincipals/"+url.PathEscape(o.ObjectID)
		case o.ObjectType == data.OwnedApplication && o.AppID != "":
			key, sel = data.Key(o.AppID), "/servicePrincipals(appId='"+url.PathEscape(strings.ReplaceAll(o.AppID, "'", "''"))+"')"
		default:
			continue
		}
		if _, seen := out[key]; seen {
			continue
		}
		p := &ownedPrincipal{}
		if o.ObjectType == data.OwnedServicePrincipal {
			p.id = o.ObjectID
		}
		out[key] = p
		gone := func(status int, err error) bool { return status == http.StatusNotFound || err != nil && notFound(err) }
		if p.id == "" {
			steps = append(steps, step{url: sel + "?$select=id", done: func(status int, body []byte, err error) {
				var v struct {
					ID string `json:"id"`
				}
				if gone(status, err) {
					return
				}
				if err == nil {
					err = json.Unmarshal(body, &v)
				}
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					p.err = err
					return
				}
				p.id = strings.ToLower(v.ID)
			}})
		}
		list := collectionStep(s, ctx, sel+"/appRoleAssignments?$select=id,appRoleId,principalId,resourceId,resourceDisplayName&$top=999",
			func(items []appRoleItem) {
				mu.Lock()
				p.appRoles = append(p.appRoles, items...)
				mu.Unlock()
			}, func(err error) {
				if notFound(err) {
					return
				}
				mu.Lock()
				p.err = err
				mu.Unlock()
			})
		done := list.done
		list.done = func(status int, body []byte, err error) {
			if status == http.StatusNotFound && err == nil {
				return
			}
			done(status, body, err)
		}
		steps = append(steps, list)
	}
	if len(steps) > 0 {
		if err := s.runBatches(ctx, steps); err != nil {
			for _, p := range out { // stopped before every answer came: what was not answered is not known
				if p.err == nil {
					p.err = err
				}
			}
		}
	}
	return out
}

// ownedAppRoles turns the permissions of owned service principals into app role assignments, once per principal and
// in a fixed order; a principal that is a managed identity already has its own read. Permissions that could not be
// read are a gap of every identity that owns the principal: its path through them is not known.
func ownedAppRoles(t *data.Tenant, owned map[string]*ownedPrincipal, sps map[string]*resourceSP, gaps func(...data.Gap)) []data.AppRoleAssignment {
	keys := make([]string, 0, len(owned))
	for k := range owned {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	idents := make(map[string]bool, len(t.Identities))
	for _, id := range t.Identities {
		idents[data.Key(id.ID)] = true
	}
	var out []data.AppRoleAssignment
	done := map[string]bool{}
	for _, k := range keys {
		p := owned[k]
		if p.err != nil {
			for _, o := range t.Ownerships {
				if data.Key(o.ObjectID) == k || o.ObjectType == data.OwnedApplication && data.Key(o.AppID) == k {
					g := data.Gap{Section: data.SectionOwnerships, IdentityID: o.OwnerID, Needs: needsAppRead}
					if gap, ok := data.AsGap(sectionErr(p.err, data.SectionOwnerships, o.OwnerID,
						"application permissions of owned "+string(o.ObjectType)+" "+o.ObjectID, needsAppRead)); ok {
						g = *gap
					} else {
						g.Reason = "application permissions of owned " + string(o.ObjectType) + " " + o.ObjectID + ": " +
							firstLine(p.err.Error())
					}
					gaps(g)
				}
			}
			continue
		}
		if p.id == "" || idents[data.Key(p.id)] || done[data.Key(p.id)] {
			continue
		}
		done[data.Key(p.id)] = true
		out = append(out, appRoleAssignments(p.id, p.appRoles, sps)...)
	}
	return out
}
