package assess

// The engine's memos: each role definition, scope, principal and evidence line is judged or written once per
// assessment (or per worker) rather than once per identity. No rule lives here.

import (
	"cmp"
	"fmt"
	"strings"
	"sync"

	"github.com/miscope/miscope/data"
)

// evidenceTexts keeps one copy of each evidence line for the whole assessment: the same principal's role on a
// subscription is evidence for thousands of identities below it, and every worker meets it, so a line is written once
// and every finding that shows it points at the same string. (The standard library's unique was tried here: its
// copies last only while a handle does, so each line's handle must be held, and BenchmarkAssess50k took about 8%
// more CPU and 19 MB more.)
type evidenceTexts struct {
	mu    sync.Mutex
	lines map[string]string
}

func newEvidenceTexts() *evidenceTexts {
	return &evidenceTexts{lines: map[string]string{}}
}

// line returns the shared copy of s.
func (t *evidenceTexts) line(s string) string { return keepFirst(&t.mu, t.lines, s, s) }

// keepFirst keeps v under k in a memo that workers share, unless another worker was first, and returns the value
// kept, so that every worker goes on with the same one.
func keepFirst[K comparable, V any](mu *sync.Mutex, m map[K]V, k K, v V) V {
	mu.Lock()
	defer mu.Unlock()
	if c, ok := m[k]; ok {
		return c
	}
	m[k] = v
	return v
}

// lineOf is line for text still in a buffer: it is copied only when it is new.
func (t *evidenceTexts) lineOf(b []byte) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.lines[string(b)]; ok { // looked up without a copy
		return c
	}
	s := string(b)
	t.lines[s] = s
	return s
}

type codeKey struct{ role, kind string }

// newEvidence keeps v in the worker's current block of evidence rather than in an allocation of its own.
func (e *engine) newEvidence(v Evidence) *Evidence {
	if len(e.slab) == 0 {
		e.slab = make([]Evidence, 256)
	}
	p := &e.slab[0]
	*p, e.slab = v, e.slab[1:]
	return p
}

// more is the note that counts the evidence a finding does not list.
func (e *engine) more(n int) *Evidence {
	v := note(e.texts.line(fmt.Sprintf("... and %d more", n)))
	return &v
}

// resourceGroupScope returns the "/subscriptions/<s>/resourceGroups/<g>" prefix of an ARM id, or "", without
// allocating.
func resourceGroupScope(id string) string {
	const subs, rgs = "/subscriptions/", "resourceGroups/"
	if len(id) <= len(subs) || !strings.EqualFold(id[:len(subs)], subs) {
		return ""
	}
	n := len(subs)
	slash := strings.IndexByte(id[n:], '/')
	if slash <= 0 {
		return ""
	}
	n += slash + 1
	if len(id) <= n+len(rgs) || !strings.EqualFold(id[n:n+len(rgs)], rgs) {
		return ""
	}
	n += len(rgs)
	if end := strings.IndexByte(id[n:], '/'); end >= 0 {
		n += end
	} else {
		n = len(id)
	}
	return id[:n]
}

// level is e.x.Level, once per scope.
func (e *engine) level(scope string) data.ScopeLevel {
	// Scopes inside a subscription are told apart by their shape, without a look-up; management groups need the
	// hierarchy to tell the root.
	if hasPrefixFold(scope, "/subscriptions/") {
		switch n := strings.Count(strings.TrimRight(scope, "/"), "/"); {
		case n == 2:
			return data.ScopeSubscription
		case n == 4 && len(resourceGroupScope(scope)) == len(strings.TrimRight(scope, "/")):
			return data.ScopeResourceGroup
		case n > 4 && resourceGroupScope(scope) != "":
			return data.ScopeResource
		}
	}
	if l, ok := e.scopeLevels[scope]; ok {
		return l
	}
	l := e.x.Level(scope)
	e.scopeLevels[scope] = l
	return l
}

// roleInfo is a role definition as the engine judges it.
type roleInfo struct {
	idx      int
	name     string
	custom   bool
	perms    permissions
	class    azureClass
	resolved bool
	// cond is set on a granting role held under a condition: what the condition lets it grant.
	cond *grantCondition
	// computes caches writesCompute: 1 yes, -1 no, 0 not judged yet.
	computes int8
	// mayUse is false when the role can use no identity on any kind of resource (useOf gives nothing for every
	// kind): Reader and the data roles, most of a tenant's assignments, which exposure then passes over.
	mayUse bool
}

// role resolves and classifies a role definition once: the tenant's definition when it was read (a custom role is
// judged by its actions), the built-in table when it was not; otherwise it is unresolved.
func (e *engine) role(id string) *roleInfo {
	if info, ok := e.rolesRaw[id]; ok {
		return info
	}
	k := data.Key(data.LastSegment(id))
	if info, ok := e.roles[k]; ok {
		e.rolesRaw[id] = info
		return info
	}
	info := &roleInfo{idx: len(e.roleList)}
	b, builtin := builtinRoles[k]
	if d, ok := e.x.RoleDefinition(id); ok && (len(d.Actions) > 0 || len(d.DataActions) > 0 || !builtin) {
		info.name, info.custom, info.perms, info.resolved = d.RoleName, d.Custom, permissionsOf(d), true
	} else if builtin {
		info.name, info.perms, info.resolved = b.Name, b.permissions(), true
		if ok && d.RoleName != "" {
			info.name = d.RoleName
		}
	}
	if info.resolved {
		info.class = info.perms.class()
		if builtin && b.Class != classNone && !info.custom {
			info.class = b.Class
		}
		info.mayUse = info.usesSome()
	}
	e.roleList = append(e.roleList, info)
	e.roles[k] = info
	e.rolesRaw[id] = info
	return info
}

// scopeText names a scope for evidence: its breadth, its display name where known, and the exact id.
func (e *engine) scopeText(scope string) string {
	if t, ok := e.scopeTexts[scope]; ok {
		return t
	}
	t := e.describeScope(scope)
	e.scopeTexts[scope] = t
	return t
}

func (e *engine) describeScope(scope string) string {
	level := e.level(scope)
	switch level {
	case data.ScopeRootManagementGroup, data.ScopeManagementGroup:
		if scope == "/" {
			return "the tenant root (/)"
		}
		if n := e.mgNames[data.Key(data.ManagementGroupOf(scope))]; n != "" {
			return fmt.Sprintf("%s %s (%s)", level, quote(n), scope)
		}
	case data.ScopeSubscription:
		if n := e.subNames[data.SubscriptionOf(scope)]; n != "" {
			return fmt.Sprintf("%s %s (%s)", level, quote(n), scope)
		}
	case data.ScopeResourceGroup:
		return fmt.Sprintf("%s %s (%s)", level, quote(data.ResourceGroupOf(scope)), scope)
	case data.ScopeResource:
		return fmt.Sprintf("resource %s (%s)", quote(data.ResourceName(scope)), scope)
	}
	return fmt.Sprintf("%s %s", level, scope)
}

func (e *engine) viaText(via string) string {
	if g, ok := strings.CutPrefix(via, "group:"); ok {
		return string(e.appendViaGroup(nil, g))
	}
	return "direct"
}

// appendViaGroup appends how evidence says a role is held through group g.
func (e *engine) appendViaGroup(b []byte, g string) []byte {
	b = append(b, "through group "...)
	b = append(b, quote(cmp.Or(e.x.PrincipalName(g), "unnamed"))...)
	b = append(b, " ("...)
	b = append(b, g...)
	return append(b, ')')
}

func (e *engine) identityName(id *data.Identity) string {
	return cmp.Or(id.DisplayName, id.ID)
}

// scopesAbove is Index.ScopesAbove with the part above a resource group computed once per resource group.
func (e *engine) scopesAbove(target string) []string {
	rg := resourceGroupScope(target)
	if rg == "" || len(rg) == len(target) {
		if s, ok := e.above[target]; ok {
			return s
		}
		s := e.x.ScopesAbove(target)
		e.above[target] = s
		return s
	}
	above, ok := e.above[rg]
	if !ok {
		above = e.x.ScopesAbove(rg)
		e.above[rg] = above
	}
	if strings.Count(target[len(rg):], "/") > 4 { // a nested resource: let the index list its parents
		return e.x.ScopesAbove(target)
	}
	return append([]string{target}, above...)
}

// coversScope is Index.Covers without allocating in the common case: a scope above target in the same subscription.
func (e *engine) coversScope(scope, target string) bool {
	if scope == "/" {
		return true
	}
	scope, target = strings.TrimRight(scope, "/"), strings.TrimRight(target, "/")
	if hasPrefixFold(scope, "/subscriptions/") {
		return len(target) >= len(scope) && strings.EqualFold(target[:len(scope)], scope) &&
			(len(target) == len(scope) || target[len(scope)] == '/')
	}
	// A management group: whether it is above the target's subscription, once per pair.
	sub := target
	if hasPrefixFold(target, "/subscriptions/") {
		if n := strings.IndexByte(target[len("/subscriptions/"):], '/'); n >= 0 {
			sub = target[:len("/subscriptions/")+n]
		}
	}
	k := codeKey{scope, sub}
	if v, ok := e.mgCovers[k]; ok {
		return v
	}
	v := e.x.Covers(scope, sub)
	e.mgCovers[k] = v
	return v
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func (e *engine) principalText(id string, t data.PrincipalType) string {
	if s, ok := e.principalTexts[id]; ok {
		return s
	}
	kind := "principal"
	switch t {
	case data.PrincipalUser:
		kind = "user"
	case data.PrincipalGroup:
		kind = "group"
	case data.PrincipalServicePrincipal:
		kind = "service principal"
	case data.PrincipalForeignGroup:
		kind = "foreign group"
	}
	if _, ok := e.x.Identity(id); ok {
		kind = "managed identity"
	}
	name := cmp.Or(e.x.PrincipalName(id), "unnamed")
	s := kind + " " + quote(name) + " (" + id + ")"
	e.principalTexts[id] = s
	return s
}
