package assess

import (
	"strings"
	"testing"

	"github.com/miscope/miscope/data"
)

func TestParseClaimsExpression(t *testing.T) {
	cases := []struct {
		expr string
		want []clause
		err  string
	}{
		{expr: "claims['sub'] eq 'repo:contoso/app:environment:prod'",
			want: []clause{{"sub", opEq, "repo:contoso/app:environment:prod"}}},
		{expr: "claims['sub'] matches 'repo:contoso/contoso-repo:ref:refs/heads/*' and claims['repository_id'] eq '456789'",
			want: []clause{{"sub", opMatches, "repo:contoso/contoso-repo:ref:refs/heads/*"}, {"repository_id", opEq, "456789"}}},
		{expr: "claims['sub'] eq 'repo:contoso/r:ref:refs/heads/main' and claims['repository_id'] eq '456789' and " +
			"claims['job_workflow_ref'] matches 'foo-org/bar-repo/.github/workflows/*@refs/heads/main'",
			want: []clause{{"sub", opEq, "repo:contoso/r:ref:refs/heads/main"}, {"repository_id", opEq, "456789"},
				{"job_workflow_ref", opMatches, "foo-org/bar-repo/.github/workflows/*@refs/heads/main"}}},
		{expr: "  CLAIMS['Sub'] MATCHES 'a*'  ", want: []clause{{"sub", opMatches, "a*"}}},
		// Must not parse.
		{expr: "", err: "claim lookup"},
		{expr: "claims['sub'] eq 'unterminated", err: "no closing quote"},
		{expr: "claims['sub'] ne 'x'", err: "eq or matches"},
		{expr: "claims['sub'] eq 'x' or claims['sub'] eq 'y'", err: `"and"`},
		{expr: "claims['sub'] eq 'x' and", err: "claim lookup"},
		{expr: "sub eq 'x'", err: "claim lookup"},
		{expr: "claims[sub] eq 'x'", err: "single quotes"},
		{expr: "claims['sub'] eq x", err: "comparand in single quotes"},
		{expr: "claims['sub'] eq 'a'b'", err: `"and"`},
	}
	for _, c := range cases {
		got, err := parseClaimsExpression(c.expr)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want one saying %q", c.expr, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("%q: %+v, want %+v", c.expr, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q clause %d: %+v, want %+v", c.expr, i, got[i], c.want[i])
			}
		}
	}
}

const (
	ownTenant     = "11111111-2222-3333-4444-555555555555"
	foreignTenant = "99999999-8888-7777-6666-555555555555"
	gitlabCom     = "https://gitlab.com"
	terraformUS   = "https://app.terraform.io"
	terraformEU   = "https://app.eu.terraform.io"
	eksIssuer     = "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	gkeIssuer     = "https://container.googleapis.com/v1/projects/contoso-prod/locations/europe-west1/clusters/payments"
)

func TestFederatedCredentialTrust(t *testing.T) {
	plain := func(issuer, subject string) data.FederatedCredential {
		return data.FederatedCredential{Issuer: issuer, Subject: subject, Audiences: []string{"api://AzureADTokenExchange"}}
	}
	flex := func(issuer, expr string) data.FederatedCredential {
		return data.FederatedCredential{Issuer: issuer, ClaimsMatchingExpression: expr, Audiences: []string{"api://AzureADTokenExchange"}}
	}
	cases := []struct {
		name     string
		f        data.FederatedCredential
		want     Severity // none: not risky at all
		internet bool
		text     string // a substring of the worst reason, or of any reason when the worst is not checked
	}{
		// GitHub: owner and organisation wildcards are open to anyone on GitHub.
		{"owner wildcard", flex(github, "claims['sub'] matches 'repo:*/app:*'"), High, true, "anyone on GitHub"},
		{"owner prefix wildcard", flex(github, "claims['sub'] matches 'repo:contoso*/app:ref:refs/heads/main'"), High, true, `"contoso*"`},
		{"owner single-character wildcard", flex(github, "claims['sub'] matches 'repo:contos?/app:environment:prod'"), High, true, "register"},
		{"any subject at all", flex(github, "claims['sub'] matches '*'"), High, true, "any GitHub workflow"},
		{"wildcard inside repo:", flex(github, "claims['sub'] matches 're*'"), High, true, "any owner"},
		{"owner pinned by id is not internet-exposed", flex(github,
			"claims['sub'] matches 'repo:*' and claims['repository_owner_id'] eq '5544123'"), High, false, "pinned owner"},
		{"repository pinned by id is not internet-exposed", flex(github,
			"claims['sub'] matches 'repo:*/app:*' and claims['repository_id'] eq '821093847'"), High, false, "any branch"},
		{"enterprise issuer limits an owner wildcard", flex(github+"/contoso-enterprise",
			"claims['sub'] matches 'repo:*/app:environment:prod'"), High, false, "enterprise"},
		// Pull requests and any-ref wildcards.
		{"any ref of a repository", flex(github, "claims['sub'] matches 'repo:contoso/app:*'"), High, false, "pull requests"},
		{"pull request subject", plain(github, "repo:contoso/app:pull_request"), High, false, "any pull request"},
		{"every repository of an owner", flex(github, "claims['sub'] matches 'repo:contoso/*'"), High, false, "every repository"},
		{"any branch", flex(github, "claims['sub'] matches 'repo:contoso/app:ref:refs/heads/*'"), High, false, "any branch"},
		{"any ref", flex(github, "claims['sub'] matches 'repo:contoso/app:ref:*'"), High, false, "any branch"},
		// Branch-wide.
		{"branch subject", plain(github, "repo:contoso/app:ref:refs/heads/main"), Medium, false, `branch "main"`},
		{"eq expression grades as the plain subject", flex(github,
			"claims['sub'] eq 'repo:contoso/app:ref:refs/heads/main'"), Medium, false, `branch "main"`},
		{"tag subject", plain(github, "repo:contoso/app:ref:refs/tags/v1"), Medium, false, `tag "v1"`},
		{"branch pattern", flex(github, "claims['sub'] matches 'repo:contoso/app:ref:refs/heads/release-*' and "+
			"claims['repository_id'] eq '821093847'"), Medium, false, `"release-*"`},
		{"environment pattern", flex(github, "claims['sub'] matches 'repo:contoso/app:environment:*' and "+
			"claims['repository_id'] eq '821093847'"), High, false, "any writer creates"},
		{"environment name pattern", flex(github, "claims['sub'] matches 'repo:contoso/app:environment:prod-?' and "+
			"claims['repository_id'] eq '821093847'"), Medium, false, "any environment"},
		{"reusable workflow at any ref", flex(github, "claims['sub'] eq 'repo:contoso/app:environment:prod' and "+
			"claims['repository_id'] eq '821093847' and claims['job_workflow_ref'] matches "+
			"'contoso/templates/.github/workflows/deploy.yml@refs/heads/*'"), Medium, false, "job_workflow_ref"},
		// Name-based subjects are low, with the immutable form as the fix.
		{"name-based environment subject", plain(github, "repo:contoso/app:environment:production"), Low, false,
			"repo:contoso@OWNER_ID/app@REPO_ID:environment:production"},
		{"name-based expression", flex(github, "claims['sub'] matches 'repo:contoso/app:environment:prod'"), Low, false,
			"claims['repository_id'] eq"},
		{"immutable environment subject", plain(github, "repo:contoso@5544123/app@821093847:environment:production"), none, false, ""},
		{"environment pinned by repository_id", flex(github, "claims['sub'] eq 'repo:contoso/app:environment:prod' and "+
			"claims['repository_id'] eq '821093847'"), none, false, ""},
		{"pinned reusable workflow", flex(github, "claims['sub'] eq 'repo:contoso/app:environment:prod' and "+
			"claims['repository_id'] eq '821093847' and claims['job_workflow_ref'] eq "+
			"'contoso/templates/.github/workflows/deploy.yml@refs/heads/main'"), none, false, ""},

		// GitLab.
		{"GitLab group wildcard on GitLab.com", flex(gitlabCom, "claims['sub'] matches 'project_path:*/app:ref_type:branch:ref:main'"),
			High, true, "anyone on GitLab.com"},
		{"GitLab any subject", flex(gitlabCom, "claims['sub'] matches '*'"), High, true, "any pipeline"},
		{"GitLab group wildcard on a self-managed server", flex("https://gitlab.contoso.com",
			"claims['sub'] matches 'project_path:*/app:ref_type:branch:ref:main'"), High, false, "gitlab.contoso.com"},
		{"GitLab every project of a group", flex(gitlabCom, "claims['sub'] matches 'project_path:contoso/*'"), High, false, "every project"},
		{"GitLab any ref", flex(gitlabCom, "claims['sub'] matches 'project_id:57382910:*' and claims['project_id'] eq '57382910'"),
			High, false, "any branch or tag"},
		{"GitLab any branch", flex(gitlabCom, "claims['sub'] matches 'project_path:contoso/app:ref_type:branch:ref:*'"),
			High, false, "any branch"},
		{"GitLab branch pattern", flex(gitlabCom, "claims['sub'] matches 'project_id:57382910:ref_type:branch:ref:release-*'"),
			Medium, false, `"release-*"`},
		{"GitLab path subject is mutable", plain(gitlabCom, "project_path:contoso/app:ref_type:branch:ref:main"), Low, false, "project_id"},
		{"GitLab immutable project subject", plain(gitlabCom, "project_id:57382910:ref_type:branch:ref:main"), none, false, ""},
		{"self-managed GitLab is a known issuer", plain("https://gitlab.example.ca", "project_id:42:ref_type:tag:ref:v1"), none, false, ""},

		// Terraform Cloud.
		{"Terraform apply of one workspace", plain(terraformUS, "organization:contoso:project:infra:workspace:prod:run_phase:apply"), none, false, ""},
		{"Terraform Cloud EU instance", plain(terraformEU, "organization:contoso:project:infra:workspace:prod:run_phase:apply"), none, false, ""},
		{"Terraform plan phase", plain(terraformUS, "organization:contoso:project:infra:workspace:prod:run_phase:plan"), Low, false, "speculative plans"},
		{"Terraform any phase", flex(terraformUS, "claims['sub'] matches 'organization:contoso:project:infra:workspace:prod:run_phase:*'"),
			Low, false, "plan runs"},
		{"Terraform organisation wildcard", flex(terraformUS, "claims['sub'] matches 'organization:*:project:infra:workspace:prod:run_phase:apply'"),
			High, true, "organisation"},
		{"Terraform every project", flex(terraformUS, "claims['sub'] matches 'organization:contoso:project:*'"), High, false, "every project"},
		{"Terraform every workspace", flex(terraformUS, "claims['sub'] matches 'organization:contoso:project:infra:workspace:*:run_phase:apply'"),
			Medium, false, "every workspace"},

		// Kubernetes.
		{"EKS service account", plain(eksIssuer, "system:serviceaccount:payments:api"), none, false, ""},
		{"GKE service account", plain(gkeIssuer, "system:serviceaccount:payments:api"), none, false, ""},
		{"AKS service account of its own tenant", plain("https://westeurope.oic.prod-aks.azure.com/"+ownTenant+
			"/0a1b2c3d-0000-0000-0000-000000000001/", "system:serviceaccount:payments:api"), none, false, ""},
		{"AKS cluster of another tenant", plain("https://westeurope.oic.prod-aks.azure.com/"+foreignTenant+
			"/0a1b2c3d-0000-0000-0000-000000000001/", "system:serviceaccount:payments:api"), Medium, false, "another tenant"},
		{"Kubernetes subject that is not a service account", plain(eksIssuer, "payments"), Low, false, "not a service account"},

		// Entra ID.
		{"Entra issuer of its own tenant", plain("https://login.microsoftonline.com/"+ownTenant+"/v2.0",
			"aaaaaaaa-0000-0000-0000-000000000001"), none, false, ""},
		{"Entra v1 issuer of its own tenant", plain("https://sts.windows.net/"+ownTenant+"/",
			"aaaaaaaa-0000-0000-0000-000000000001"), none, false, ""},
		{"Entra issuer of another tenant", plain("https://login.microsoftonline.com/"+foreignTenant+"/v2.0",
			"aaaaaaaa-0000-0000-0000-000000000001"), Medium, false, foreignTenant},
		{"Entra issuer without a tenant id", plain("https://login.microsoftonline.com/common/v2.0",
			"aaaaaaaa-0000-0000-0000-000000000001"), Low, false, "names no tenant id"},
		{"Entra v1 issuer of another tenant", plain("https://sts.windows.net/"+foreignTenant+"/",
			"aaaaaaaa-0000-0000-0000-000000000001"), Medium, false, "another tenant"},

		// Issuers and audiences.
		{"unknown issuer", plain("https://idp.example.net", "workload"), High, false, "not a known identity provider"},
		{"look-alike GitHub issuer", plain("https://token.actions.githubusercontent.com.example.net",
			"repo:contoso@1/app@2:environment:prod"), High, false, "not a known identity provider"},
		{"plain http issuer", plain("http://gitlab.com", "project_id:42:ref_type:tag:ref:v1"), High, false, "not a known"},
		{"Azure DevOps", plain("https://vstoken.dev.azure.com/0b8d3f25-0000-0000-0000-000000000001", "sc://contoso/infra/prod"), none, false, ""},
		{"US Government audience", data.FederatedCredential{Issuer: github, Subject: "repo:contoso@1/app@2:environment:prod",
			Audiences: []string{"api://AzureADTokenExchangeUSGov"}}, none, false, ""},
		{"China audience", data.FederatedCredential{Issuer: github, Subject: "repo:contoso@1/app@2:environment:prod",
			Audiences: []string{"api://AzureADTokenExchangeChina"}}, none, false, ""},
		{"unknown audience", data.FederatedCredential{Issuer: github, Subject: "repo:contoso@1/app@2:environment:prod",
			Audiences: []string{"api://contoso-exchange"}}, Low, false, "audience"},
		{"two audiences", data.FederatedCredential{Issuer: github, Subject: "repo:contoso@1/app@2:environment:prod",
			Audiences: []string{"api://AzureADTokenExchange", "api://other"}}, Low, false, "2 audiences"},
		{"unreadable expression", flex(github, "claims['sub'] matches 'repo:contoso/app:*"), Medium, false, "cannot be read"},
	}
	for _, c := range cases {
		tr := readTrust(c.f, ownTenant)
		top, ok := tr.worst()
		if c.want == none {
			if ok {
				t.Errorf("%s: %v %q, want no risk", c.name, top.sev, top.text)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: no risk, want %v", c.name, c.want)
			continue
		}
		if top.sev != c.want || top.internet != c.internet {
			t.Errorf("%s: %v (internet %v) %q, want %v (internet %v)", c.name, top.sev, top.internet, top.text, c.want, c.internet)
		}
		found := false
		for _, r := range tr.risks {
			found = found || strings.Contains(r.text, c.text)
		}
		if !found {
			t.Errorf("%s: no reason says %q: %+v", c.name, c.text, tr.risks)
		}
	}
}

func TestReadIssuer(t *testing.T) {
	cases := []struct {
		url  string
		want provider
	}{
		{"https://token.actions.githubusercontent.com", providerGitHub},
		{"https://token.actions.githubusercontent.com/", providerGitHub},
		{"https://token.actions.githubusercontent.com/contoso-enterprise", providerGitHub},
		{"https://gitlab.com", providerGitLab},
		{"https://gitlab.contoso.com", providerGitLab},
		{"https://app.terraform.io", providerTerraform},
		{"https://app.eu.terraform.io", providerTerraform},
		{eksIssuer, providerKubernetes},
		{"https://oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC123", providerKubernetes},
		{gkeIssuer, providerKubernetes},
		{"https://eastus.oic.prod-aks.azure.com/" + ownTenant + "/0a1b2c3d-0000-0000-0000-000000000001/", providerKubernetes},
		{"https://login.microsoftonline.com/" + ownTenant + "/v2.0", providerEntra},
		{"https://sts.windows.net/" + ownTenant + "/", providerEntra},
		{"https://login.microsoftonline.us/" + ownTenant + "/v2.0", providerEntra},
		{"https://accounts.google.com", providerGoogle},
		// Must not be recognised.
		{"https://token.actions.githubusercontent.com.evil.example", providerUnknown},
		{"https://evil.example/token.actions.githubusercontent.com", providerUnknown},
		{"https://gitlab.com/evil", providerUnknown},
		{"https://gitlab", providerUnknown},
		{"https://app.terraform.io.evil.example", providerUnknown},
		{"https://oidc.eks.eu-west-1.amazonaws.com.evil.example/id/X", providerUnknown},
		{"https://container.googleapis.com/v1/projects/p", providerUnknown},
		{"https://evil.oic.prod-aks.azure.com.example/" + ownTenant + "/x/", providerUnknown},
		{"https://login.microsoftonline.com.evil.example/" + ownTenant + "/v2.0", providerUnknown},
		{"http://token.actions.githubusercontent.com", providerUnknown},
		{"", providerUnknown},
	}
	for _, c := range cases {
		if got := readIssuer(c.url).provider; got != c.want {
			t.Errorf("%q: provider %d, want %d", c.url, got, c.want)
		}
	}
}

// Any issuer, subject or expression is read without a panic, and every reason it gives has a severity and words.
func FuzzReadTrust(f *testing.F) {
	for _, s := range []string{"repo:contoso/app:environment:prod", "repo:*", "project_path:a/b:ref_type:branch:ref:*",
		"organization:o:project:*", "system:serviceaccount:a:b", "claims['sub'] matches 'repo:c*/a:*' and claims['repository_id'] eq '1'",
		"claims['sub'] eq '", "@", "repo:@/@:ref:refs/heads/*", ""} {
		for _, iss := range []string{github, gitlabCom, terraformEU, eksIssuer, "https://sts.windows.net/" + foreignTenant + "/", "x"} {
			f.Add(iss, s)
		}
	}
	f.Fuzz(func(t *testing.T, iss, s string) {
		for _, fc := range []data.FederatedCredential{{Issuer: iss, Subject: s, Audiences: []string{"api://AzureADTokenExchange"}},
			{Issuer: iss, ClaimsMatchingExpression: s}} {
			tr := readTrust(fc, ownTenant)
			for _, r := range tr.risks {
				if r.sev < Info || r.sev > Critical || r.text == "" {
					t.Fatalf("%q %q: risk %+v", iss, s, r)
				}
			}
		}
	})
}
