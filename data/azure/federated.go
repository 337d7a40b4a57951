package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/miscope/miscope/data"
)

// moduleName and moduleVersion name miscope in the telemetry part of the User-Agent of its own ARM requests.
const (
	moduleName    = "github.com/miscope/miscope/data/azure"
	moduleVersion = "v0.0.0" // azcore wants a semantic version; miscope has no release numbers yet
)

// ficAPIVersion is the Microsoft.ManagedIdentity version that armmsi v1.3.0 sends too; its answer carries
// claimsMatchingExpression on flexible credentials, which the armmsi model drops.
const ficAPIVersion = "2024-11-30"

// ficPage is one page of a user-assigned identity's federated credentials as ARM answers it.
type ficPage struct {
	Value    []ficItem `json:"value"`
	NextLink string    `json:"nextLink"`
}

type ficItem struct {
	Name       string `json:"name"`
	Properties struct {
		Issuer                   string           `json:"issuer"`
		Subject                  string           `json:"subject"`
		Audiences                []string         `json:"audiences"`
		ClaimsMatchingExpression claimsExpression `json:"claimsMatchingExpression"`
	} `json:"properties"`
}

// claimsExpression is a flexible credential's claims-matching expression. The 2024-11-30 API answers an object,
// {"value": "...", "languageVersion": 1}; a plain string is accepted as well, since that is how the expression is
// written and how other versions may answer.
type claimsExpression string

func (c *claimsExpression) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*c = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = claimsExpression(s)
		return nil
	case len(b) > 0 && b[0] == '{':
		var o struct {
			Value *string `json:"value"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		if o.Value != nil {
			*c = claimsExpression(*o.Value)
		}
		return nil
	}
	// An expression that cannot be read must not pass for a credential without one: it may match any subject.
	return fmt.Errorf("claimsMatchingExpression is neither a string nor an object with a value")
}

// federatedCredentials lists the federated credentials of one user-assigned identity, page by page as nextLink
// leads. It sends the GET armmsi's FederatedIdentityCredentialsClient.NewListPager sends, through the same ARM
// pipeline, and decodes it itself so that flexible credentials keep their claims-matching expression.
func (s *Source) federatedCredentials(ctx context.Context, u uami) ([]data.FederatedCredential, error) {
	var out []data.FederatedCredential
	err := pages(ctx, s, u.sub, s.ficPager(u), func(p ficPage) {
		for _, f := range p.Value {
			out = append(out, data.FederatedCredential{
				IdentityID:               u.principalID,
				Name:                     f.Name,
				Issuer:                   f.Properties.Issuer,
				Subject:                  f.Properties.Subject,
				Audiences:                f.Properties.Audiences,
				ClaimsMatchingExpression: string(f.Properties.ClaimsMatchingExpression),
			})
		}
	})
	if err != nil {
		var re *azcore.ResponseError
		if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
			// Deleted since it was listed: it has no credentials left to show.
			s.opts.Log("user-assigned identity %s is gone: %v", u.id, re.ErrorCode)
			return nil, nil
		}
		return nil, soft(armErr(err, data.SectionFederatedCredentials, u.id, "federated credentials of "+u.name,
			"Reader on "+u.id), data.SectionFederatedCredentials, u.id, u.principalID)
	}
	return out, nil
}

// ficPager pages through one identity's federated credentials.
func (s *Source) ficPager(u uami) *runtime.Pager[ficPage] {
	c := s.arm.raw
	first := func(ctx context.Context) (*policy.Request, error) {
		if u.sub == "" || u.group == "" || u.name == "" {
			return nil, fmt.Errorf("user-assigned identity %q has no subscription, resource group or name", u.id)
		}
		path := "/subscriptions/" + url.PathEscape(u.sub) + "/resourceGroups/" + url.PathEscape(u.group) +
			"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + url.PathEscape(u.name) +
			"/federatedIdentityCredentials"
		req, err := runtime.NewRequest(ctx, http.MethodGet, runtime.JoinPaths(c.Endpoint(), path))
		if err != nil {
			return nil, err
		}
		req.Raw().URL.RawQuery = url.Values{"api-version": {ficAPIVersion}}.Encode()
		req.Raw().Header["Accept"] = []string{"application/json"}
		return req, nil
	}
	return runtime.NewPager(runtime.PagingHandler[ficPage]{
		More: func(p ficPage) bool { return p.NextLink != "" },
		Fetcher: func(ctx context.Context, prev *ficPage) (ficPage, error) {
			next := ""
			if prev != nil {
				next = prev.NextLink
			}
			resp, err := runtime.FetcherForNextLink(ctx, c.Pipeline(), next, first, nil)
			if err != nil {
				return ficPage{}, err
			}
			var p ficPage
			if err := runtime.UnmarshalAsJSON(resp, &p); err != nil {
				return ficPage{}, err
			}
			return p, nil
		},
		Tracer: c.Tracer(),
	})
}
