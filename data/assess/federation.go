package assess

import (
	"cmp"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/miscope/miscope/data"
)

// Federated credentials are read as expressions: a plain subject is the clause claims['sub'] eq 'SUBJECT', and a
// flexible credential's claimsMatchingExpression is a list of clauses joined by and. Both are then read per issuer
// (GitHub, GitLab, Terraform Cloud, Kubernetes, Entra ID) into what they let in, which decides the grade.

// clause is one comparison of a claims-matching expression: claims['claim'] op 'value'.
type clause struct {
	claim string
	op    string // opEq or opMatches
	value string
}

const (
	opEq      = "eq"
	opMatches = "matches" // '*' matches any run of characters, '?' any one
)

// parseClaimsExpression reads Entra's flexible federated credential language, version 1: claim lookups of the form
// claims['name'], compared with eq or matches to a comparand in single quotes, joined by and.
func parseClaimsExpression(s string) ([]clause, error) {
	p := exprParser{s: s}
	var out []clause
	for {
		c, err := p.clause()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		p.space()
		if p.done() {
			return out, nil
		}
		if !p.word("and") {
			return nil, p.errorf("expected \"and\" or the end of the expression")
		}
	}
}

type exprParser struct {
	s   string
	pos int
}

func (p *exprParser) done() bool { return p.pos >= len(p.s) }

func (p *exprParser) space() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n' || p.s[p.pos] == '\r') {
		p.pos++
	}
}

func (p *exprParser) errorf(format string, args ...any) error {
	return fmt.Errorf("at character %d: %s", p.pos+1, fmt.Sprintf(format, args...))
}

// literal consumes lit (ASCII, case-insensitive) if it comes next.
func (p *exprParser) literal(lit string) bool {
	if len(p.s)-p.pos >= len(lit) && strings.EqualFold(p.s[p.pos:p.pos+len(lit)], lit) {
		p.pos += len(lit)
		return true
	}
	return false
}

// word consumes an operator or "and" followed by a space.
func (p *exprParser) word(w string) bool {
	start := p.pos
	if p.literal(w) && (p.done() || p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		return true
	}
	p.pos = start
	return false
}

// quoted reads a comparand or claim name in single quotes.
func (p *exprParser) quoted(what string) (string, error) {
	if !p.literal("'") {
		return "", p.errorf("expected %s in single quotes", what)
	}
	end := strings.IndexByte(p.s[p.pos:], '\'')
	if end < 0 {
		return "", p.errorf("%s has no closing quote", what)
	}
	v := p.s[p.pos : p.pos+end]
	p.pos += end + 1
	return v, nil
}

func (p *exprParser) clause() (clause, error) {
	p.space()
	if !p.literal("claims[") {
		return clause{}, p.errorf("expected a claim lookup claims['NAME']")
	}
	name, err := p.quoted("the claim name")
	if err != nil {
		return clause{}, err
	}
	if !p.literal("]") {
		return clause{}, p.errorf("expected ] after the claim name")
	}
	p.space()
	var op string
	switch {
	case p.word(opEq):
		op = opEq
	case p.word(opMatches):
		op = opMatches
	default:
		return clause{}, p.errorf("expected the operator eq or matches")
	}
	p.space()
	v, err := p.quoted("the comparand")
	if err != nil {
		return clause{}, err
	}
	return clause{claim: strings.ToLower(name), op: op, value: v}, nil
}

// provider is the kind of identity provider an issuer belongs to.
type provider int

const (
	providerUnknown provider = iota
	providerGitHub
	providerGitLab
	providerTerraform
	providerKubernetes
	providerEntra
	providerAzureDevOps
	providerGoogle
)

// issuer is a federated credential's issuer, read.
type issuer struct {
	provider provider
	name     string // how evidence names it, e.g. "GitHub Actions", "EKS cluster (eu-west-1)"
	// public is true where anyone on the internet can open an account that the issuer mints tokens for (GitHub.com,
	// GitLab.com, Terraform Cloud): a pattern over who, there, lets strangers in.
	public bool
	tenant string // the Entra tenant id in an Entra or AKS issuer URL, lower case
}

var (
	tenantIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	eksPath         = regexp.MustCompile(`^/id/[0-9a-z]+$`)
	eksHost         = regexp.MustCompile(`^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)
	gkePath         = regexp.MustCompile(`^/v1/projects/[^/]+/locations/[^/]+/clusters/[^/]+$`)
	aksHost         = regexp.MustCompile(`^[a-z0-9-]+\.oic\.prod-aks\.azure\.com$`)
	aksPath         = regexp.MustCompile(`^/([0-9a-f-]{36})/[0-9a-z-]+$`)
	entraPath       = regexp.MustCompile(`^/([^/]+)(/v2\.0)?$`)
)

// entraHosts are the Entra ID sign-in hosts of each cloud whose tokens can carry a tenant-qualified issuer.
var entraHosts = map[string]bool{
	"login.microsoftonline.com":        true,
	"sts.windows.net":                  true,
	"login.microsoftonline.us":         true,
	"login.partner.microsoftonline.cn": true,
	"login.chinacloudapi.cn":           true,
	"sts.chinacloudapi.cn":             true,
}

// readIssuer tells which identity provider an issuer URL belongs to. Well-known providers are recognised by their
// documented issuer URLs; self-managed GitLab by its conventional gitlab.* host. Anything else may be an identity
// provider an attacker runs.
func readIssuer(raw string) issuer {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || !strings.EqualFold(u.Scheme, "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return issuer{}
	}
	host := strings.ToLower(u.Host)
	path := strings.TrimRight(u.Path, "/")
	lpath := strings.ToLower(path)
	switch {
	case host == "token.actions.githubusercontent.com" && (path == "" || strings.Count(path, "/") == 1):
		// The second form carries a GitHub Enterprise Cloud slug.
		return issuer{provider: providerGitHub, name: "GitHub Actions", public: path == ""}
	case host == "gitlab.com" && path == "":
		return issuer{provider: providerGitLab, name: "GitLab.com", public: true}
	case strings.HasPrefix(host, "gitlab.") && strings.Count(host, ".") >= 2 && path == "":
		return issuer{provider: providerGitLab, name: "self-managed GitLab (" + host + ")"}
	case (host == "app.terraform.io" || host == "app.eu.terraform.io") && path == "":
		return issuer{provider: providerTerraform, name: "Terraform Cloud (" + host + ")", public: true}
	case eksHost.MatchString(host) && eksPath.MatchString(lpath):
		return issuer{provider: providerKubernetes, name: "EKS cluster (" + strings.Split(host, ".")[2] + ")"}
	case host == "container.googleapis.com" && gkePath.MatchString(path):
		return issuer{provider: providerKubernetes, name: "GKE cluster (" + path[strings.LastIndexByte(path, '/')+1:] + ")"}
	case aksHost.MatchString(host) && aksPath.MatchString(lpath):
		return issuer{provider: providerKubernetes, name: "AKS cluster (" + strings.Split(host, ".")[0] + ")",
			tenant: aksPath.FindStringSubmatch(lpath)[1]}
	case entraHosts[host] && entraPath.MatchString(lpath):
		return issuer{provider: providerEntra, name: "Microsoft Entra ID", tenant: entraPath.FindStringSubmatch(lpath)[1]}
	case host == "vstoken.dev.azure.com" && strings.Count(path, "/") == 1:
		return issuer{provider: providerAzureDevOps, name: "Azure DevOps"}
	case host == "accounts.google.com" && path == "":
		return issuer{provider: providerGoogle, name: "Google"}
	}
	return issuer{}
}

// ficAudiences are the audiences Entra accepts in a federated token, one per cloud: global, US Government,
// China (21Vianet), USNat and USSec.
var ficAudiences = []string{"api://AzureADTokenExchange", "api://AzureADTokenExchangeUSGov",
	"api://AzureADTokenExchangeChina", "api://AzureADTokenExchangeUSNat", "api://AzureADTokenExchangeUSSec"}

func knownAudience(a string) bool {
	for _, k := range ficAudiences {
		if strings.EqualFold(a, k) {
			return true
		}
	}
	return false
}

// breadth orders what a subject pattern admits, from one exact workload to anyone on the internet.
type breadth int

const (
	breadthExact    breadth = iota // one workload
	breadthBranch                  // every run on one branch or tag, or a pattern of them
	breadthWide                    // any ref, any branch, pull requests, or every repository or project of an owner
	breadthInternet                // anyone who can register a matching owner, organisation or group
)

// risk is one reason a credential is risky, with the severity it carries on an ordinary identity.
type risk struct {
	sev      Severity
	text     string
	internet bool // graded critical on a privileged identity
}

// trust is what a federated credential lets in, read from its subject or its claims-matching expression.
type trust struct {
	issuer  issuer
	clauses []clause
	risks   []risk
	fix     string // a narrower or immutable form to trust instead, when one can be named
}

func (t *trust) note(sev Severity, text string) {
	t.risks = append(t.risks, risk{sev: sev, text: text})
}

// worst is the most severe risk.
func (t *trust) worst() (risk, bool) {
	var top risk
	for i, v := range t.risks {
		if i == 0 || v.sev > top.sev || v.sev == top.sev && v.internet && !top.internet {
			top = v
		}
	}
	return top, len(t.risks) > 0
}

// reasons lists the reasons, worst first.
func (t *trust) reasons() []string {
	rs := slices.Clone(t.risks)
	slices.SortStableFunc(rs, func(a, b risk) int { return cmp.Compare(b.sev, a.sev) })
	out := make([]string, 0, len(rs)+1)
	for _, r := range rs {
		text := r.text
		if r.internet {
			text = "internet-exposed: " + text
		}
		out = append(out, text)
	}
	return out
}

// readTrust reads a federated credential: its issuer, audience and subject or expression. tenantID is the tenant's
// own id, against which Entra and AKS issuers are compared ("" when unknown).
func readTrust(f data.FederatedCredential, tenantID string) trust {
	t := trust{issuer: readIssuer(f.Issuer)}
	if t.issuer.provider == providerUnknown {
		t.note(High, "the issuer is not a known identity provider; whoever runs it can mint tokens for this identity")
	}
	switch {
	case len(f.Audiences) != 1:
		t.note(Low, fmt.Sprintf("%d audiences where Entra expects exactly one", len(f.Audiences)))
	case !knownAudience(strings.TrimSpace(f.Audiences[0])):
		t.note(Low, "the audience "+quote(f.Audiences[0])+" is not the token exchange audience of any cloud "+
			"(api://AzureADTokenExchange, or its USGov, China, USNat or USSec form)")
	}
	if expr := strings.TrimSpace(f.ClaimsMatchingExpression); expr != "" {
		cs, err := parseClaimsExpression(expr)
		if err != nil {
			t.note(Medium, "the claims-matching expression cannot be read ("+err.Error()+"); check by hand what it admits")
			return t
		}
		t.clauses = cs
	} else {
		t.clauses = []clause{{claim: "sub", op: opEq, value: strings.TrimSpace(f.Subject)}}
	}
	switch {
	case t.issuer.provider == providerEntra && !tenantIDPattern.MatchString(t.issuer.tenant):
		t.note(Low, "the Entra issuer names no tenant id ("+quote(t.issuer.tenant)+"); a token's issuer always does, "+
			"so this credential cannot match, or trusts a tenant miscope cannot tell")
	case t.issuer.tenant != "" && tenantID != "" && !strings.EqualFold(t.issuer.tenant, tenantID):
		what := "a principal"
		if t.issuer.provider == providerKubernetes {
			what = "a Kubernetes cluster"
		}
		t.note(Medium, fmt.Sprintf("trusts %s of another tenant (%s): that tenant's administrators decide who "+
			"becomes this identity", what, t.issuer.tenant))
	}
	switch t.issuer.provider {
	case providerGitHub:
		t.readGitHub()
	case providerGitLab:
		t.readGitLab()
	case providerTerraform:
		t.readTerraform()
	case providerKubernetes:
		t.readKubernetes()
	default:
		t.readOther()
	}
	return t
}

// subs returns the clauses on the sub claim.
func (t *trust) subs() []clause {
	var out []clause
	for _, c := range t.clauses {
		if c.claim == "sub" {
			out = append(out, c)
		}
	}
	return out
}

// idClaim returns the value an eq clause pins claim to.
func (t *trust) idClaim(claim string) string {
	for _, c := range t.clauses {
		if c.claim == claim && c.op == opEq && c.value != "" {
			return c.value
		}
	}
	return ""
}

// wild reports whether a comparand holds a wildcard that matches more than itself.
func wild(c clause, s string) bool { return c.op == opMatches && strings.ContainsAny(s, "*?") }

// everything reports whether a pattern is nothing but '*': it admits any subject at all.
func everything(c clause) bool { return c.op == opMatches && strings.Trim(c.value, "*") == "" }

// narrowest keeps, of the readings of several sub clauses joined by and, the one that admits the least.
func narrowest(rs []subjectReading) subjectReading {
	_, best := narrowestAt(rs)
	return best
}

// narrowestAt is narrowest with the index of the clause it came from.
func narrowestAt(rs []subjectReading) (int, subjectReading) {
	at := 0
	for i, r := range rs[1:] {
		if r.breadth < rs[at].breadth {
			at = i + 1
		}
	}
	return at, rs[at]
}

// subjectReading is what one sub clause admits.
type subjectReading struct {
	breadth  breadth
	text     string // what it admits, for evidence
	mutable  bool   // built from names that can be renamed, transferred or reused
	internet bool
	fix      string
}

func (t *trust) judge(r subjectReading, sev map[breadth]Severity) {
	if s, ok := sev[r.breadth]; ok && s > Info {
		t.risks = append(t.risks, risk{sev: s, text: r.text, internet: r.internet})
	}
	if r.fix != "" && t.fix == "" {
		t.fix = r.fix
	}
}

// GitHub subjects: repo:OWNER/REPO:CONTEXT, or with immutable ids repo:OWNER@OWNER_ID/REPO@REPO_ID:CONTEXT, where
// CONTEXT is ref:refs/heads/BRANCH, ref:refs/tags/TAG, environment:NAME or pull_request.
func (t *trust) readGitHub() {
	subs := t.subs()
	if len(subs) == 0 {
		t.note(High, "the expression does not match the subject at all: any workflow GitHub mints a token for gets the identity")
		return
	}
	repoID, ownerID := t.idClaim("repository_id"), t.idClaim("repository_owner_id")
	var rs []subjectReading
	for _, c := range subs {
		rs = append(rs, readGitHubSubject(c, repoID != "", ownerID != "" || repoID != ""))
	}
	at, r := narrowestAt(rs)
	if r.internet && !t.issuer.public {
		// An enterprise's own issuer mints tokens only for its organisations.
		r.internet, r.breadth = false, breadthWide
		r.text = "the owner is a pattern (" + quote(subs[at].value) + "): any organisation of the " +
			"enterprise this issuer serves can match it"
	}
	t.judge(r, map[breadth]Severity{breadthInternet: High, breadthWide: High, breadthBranch: Medium})
	for _, c := range t.clauses {
		if c.claim == "job_workflow_ref" && wild(c, c.value[strings.LastIndexByte(c.value, '@')+1:]) {
			t.note(Medium, "job_workflow_ref "+quote(c.value)+" accepts the reusable workflow at any "+
				"matching ref, including unreviewed branches")
		}
	}
	if r.mutable && r.breadth < breadthWide {
		fix := "add claims['repository_id'] eq 'REPO_ID' (and claims['repository_owner_id'] eq 'OWNER_ID') to the expression"
		if len(t.clauses) == 1 && t.clauses[0].op == opEq {
			fix = "trust the immutable subject " + cmp.Or(r.fix, "repo:OWNER@OWNER_ID/REPO@REPO_ID:...") + " instead"
		}
		t.note(Low, "the subject names the owner and repository, which can be renamed, transferred or reused; "+fix)
	}
}

var ghSubject = regexp.MustCompile(`(?i)^repo:`)

// readGitHubSubject reads one sub clause. repoPinned and ownerPinned say that other clauses pin the repository or
// its owner by immutable id.
func readGitHubSubject(c clause, repoPinned, ownerPinned bool) subjectReading {
	v := c.value
	if everything(c) {
		if repoPinned {
			return subjectReading{breadth: breadthWide, text: "any workflow of the pinned repository, on any branch, tag, pull request or environment"}
		}
		if ownerPinned {
			return subjectReading{breadth: breadthWide, text: "any workflow of any repository of the pinned owner"}
		}
		return subjectReading{breadth: breadthInternet, internet: true,
			text: "any GitHub workflow at all: anyone on GitHub can become this identity"}
	}
	if !ghSubject.MatchString(v) {
		if wild(c, v[:min(len(v), 5)]) {
			// A wildcard within "repo:" stands for any owner.
			if !ownerPinned {
				return subjectReading{breadth: breadthInternet, internet: true, text: "the pattern " + quote(v) +
					" matches any owner: anyone on GitHub can register one and become this identity"}
			}
			return subjectReading{breadth: breadthWide, text: "the pattern " + quote(v) + " matches any subject of the pinned owner"}
		}
		b := breadthBranch
		if !wild(c, v) {
			b = breadthExact
		}
		return subjectReading{breadth: b, mutable: !ownerPinned && !repoPinned,
			text: "a customized subject " + quote(v) + " that miscope does not read; check what it admits"}
	}
	rest := v[len("repo:"):]
	// OWNER ends at the first '/'; a wildcard before it stands for any owner.
	slash := strings.IndexByte(rest, '/')
	ownerPart := rest
	if slash >= 0 {
		ownerPart = rest[:slash]
	}
	ownerName, ownerIDPart, _ := strings.Cut(ownerPart, "@")
	if wild(c, ownerName) || slash < 0 && wild(c, rest) {
		if !ownerPinned {
			return subjectReading{breadth: breadthInternet, internet: true,
				text: "the owner " + quote(ownerName) + " is a pattern: anyone on GitHub can register a " +
					"matching user or organisation and become this identity"}
		}
	}
	if slash < 0 {
		return subjectReading{breadth: breadthWide, text: "every repository of the pinned owner"}
	}
	rest = rest[slash+1:]
	colon := strings.IndexByte(rest, ':')
	repoPart, ctx := rest, ""
	if colon >= 0 {
		repoPart, ctx = rest[:colon], rest[colon+1:]
	}
	repoName, repoIDPart, _ := strings.Cut(repoPart, "@")
	immutable := ownerIDPart != "" && !wild(c, ownerIDPart) && repoIDPart != "" && !wild(c, repoIDPart)
	mutable := !immutable && !repoPinned
	where := ownerName + "/" + repoName
	fix := ""
	if mutable && c.op == opEq && ctx != "" {
		fix = "repo:" + ownerName + "@OWNER_ID/" + repoName + "@REPO_ID:" + ctx
	}
	read := func(r breadth, text string) subjectReading {
		return subjectReading{breadth: r, text: text, mutable: mutable, fix: fix}
	}
	if wild(c, repoName) && !repoPinned {
		which := " matching " + quote(repoName)
		if strings.Trim(repoName, "*") == "" {
			which = ""
		}
		return read(breadthWide, "every repository of "+quote(ownerName)+which+
			", including ones any member can create")
	}
	if colon < 0 && wild(c, repoPart) || wild(c, ctx) && strings.HasPrefix(ctx, "*") {
		return read(breadthWide, "any branch, tag, pull request or environment of "+quote(where)+
			" (including pull requests): anyone who can push or open a pull request gets the identity")
	}
	kind, name, _ := strings.Cut(ctx, ":")
	switch strings.ToLower(kind) {
	case "pull_request":
		return read(breadthWide, "any pull request of "+quote(where)+" that runs the workflow gets the identity")
	case "environment":
		// A workflow that names an environment that does not exist creates it, unprotected.
		if wild(c, name) && strings.Trim(name, "*") == "" {
			return read(breadthWide, "any environment of "+quote(where)+", including one any writer creates by naming it in a workflow")
		}
		if wild(c, name) {
			return read(breadthBranch, "any environment of "+quote(where)+" matching "+quote(name))
		}
		return read(breadthExact, "environment "+quote(name)+" of "+quote(where))
	case "ref":
		ref := name
		branchOrTag := "branch"
		short := strings.TrimPrefix(ref, "refs/heads/")
		if strings.HasPrefix(ref, "refs/tags/") {
			branchOrTag, short = "tag", strings.TrimPrefix(ref, "refs/tags/")
		}
		switch {
		case wild(c, ref) && (short == ref || strings.Trim(short, "*") == ""):
			return read(breadthWide, "any "+branchOrTag+" of "+quote(where)+": anyone who can push one gets the identity")
		case wild(c, short):
			return read(breadthBranch, "every "+branchOrTag+" of "+quote(where)+" matching "+quote(short)+
				" rather than a protected environment: anyone who can push to one gets the identity")
		}
		return read(breadthBranch, branchOrTag+" "+quote(short)+" of "+quote(where)+
			" rather than a protected environment: anyone who can push to it gets the identity")
	}
	if wild(c, ctx) {
		return read(breadthBranch, "the pattern "+quote(ctx)+" over the runs of "+quote(where))
	}
	return read(breadthBranch, "a GitHub subject that is not a protected environment ("+quote(ctx)+")")
}

// GitLab subjects: project_path:GROUP[/SUBGROUP...]/PROJECT:ref_type:branch|tag:ref:REF, or with the immutable
// project id project_id:ID:ref_type:...:ref:REF. GitLab's subject carries no environment, so a protected branch is the
// narrowest it offers and an exact branch is not graded.
func (t *trust) readGitLab() {
	subs := t.subs()
	if len(subs) == 0 {
		t.note(High, "the expression does not match the subject at all: any pipeline the server mints a token for gets the identity")
		return
	}
	pinned := t.idClaim("project_id") != "" || t.idClaim("namespace_id") != ""
	var rs []subjectReading
	for _, c := range subs {
		rs = append(rs, t.readGitLabSubject(c, pinned))
	}
	r := narrowest(rs)
	t.judge(r, map[breadth]Severity{breadthInternet: High, breadthWide: High, breadthBranch: Medium})
	if r.mutable && r.breadth < breadthWide {
		t.note(Low, "the subject names the group and project by path, which can be renamed or reused; trust "+
			"project_id:ID:ref_type:... (set ci_id_token_sub_claim_components) or add claims['project_id'] eq 'ID'")
	}
}

func (t *trust) readGitLabSubject(c clause, pinned bool) subjectReading {
	who := "anyone who can create a group on " + t.issuer.name
	if t.issuer.public {
		who = "anyone on GitLab.com can register a matching group"
	}
	if everything(c) {
		if pinned {
			return subjectReading{breadth: breadthWide, text: "any pipeline of the pinned project or namespace"}
		}
		return subjectReading{breadth: breadthInternet, internet: t.issuer.public, text: "any pipeline at all: " + who}
	}
	v := c.value
	head, rest, _ := strings.Cut(v, ":")
	var where string
	mutable := false
	switch strings.ToLower(head) {
	case "project_path":
		colon := strings.IndexByte(rest, ':')
		path := rest
		if colon >= 0 {
			path, rest = rest[:colon], rest[colon+1:]
		} else {
			rest = ""
		}
		group, _, _ := strings.Cut(path, "/")
		if wild(c, group) && !pinned {
			return subjectReading{breadth: breadthInternet, internet: t.issuer.public,
				text: "the group " + quote(group) + " is a pattern: " + who + " and become this identity"}
		}
		if wild(c, strings.TrimPrefix(path, group)) && !pinned {
			return subjectReading{breadth: breadthWide, mutable: true,
				text: "every project of " + quote(group) + " matching " + quote(path)}
		}
		if colon < 0 && wild(c, path) {
			rest = "*"
		}
		where, mutable = path, !pinned
	case "project_id":
		id, r, _ := strings.Cut(rest, ":")
		if wild(c, id) && !pinned {
			return subjectReading{breadth: breadthInternet, internet: t.issuer.public,
				text: "the project id is a pattern: " + who + " and become this identity"}
		}
		where, rest = "project "+id, r
	default:
		if wild(c, head) && !pinned {
			return subjectReading{breadth: breadthInternet, internet: t.issuer.public,
				text: "the pattern " + quote(v) + " matches any project: " + who}
		}
		return subjectReading{breadth: breadthBranch, text: "a GitLab subject miscope does not read (" + quote(v) + "); check what it admits"}
	}
	if strings.Trim(rest, "*") == "" && wild(c, rest+"*") {
		return subjectReading{breadth: breadthWide, mutable: mutable, text: "any branch or tag of " + quote(where)}
	}
	// ref_type:branch:ref:NAME
	refType, ref := "", ""
	if k, r, ok := strings.Cut(rest, ":"); ok && strings.EqualFold(k, "ref_type") {
		refType, r, _ = strings.Cut(r, ":")
		if k2, r2, ok := strings.Cut(r, ":"); ok && strings.EqualFold(k2, "ref") {
			ref = r2
		} else if wild(c, r) {
			ref = "*"
		}
	}
	kind := refType
	if wild(c, refType) {
		kind = "branch or tag"
	}
	switch {
	case wild(c, refType) && strings.Trim(ref, "*") == "" || wild(c, ref) && strings.Trim(ref, "*") == "":
		return subjectReading{breadth: breadthWide, mutable: mutable, text: "any " + kind + " of " + quote(where) +
			": anyone who can push one gets the identity"}
	case wild(c, ref) || wild(c, refType):
		return subjectReading{breadth: breadthBranch, mutable: mutable, text: "every " + kind + " of " + quote(where) +
			" matching " + quote(ref)}
	}
	return subjectReading{breadth: breadthExact, mutable: mutable, text: kind + " " + quote(ref) + " of " + quote(where)}
}

// Terraform Cloud subjects: organization:ORG:project:PROJECT:workspace:WORKSPACE:run_phase:plan|apply.
func (t *trust) readTerraform() {
	subs := t.subs()
	if len(subs) == 0 {
		t.note(High, "the expression does not match the subject at all: any Terraform Cloud run gets the identity")
		return
	}
	var rs []subjectReading
	for _, c := range subs {
		rs = append(rs, readTerraformSubject(c))
	}
	r := narrowest(rs)
	t.judge(r, map[breadth]Severity{breadthInternet: High, breadthWide: High, breadthBranch: Medium})
	if r.breadth < breadthWide {
		for _, c := range subs {
			phase := c.value[strings.LastIndexByte(c.value, ':')+1:]
			if strings.EqualFold(phase, "plan") || wild(c, phase) {
				t.note(Low, "plan runs get the identity, and speculative plans run for pull requests; give plans "+
					"a read-only identity and keep write access for run_phase:apply")
				break
			}
		}
	}
}

func readTerraformSubject(c clause) subjectReading {
	if everything(c) {
		return subjectReading{breadth: breadthInternet, internet: true,
			text: "any Terraform Cloud run at all: anyone can create an organisation and become this identity"}
	}
	fields := map[string]string{}
	parts := strings.Split(c.value, ":")
	for i := 0; i+1 < len(parts); i += 2 {
		fields[strings.ToLower(parts[i])] = parts[i+1]
	}
	org, ok := fields["organization"]
	if !ok && !wild(c, c.value) {
		return subjectReading{breadth: breadthBranch, text: "a Terraform Cloud subject miscope does not read (" +
			quote(c.value) + "); check what it admits"}
	}
	if !ok || wild(c, org) {
		return subjectReading{breadth: breadthInternet, internet: true, text: "the organisation is a pattern (" +
			quote(c.value) + "): anyone can create a matching Terraform Cloud organisation and become this identity"}
	}
	project, workspace := fields["project"], fields["workspace"]
	// A trailing '*' after a name stands for everything that follows it.
	switch {
	case wild(c, project) || project == "" && wild(c, c.value):
		return subjectReading{breadth: breadthWide, text: "every project of organisation " + quote(org)}
	case wild(c, workspace) || workspace == "" && wild(c, c.value):
		return subjectReading{breadth: breadthBranch, text: "every workspace of project " + quote(project) +
			" matching " + quote(workspace)}
	}
	return subjectReading{breadth: breadthExact, text: "workspace " + quote(workspace)}
}

// Kubernetes subjects: system:serviceaccount:NAMESPACE:NAME, issued by one cluster.
func (t *trust) readKubernetes() {
	for _, c := range t.subs() {
		parts := strings.Split(c.value, ":")
		switch {
		case wild(c, c.value):
			t.note(Medium, "the pattern "+quote(c.value)+" admits more than one service account of the cluster")
		case len(parts) != 4 || parts[0] != "system" || parts[1] != "serviceaccount":
			t.note(Low, "the subject "+quote(c.value)+" is not a service account (system:serviceaccount:NAMESPACE:NAME)")
		}
	}
}

// Other issuers (Entra ID, Azure DevOps, Google and unknown ones) use opaque subjects; only patterns are judged.
func (t *trust) readOther() {
	for _, c := range t.subs() {
		if everything(c) {
			t.note(High, "the expression admits any subject the issuer mints a token for")
		} else if wild(c, c.value) {
			t.note(Medium, "the pattern "+quote(c.value)+" admits more than one subject")
		}
	}
}

// federatedFixes are the commands that delete the risky credentials a finding's evidence names, in its order: the
// way out once a narrower credential (or none) replaces each. A credential on an identity whose resource id is not
// known gets no command.
func federatedFixes(id *data.Identity, shown []*Evidence) []Command {
	name, group, sub := data.ResourceName(id.ResourceID), data.ResourceGroupOf(id.ResourceID), data.SubscriptionOf(id.ResourceID)
	if name == "" || group == "" || sub == "" {
		return nil
	}
	var out []Command
	for _, x := range shown {
		if x.Kind != EvidenceFederatedCredential || x.ID == "" {
			continue
		}
		out = append(out, Command{Note: "delete the federated credential " + x.ID + " once a narrower one replaces it",
			Args: []string{"az", "identity", "federated-credential", "delete", "--name", x.ID, "--identity-name", name,
				"--resource-group", group, "--subscription", sub, "--yes"}})
	}
	return out
}

// federated is MI-FIC-RISK: each federated credential read as an expression (federation.go) and graded up on a
// privileged identity.
func (e *engine) federated(i int) {
	id := &e.x.Tenant.Identities[i]
	fics := e.x.FederatedCredentials(id.ID)
	if len(fics) == 0 {
		return
	}
	priv := e.verdicts[i].privilege
	var ev []evidence
	for _, f := range fics {
		t := readTrust(f, e.x.Tenant.ID)
		top, risky := t.worst()
		sev := top.sev
		if risky && priv >= High {
			sev = min(sev+1, Critical) // graded up: the identity is privileged
		}
		reasons := t.reasons()
		if priv == Critical && sev < Medium {
			sev = Medium
			reasons = append(reasons, "any federated credential on an identity with tier-0 privileges widens who can become it")
		}
		if len(reasons) == 0 {
			continue
		}
		what := "subject " + quote(f.Subject)
		if f.ClaimsMatchingExpression != "" {
			what = "claims-matching expression " + quote(f.ClaimsMatchingExpression)
		}
		iss := quote(f.Issuer)
		if t.issuer.name != "" {
			iss += " (" + t.issuer.name + ")"
		}
		ev = append(ev, evidence{sev, Evidence{Text: fmt.Sprintf("credential %s: issuer %s, %s: %s", quote(f.Name),
			iss, what, strings.Join(reasons, "; ")), Kind: EvidenceFederatedCredential, ID: f.Name,
			PrincipalID: id.ID, ResourceID: id.ResourceID, Issuer: f.Issuer,
			Subject: cmp.Or(f.ClaimsMatchingExpression, f.Subject)}})
	}
	e.add(RuleFICRisk, id.ID, ev, func(t evidence) string {
		return "Risky federated credential on " + quote(e.identityName(id)) + ": " + cutAt(strings.TrimPrefix(t.Text, "credential "), ":")
	}, "Trust only known issuers and one workload each: for GitHub Actions a protected environment "+
		"(repo:OWNER@OWNER_ID/REPO@REPO_ID:environment:NAME, or an expression that pins claims['repository_id']); "+
		"never a pattern over the owner, organisation or group; delete credentials nobody uses. A token already "+
		"exchanged stays valid until it expires.")
	e.fixLast(RuleFICRisk, id.ID, func(f *Finding) []Command { return federatedFixes(id, f.Evidence) })
}
