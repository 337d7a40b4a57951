package assess

import "strings"

// evidenceKeys are the material keys of a finding's evidence.
func evidenceKeys(f *Finding) []string {
	out := make([]string, 0, len(f.Evidence))
	for _, e := range f.Evidence {
		out = append(out, strings.ToLower(e))
	}
	return out
}
