package assess

import "strings"

// evidenceKeys are the material keys of a finding's evidence, one per object it stands on. Evidence is written as
// sentences today, so each sentence, lowercased, is its key; once evidence carries its objects' ids, the key is
// those ids only, and wording stops mattering.
func evidenceKeys(f *Finding) []string {
	out := make([]string, 0, len(f.Evidence))
	for _, e := range f.Evidence {
		out = append(out, strings.ToLower(e))
	}
	return out
}
