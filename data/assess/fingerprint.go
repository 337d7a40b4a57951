package assess

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/miscope/miscope/data"
)

// FingerprintVersion prefixes every fingerprint, so that a future change to how they are derived can never match a
// decision taken on an older one by accident.
const FingerprintVersion = "mi1"

// Fingerprint names a finding stably: the same finding on the same tenant gets the same fingerprint on every run, from
// every source (live, snapshot, demo), whatever order the tenant was read in and however its ids are cased; when what
// makes it true changes (another role, another scope, another group, another subject), it gets a new one.
//
// It is the SHA-256 of the rule id, the subject's object id (lowercased) and the sorted, distinct keys of its
// evidence (each the kind and the ids of one object the finding stands on, lowercased; wording, names and severity are
// left out, so renaming a group or regrading a rule keeps it), as "mi1-" and 24 hex digits.
func (f *Finding) Fingerprint() string {
	keys := evidenceKeys(f)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	h := sha256.New()
	write := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	write(FingerprintVersion)
	write(strings.ToUpper(strings.TrimSpace(f.RuleID)))
	write(data.Key(f.IdentityID))
	for _, k := range keys {
		write(k)
	}
	return FingerprintVersion + "-" + hex.EncodeToString(h.Sum(nil)[:12])
}
