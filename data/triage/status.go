package triage

import "time"

// Status is where a finding stands once the triage file is applied to it.
type Status string

const (
	// Open has no decision: it needs one.
	Open Status = "open"
	// Expired had a decision that no longer holds: it is open again, and says why.
	Expired Status = "expired"
	// StatusAccepted, StatusFalsePositive and StatusFixPlanned carry a decision that holds.
	StatusAccepted      Status = Status(Accepted)
	StatusFalsePositive Status = Status(FalsePositive)
	StatusFixPlanned    Status = Status(FixPlanned)
	// Resolved is a decision whose fingerprint no longer matches any finding: what it was about is gone.
	Resolved Status = "resolved"
)

// IsOpen reports whether a finding in this status still needs attention: --fail-on counts it, and the explorer
// shows it by default.
func (s Status) IsOpen() bool { return s == Open || s == Expired }

// StatusOf says where the finding with this fingerprint stands at now, and the decision behind it, if any (also for
// an expired one, so the user sees what expired).
func (f *File) StatusOf(fingerprint string, now time.Time) (Status, *Entry) {
	e, ok := f.Lookup(fingerprint)
	switch {
	case !ok:
		return Open, nil
	case e.Expired(now):
		return Expired, e
	}
	return Status(e.Decision), e
}

// Resolved lists the decisions whose fingerprint matches no current finding, in the file's order.
func (f *File) Resolved(current func(fingerprint string) bool) []Entry {
	if f == nil {
		return nil
	}
	var out []Entry
	for _, e := range f.Decisions {
		if !current(e.Fingerprint) {
			out = append(out, e)
		}
	}
	return out
}
