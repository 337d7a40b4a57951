package data

import (
	"testing"
	"time"
)

func TestIndexJoinsUsage(t *testing.T) {
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	tn := &Tenant{ID: "t", Usage: &Usage{Source: UsageDemo, WindowDays: 30, From: day.AddDate(0, 0, -30), To: day,
		SignIns: []SignIn{
			{PrincipalID: "A", ResourceAppID: AzureResourceManagerAppID, Last: day.AddDate(0, 0, -5), Count: 3},
			{PrincipalID: "a", ResourceAppID: MicrosoftGraphAppID, Last: day.AddDate(0, 0, -1), Count: 9},
			{PrincipalID: "b", ResourceAppID: AzureKeyVaultAppID, Last: day, Count: 1},
		},
		Users: []UserUsage{{ID: "u1", UserPrincipalName: "svc@example"}}}}
	first := tn.Usage.SignIns[0]
	x := NewIndex(tn)
	u := x.Usage("a")
	if len(u.SignIns) != 2 || u.SignIns[0].ResourceAppID != MicrosoftGraphAppID {
		t.Fatalf("usage of a = %+v, want two sign-ins, Graph (the latest) first", u.SignIns)
	}
	if !u.Last().Equal(day.AddDate(0, 0, -1)) {
		t.Errorf("Last = %v", u.Last())
	}
	if _, ok := u.SignedInTo(AzureKeyVaultAppID); ok {
		t.Error("a never signed in to Key Vault")
	}
	if s, ok := u.SignedInTo(AzureResourceManagerAppID); !ok || s.Count != 3 {
		t.Errorf("SignedInTo(ARM) = %+v, %v", s, ok)
	}
	if tn.Usage.SignIns[0] != first {
		t.Error("NewIndex reordered the tenant's sign-ins")
	}
	if len(x.Usage("nobody").SignIns) != 0 {
		t.Error("a principal with no sign-ins has some")
	}
	if u, ok := x.UserUsage("U1"); !ok || u.UserPrincipalName != "svc@example" {
		t.Errorf("UserUsage(U1) = %+v, %v", u, ok)
	}
	if g := x.UsageGap(SectionSignIns); g != nil {
		t.Errorf("UsageGap with usage read and no gap = %v", g)
	}
	tn2 := &Tenant{ID: "t", Usage: tn.Usage, Gaps: []Gap{{Section: SectionSignIns, Reason: "403", Needs: NeedsSignInLogs}}}
	if g := NewIndex(tn2).UsageGap(SectionSignIns); g == nil || g.Needs != NeedsSignInLogs {
		t.Errorf("UsageGap with a sign-in gap = %v", g)
	}
	if g := NewIndex(&Tenant{ID: "t"}).UsageGap(SectionSignIns); g == nil || g.Needs != NeedsUsageInFile {
		t.Errorf("UsageGap with usage not read = %v", g)
	}
}

func TestResourceAppNames(t *testing.T) {
	for _, c := range []struct{ action, want string }{
		{"Microsoft.KeyVault/vaults/secrets/getSecret/action", "Azure Key Vault"},
		{"microsoft.storage/storageAccounts/blobServices/containers/blobs/read", "Azure Storage"},
		{"Microsoft.Compute/virtualMachines/read", ""},
	} {
		if got := ResourceAppName(DataPlaneAppID(c.action)); got != c.want {
			t.Errorf("%s: %q, want %q", c.action, got, c.want)
		}
	}
}
