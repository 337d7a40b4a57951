package snapshot_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/demo"
	"github.com/miscope/miscope/data/snapshot"
)

// collect reads every page of identities, failing on a page larger than data.PageSize.
func collect(t *testing.T, src data.Source, ctx context.Context) ([]data.Identity, int, error) {
	t.Helper()
	var all []data.Identity
	pages := 0
	err := src.Identities(ctx, func(p []data.Identity) error {
		if len(p) == 0 || len(p) > data.PageSize {
			t.Errorf("page of %d identities", len(p))
		}
		pages++
		all = append(all, p...)
		return nil
	})
	return all, pages, err
}

// TestOpenServesLikeTenantSource: a snapshot opened with Open answers every question exactly as the in-memory
// source of the same tenant does, pages included.
func TestOpenServesLikeTenantSource(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tenant *data.Tenant
		origin data.Origin
	}{
		{"demo.json", demo.Build(), data.OriginDemo},
		{"synthetic.json.gz", demo.Synthetic(2500, 5), data.OriginSnapshot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.name)
			if err := snapshot.Save(path, tc.tenant, tc.origin); err != nil {
				t.Fatal(err)
			}
			src, err := snapshot.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			ctx := context.Background()

			info := src.Info()
			if info.Origin != tc.origin || info.Label != path || info.TenantID != tc.tenant.ID ||
				info.TenantName != tc.tenant.DisplayName || !info.CollectedAt.Equal(tc.tenant.CollectedAt) {
				t.Errorf("info %+v", info)
			}
			ids, pages, err := collect(t, src, ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ids, tc.tenant.Identities) {
				t.Error("identities differ from the saved ones")
			}
			if want := (len(tc.tenant.Identities) + data.PageSize - 1) / data.PageSize; pages != want {
				t.Errorf("%d pages, want %d", pages, want)
			}
			if err := src.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			got, err := src.Tenant(ctx, nil)
			if err != nil || !reflect.DeepEqual(got, tc.tenant) {
				t.Fatalf("tenant differs from the saved one (%v)", err)
			}
			x, err := src.Index(ctx, nil)
			if err != nil || x.Tenant != got {
				t.Fatalf("index of another tenant (%v)", err)
			}

			want := data.NewTenantSource(tc.tenant, data.SourceInfo{})
			check := func(id, what string, got, want any, gotErr, wantErr error) {
				t.Helper()
				if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotErr, wantErr) {
					t.Errorf("%s of %s: got %v (%v), want %v (%v)", what, id, got, gotErr, want, wantErr)
				}
			}
			for _, i := range append(slices.Clip(tc.tenant.Identities[:min(60, len(tc.tenant.Identities))]), data.Identity{ID: "no-such-identity"}) {
				g1, e1 := src.AttachedResources(ctx, i.ID)
				g2, e2 := want.AttachedResources(ctx, i.ID)
				check(i.ID, "attached resources", g1, g2, e1, e2)
				h1, e1 := src.Groups(ctx, i.ID)
				h2, e2 := want.Groups(ctx, i.ID)
				check(i.ID, "groups", h1, h2, e1, e2)
				d1, e1 := src.DirectoryRoles(ctx, i.ID)
				d2, e2 := want.DirectoryRoles(ctx, i.ID)
				check(i.ID, "directory roles", d1, d2, e1, e2)
				a1, e1 := src.AppRoles(ctx, i.ID)
				a2, e2 := want.AppRoles(ctx, i.ID)
				check(i.ID, "app roles", a1, a2, e1, e2)
				r1, e1 := src.AzureRoles(ctx, i.ID)
				r2, e2 := want.AzureRoles(ctx, i.ID)
				check(i.ID, "azure roles", r1, r2, e1, e2)
				f1, e1 := src.FederatedCredentials(ctx, i.ID)
				f2, e2 := want.FederatedCredentials(ctx, i.ID)
				check(i.ID, "federated credentials", f1, f2, e1, e2)
			}
		})
	}
}

// TestOpenRefused: every bad file is refused through the streaming reader too, by Open when the fault is near the
// start and otherwise by Wait, Tenant and the sections; Identities returns the fault unless the list was complete
// before it. A file whose snapshot marker or version comes after the tenant shows no identity before it is checked.
func TestOpenRefused(t *testing.T) {
	dir := t.TempDir()
	for _, c := range refusals(t) {
		t.Run(c.name, func(t *testing.T) {
			path := c.path(t, dir)
			src, err := snapshot.Open(path)
			if err != nil {
				if src != nil {
					t.Error("a source came back with the error")
				}
				checkRefusal(t, err, path, c.reason)
				return
			}
			defer src.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ids, _, idErr := collect(t, src, ctx)
			if idErr != nil {
				checkRefusal(t, idErr, path, c.reason)
			}
			if c.name == "newer version after the tenant" || c.name == "marker after the tenant missing" {
				if len(ids) > 0 || idErr == nil {
					t.Errorf("showed %d identities of a file not yet known to be a snapshot (%v)", len(ids), idErr)
				}
			}
			checkRefusal(t, src.Wait(ctx), path, c.reason)
			tn, err := src.Tenant(ctx, nil)
			if tn != nil {
				t.Error("a tenant came back with the error")
			}
			checkRefusal(t, err, path, c.reason)
			_, err = src.AzureRoles(ctx, "any")
			checkRefusal(t, err, path, c.reason)
			_, err = src.Index(ctx, nil)
			checkRefusal(t, err, path, c.reason)
		})
	}
}

func TestOpenMissingAndDirectory(t *testing.T) {
	dir := t.TempDir()
	for path, reason := range map[string]string{
		filepath.Join(dir, "absent.json"): "cannot open: no such file",
		dir:                               "is a folder",
	} {
		src, err := snapshot.Open(path)
		var se *snapshot.Error
		if src != nil || !errors.As(err, &se) || se.Path != path || !strings.Contains(se.Reason, reason) {
			t.Errorf("Open(%s) = %v, want a snapshot error saying %q", path, err, reason)
		}
	}
}

// TestIdentitiesNotReadable: a snapshot of a tenant whose identities could not be listed says so, rather than
// showing an empty list.
func TestIdentitiesNotReadable(t *testing.T) {
	tn := &data.Tenant{ID: "t", Identities: []data.Identity{}, Gaps: []data.Gap{{Section: data.SectionIdentities,
		Reason: "403 Forbidden", Needs: "Application.Read.All"}}}
	path := filepath.Join(t.TempDir(), "gap.json")
	if err := snapshot.Save(path, tn, data.OriginLive); err != nil {
		t.Fatal(err)
	}
	src, err := snapshot.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	_, pages, err := collect(t, src, context.Background())
	g, ok := data.AsGap(err)
	if !ok || g.Needs != "Application.Read.All" || pages != 0 {
		t.Fatalf("%d pages, error %v; want the gap", pages, err)
	}
	if src.Info().Origin != data.OriginLive {
		t.Errorf("origin %q, want the file's", src.Info().Origin)
	}
}

// TestTenantProgress reports how much of the file is read, then the identities loaded.
func TestTenantProgress(t *testing.T) {
	tn := demo.Synthetic(300, 2)
	path := filepath.Join(t.TempDir(), "tenant.json")
	if err := snapshot.Save(path, tn, data.OriginSnapshot); err != nil {
		t.Fatal(err)
	}
	src, err := snapshot.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var seen []data.Progress
	if _, err := src.Tenant(context.Background(), func(p data.Progress) { seen = append(seen, p) }); err != nil {
		t.Fatal(err)
	}
	if len(seen) < 2 || seen[0].Stage != "reading snapshot (MB)" || seen[0].Total < 1 {
		t.Fatalf("progress %+v", seen)
	}
	if last := seen[len(seen)-1]; last.Stage != "loaded" || last.Done != 300 || last.Total != 300 {
		t.Errorf("last progress %+v", last)
	}
}
