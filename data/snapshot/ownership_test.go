package snapshot

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
)

// TestOwnershipsRoundTripOrGap: what identities own comes back as written, none included; a snapshot made before
// owners were read opens with ownerships as a gap, never as "owns nothing".
func TestOwnershipsRoundTripOrGap(t *testing.T) {
	gapOf := func(tn *data.Tenant) *data.Gap {
		for i := range tn.Gaps {
			if tn.Gaps[i].Section == data.SectionOwnerships {
				return &tn.Gaps[i]
			}
		}
		return nil
	}
	for _, own := range [][]data.Ownership{nil, {{OwnerID: "mi", ObjectID: "g1", ObjectType: data.OwnedGroup, DisplayName: "Ops"},
		{OwnerID: "mi", ObjectID: "app1", ObjectType: data.OwnedApplication, AppID: "appid1"}}} {
		in := &data.Tenant{ID: "t1", Identities: []data.Identity{{ID: "mi", DisplayName: "mi", Kind: data.SystemAssigned}},
			Ownerships: own}
		var buf bytes.Buffer
		if err := Encode(&buf, in, data.OriginLive); err != nil {
			t.Fatal(err)
		}
		out, _, err := Decode(&buf, "mem")
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Ownerships) != len(own) || len(own) > 0 && out.Ownerships[1] != own[1] {
			t.Errorf("ownerships = %+v, want %+v", out.Ownerships, own)
		}
		if g := gapOf(out); g != nil {
			t.Errorf("a snapshot that read owners has a gap: %+v", g)
		}
	}
	old, err := os.ReadFile("testdata/minimal.json")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(old, []byte(`"ownerships"`)) {
		t.Fatal("testdata/minimal.json should be an older snapshot, without ownerships")
	}
	out, _, err := Decode(bytes.NewReader(old), "minimal.json")
	if err != nil {
		t.Fatal(err)
	}
	g := gapOf(out)
	if g == nil || g.IdentityID != "" || !strings.Contains(g.Error(), "not readable") {
		t.Fatalf("older snapshot: ownerships gap = %+v, want a tenant-wide gap", g)
	}
	bad := strings.Replace(`{"format":"miscope-snapshot","version":1,"tenant":{"id":"t","identities":[],`+
		`"ownerships":[{"ownerId":"a","objectId":"b","objectType":"user"}]}}`, "miscope-snapshot", Format, 1)
	if _, _, err := Decode(strings.NewReader(bad), "bad.json"); err == nil || !strings.Contains(err.Error(), "unknown object type") {
		t.Errorf("unknown object type: err = %v", err)
	}
}
