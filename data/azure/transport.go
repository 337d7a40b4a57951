package azure

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry limits shared by Graph requests and $batch items. ARM and token requests use azcore's retry policy with the
// same spirit (see clientOptions).
const (
	maxRetries    = 10
	baseBackoff   = 200 * time.Millisecond
	maxRetryAfter = 30 * time.Second // a longer Retry-After is waited out only up to this bound per attempt
	maxBackoff    = 5 * time.Second
)

// retryTransport retries Graph requests that were throttled (429), failed on the server's side (500, 502, 503,
// 504) or lost their connection, honouring Retry-After and backing off exponentially when it is missing. It sits
// under kiota's middleware, so a retried request is byte for byte the one first sent (NOTES §8: kiota's own retry
// handler can resend a $batch body uncompressed under a gzip label).
type retryTransport struct {
	next http.RoundTripper
	log  func(string, ...any)
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	for attempt := 0; ; attempt++ {
		r := req
		if body != nil {
			r = req.Clone(req.Context())
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
			r.ContentLength = int64(len(body))
		}
		resp, err := t.next.RoundTrip(r)
		retry, wait := false, time.Duration(-1)
		switch {
		case err != nil:
			if req.Context().Err() != nil || !transient(err) {
				return nil, err
			}
			retry = true
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable ||
			resp.StatusCode == http.StatusInternalServerError || resp.StatusCode == http.StatusBadGateway ||
			resp.StatusCode == http.StatusGatewayTimeout:
			retry = true
			wait = retryAfter(resp.Header.Get("Retry-After"))
		}
		if !retry || attempt >= maxRetries {
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if wait < 0 {
			wait = backoff(attempt)
		}
		t.log("retrying %s %s in %v (attempt %d)", req.Method, req.URL.Path, wait, attempt+1)
		if err := sleep(req.Context(), wait); err != nil {
			return nil, err
		}
	}
}

// transient tells a lost connection (worth retrying a read) from a request that cannot succeed: a cancelled one, a
// certificate that is not trusted, a host that does not exist, or a server that does not speak TLS answer the same
// way every time, so they fail at once instead of after ten backoffs.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return false
	}
	var (
		verify     *tls.CertificateVerificationError
		record     tls.RecordHeaderError
		authority  x509.UnknownAuthorityError
		hostname   x509.HostnameError
		invalid    x509.CertificateInvalidError
		roots      x509.SystemRootsError
		constraint x509.ConstraintViolationError
	)
	if errors.As(err, &verify) || errors.As(err, &record) || errors.As(err, &authority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &roots) || errors.As(err, &constraint) {
		return false
	}
	// A reset, an early EOF or a timeout is what a dropped connection looks like; every request here is a read, so
	// it is safe to send again.
	return true
}

// retryAfter reads a Retry-After header: seconds (possibly fractional) or an HTTP date, bounded by maxRetryAfter.
// -1 means absent or unusable, so the caller backs off instead.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		d = time.Duration(secs * float64(time.Second))
	} else if at, err := http.ParseTime(v); err == nil {
		d = max(time.Until(at), 0)
	} else {
		return -1
	}
	return min(d, maxRetryAfter)
}

// backoff is the wait before retry attempt n when the server named none: exponential with jitter, bounded.
func backoff(n int) time.Duration {
	d := baseBackoff << min(n, 8)
	d = min(d, maxBackoff)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
