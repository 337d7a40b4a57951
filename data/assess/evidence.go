package assess

// How rules build evidence items: one constructor per kind of object a finding stands on.

import (
	"cmp"

	"github.com/miscope/miscope/data"
)

// evidence is one item of a finding with the severity it contributes.
type evidence struct {
	sev Severity
	Evidence
}

// note is evidence with no object of its own.
func note(text string) Evidence { return Evidence{Text: text, Kind: EvidenceNote} }

// dirRoleEvidence is a directory role held by an identity: the assignment, or the eligibility schedule when it is
// eligible.
func dirRoleEvidence(r data.DirectoryRole, text string) Evidence {
	kind := EvidenceDirectoryRoleAssignment
	if r.State == data.Eligible {
		kind = EvidenceDirectoryRoleEligibility
	}
	return Evidence{Text: text, Kind: kind, ID: r.ID, PrincipalID: r.PrincipalID, RoleID: r.RoleTemplateID,
		Scope: cmp.Or(r.DirectoryScopeID, "/")}
}

func appRoleEvidence(a data.AppRoleAssignment, text string) Evidence {
	return Evidence{Text: text, Kind: EvidenceAppRoleAssignment, ID: a.ID, PrincipalID: a.PrincipalID, RoleID: a.AppRoleID,
		ResourceID: a.ResourceID}
}

func azureRoleEvidence(r heldAssignment, text string) Evidence {
	return Evidence{Text: text, Kind: EvidenceAzureRoleAssignment, ID: r.ID, PrincipalID: r.PrincipalID,
		RoleID: r.defID(), Scope: r.Scope}
}

// identityEvidence is evidence about an identity as a whole.
func identityEvidence(id *data.Identity, text string) Evidence {
	return Evidence{Text: text, Kind: EvidencePrincipal, ID: id.ID, PrincipalID: id.ID, ResourceID: id.ResourceID}
}

func resourceEvidence(resourceID, text string) Evidence {
	return Evidence{Text: text, Kind: EvidenceResource, ID: resourceID, ResourceID: resourceID}
}
