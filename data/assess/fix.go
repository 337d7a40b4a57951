package assess

import (
	"encoding/json"
	"strings"

	"github.com/miscope/miscope/data"
)

// graphURL is where the Microsoft Graph commands send their requests.
const graphURL = "https://graph.microsoft.com/v1.0"

// Commands is a finding's fix as commands to paste: the rule's own (Fix) when it wrote them, otherwise one per object
// its evidence names, in the order of the evidence: the Azure CLI (az) for what it has a command for, az rest for
// Microsoft Graph calls it has none for. Derived from the evidence's ids each time they are asked for, so the
// assessment keeps none of them in memory. miscope never runs them. MI-SHARED and SP-MIGRATE have none: their fix
// is a change of design, not a deletion. A command whose arguments hold characters that cannot be pasted safely is
// still returned; Command.Line refuses to render it.
func (f *Finding) Commands() []Command {
	if len(f.Fix) > 0 {
		return distinct(f.Fix)
	}
	var out []Command
	for _, e := range f.Evidence {
		switch f.RuleID {
		case RuleShared, RuleSPMigrate:
			return nil
		case RulePath:
			// Break the path at its first step, the one the identity takes itself.
			if e.Kind == EvidencePathStep {
				return e.pathCommands(f.IdentityID)
			}
			continue
		case RuleOrphaned:
			if e.Kind == EvidencePrincipal && e.ResourceID != "" {
				out = append(out, Command{Note: "delete the user-assigned identity",
					Args: []string{"az", "identity", "delete", "--ids", e.ResourceID}})
			}
			continue
		}
		out = append(out, e.commands(f.RuleID, f.IdentityID)...)
	}
	return distinct(out)
}

// distinct drops the commands that repeat an earlier one, keeping the order: several evidence items can name the
// same object (MI-EXPOSED lists a principal's assignment once per resource it reaches), and each object is
// removed once.
func distinct(cmds []Command) []Command {
	if len(cmds) < 2 {
		return cmds
	}
	seen := make(map[string]bool, len(cmds))
	out := make([]Command, 0, len(cmds)) // a new slice: a rule's own Fix is shared and stays as written
	for _, c := range cmds {
		k := strings.Join(c.Args, "\x00") // no argument of a command that renders holds a NUL
		if !seen[k] {
			seen[k] = true
			out = append(out, c)
		}
	}
	return out
}

// commands removes what one evidence item of a rule names from subject (the finding's identity). A role the
// identity holds through a group is left to the group's other members: the identity leaves the group instead. Other
// principals' assignments (MI-EXPOSED) and a deleted principal's (MI-STALE) are deleted.
func (e *Evidence) commands(rule, subject string) []Command {
	viaGroup := (rule == RulePrivAzure || rule == RulePrivDirRole) && e.PrincipalID != "" && !data.SameID(e.PrincipalID, subject)
	switch e.Kind {
	case EvidenceAzureRoleAssignment:
		if viaGroup {
			return []Command{removeMember(e.PrincipalID, subject, "remove the identity from the group that holds the role")}
		}
		c := deleteAzureAssignment(e)
		if rule == RuleExposed {
			// Another principal's assignment, often far wider than the identity's resource.
			c.Note += " of the other principal: everything it grants at its scope goes with it, so give the principal " +
				"a narrower role first if it still needs one"
		}
		return []Command{c}
	case EvidenceAppRoleAssignment:
		if e.ID == "" {
			return []Command{{Note: "the assignment's id was not read: list the identity's app role assignments to find it",
				Args: []string{"az", "rest", "--method", "GET", "--url", graphURL + "/servicePrincipals/" + e.PrincipalID + "/appRoleAssignments"}}}
		}
		return []Command{{Note: "remove the application permission",
			Args: []string{"az", "rest", "--method", "DELETE", "--url",
				graphURL + "/servicePrincipals/" + e.PrincipalID + "/appRoleAssignments/" + e.ID}}}
	case EvidenceDirectoryRoleAssignment:
		if viaGroup {
			return []Command{removeMember(e.PrincipalID, subject, "remove the identity from the group that holds the directory role")}
		}
		if e.ID == "" {
			return []Command{scheduleRemove("roleAssignmentScheduleRequests", e, "remove the active directory role through Privileged Identity Management")}
		}
		return []Command{{Note: "remove the active directory role assignment",
			Args: []string{"az", "rest", "--method", "DELETE", "--url", graphURL + "/roleManagement/directory/roleAssignments/" + e.ID}}}
	case EvidenceDirectoryRoleEligibility:
		if viaGroup {
			return []Command{removeMember(e.PrincipalID, subject, "remove the identity from the group that is eligible for the directory role")}
		}
		return []Command{scheduleRemove("roleEligibilityScheduleRequests", e, "remove the eligibility through Privileged Identity Management")}
	case EvidenceGroupMembership:
		return []Command{removeMember(e.ID, e.PrincipalID, "remove the identity from the group (a nested membership is removed from the group in between)")}
	case EvidenceGroupOwner:
		return []Command{{Note: "remove the identity from the group's owners",
			Args: []string{"az", "ad", "group", "owner", "remove", "--group", e.ID, "--owner-object-id", e.PrincipalID}}}
	case EvidenceApplicationOwner:
		return []Command{{Note: "remove the identity from the application's owners",
			Args: []string{"az", "ad", "app", "owner", "remove", "--id", e.ID, "--owner-object-id", e.PrincipalID}}}
	case EvidenceServicePrincipalOwner:
		return []Command{{Note: "remove the identity from the service principal's owners",
			Args: []string{"az", "rest", "--method", "DELETE", "--url",
				graphURL + "/servicePrincipals/" + e.ID + "/owners/" + e.PrincipalID + "/$ref"}}}
	case EvidenceFederatedCredential:
		rg, name, sub := data.ResourceGroupOf(e.ResourceID), data.ResourceName(e.ResourceID), data.SubscriptionOf(e.ResourceID)
		if rg == "" || name == "" || sub == "" {
			return nil
		}
		return []Command{{Note: "delete the federated credential",
			Args: []string{"az", "identity", "federated-credential", "delete", "--name", e.ID, "--identity-name", name,
				"--resource-group", rg, "--subscription", sub, "--yes"}}}
	}
	return nil
}

// pathCommands breaks a privilege path at one step: it removes the object the step stands on (Via) as the
// evidence of that kind is removed, so a path's fix and a privilege rule's fix for the same object are the same
// command. A directory role that lets a step write groups is tenant-wide ("/").
func (e *Evidence) pathCommands(subject string) []Command {
	if e.Via == "" {
		return nil
	}
	step := *e
	step.Kind, step.Via = e.Via, ""
	switch step.Kind {
	case EvidenceDirectoryRoleAssignment, EvidenceDirectoryRoleEligibility:
		if step.Scope == "" {
			step.Scope = "/"
		}
	case EvidenceGroupMembership:
		return []Command{removeMember(e.ID, e.PrincipalID, "remove the identity from the group its path goes through")}
	}
	return step.commands(RulePath, subject)
}

func deleteAzureAssignment(e *Evidence) Command {
	if e.ID == "" {
		return Command{Note: "delete the role assignment (its id was not read, so it is named by its principal, role and scope)",
			Args: []string{"az", "role", "assignment", "delete", "--assignee", e.PrincipalID, "--role", e.RoleID, "--scope", e.Scope}}
	}
	return Command{Note: "delete the role assignment", Args: []string{"az", "role", "assignment", "delete", "--ids", e.ID}}
}

func removeMember(group, member, note string) Command {
	return Command{Note: note, Args: []string{"az", "ad", "group", "member", "remove", "--group", group, "--member-id", member}}
}

// scheduleRemove is the Privileged Identity Management request that removes a directory role of a principal: an
// eligibility (roleEligibilityScheduleRequests) or an active assignment (roleAssignmentScheduleRequests).
func scheduleRemove(requests string, e *Evidence, note string) Command {
	body, _ := json.Marshal(struct {
		Action           string `json:"action"`
		PrincipalID      string `json:"principalId"`
		RoleDefinitionID string `json:"roleDefinitionId"`
		DirectoryScopeID string `json:"directoryScopeId"`
		Justification    string `json:"justification"`
	}{"adminRemove", e.PrincipalID, e.RoleID, e.Scope, "Removed after a miscope finding"})
	return Command{Note: note, Args: []string{"az", "rest", "--method", "POST", "--url",
		graphURL + "/roleManagement/directory/" + requests, "--headers", "Content-Type=application/json", "--body", string(body)}}
}
