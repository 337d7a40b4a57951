package azure

import (
	"context"
	"errors"

	"github.com/miscope/miscope/data"
)

// failure is a part that could not be read for a reason other than a missing permission: a server error that
// outlasted the retries, a connection that kept dropping. A full read records it as a gap with the reason, so the
// rest of the tenant is still collected and reports say what failed; a section read returns it as a plain error
// (not a *data.Gap), which no cache keeps, so the next ask tries again.
type failure struct{ gap data.Gap }

func (f *failure) Error() string { return f.gap.Reason }

// fatal reports an error that ends a whole read: the credential or token is no longer accepted, or the read was
// cancelled. Everything else is one part's failure.
func fatal(err error) bool {
	return errors.Is(err, ErrTokenRejected) || errors.Is(err, ErrNoCredential) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded)
}

// soft turns a part's error into what it means for the section: nil, a gap (403), a fatal error as it is, or a
// failure of the part at scope (after retries).
func soft(err error, sec data.Section, scope, identityID string) error {
	if err == nil || fatal(err) {
		return err
	}
	if _, ok := data.AsGap(err); ok {
		return err
	}
	var f *failure
	if errors.As(err, &f) {
		return err
	}
	return &failure{gap: data.Gap{Section: sec, Scope: scope, IdentityID: identityID, Reason: err.Error()}}
}

// leaves flattens joined errors.
func leaves(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}

// asFailure returns the gap a failure records.
func asFailure(err error) (*data.Gap, bool) {
	var f *failure
	if errors.As(err, &f) {
		return &f.gap, true
	}
	return nil, false
}
