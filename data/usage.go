package data

import (
	"slices"
	"strings"
	"time"
)

// Usage is what principals were seen to do over a window: where managed identities and applications signed in, which
// Azure resources they acted on, and how the user accounts that hold roles sign in. Least privilege is judged from
// it: a grant that was never exercised can go.
//
// A nil Tenant.Usage means usage was not read (older snapshots); then, and for each part with a gap (SectionSignIns,
// SectionActivity, SectionUserSignIns), "no sign-in" is unknown, never "unused".
type Usage struct {
	// Source says where the evidence came from: UsageWorkspace, UsageGraph or UsageDemo.
	Source string `json:"source"`
	// Workspace is the Log Analytics workspace id, when Source is UsageWorkspace.
	Workspace string `json:"workspace,omitempty"`
	// WindowDays is the window asked for; From and To are the span the evidence covers, which is shorter when a source
	// keeps less (a request budget spent, a retention shorter than the window).
	WindowDays int       `json:"windowDays"`
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`

	// SignIns are sign-ins of managed identities and application service principals: one per principal and resource
	// signed in to.
	SignIns []SignIn `json:"signIns"`
	// Activity is what principals did to Azure resources, where the workspace has resource ids: one per principal and
	// resource.
	Activity []ResourceActivity `json:"activity,omitempty"`
	// Users are the user accounts that hold Azure roles or directory roles, with how they sign in.
	Users []UserUsage `json:"users,omitempty"`
}

// Where usage evidence comes from.
const (
	UsageWorkspace = "workspace"
	UsageGraph     = "graph"
	UsageDemo      = "demo"
)

// Usage sections: tenant-wide parts that can fail on their own.
const (
	// SectionSignIns is the sign-ins of managed identities and applications.
	SectionSignIns Section = "signIns"
	// SectionActivity is the Azure resources principals acted on (from a Log Analytics workspace).
	SectionActivity Section = "resourceActivity"
	// SectionUserSignIns is how user accounts with roles sign in, and their password and MFA settings.
	SectionUserSignIns Section = "userSignIns"
)

// What each usage source needs, as gaps say it.
const (
	NeedsSignInLogs   = "AuditLog.Read.All and Entra ID P1, or --workspace with the sign-in logs"
	NeedsWorkspace    = "--workspace: a Log Analytics workspace that receives the Azure activity log"
	NeedsUserSignIns  = "AuditLog.Read.All and Entra ID P1"
	NeedsUsageInFile  = "a new snapshot: miscope collect"
	DefaultUsageDays  = 30
	ReasonNoWorkspace = "no workspace given"
)

// Resource application ids that sign-ins name, as Microsoft publishes them ("Application IDs of commonly used Microsoft
// applications"). Graph's is MicrosoftGraphAppID.
const (
	AzureResourceManagerAppID = "797f4846-ba00-4fd7-ba43-dac1f8f63013"
	AzureKeyVaultAppID        = "cfa8b339-82a2-471a-a3c9-0fc0be7a4093"
	AzureStorageAppID         = "e406a681-f3d4-42a8-90b6-c2b029497af1"
	AzureSQLAppID             = "022907d3-0f1b-48f7-badc-1ba6abab6d66"
	AzureCosmosDBAppID        = "a232010e-820c-4083-83bb-3ace5fc29d0b"
	AzureServiceBusAppID      = "80369ed6-5f11-4dd9-bef3-692475845e77"
)

// SignIn is one principal's sign-ins to one resource in the window.
type SignIn struct {
	PrincipalID string `json:"principalId"` // the service principal's object id
	// ResourceAppID is the application id of the resource signed in to (Microsoft Graph, Azure Resource Manager, Key
	// Vault...); empty when the source gives only the last sign-in to anything.
	ResourceAppID string    `json:"resourceAppId,omitempty"`
	ResourceName  string    `json:"resourceName,omitempty"`
	Last          time.Time `json:"last"`
	// Count is the sign-ins in the window; 0 when the source gives only the last one.
	Count int `json:"count,omitempty"`
}

// ResourceActivity is what one principal did to one Azure resource in the window.
type ResourceActivity struct {
	PrincipalID string    `json:"principalId"`
	ResourceID  string    `json:"resourceId"` // the ARM id
	Last        time.Time `json:"last"`
	Count       int       `json:"count"`
}

// UserUsage is a user account that holds roles, and how it signs in. Nil pointers were not readable.
type UserUsage struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName,omitempty"`
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
	// LastInteractive and LastNonInteractive are the last sign-ins of each kind; zero when there was none (that the
	// directory keeps: it records them from April 2020).
	LastInteractive    time.Time `json:"lastInteractiveSignIn,omitzero"`
	LastNonInteractive time.Time `json:"lastNonInteractiveSignIn,omitzero"`
	// PasswordNeverExpires is set from the account's password policies.
	PasswordNeverExpires *bool `json:"passwordNeverExpires,omitempty"`
	// MFARegistered says whether the user registered a multifactor method.
	MFARegistered *bool `json:"mfaRegistered,omitempty"`
}

// ResourceAppName names a resource application id as users know it, or "" when it is not one miscope knows.
func ResourceAppName(appID string) string {
	switch Key(appID) {
	case MicrosoftGraphAppID:
		return "Microsoft Graph"
	case AzureResourceManagerAppID:
		return "Azure Resource Manager"
	case AzureKeyVaultAppID:
		return "Azure Key Vault"
	case AzureStorageAppID:
		return "Azure Storage"
	case AzureSQLAppID:
		return "Azure SQL Database"
	case AzureCosmosDBAppID:
		return "Azure Cosmos DB"
	case AzureServiceBusAppID:
		return "Azure Service Bus and Event Hubs"
	}
	return ""
}

// DataPlaneAppID is the resource application a data action's provider signs in to, e.g. Key Vault for
// "Microsoft.KeyVault/vaults/secrets/getSecret/action"; "" for a provider miscope does not map.
func DataPlaneAppID(action string) string {
	provider, _, _ := strings.Cut(action, "/")
	switch strings.ToLower(provider) {
	case "microsoft.keyvault":
		return AzureKeyVaultAppID
	case "microsoft.storage":
		return AzureStorageAppID
	case "microsoft.sql":
		return AzureSQLAppID
	case "microsoft.documentdb":
		return AzureCosmosDBAppID
	case "microsoft.servicebus", "microsoft.eventhub":
		return AzureServiceBusAppID
	}
	return ""
}

// UsageOf is one principal's usage as the index joined it.
type UsageOf struct {
	SignIns  []SignIn           // by resource, latest first
	Activity []ResourceActivity // by resource, latest first
}

// Last is the principal's latest sign-in to anything, or zero.
func (u UsageOf) Last() time.Time {
	var t time.Time
	for _, s := range u.SignIns {
		if s.Last.After(t) {
			t = s.Last
		}
	}
	return t
}

// SignedInTo is the principal's sign-in record for one resource application, if it signed in to it.
func (u UsageOf) SignedInTo(appID string) (SignIn, bool) {
	i := slices.IndexFunc(u.SignIns, func(s SignIn) bool { return SameID(s.ResourceAppID, appID) })
	if i < 0 {
		return SignIn{}, false
	}
	return u.SignIns[i], true
}

// UsageGap says why a part of the usage evidence cannot be trusted, or nil when it can: the source's gap on the
// section, or usage not read at all (then "no sign-in" is unknown, never "unused").
func (x *Index) UsageGap(s Section) *Gap {
	for _, g := range x.gaps[""] {
		if g.Section == s {
			return &g
		}
	}
	if x.Tenant.Usage == nil {
		return &Gap{Section: s, Reason: "usage was not read", Needs: NeedsUsageInFile}
	}
	return nil
}

// UsageNotRead are the gaps of a tenant read before miscope read usage (a version 1 snapshot): every usage part.
func UsageNotRead() []Gap {
	var out []Gap
	for _, s := range []Section{SectionSignIns, SectionActivity, SectionUserSignIns} {
		out = append(out, Gap{Section: s, Reason: "this snapshot was made before miscope read usage", Needs: NeedsUsageInFile})
	}
	return out
}

// Usage returns a principal's sign-ins and activity in the window.
func (x *Index) Usage(principalID string) UsageOf {
	return UsageOf{SignIns: x.signIns.get(principalID), Activity: x.activity.get(principalID)}
}

// UserUsage returns what is known of a user account that holds roles.
func (x *Index) UserUsage(id string) (*UserUsage, bool) {
	u := x.users.get(id)
	if len(u) == 0 {
		return nil, false
	}
	return u[0], true
}

// joinUsage groups the usage evidence by principal, latest first. The tenant itself is not changed.
func (x *Index) joinUsage(t *Tenant) {
	u := t.Usage
	if u == nil {
		return
	}
	x.signIns = groupBy(len(u.SignIns), func(i int) (string, bool) { return u.SignIns[i].PrincipalID, true },
		func(i int) SignIn { return u.SignIns[i] })
	for b := range x.signIns.len() {
		slices.SortStableFunc(x.signIns.at(int32(b)), func(a, b SignIn) int { return b.Last.Compare(a.Last) })
	}
	x.activity = groupBy(len(u.Activity), func(i int) (string, bool) { return u.Activity[i].PrincipalID, true },
		func(i int) ResourceActivity { return u.Activity[i] })
	for b := range x.activity.len() {
		slices.SortStableFunc(x.activity.at(int32(b)), func(a, b ResourceActivity) int { return b.Last.Compare(a.Last) })
	}
	x.users = groupBy(len(u.Users), func(i int) (string, bool) { return u.Users[i].ID, true },
		func(i int) *UserUsage { return &u.Users[i] })
}
