package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/cache"
)

// gatedSource holds every section read of an identity until the test opens the gate.
type gatedSource struct {
	*data.TenantSource
	gate chan struct{}
}

func (g *gatedSource) wait(ctx context.Context) error {
	select {
	case <-g.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gatedSource) AttachedResources(ctx context.Context, id string) ([]data.Resource, error) {
	if err := g.wait(ctx); err != nil {
		return nil, err
	}
	return g.TenantSource.AttachedResources(ctx, id)
}

func (g *gatedSource) Groups(ctx context.Context, id string) ([]data.GroupMembership, error) {
	if err := g.wait(ctx); err != nil {
		return nil, err
	}
	return g.TenantSource.Groups(ctx, id)
}

// A section's reply reaches the detail view that asked for it even when another view lies on top of it by then:
// open an identity, open the findings pane before its sections arrive, come back.
func TestSectionRepliesReachAViewBelowTheTop(t *testing.T) {
	g := &gatedSource{TenantSource: data.NewTenantSource(testTenant(),
		data.SourceInfo{Origin: data.OriginDemo, Label: "demo tenant"}), gate: make(chan struct{})}
	m := New(Options{Source: cache.New(g, cache.Options{})})
	s := start(t, m, 120, 40)
	s.ready()
	s.keys("enter")
	s.waitFor("the detail view", func(m *Model) bool { _, ok := m.top().(*detailView); return ok })
	s.keys("f")
	s.waitFor("the findings pane", func(m *Model) bool { _, ok := m.top().(*findingsView); return ok })
	close(g.gate)
	s.waitFor("the sections to reach the detail view below", func(m *Model) bool {
		d, ok := m.stack[len(m.stack)-2].(*detailView)
		if !ok {
			return false
		}
		for _, st := range d.secs {
			if st.loading {
				return false
			}
		}
		return true
	})
	s.keys("esc")
	s.waitFor("the detail view on top", func(m *Model) bool { _, ok := m.top().(*detailView); return ok })
	if screen := s.screen(); strings.Contains(screen, "loading") {
		t.Errorf("the detail view still shows a section loading:\n%s", screen)
	}
}
