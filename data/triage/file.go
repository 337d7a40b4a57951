// Package triage keeps the decisions a team takes on findings (accepted risk, false positive, fix planned) in a
// YAML file that lives beside their pipeline and is reviewed in git: sorted, one entry per finding fingerprint, with
// who decided, when, why and until when. Writers take a lock, read the file again, merge their change into what they
// read and replace the file atomically, so two explorers or two SSH sessions deciding at once lose nothing; a file
// that cannot be parsed is refused, never overwritten.
package triage

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"go.yaml.in/yaml/v3"

	"github.com/miscope/miscope/data"
)

// DefaultPath is the triage file used when none is named: in the current folder, so it sits in the repository of
// the team's pipeline.
const DefaultPath = "miscope-triage.yaml"

// FileVersion is the version of the file's format.
const FileVersion = 1

// Decision is what a team decided about a finding.
type Decision string

const (
	// Accepted is an accepted risk: the finding is true and the team lives with it, until the decision expires.
	Accepted Decision = "accepted"
	// FalsePositive says the finding is not true of this tenant.
	FalsePositive Decision = "false-positive"
	// FixPlanned says the finding is true and a fix is on its way.
	FixPlanned Decision = "fix-planned"
)

// Decisions lists every decision in the order the explorer offers them.
var Decisions = []Decision{Accepted, FalsePositive, FixPlanned}

// DefaultAcceptedExpiry is how long an accepted risk holds when no expiry is given: a quarter, so every accepted risk
// is looked at again.
const DefaultAcceptedExpiry = 90 * 24 * time.Hour

// ParseDecision reads a decision as users type it.
func ParseDecision(s string) (Decision, error) {
	for _, d := range Decisions {
		if strings.EqualFold(strings.TrimSpace(s), string(d)) {
			return d, nil
		}
	}
	return "", fmt.Errorf("unknown decision %q (use accepted, false-positive or fix-planned)", s)
}

// Entry is one decision on one finding. Rule, Identity, Name and Title say what the finding was when it was decided,
// for whoever reviews the file; only the fingerprint is matched.
type Entry struct {
	Fingerprint   string    `yaml:"fingerprint"`
	Rule          string    `yaml:"rule,omitempty"`
	Identity      string    `yaml:"identity,omitempty"`
	Name          string    `yaml:"name,omitempty"`
	Title         string    `yaml:"title,omitempty"`
	Decision      Decision  `yaml:"decision"`
	Justification string    `yaml:"justification"`
	By            string    `yaml:"by,omitempty"`
	At            time.Time `yaml:"at,omitempty"`
	// Expires is when the decision stops holding and the finding is open again; zero never expires.
	Expires time.Time `yaml:"expires,omitempty"`
}

// Expired reports whether the decision no longer holds at now.
func (e *Entry) Expired(now time.Time) bool { return !e.Expires.IsZero() && !now.Before(e.Expires) }

// File is the triage file's content.
type File struct {
	Version   int     `yaml:"version"`
	Decisions []Entry `yaml:"decisions"`
}

// Lookup returns the decision on a fingerprint, if there is one.
func (f *File) Lookup(fingerprint string) (*Entry, bool) {
	if f == nil {
		return nil, false
	}
	i, ok := slices.BinarySearchFunc(f.Decisions, fingerprint, func(e Entry, fp string) int {
		return strings.Compare(e.Fingerprint, fp)
	})
	if !ok {
		return nil, false
	}
	return &f.Decisions[i], true
}

// Set records a decision, replacing any earlier one on the same fingerprint, and keeps the file sorted.
func (f *File) Set(e Entry) {
	i, ok := slices.BinarySearchFunc(f.Decisions, e.Fingerprint, func(e Entry, fp string) int {
		return strings.Compare(e.Fingerprint, fp)
	})
	if ok {
		f.Decisions[i] = e
		return
	}
	f.Decisions = slices.Insert(f.Decisions, i, e)
}

// Remove drops the decision on a fingerprint and reports whether there was one.
func (f *File) Remove(fingerprint string) bool {
	n := len(f.Decisions)
	f.Decisions = slices.DeleteFunc(f.Decisions, func(e Entry) bool { return e.Fingerprint == fingerprint })
	return len(f.Decisions) != n
}

func (f *File) sort() {
	slices.SortStableFunc(f.Decisions, func(a, b Entry) int { return strings.Compare(a.Fingerprint, b.Fingerprint) })
}

// Validate checks a decision as the explorer and the file's reader both require it.
func (e *Entry) Validate() error {
	switch {
	case strings.TrimSpace(e.Fingerprint) == "":
		return errors.New("fingerprint is missing")
	case !slices.Contains(Decisions, e.Decision):
		if e.Decision == "" {
			return errors.New("decision is missing (use accepted, false-positive or fix-planned)")
		}
		return fmt.Errorf("unknown decision %q (use accepted, false-positive or fix-planned)", string(e.Decision))
	case strings.TrimSpace(e.Justification) == "":
		return errors.New("justification is missing: say why, for whoever reviews the decision")
	}
	return nil
}

// ParseError is a triage file that cannot be read: its path, the line (0 when unknown) and why.
type ParseError struct {
	Path   string
	Line   int
	Reason string
}

func (e *ParseError) Error() string {
	where := e.Path
	if e.Line > 0 {
		where += ":" + strconv.Itoa(e.Line)
	}
	return fmt.Sprintf("triage file %s: %s (fix or move the file; miscope never overwrites a file it cannot read)",
		where, e.Reason)
}

// yamlLine finds the "line N: reason" the YAML library puts in its messages.
var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// Parse reads a triage file's bytes; path is only for the error.
func Parse(path string, b []byte) (*File, error) {
	f := &File{Version: FileVersion}
	if len(bytes.TrimSpace(b)) == 0 {
		return f, nil
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		return nil, yamlError(path, b, err)
	}
	if err := dec.Decode(new(yaml.Node)); !errors.Is(err, io.EOF) {
		return nil, &ParseError{Path: path, Reason: "more than one YAML document"}
	}
	if len(doc.Content) == 0 {
		return f, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &ParseError{Path: path, Line: root.Line, Reason: "expected a mapping with version and decisions"}
	}
	f.Version = 0
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "version":
			if err := v.Decode(&f.Version); err != nil {
				return nil, &ParseError{Path: path, Line: v.Line, Reason: "version is not a number"}
			}
			if f.Version != FileVersion {
				return nil, &ParseError{Path: path, Line: v.Line, Reason: fmt.Sprintf(
					"version %d is not one this miscope reads (it reads version %d); use a newer miscope", f.Version,
					FileVersion)}
			}
		case "decisions":
			if v.Kind != yaml.SequenceNode && !(v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
				return nil, &ParseError{Path: path, Line: v.Line, Reason: "decisions is not a list"}
			}
			seen := map[string]int{}
			for _, n := range v.Content {
				e, err := decodeEntry(n)
				if err != nil {
					return nil, &ParseError{Path: path, Line: n.Line, Reason: err.Error()}
				}
				if line, dup := seen[e.Fingerprint]; dup {
					return nil, &ParseError{Path: path, Line: n.Line, Reason: fmt.Sprintf(
						"fingerprint %s is decided twice (first on line %d); keep one", e.Fingerprint, line)}
				}
				seen[e.Fingerprint] = n.Line
				f.Decisions = append(f.Decisions, e)
			}
		default:
			return nil, &ParseError{Path: path, Line: k.Line, Reason: fmt.Sprintf("unknown field %q", k.Value)}
		}
	}
	if f.Version == 0 {
		return nil, &ParseError{Path: path, Line: root.Line, Reason: "version is missing"}
	}
	f.sort()
	return f, nil
}

// decodeEntry reads one decision strictly: an unknown field is most likely a misspelt one, and guessing would lose
// the decision silently.
func decodeEntry(n *yaml.Node) (Entry, error) {
	var e Entry
	if n.Kind != yaml.MappingNode {
		return e, errors.New("a decision is a mapping of fingerprint, decision, justification, by, at, expires")
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(n); err != nil {
		return e, err
	}
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	if err := dec.Decode(&e); err != nil {
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			msg = m[2] // the line is of the re-encoded entry, not the file; the entry's own line is reported
		}
		return e, errors.New(strings.TrimPrefix(msg, "yaml: "))
	}
	if err := e.Validate(); err != nil {
		return e, err
	}
	e.At, e.Expires = e.At.UTC(), e.Expires.UTC()
	return e, nil
}

func yamlError(path string, b []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &ParseError{Path: path, Line: problemLine(b, line), Reason: m[2]}
	}
	return &ParseError{Path: path, Reason: msg}
}

// problemLine finds the line a syntax error is on. The YAML library names the line where the construct around the
// error began, and for some errors counts from zero, so the line it gives can be one or more before the mistake. The
// first prefix of the file, from that line on, that no longer parses ends at the line to fix.
func problemLine(b []byte, reported int) int {
	lines := bytes.SplitAfter(b, []byte("\n"))
	const look = 200 // a syntax error shows within a few lines of where its construct began
	for n := max(1, reported); n <= len(lines) && n < reported+look; n++ {
		var doc yaml.Node
		if yaml.Unmarshal(bytes.Join(lines[:n], nil), &doc) != nil {
			return n
		}
	}
	return max(1, reported)
}

// header opens every file miscope writes, so a reviewer knows what it is and how it is kept.
const header = `# miscope triage decisions, one per finding fingerprint, sorted. Written by miscope (press a on a finding in
# the explorer); reviewed in git like code. decision: accepted, false-positive or fix-planned; expires: when the
# finding opens again. A decision whose fingerprint no longer matches any finding is listed as resolved.
`

// Marshal writes the file as miscope keeps it: a header, then the decisions sorted by fingerprint, times in UTC to
// the second, so that two writes of the same decisions give the same bytes.
func (f *File) Marshal() ([]byte, error) {
	out := File{Version: FileVersion, Decisions: make([]Entry, len(f.Decisions))}
	for i, e := range f.Decisions {
		e.Rule, e.Identity, e.Name, e.Title = data.Clean(e.Rule), data.Clean(e.Identity), data.Clean(e.Name),
			data.Clean(e.Title)
		e.At, e.Expires = e.At.UTC().Truncate(time.Second), e.Expires.UTC().Truncate(time.Second)
		out.Decisions[i] = e
	}
	out.sort()
	var buf bytes.Buffer
	buf.WriteString(header)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&out); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Load reads the triage file at path; a file that does not exist yet is an empty one.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &File{Version: FileVersion}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the triage file: %w", err)
	}
	return Parse(path, b)
}

// locks serialises writers within one process (sessions of one `serve`); the file lock serialises processes.
var locks sync.Map // absolute path -> *sync.Mutex

// Update changes the triage file at path safely against other writers: it takes the lock, reads the file as it is
// now, applies change to that, and replaces the file atomically (0600). A file that cannot be parsed is left as it
// is and its ParseError returned. It returns the file as written.
func Update(path string, change func(*File) error) (*File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	mu, _ := locks.LoadOrStore(abs, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()

	lock := flock.New(abs+".lock", flock.SetPermissions(0o600))
	if err := lock.Lock(); err != nil {
		return nil, fmt.Errorf("cannot lock the triage file %s: %w", path, err)
	}
	defer lock.Unlock()

	f, err := Load(path)
	if err != nil {
		return nil, err
	}
	if err := change(f); err != nil {
		return nil, err
	}
	f.sort()
	for i := range f.Decisions {
		if err := f.Decisions[i].Validate(); err != nil {
			return nil, fmt.Errorf("decision on %s: %w", f.Decisions[i].Fingerprint, err)
		}
	}
	b, err := f.Marshal()
	if err != nil {
		return nil, err
	}
	if err := data.WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return nil, err
	}
	return f, nil
}

// Decide records one decision in the file at path, keeping every other decision that is there now.
func Decide(path string, e Entry) (*File, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return Update(path, func(f *File) error { f.Set(e); return nil })
}

// Reopen removes the decision on a fingerprint from the file at path, so the finding is open again.
func Reopen(path, fingerprint string) (*File, error) {
	return Update(path, func(f *File) error {
		if !f.Remove(fingerprint) {
			return fmt.Errorf("no decision on %s in %s", fingerprint, path)
		}
		return nil
	})
}

// NewEntry fills a decision's who and when, and the default expiry of an accepted risk when none is given.
func NewEntry(fingerprint string, d Decision, justification, by string, now time.Time, expires time.Time) Entry {
	if expires.IsZero() && d == Accepted {
		expires = now.Add(DefaultAcceptedExpiry)
	}
	return Entry{Fingerprint: fingerprint, Decision: d, Justification: strings.TrimSpace(justification),
		By: cmp.Or(strings.TrimSpace(by), "unknown"), At: now.UTC().Truncate(time.Second),
		Expires: expires.UTC().Truncate(time.Second)}
}
