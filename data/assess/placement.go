package assess

// The placement rules, MI-ORPHANED and MI-SHARED: where a user-assigned identity is attached (or not).

import (
	"fmt"

	"github.com/miscope/miscope/data"
)

// resourcesReadable reports whether the tenant's resources were read well enough to say that a resource is absent:
// no gap hides resources or attachments for this identity, some subscription was read, and the target's subscription
// was among those read.
func (e *engine) resourcesReadable(id *data.Identity, target string) bool {
	for _, s := range []data.Section{data.SectionResources, data.SectionAttached} {
		for _, g := range e.x.Gaps(id.ID, s) {
			if g.Scope == "" || target == "" || e.x.Covers(g.Scope, target) {
				return false
			}
		}
	}
	if len(e.x.Tenant.Subscriptions) == 0 {
		return false // no subscription was readable, so no resource could be seen
	}
	if sub := data.SubscriptionOf(target); sub != "" {
		if _, ok := e.subNames[sub]; !ok {
			return false // collected with --subscription and this one was left out
		}
	}
	return true
}

// graded is a placement finding's severity: that of identity i's privilege findings, at least low and at most
// high, because an unused or widely shared identity matters in proportion to what it can do.
func (e *engine) graded(i int) Severity {
	return max(min(e.verdicts[i].privilege, High), Low)
}

// orphaned is MI-ORPHANED: a user-assigned identity attached to nothing.
func (e *engine) orphaned(i int, attached []*data.Resource) {
	id := &e.x.Tenant.Identities[i]
	if id.Kind != data.UserAssigned || len(attached) > 0 || !e.resourcesReadable(id, "") {
		return
	}
	sev := min(e.graded(i), Medium)
	line := fmt.Sprintf("user-assigned identity %s is attached to no resource", id.ResourceID)
	if r := e.verdicts[i].reach; r.Level > levelUnknown {
		line += "; it can still act as " + r.Label
	}
	e.add(RuleOrphaned, id.ID, []evidence{{sev, identityEvidence(id, line)}}, func(evidence) string {
		return "User-assigned identity " + quote(e.identityName(id)) + " is attached to no resource"
	}, "Delete the identity if nothing uses it, or remove its role assignments, permissions and federated "+
		"credentials until a workload needs them. "+tokenCacheNote+" "+noteARM)
}

// sharedThreshold is how many resources make a user-assigned identity widely shared.
const sharedThreshold = 5

// shared is MI-SHARED: a user-assigned identity attached to many resources or across subscriptions.
func (e *engine) shared(i int, attached []*data.Resource) {
	id := &e.x.Tenant.Identities[i]
	if id.Kind != data.UserAssigned || len(attached) < 2 {
		return
	}
	subs := map[string]bool{}
	for _, r := range attached {
		subs[data.SubscriptionOf(r.ID)] = true
	}
	if len(attached) < sharedThreshold && len(subs) < 2 {
		return
	}
	sev := e.graded(i)
	var ev []evidence
	head := fmt.Sprintf("attached to %d resources in %d subscription(s)", len(attached), len(subs))
	ev = append(ev, evidence{sev, identityEvidence(id, head)})
	for _, r := range attached {
		ev = append(ev, evidence{Info, resourceEvidence(r.ID, fmt.Sprintf("attached to %s %s (%s)", r.Type,
			quote(r.Name), r.ID))})
	}
	e.add(RuleShared, id.ID, ev, func(evidence) string {
		return fmt.Sprintf("User-assigned identity %s is %s", quote(e.identityName(id)), head)
	}, "Give each workload, or at least each subscription, its own user-assigned identity with only the "+
		"permissions it needs; whoever controls any one of these resources holds this identity.")
}
