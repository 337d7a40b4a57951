package assess_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/demo"
)

// For, Count and Highest answer from the sorted findings: an identity's findings in their sorted order, in any casing
// of its id.
func TestResultPerIdentity(t *testing.T) {
	tn := demo.Synthetic(500, 3)
	r := assess.Assess(data.NewIndex(tn))
	want := map[string][]assess.Finding{}
	for _, f := range r.Findings {
		want[data.Key(f.IdentityID)] = append(want[data.Key(f.IdentityID)], f)
	}
	with := 0
	for _, i := range tn.Identities {
		w := want[data.Key(i.ID)]
		got := r.For(i.ID)
		if len(w) > 0 {
			with++
		}
		if len(got) != len(w) || len(w) > 0 && !reflect.DeepEqual(got, w) {
			t.Fatalf("%s: For gives %d findings, want %d", i.ID, len(got), len(w))
		}
		if n := r.Count(strings.ToUpper(i.ID)); n != len(w) {
			t.Errorf("%s: Count = %d, want %d", i.ID, n, len(w))
		}
		sev, ok := r.Highest(i.ID)
		if ok != (len(w) > 0) || ok && sev != w[0].Severity {
			t.Errorf("%s: Highest = %s %v, want the first of %d findings", i.ID, sev, ok, len(w))
		}
	}
	if with == 0 || with == len(tn.Identities) {
		t.Fatalf("%d of %d identities have findings: the test needs some with and some without", with, len(tn.Identities))
	}
	if n := r.Count("no-such-identity"); n != 0 || r.For("no-such-identity") == nil {
		t.Errorf("an unknown identity has %d findings", n)
	}
}
