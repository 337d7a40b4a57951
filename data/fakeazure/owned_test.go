package fakeazure

import (
	"context"
	"testing"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"

	"github.com/miscope/miscope/data"
)

// TestOwnedObjectsAreTypedDirectoryObjects: ownedObjects answers a mixed collection whose items the SDK types by their
// @odata.type (a group, an application with its appId, a service principal), as Graph does; an identity that owns
// nothing gets an empty list.
func TestOwnedObjectsAreTypedDirectoryObjects(t *testing.T) {
	tn := testTenant(4)
	owner, other := tn.Identities[0].ID, tn.Identities[1].ID
	tn.Groups = append(tn.Groups, data.Group{ID: "7a0c7c2e-6f1b-4c55-9d1e-2f6a1d3c0b01", DisplayName: "Ops"})
	tn.Ownerships = []data.Ownership{
		{OwnerID: owner, ObjectID: "7a0c7c2e-6f1b-4c55-9d1e-2f6a1d3c0b01", ObjectType: data.OwnedGroup, DisplayName: "Ops"},
		{OwnerID: owner, ObjectID: "7a0c7c2e-6f1b-4c55-9d1e-2f6a1d3c0b02", ObjectType: data.OwnedApplication,
			AppID: "7a0c7c2e-6f1b-4c55-9d1e-2f6a1d3c0b03", DisplayName: "Deployer"},
		{OwnerID: owner, ObjectID: "7a0c7c2e-6f1b-4c55-9d1e-2f6a1d3c0b04", ObjectType: data.OwnedServicePrincipal,
			AppID: "7a0c7c2e-6f1b-4c55-9d1e-2f6a1d3c0b05", DisplayName: "Bot"},
	}
	srv := New(tn, Options{})
	defer srv.Close()
	client, _, _ := graphClient(t, srv)
	ctx := context.Background()
	cfg := &serviceprincipals.ItemOwnedObjectsRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ItemOwnedObjectsRequestBuilderGetQueryParameters{Select: []string{"id", "appId", "displayName"}},
	}
	resp, err := client.ServicePrincipals().ByServicePrincipalId(owner).OwnedObjects().Get(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	items := resp.GetValue()
	if len(items) != 3 {
		t.Fatalf("%d owned objects, want 3", len(items))
	}
	g, ok := items[0].(models.Groupable)
	if !ok || *g.GetId() != tn.Ownerships[0].ObjectID || *g.GetDisplayName() != "Ops" {
		t.Errorf("first item %T, want the group Ops", items[0])
	}
	a, ok := items[1].(models.Applicationable)
	if !ok || a.GetAppId() == nil || *a.GetAppId() != tn.Ownerships[1].AppID {
		t.Errorf("second item %T, want the application with its appId", items[1])
	}
	if sp, ok := items[2].(models.ServicePrincipalable); !ok || *sp.GetId() != tn.Ownerships[2].ObjectID {
		t.Errorf("third item %T, want the service principal", items[2])
	}
	resp, err = client.ServicePrincipals().ByServicePrincipalId(other).OwnedObjects().Get(ctx, cfg)
	if err != nil || len(resp.GetValue()) != 0 {
		t.Errorf("an identity that owns nothing: %v, %d items", err, len(resp.GetValue()))
	}
}
