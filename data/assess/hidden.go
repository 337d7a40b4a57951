package assess

import "github.com/miscope/miscope/data"

// Hidden is the most severe finding a gap could hide, and false when it can hide none. A section that could not be
// read may hold whatever a rule reading it would flag, and privilege read elsewhere grades those findings (exposure,
// federated credentials, placement) up to critical; only the applications' own rule stops lower, and the names of
// other principals decide no finding.
func Hidden(g data.Gap) (Severity, bool) {
	switch g.Section {
	case data.SectionPrincipals:
		return Info, false
	case data.SectionApplications:
		return maxMigrate, true
	}
	return Critical, true
}

// maxMigrate is the highest severity SP-MIGRATE gives.
const maxMigrate = Medium
