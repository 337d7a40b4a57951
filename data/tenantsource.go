package data

import "context"

// PageSize is how many identities a page holds when a source streams them; Graph's largest page.
const PageSize = 999

// TenantSource serves a Tenant that is already in memory: a snapshot, the demo tenant or a synthetic one. It is
// the reference implementation of Source; the live source gives the same answers for the same tenant.
type TenantSource struct {
	info  SourceInfo
	index *Index
}

// NewTenantSource serves t. info.TenantID and the other tenant fields are filled from t when empty.
func NewTenantSource(t *Tenant, info SourceInfo) *TenantSource {
	if info.TenantID == "" {
		info.TenantID = t.ID
	}
	if info.TenantName == "" {
		info.TenantName = t.DisplayName
	}
	if info.Cloud == "" {
		info.Cloud = t.Cloud
	}
	if info.CollectedAt.IsZero() {
		info.CollectedAt = t.CollectedAt
	}
	return &TenantSource{info: info, index: NewIndex(t)}
}

func (s *TenantSource) Info() SourceInfo { return s.info }

// Index exposes the joined tenant.
func (s *TenantSource) Index() *Index { return s.index }

func (s *TenantSource) Identities(ctx context.Context, page func([]Identity) error) error {
	ids := s.index.Tenant.Identities
	if err := s.index.GapErr("", SectionIdentities); err != nil && len(ids) == 0 {
		return err
	}
	for start := 0; start < len(ids); start += PageSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(start+PageSize, len(ids))
		if err := page(ids[start:end:end]); err != nil {
			return err
		}
	}
	return nil
}

// section answers one per-identity question with the section's gaps as its error.
func section[T any](s *TenantSource, ctx context.Context, id string, sec Section, get func(string) []T) ([]T, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, ok := s.index.Identity(id); !ok {
		return nil, ErrNotFound
	}
	return get(id), s.index.GapErr(id, sec)
}

func (s *TenantSource) AttachedResources(ctx context.Context, id string) ([]Resource, error) {
	return section(s, ctx, id, SectionAttached, s.index.Attached)
}

func (s *TenantSource) Groups(ctx context.Context, id string) ([]GroupMembership, error) {
	return section(s, ctx, id, SectionGroups, s.index.Groups)
}

func (s *TenantSource) DirectoryRoles(ctx context.Context, id string) ([]DirectoryRole, error) {
	return section(s, ctx, id, SectionDirectoryRoles, s.index.DirectoryRoles)
}

func (s *TenantSource) AppRoles(ctx context.Context, id string) ([]AppRoleAssignment, error) {
	return section(s, ctx, id, SectionAppRoles, s.index.AppRoles)
}

func (s *TenantSource) AzureRoles(ctx context.Context, id string) ([]AzureRole, error) {
	return section(s, ctx, id, SectionAzureRoles, s.index.AzureRoles)
}

func (s *TenantSource) FederatedCredentials(ctx context.Context, id string) ([]FederatedCredential, error) {
	return section(s, ctx, id, SectionFederatedCredentials, s.index.FederatedCredentials)
}

func (s *TenantSource) Tenant(ctx context.Context, progress func(Progress)) (*Tenant, error) {
	if progress != nil {
		n := len(s.index.Tenant.Identities)
		progress(Progress{Stage: "loaded", Done: n, Total: n})
	}
	return s.index.Tenant, ctx.Err()
}
