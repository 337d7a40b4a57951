package snapshot_test

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/demo"
	. "github.com/miscope/miscope/data/snapshot"
)

// Usage survives a snapshot exactly, and a version 1 file (made before usage was read) still opens, with usage
// shown as not read rather than as "never signed in".
func TestUsageRoundTripAndVersionOne(t *testing.T) {
	tn := demo.Build()
	if tn.Usage == nil || len(tn.Usage.SignIns) == 0 || len(tn.Usage.Users) == 0 {
		t.Fatal("the demo tenant carries no usage")
	}
	path := filepath.Join(t.TempDir(), "s.json.gz")
	if err := Save(path, tn, data.OriginDemo); err != nil {
		t.Fatal(err)
	}
	back, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Usage, tn.Usage) {
		t.Error("usage changed through a snapshot")
	}

	var buf bytes.Buffer
	if err := Encode(&buf, &data.Tenant{ID: "t", Identities: []data.Identity{{ID: "a", Kind: data.UserAssigned}}},
		data.OriginDemo); err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(buf.String(), `"version":2`, `"version":1`, 1)
	if old == buf.String() {
		t.Fatal("no version 2 marker to rewrite")
	}
	v1, _, err := Decode(strings.NewReader(old), "old.json")
	if err != nil {
		t.Fatalf("a version 1 snapshot is refused: %v", err)
	}
	for _, s := range []data.Section{data.SectionSignIns, data.SectionActivity, data.SectionUserSignIns} {
		if g := data.NewIndex(v1).UsageGap(s); g == nil || g.Needs != data.NeedsUsageInFile || !strings.Contains(g.Reason, "before miscope read usage") {
			t.Errorf("%s of a version 1 snapshot: gap %v, want not read (needs a new snapshot)", s, g)
		}
	}
}
