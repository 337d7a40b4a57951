package assess

// evidenceKeys are the material keys of a finding's evidence, one per object it stands on: ids only, lowercased, so
// wording stops mattering. Notes ("... and 12 more", a summary) stand on no object and have no key.
func evidenceKeys(f *Finding) []string {
	out := make([]string, 0, len(f.Evidence))
	for _, e := range f.Evidence {
		if k := e.Key(); k != "" {
			out = append(out, k)
		}
	}
	return out
}
