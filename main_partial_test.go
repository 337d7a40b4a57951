package main

import (
	"strings"
	"testing"

	"github.com/miscope/miscope/data/fakeazure"
	"github.com/miscope/miscope/data/report"
)

// With the managed identity list refused, `report --fail-on` must not pass a pipeline on "0 identities, 0 findings":
// it exits with its own code and says why on standard error, through the real SDKs against the fake Azure.
func TestReportDoesNotPassWhenTheIdentityListIsRefused(t *testing.T) {
	fake.SetDeny(fakeazure.Denial{PathPrefix: "/v1.0/servicePrincipals"})
	defer fake.SetDeny()
	code, out, errOut := runCmd(t, "report", "--auth", "environment", "--no-cache", "--fail-on", "high")
	if code != report.ExitIncomplete || code == report.ExitOK || code == report.ExitFindings || code == exitUsage {
		t.Errorf("exit %d, want %d of its own", code, report.ExitIncomplete)
	}
	if !strings.Contains(errOut, "managed identity list could not be read") ||
		!strings.Contains(errOut, "Application.Read.All") {
		t.Errorf("standard error does not say why: %q", errOut)
	}
	if !strings.Contains(out, `"gaps"`) {
		t.Errorf("the report was not written: %.200s", out)
	}
}
