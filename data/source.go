package data

import (
	"context"
	"errors"
	"time"
)

// SourceInfo describes where a Source reads from, for the status bar and for reports.
type SourceInfo struct {
	Origin      Origin
	TenantID    string
	TenantName  string
	Cloud       string
	Label       string    // what the user should see: "demo tenant", a snapshot path, or the tenant
	CollectedAt time.Time // zero for a live tenant until collected
}

// Source is any origin of tenant data: the live tenant, a snapshot file, the embedded demo. It is built for
// laziness: the identity list arrives as a stream of pages and each section of an identity is fetched on demand and
// can fail on its own. A section that cannot be read returns a *Gap (use AsGap), possibly together with the part that
// was read; it never returns an empty result in place of an error.
type Source interface {
	Info() SourceInfo
	// Identities calls page for each page of managed identities as it arrives, in the order the source has them.
	// A page is never changed once handed over, so readers may keep it rather than copy it.
	Identities(ctx context.Context, page func([]Identity) error) error

	AttachedResources(ctx context.Context, identityID string) ([]Resource, error)
	Groups(ctx context.Context, identityID string) ([]GroupMembership, error)
	DirectoryRoles(ctx context.Context, identityID string) ([]DirectoryRole, error)
	AppRoles(ctx context.Context, identityID string) ([]AppRoleAssignment, error)
	AzureRoles(ctx context.Context, identityID string) ([]AzureRole, error)
	FederatedCredentials(ctx context.Context, identityID string) ([]FederatedCredential, error)

	// Tenant reads everything at once, for the background assessment, collect and report. progress may be nil.
	// Parts that could not be read are in Tenant.Gaps; an error means nothing usable was read.
	Tenant(ctx context.Context, progress func(Progress)) (*Tenant, error)
}

// Progress reports how far a full read has come.
type Progress struct {
	Stage string // e.g. "identities", "Graph permissions", "Azure role assignments"
	Done  int
	Total int // 0 when not known yet
}

// GroupMembership is a group an identity belongs to, as shown per identity.
type GroupMembership struct {
	Group
	Transitive bool `json:"transitive"`
}

// Via values say how an identity holds a role: "direct" or "group:<groupId>".
const ViaDirect = "direct"

// ViaGroup is the Via value for a role held through a group.
func ViaGroup(groupID string) string { return "group:" + groupID }

// DirectoryRole is an Entra directory role held by one identity.
type DirectoryRole struct {
	// ID is the assignment's own id (an eligibility schedule's id when State is Eligible), for the command that
	// removes it; empty when the source did not give one.
	ID               string          `json:"id,omitempty"`
	PrincipalID      string          `json:"principalId,omitempty"` // the assignee: the identity, or the group it is held through
	RoleTemplateID   string          `json:"roleTemplateId"`
	RoleName         string          `json:"roleName"`
	DirectoryScopeID string          `json:"directoryScopeId"`
	Via              string          `json:"via"`
	State            AssignmentState `json:"state"`
}

// AzureRole is an Azure role assignment held by one identity, with its definition resolved where possible.
type AzureRole struct {
	ID               string `json:"id,omitempty"`          // the assignment's ARM id
	PrincipalID      string `json:"principalId,omitempty"` // the assignee: the identity, or the group it is held through
	RoleDefinitionID string `json:"roleDefinitionId"`
	RoleName         string `json:"roleName"`
	Scope            string `json:"scope"`
	Via              string `json:"via"`
	Condition        string `json:"condition,omitempty"`
	// Definition is nil when the role definition could not be resolved; that is reported, never skipped.
	Definition *RoleDefinition `json:"-"`
}

// AsGap returns the gap inside err, if err says a part was not readable.
func AsGap(err error) (*Gap, bool) {
	var g *Gap
	if errors.As(err, &g) {
		return g, true
	}
	return nil, false
}

// ErrNotFound is returned for an identity id the source does not know.
var ErrNotFound = errors.New("no such identity")
