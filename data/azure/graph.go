package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	azauth "github.com/microsoftgraph/msgraph-sdk-go-core/authentication"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"

	"github.com/miscope/miscope/data"
)

// batchSize is Graph's limit of requests per $batch.
const batchSize = 20

// identitySelect is what miscope reads of each managed identity.
var identitySelect = []string{"id", "appId", "displayName", "alternativeNames", "servicePrincipalType"}

type graphClient struct {
	adapter *msgraphsdk.GraphRequestAdapter
	client  *msgraphsdk.GraphServiceClient
}

// sdkRegistry makes msgraph-sdk-go-core create its error registry before any page iterator runs: it creates it
// lazily with an unsynchronised check, a data race when the tenant-wide lists start side by side.
var sdkRegistry sync.Once

func newGraphClient(s *Source) (*graphClient, error) {
	sdkRegistry.Do(func() { msgraphcore.GetErrorFactoryFromRegistry("") })
	u, err := url.Parse(s.env.graphBase)
	if err != nil {
		return nil, err
	}
	// The Graph host must be a valid host of the auth provider, or it silently sends no Authorization header.
	auth, err := azauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(s.cred,
		[]string{s.env.graphScope}, []string{u.Hostname()})
	if err != nil {
		return nil, err
	}
	parent := parentTransport(s.opts)
	// A fixed middleware list: no compression and no kiota retry (retryTransport below does it), so a retried
	// $batch is never resent with a mislabelled body.
	gopts := msgraphsdk.GetDefaultClientOptions()
	hc := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(
		&retryTransport{next: parent, log: s.opts.Log},
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandler(),
		msgraphcore.NewGraphTelemetryHandler(&gopts),
	)}
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		auth, nil, nil, hc)
	if err != nil {
		return nil, err
	}
	adapter.SetBaseUrl(s.env.graphBase + "/v1.0")
	return &graphClient{adapter: adapter, client: msgraphsdk.NewGraphServiceClient(adapter)}, nil
}

// graphStatus returns the HTTP status and error code of a Graph error, or 0.
func graphStatus(err error) (int, string) {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) {
		code := ""
		if m := oe.GetErrorEscaped(); m != nil && m.GetCode() != nil {
			code = *m.GetCode()
		}
		return oe.ResponseStatusCode, code
	}
	var ae *abstractions.ApiError
	if errors.As(err, &ae) {
		return ae.ResponseStatusCode, ""
	}
	return 0, ""
}

// graphErr turns a Graph failure into a gap (403), ErrTokenRejected (401) or a plain error.
func graphErr(err error, sec data.Section, what, needs string) error {
	if err := credentialErr(err); err != nil {
		return err
	}
	status, code := graphStatus(err)
	switch status {
	case http.StatusForbidden:
		return &data.Gap{Section: sec, Reason: what + " answered 403 " + code, Needs: needs}
	case http.StatusUnauthorized:
		return fmt.Errorf("%w: Microsoft Graph answered 401 %s", ErrTokenRejected, data.Clean(code))
	}
	if status != 0 {
		return fmt.Errorf("reading %s: Graph answered %d %s", what, status, data.Clean(code))
	}
	return fmt.Errorf("reading %s: %s", what, data.Clean(firstLine(err.Error())))
}

// credentialErr reports a token request that failed (a secret revoked or expired) as ErrNoCredential, or nil.
func credentialErr(err error) error {
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) {
		return fmt.Errorf("%w: %s", ErrNoCredential, data.Clean(firstLine(err.Error())))
	}
	return nil
}

// Identities streams the managed identities page by page, as Graph returns them.
func (s *Source) Identities(ctx context.Context, pageFn func([]data.Identity) error) error {
	cfg := &serviceprincipals.ServicePrincipalsRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ServicePrincipalsRequestBuilderGetQueryParameters{
			Filter: to.Ptr("servicePrincipalType eq 'ManagedIdentity'"),
			Select: identitySelect,
			Top:    to.Ptr(int32(data.PageSize)),
		},
	}
	if err := s.graphSlots.acquire(ctx); err != nil {
		return err
	}
	resp, err := s.graph.client.ServicePrincipals().Get(ctx, cfg)
	s.graphSlots.release()
	if err != nil {
		return graphErr(err, data.SectionIdentities, "the managed identity list", "Application.Read.All")
	}
	// Pages are followed by hand rather than with the SDK's page iterator, which fetches the next page before it
	// hands over the last item of the current one: here each page reaches the caller before the next is asked for.
	for {
		page := make([]data.Identity, 0, len(resp.GetValue()))
		for _, sp := range resp.GetValue() {
			page = append(page, toIdentity(sp))
		}
		if len(page) > 0 {
			s.remember(page)
			if err := pageFn(page); err != nil {
				return err
			}
		}
		next := deref(resp.GetOdataNextLink())
		if next == "" {
			return nil
		}
		if err := s.graphSlots.acquire(ctx); err != nil {
			return err
		}
		// The next link is used verbatim, as Graph asks.
		resp, err = s.graph.client.ServicePrincipals().WithUrl(next).Get(ctx, nil)
		s.graphSlots.release()
		if err != nil {
			return graphErr(err, data.SectionIdentities, "the managed identity list", needsAppRead)
		}
	}
}

func toIdentity(sp models.ServicePrincipalable) data.Identity {
	id := data.Identity{
		ID:               deref(sp.GetId()),
		AppID:            deref(sp.GetAppId()),
		DisplayName:      deref(sp.GetDisplayName()),
		AlternativeNames: sp.GetAlternativeNames(),
	}
	id.Kind, id.ResourceID = data.KindFromAlternativeNames(id.AlternativeNames)
	return id
}

// remember keeps identities seen in a list, so a section read for one of them needs no lookup.
func (s *Source) remember(ids []data.Identity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, i := range ids {
		s.known[data.Key(i.ID)] = i
	}
}

// identity returns an identity by object id, reading it from Graph when it has not been listed yet.
func (s *Source) identity(ctx context.Context, id string) (data.Identity, error) {
	s.mu.Lock()
	i, ok := s.known[data.Key(id)]
	s.mu.Unlock()
	if ok {
		return i, nil
	}
	if err := s.graphSlots.acquire(ctx); err != nil {
		return data.Identity{}, err
	}
	defer s.graphSlots.release()
	sp, err := s.graph.client.ServicePrincipals().ByServicePrincipalId(id).Get(ctx,
		&serviceprincipals.ServicePrincipalItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &serviceprincipals.ServicePrincipalItemRequestBuilderGetQueryParameters{Select: identitySelect}})
	if err != nil {
		if st, _ := graphStatus(err); st == http.StatusNotFound || st == http.StatusBadRequest {
			return data.Identity{}, data.ErrNotFound
		}
		return data.Identity{}, graphErr(err, data.SectionIdentities, "the identity", "Application.Read.All")
	}
	if !strings.EqualFold(deref(sp.GetServicePrincipalType()), "ManagedIdentity") {
		return data.Identity{}, data.ErrNotFound
	}
	i = toIdentity(sp)
	s.remember([]data.Identity{i})
	return i, nil
}

// graphList reads every page of a Graph collection through the SDK's page iterator.
func graphList[T any](ctx context.Context, s *Source, first func(context.Context) (serialization.Parsable, error),
	factory serialization.ParsableFactory, each func(T)) error {
	if err := s.graphSlots.acquire(ctx); err != nil {
		return err
	}
	resp, err := first(ctx)
	s.graphSlots.release()
	if err != nil {
		return err
	}
	it, err := msgraphcore.NewPageIterator[T](resp, s.graph.adapter, factory)
	if err != nil {
		return err
	}
	return it.Iterate(ctx, func(v T) bool { each(v); return true })
}

// ---- $batch ----

// step is one GET inside a $batch.
type step struct {
	url string // relative to the Graph base, e.g. /servicePrincipals/{id}/appRoleAssignments?$top=999
	// done receives the JSON body of a 2xx answer (nil for 404), or the failure.
	done func(status int, body []byte, err error)
}

// batchItem is a sub-response as Graph returns it.
type batchBody struct {
	Value    json.RawMessage `json:"value"`
	NextLink string          `json:"@odata.nextLink"`
	Error    *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// runBatches sends steps in $batch requests of 20, at most Concurrency at once, and resends items that were
// throttled or failed on the server's side (Graph throttles items one by one and the SDK does not resend them),
// after the longest Retry-After among them or a backoff.
func (s *Source) runBatches(ctx context.Context, steps []step) error {
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for start := 0; start < len(steps); start += batchSize {
		chunk := steps[start:min(start+batchSize, len(steps))]
		if err := s.graphSlots.acquire(ctx); err != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.sendBatch(ctx, chunk); err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	return ctx.Err()
}

// sendBatch sends one chunk (holding a concurrency slot on entry) until every item has an answer.
func (s *Source) sendBatch(ctx context.Context, chunk []step) error {
	held := true
	defer func() {
		if held {
			s.graphSlots.release()
		}
	}()
	pending := chunk
	var last []*httpStatusError // what each item to retry last answered
	for attempt := 0; len(pending) > 0; attempt++ {
		if !held {
			if err := s.graphSlots.acquire(ctx); err != nil {
				return err
			}
			held = true
		}
		b := msgraphcore.NewBatchRequest(s.graph.adapter)
		ids := make([]string, len(pending))
		for n, st := range pending {
			ri := abstractions.NewRequestInformation()
			ri.Method = abstractions.GET
			u, err := url.Parse(s.graph.adapter.GetBaseUrl() + st.url)
			if err != nil {
				return err
			}
			ri.SetUri(*u)
			item, err := b.AddBatchRequestStep(*ri)
			if err != nil {
				return err
			}
			ids[n] = *item.GetId()
		}
		resp, err := s.sendBatchRequest(ctx, b)
		s.graphSlots.release()
		held = false
		if err != nil {
			err = graphErr(err, data.SectionIdentities, "a Graph $batch", "")
			if fatal(err) {
				return err
			}
			// The $batch itself kept failing: each of its reads failed, and says so.
			for _, st := range pending {
				st.done(0, nil, err)
			}
			return nil
		}
		var retry []step
		last = last[:0]
		wait := time.Duration(-1)
		for n, st := range pending {
			item, ok := resp[ids[n]]
			switch {
			case !ok || item.Status == http.StatusTooManyRequests || item.Status >= 500:
				retry = append(retry, st)
				answer := &httpStatusError{code: "no answer in the $batch"}
				if ok {
					wait = max(wait, retryAfter(headerValue(item.Headers, "Retry-After")))
					answer = &httpStatusError{status: item.Status, code: errorCode(item.Body)}
				}
				last = append(last, answer)
				continue
			case item.Status >= 200 && item.Status < 300:
				st.done(item.Status, item.Body, nil)
				continue
			}
			code := errorCode(item.Body)
			if item.Status == http.StatusUnauthorized {
				return fmt.Errorf("%w: Microsoft Graph answered 401 %s", ErrTokenRejected, data.Clean(code))
			}
			st.done(item.Status, nil, &httpStatusError{status: item.Status, code: code})
		}
		if len(retry) == 0 {
			return nil
		}
		if attempt >= maxRetries {
			for n, st := range retry {
				st.done(0, nil, fmt.Errorf("Graph answered %v after %d attempts", last[n], attempt+1))
			}
			return nil
		}
		if wait < 0 {
			wait = backoff(attempt)
		}
		s.opts.Log("resending %d throttled $batch items in %v", len(retry), wait)
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		pending = retry
	}
	return nil
}

// batchItemResponse is one sub-response of a $batch.
type batchItemResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// sendBatchRequest posts a batch built with the SDK's BatchRequest and reads the answer with encoding/json straight
// into raw bodies: the SDK's own reader builds a generic tree of every item that would then be encoded and decoded
// again, which costs more CPU than the rest of a collection.
func (s *Source) sendBatchRequest(ctx context.Context, b msgraphcore.BatchRequest) (map[string]batchItemResponse, error) {
	ri := abstractions.NewRequestInformation()
	ri.Method = abstractions.POST
	ri.UrlTemplate = "{+baseurl}/$batch"
	if err := ri.SetContentFromParsable(ctx, s.graph.adapter, "application/json", b); err != nil {
		return nil, err
	}
	ri.Headers.TryAdd("Accept", "application/json")
	raw, err := s.graph.adapter.SendPrimitive(ctx, ri, "[]byte", nil)
	if err != nil {
		return nil, err
	}
	body, _ := raw.([]byte)
	var br struct {
		Responses []batchItemResponse `json:"responses"`
	}
	if err := json.Unmarshal(body, &br); err != nil {
		return nil, fmt.Errorf("reading a $batch answer: %w", err)
	}
	out := make(map[string]batchItemResponse, len(br.Responses))
	for _, r := range br.Responses {
		out[r.ID] = r
	}
	return out, nil
}

func headerValue(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// errorCode is the code of a Graph error body, or "".
func errorCode(body []byte) string {
	var bb batchBody
	if json.Unmarshal(body, &bb) != nil || bb.Error == nil {
		return ""
	}
	return bb.Error.Code
}

// httpStatusError is a sub-response that failed for good.
type httpStatusError struct {
	status int
	code   string
}

func (e *httpStatusError) Error() string {
	return strings.TrimSpace(fmt.Sprintf("%d %s", e.status, e.code))
}

// followPages reads the further pages of a collection answered inside a $batch, with plain GETs of the next links.
func (s *Source) followPages(ctx context.Context, next string, each func(json.RawMessage) error) error {
	for next != "" {
		ri := abstractions.NewRequestInformation()
		ri.Method = abstractions.GET
		u, err := url.Parse(next)
		if err != nil {
			return err
		}
		ri.SetUri(*u)
		if err := s.graphSlots.acquire(ctx); err != nil {
			return err
		}
		raw, err := s.graph.adapter.SendPrimitive(ctx, ri, "[]byte", nil)
		s.graphSlots.release()
		if err != nil {
			return err
		}
		b, _ := raw.([]byte)
		var bb batchBody
		if err := json.Unmarshal(b, &bb); err != nil {
			return err
		}
		if err := each(bb.Value); err != nil {
			return err
		}
		next = bb.NextLink
	}
	return nil
}

// collection runs a step whose answer is a collection and hands every item, across pages, to each.
func collectionStep[T any](s *Source, ctx context.Context, u string, page func([]T), fail func(error)) step {
	each := func(v json.RawMessage) error {
		var items []T
		if err := json.Unmarshal(v, &items); err != nil {
			return err
		}
		page(items)
		return nil
	}
	return step{url: u, done: func(status int, body []byte, err error) {
		if err != nil {
			fail(err)
			return
		}
		var bb batchBody
		if err := json.Unmarshal(body, &bb); err != nil {
			fail(err)
			return
		}
		if err := each(bb.Value); err != nil {
			fail(err)
			return
		}
		if bb.NextLink != "" {
			if err := s.followPages(ctx, bb.NextLink, each); err != nil {
				fail(err)
			}
		}
	}}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
