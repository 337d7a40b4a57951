package assess

import (
	"strings"

	"github.com/miscope/miscope/data"
)

// BaselineState is where a finding stands against a baseline, with SARIF's names for them.
type BaselineState string

const (
	// BaselineNew has no finding of its rule on its identity in the baseline.
	BaselineNew BaselineState = "new"
	// BaselineUnchanged has the same fingerprint in the baseline.
	BaselineUnchanged BaselineState = "unchanged"
	// BaselineUpdated has a finding of its rule on its identity in the baseline, but what makes it true changed.
	BaselineUpdated BaselineState = "updated"
	// BaselineAbsent is a baseline finding that is gone.
	BaselineAbsent BaselineState = "absent"
)

// BaselineMatch is how the findings of a read line up with a baseline's.
type BaselineMatch struct {
	// State is by index in the current findings.
	State []BaselineState
	// Was is the baseline finding's index for an unchanged or updated finding, -1 for a new one.
	Was []int
	// Absent are the indexes of baseline findings that match nothing now, in the baseline's order.
	Absent []int
}

// MatchFindings lines current findings up with a baseline's: first by fingerprint (the same finding), then by rule
// and identity (the same finding, changed). Each baseline finding matches at most one current finding.
func MatchFindings(baseline, current []Finding) BaselineMatch {
	key := func(fs []Finding) func(int) (string, string) {
		return func(i int) (string, string) {
			return fs[i].Fingerprint(), BaselineSubject(fs[i].RuleID, fs[i].IdentityID)
		}
	}
	return MatchKeys(len(baseline), len(current), key(baseline), key(current))
}

// MatchKeys is MatchFindings over findings held in another shape (a report's): key gives a finding's fingerprint and
// its BaselineSubject.
func MatchKeys(nBaseline, nCurrent int, baseline, current func(i int) (fingerprint, subject string)) BaselineMatch {
	m := BaselineMatch{State: make([]BaselineState, nCurrent), Was: make([]int, nCurrent)}
	byFP := make(map[string]int, nBaseline)
	bySubject := make(map[string][]int, nBaseline)
	for i := range nBaseline {
		fp, subj := baseline(i)
		if _, dup := byFP[fp]; !dup {
			byFP[fp] = i
		}
		bySubject[subj] = append(bySubject[subj], i)
	}
	used := make([]bool, nBaseline)
	subjects := make([]string, nCurrent)
	for i := range nCurrent {
		m.State[i], m.Was[i] = BaselineNew, -1
		fp, subj := current(i)
		subjects[i] = subj
		if j, ok := byFP[fp]; ok && !used[j] {
			m.State[i], m.Was[i], used[j] = BaselineUnchanged, j, true
		}
	}
	for i := range nCurrent {
		if m.Was[i] >= 0 {
			continue
		}
		for _, j := range bySubject[subjects[i]] {
			if !used[j] {
				m.State[i], m.Was[i], used[j] = BaselineUpdated, j, true
				break
			}
		}
	}
	for j := range nBaseline {
		if !used[j] {
			m.Absent = append(m.Absent, j)
		}
	}
	return m
}

// BaselineSubject is what a finding is about, for matching a changed finding with the one it was: its rule and its
// identity.
func BaselineSubject(ruleID, identityID string) string {
	return strings.ToUpper(ruleID) + "|" + data.Key(identityID)
}
