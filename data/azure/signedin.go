package azure

import (
	"strings"

	"github.com/miscope/miscope/data"
)

// SignedIn names who signed in, from the first Graph token's claims: a user's sign-in name, or "app <id>" for a
// workload; "" when the token does not say. It names whoever takes triage decisions; the token is never kept.
func (s *Source) SignedIn() string { return s.signedIn }

// signedInOfToken reads the signed-in principal's name from an access token without verifying it, as tenantOfToken
// reads its tenant.
func signedInOfToken(token string) string {
	c, ok := claimsOfToken(token)
	if !ok {
		return ""
	}
	for _, name := range []string{c.UPN, c.PreferredUsername, c.UniqueName} {
		if name = strings.TrimSpace(data.Clean(name)); name != "" {
			return name
		}
	}
	for _, app := range []string{c.AppID, c.AzpID} {
		if app = strings.TrimSpace(data.Clean(app)); app != "" {
			return "app " + app
		}
	}
	return ""
}
