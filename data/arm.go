package data

import "strings"

// ARM ids are case-insensitive and their casing varies by API (Entra writes "resourcegroups", ARM
// "resourceGroups"), so every comparison goes through these helpers.

// SameID reports whether two ARM ids (or GUIDs) name the same thing.
func SameID(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
}

// Key is the form of an ARM id or GUID used as a map key.
func Key(id string) string { return strings.ToLower(strings.TrimRight(id, "/")) }

// segments splits an ARM id on "/" without empty parts.
func segments(id string) []string {
	parts := strings.Split(strings.Trim(id, "/"), "/")
	if len(parts) == 1 && parts[0] == "" {
		return nil
	}
	return parts
}

// SubscriptionOf returns the subscription GUID of an ARM id, or "".
func SubscriptionOf(id string) string {
	s := segments(id)
	if len(s) >= 2 && strings.EqualFold(s[0], "subscriptions") {
		return strings.ToLower(s[1])
	}
	return ""
}

// ResourceGroupOf returns the resource group name of an ARM id, or "".
func ResourceGroupOf(id string) string {
	s := segments(id)
	if len(s) >= 4 && strings.EqualFold(s[0], "subscriptions") && strings.EqualFold(s[2], "resourceGroups") {
		return s[3]
	}
	return ""
}

// ManagementGroupOf returns the management group name of a management-group scope, or "".
func ManagementGroupOf(scope string) string {
	s := segments(scope)
	if len(s) >= 4 && strings.EqualFold(s[0], "providers") && strings.EqualFold(s[1], "Microsoft.Management") &&
		strings.EqualFold(s[2], "managementGroups") {
		return s[3]
	}
	return ""
}

// LastSegment returns what follows the last "/", which is how role definition ids of every form reduce to their GUID.
func LastSegment(id string) string {
	id = strings.TrimRight(id, "/")
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return id
}

// ResourceName returns the last name in a resource id ("vm-web-01" for .../virtualMachines/vm-web-01).
func ResourceName(id string) string { return LastSegment(id) }

// ResourceType returns the provider type of a resource id, e.g. "Microsoft.Compute/virtualMachines"; nested types
// are joined ("Microsoft.Web/sites/slots").
func ResourceType(id string) string {
	s := segments(id)
	for i := len(s) - 1; i >= 0; i-- {
		if strings.EqualFold(s[i], "providers") && i+1 < len(s) {
			rest := s[i+2:]
			t := s[i+1]
			for j := 0; j+1 < len(rest); j += 2 {
				t += "/" + rest[j]
			}
			return t
		}
	}
	return ""
}

// ScopeLevel orders scopes by breadth: a wider scope has a larger level.
type ScopeLevel int

const (
	ScopeUnknown ScopeLevel = iota
	ScopeResource
	ScopeResourceGroup
	ScopeSubscription
	ScopeManagementGroup
	ScopeRootManagementGroup // the tenant root group or "/"
)

func (l ScopeLevel) String() string {
	switch l {
	case ScopeResource:
		return "resource"
	case ScopeResourceGroup:
		return "resource group"
	case ScopeSubscription:
		return "subscription"
	case ScopeManagementGroup:
		return "management group"
	case ScopeRootManagementGroup:
		return "root management group"
	}
	return "unknown scope"
}

// LevelOf classifies a scope by its shape. It cannot tell the tenant root management group from another one; the
// Index can, because it knows the hierarchy.
func LevelOf(scope string) ScopeLevel {
	s := segments(scope)
	switch {
	case scope == "/":
		return ScopeRootManagementGroup
	case ManagementGroupOf(scope) != "" && len(s) == 4:
		return ScopeManagementGroup
	case len(s) == 2 && strings.EqualFold(s[0], "subscriptions"):
		return ScopeSubscription
	case len(s) == 4 && strings.EqualFold(s[0], "subscriptions") && strings.EqualFold(s[2], "resourceGroups"):
		return ScopeResourceGroup
	case len(s) > 4 && strings.EqualFold(s[0], "subscriptions"):
		return ScopeResource
	}
	return ScopeUnknown
}

// IsUserAssignedIdentityID reports whether id is a Microsoft.ManagedIdentity/userAssignedIdentities resource id.
func IsUserAssignedIdentityID(id string) bool {
	return strings.EqualFold(ResourceType(id), "Microsoft.ManagedIdentity/userAssignedIdentities")
}

// KindFromAlternativeNames reads Graph's alternativeNames: "isExplicit=True" marks a user-assigned identity and the
// entry that starts with /subscriptions/ is its resource id. Position is not relied on; with no isExplicit entry the
// shape of the resource id decides.
func KindFromAlternativeNames(names []string) (Kind, string) {
	var resourceID, explicit string
	for _, n := range names {
		switch {
		case len(n) >= len("isExplicit=") && strings.EqualFold(n[:len("isExplicit=")], "isExplicit="):
			explicit = n[len("isExplicit="):]
		case strings.HasPrefix(strings.ToLower(n), "/subscriptions/"):
			resourceID = n
		}
	}
	switch {
	case strings.EqualFold(explicit, "true"):
		return UserAssigned, resourceID
	case strings.EqualFold(explicit, "false"):
		return SystemAssigned, resourceID
	case IsUserAssignedIdentityID(resourceID):
		return UserAssigned, resourceID
	}
	return SystemAssigned, resourceID
}
