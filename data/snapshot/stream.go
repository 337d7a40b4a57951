package snapshot

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/miscope/miscope/data"
)

// loader reads one snapshot from its first byte to its last, field by field and element by element, so that the
// identity list can be shown while the rest of the file is still being read and the decoder never holds more than
// one element of a big list. It reports what it has found through the hooks, which may be nil.
type loader struct {
	name string
	in   io.Reader // the raw stream
	lim  *io.LimitedReader
	g    *guard
	dec  *json.Decoder

	started bool              // a token was read, so an early end means truncated rather than empty
	kept    int64             // bytes of memory the list elements read so far take, strings aside
	strs    map[string]string // one copy of each repeated string: scopes, role definition and principal ids

	format      string
	version     int
	versionSeen bool
	versionBad  bool // the version had the wrong type; a fault only if the file claims to be a snapshot
	originSeen  bool
	origin      data.Origin
	tenant      *data.Tenant
	tenantSeen  bool
	headerSent  bool

	// header is called once, when the tenant's own fields (id, name, cloud, time) and the envelope before them are
	// known, that is at the first big list or at the end.
	header func(origin data.Origin, t *data.Tenant)
	// page is called with each page of identities as soon as it is decoded, when the envelope was already found
	// valid; identitiesDone when the list is complete. Pages are never changed afterwards.
	page           func([]data.Identity)
	identitiesDone func()
}

func newLoader(r io.Reader, name string) *loader {
	return &loader{name: name, in: r, strs: make(map[string]string, 1<<12)}
}

// fault is a reason a file was refused.
type fault string

func faultf(format string, args ...any) fault { return fault(fmt.Sprintf(format, args...)) }

func (f fault) Error() string { return string(f) }

// run reads the whole snapshot. Every error it returns is an *Error naming the file.
func (l *loader) run() (*data.Tenant, data.Origin, error) {
	t, origin, err := l.read()
	l.strs = nil
	if err != nil {
		return nil, "", &Error{Path: l.name, Reason: l.reason(err)}
	}
	return t, origin, nil
}

func (l *loader) read() (*data.Tenant, data.Origin, error) {
	br := bufio.NewReaderSize(l.in, 1<<16)
	head, _ := br.Peek(3)
	var in io.Reader = br
	var skipped int64
	gz := bytes.HasPrefix(head, gzipMagic)
	if gz {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", faultf("corrupt gzip: %v", err)
		}
		defer zr.Close()
		// One gzip stream, as miscope writes it: whatever follows it is refused below by name, rather than read as
		// the header of a second stream and called corrupt or truncated.
		zr.Multistream(false)
		in, skipped, err = skipBOM(zr)
		if err != nil {
			return nil, "", err
		}
	} else if bytes.Equal(head, bom) {
		br.Discard(len(bom))
		skipped = int64(len(bom))
	}
	l.lim = &io.LimitedReader{R: in, N: MaxSize + 1}
	l.g = newGuard(l.lim, skipped)
	l.dec = json.NewDecoder(l.g)

	tok, err := l.dec.Token()
	if err != nil {
		return nil, "", err
	}
	l.started = true
	if tok != json.Delim('{') {
		return nil, "", notSnapshot
	}
	seen := map[string]bool{}
	for l.dec.More() {
		key, err := l.key(envelopeFields, seen, "")
		if err != nil {
			return nil, "", err
		}
		if err := l.envelopeField(key); err != nil {
			return nil, "", err
		}
	}
	if _, err := l.dec.Token(); err != nil { // the closing brace
		return nil, "", err
	}
	// The decoder stops at the end of the value; read on to the end of the file, so that a gzip stream is checked
	// against its checksum and a file with something appended is not taken for a whole snapshot.
	if reason := trailing(io.MultiReader(l.dec.Buffered(), l.lim), l.lim); reason != "" {
		return nil, "", fault(reason)
	}
	if gz {
		if _, err := br.ReadByte(); err == nil {
			return nil, "", fault("corrupt: other data after the end of the gzip data (was something appended to the file?)")
		} else if err != io.EOF {
			return nil, "", err
		}
	}
	if err := l.checkEnvelope(true); err != nil {
		return nil, "", err
	}
	if l.tenant == nil {
		return nil, "", fault("corrupt: no tenant in the file")
	}
	if l.tenant.ID == "" {
		return nil, "", fault("corrupt: tenant has no id")
	}
	l.sendHeader()
	origin := l.origin
	if origin == "" {
		origin = data.OriginSnapshot
	}
	return l.tenant, origin, nil
}

var notSnapshot = faultf("not a snapshot: no %q marker (make one with `miscope collect -o FILE`)", Format)

var envelopeFields = []string{"format", "version", "origin", "tenant"}

func (l *loader) envelopeField(key string) error {
	switch key {
	case "format":
		if err := l.value(&l.format); err != nil {
			if isTypeError(err) {
				return notSnapshot
			}
			return err
		}
		if l.format != Format {
			return notSnapshot
		}
		return l.checkEnvelope(false)
	case "version":
		l.versionSeen = true
		if err := l.value(&l.version); err != nil {
			if !isTypeError(err) {
				return err
			}
			l.versionBad = true
		}
		return l.checkEnvelope(false)
	case "origin":
		l.originSeen = true
		if err := l.decode(&l.origin, "origin"); err != nil {
			return err
		}
		switch l.origin {
		case data.OriginLive, data.OriginSnapshot, data.OriginDemo, "":
		default:
			return faultf("corrupt: unknown origin %q", l.origin)
		}
		return nil
	case "tenant":
		l.tenantSeen = true
		tok, err := l.dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case nil:
			return nil
		case json.Delim('{'):
			l.tenant = &data.Tenant{}
			return l.readTenant(l.tenant)
		}
		return wrongType("tenant", tok)
	}
	return l.skip()
}

// checkEnvelope validates the format marker and version once both are known, or at the end (final) whatever is
// known. It returns nil while the answer is still open.
func (l *loader) checkEnvelope(final bool) error {
	if l.format != Format {
		if final {
			return notSnapshot
		}
		return nil
	}
	if !l.versionSeen {
		if final {
			return fault("unknown format version 0")
		}
		return nil
	}
	switch {
	case l.versionBad:
		return fault(`corrupt: field "version" has the wrong type`)
	case l.version > Version:
		return faultf("written by a newer miscope (format version %d; this one reads up to %d): upgrade miscope", l.version, Version)
	case l.version < 1:
		return faultf("unknown format version %d", l.version)
	}
	return nil
}

// envelopeOK says whether the file is known to be a snapshot this miscope reads, so its identities may be shown.
func (l *loader) envelopeOK() bool {
	return l.format == Format && l.versionSeen && !l.versionBad && l.version >= 1 && l.version <= Version
}

// tenantFields are the JSON names of data.Tenant's fields; the first four are the header, known before any list.
var tenantFields = []string{"id", "displayName", "cloud", "collectedAt", "managementGroups", "subscriptions",
	"identities", "resources", "groups", "memberships", "directoryRoleDefinitions", "directoryRoleAssignments",
	"appRoleAssignments", "roleDefinitions", "roleAssignments", "federatedCredentials", "principals", "applications",
	"ownerships", "usage", "gaps"}

func (l *loader) readTenant(t *data.Tenant) error {
	seen := map[string]bool{}
	for l.dec.More() {
		key, err := l.key(tenantFields, seen, "tenant.")
		if err != nil {
			return err
		}
		switch key {
		case "id", "displayName", "cloud", "collectedAt", "":
		default:
			l.sendHeader()
		}
		var p = "tenant." + key
		switch key {
		case "id":
			err = l.decode(&t.ID, p)
		case "displayName":
			err = l.decode(&t.DisplayName, p)
		case "cloud":
			err = l.decode(&t.Cloud, p)
		case "collectedAt":
			err = l.decode(&t.CollectedAt, p)
		case "managementGroups":
			t.ManagementGroups, err = list(l, p, func(m *data.ManagementGroup) error {
				l.in2(&m.ID, &m.ParentID)
				return nil
			})
		case "subscriptions":
			t.Subscriptions, err = list(l, p, func(s *data.Subscription) error {
				l.in2(&s.ManagementGroupID, &s.State)
				return nil
			})
		case "identities":
			err = l.readIdentities(t, p)
		case "resources":
			t.Resources, err = list(l, p, func(r *data.Resource) error {
				l.in3(&r.ID, &r.Type, &r.Location)
				l.in1(&r.SystemAssignedPrincipalID)
				l.inAll(r.UserAssignedIdentityIDs)
				return nil
			})
		case "groups":
			t.Groups, err = list(l, p, func(g *data.Group) error { l.in1(&g.ID); return nil })
		case "memberships":
			t.Memberships, err = list(l, p, func(m *data.Membership) error { l.in2(&m.IdentityID, &m.GroupID); return nil })
		case "directoryRoleDefinitions":
			t.DirectoryRoleDefinitions, err = list(l, p, func(d *data.DirectoryRoleDefinition) error {
				l.in1(&d.TemplateID)
				return nil
			})
		case "directoryRoleAssignments":
			t.DirectoryRoleAssignments, err = list(l, p, func(a *data.DirectoryRoleAssignment) error {
				if a.State != data.Active && a.State != data.Eligible {
					return faultf("corrupt: directory role assignment %q has unknown state %q", a.ID, a.State)
				}
				a.State = data.AssignmentState(l.intern(string(a.State)))
				l.in3(&a.PrincipalID, &a.RoleTemplateID, &a.DirectoryScopeID)
				return nil
			})
		case "appRoleAssignments":
			t.AppRoleAssignments, err = list(l, p, func(a *data.AppRoleAssignment) error {
				l.in3(&a.PrincipalID, &a.ResourceAppID, &a.ResourceID)
				l.in3(&a.ResourceDisplayName, &a.AppRoleID, &a.Permission)
				return nil
			})
		case "roleDefinitions":
			t.RoleDefinitions, err = list(l, p, func(d *data.RoleDefinition) error { l.in1(&d.ID); return nil })
		case "roleAssignments":
			t.RoleAssignments, err = list(l, p, func(a *data.RoleAssignment) error {
				l.in3(&a.PrincipalID, &a.RoleDefinitionID, &a.Scope)
				l.in1(&a.Condition)
				a.PrincipalType = data.PrincipalType(l.intern(string(a.PrincipalType)))
				return nil
			})
		case "federatedCredentials":
			t.FederatedCredentials, err = list(l, p, func(f *data.FederatedCredential) error {
				l.in3(&f.IdentityID, &f.Issuer, &f.Subject)
				l.inAll(f.Audiences)
				return nil
			})
		case "principals":
			t.Principals, err = list(l, p, func(pr *data.Principal) error {
				l.in1(&pr.ID)
				pr.Type = data.PrincipalType(l.intern(string(pr.Type)))
				return nil
			})
		case "applications":
			t.Applications, err = list(l, p, func(a *data.Application) error {
				l.inAll(a.Hosts)
				for i := range a.Credentials {
					l.in1(&a.Credentials[i].Type)
				}
				return nil
			})
		case "ownerships":
			t.Ownerships, err = list(l, p, func(o *data.Ownership) error {
				switch o.ObjectType {
				case data.OwnedGroup, data.OwnedApplication, data.OwnedServicePrincipal:
				default:
					return faultf("corrupt: ownership of %q has unknown object type %q", o.ObjectID, o.ObjectType)
				}
				o.ObjectType = data.OwnedType(l.intern(string(o.ObjectType)))
				l.in2(&o.OwnerID, &o.ObjectID)
				return nil
			})
		case "usage":
			err = l.readUsage(t, p)
		case "gaps":
			t.Gaps, err = list(l, p, func(g *data.Gap) error {
				l.in3(&g.Scope, &g.Reason, &g.Needs)
				l.in1(&g.IdentityID)
				return nil
			})
		default:
			err = l.skip()
		}
		if err != nil {
			return err
		}
	}
	if !seen["usage"] {
		// Made before miscope read usage (version 1), or without it: what the identities use is unknown, not nothing.
		t.Gaps = append(t.Gaps, data.UsageNotRead()...)
	}
	if !seen["ownerships"] {
		// Made before miscope read owners: what the identities own is unknown, not nothing.
		t.Gaps = append(t.Gaps, data.Gap{Section: data.SectionOwnerships,
			Reason: "this snapshot was made before miscope read what identities own",
			Needs:  "a new snapshot: miscope collect"})
	}
	_, err := l.dec.Token() // the closing brace
	return err
}

// usageFields are the JSON names of data.Usage's fields.
var usageFields = []string{"source", "workspace", "windowDays", "from", "to", "signIns", "activity", "users"}

// readUsage decodes the usage evidence a list at a time: at 50,000 identities it is far larger than one value may be.
func (l *loader) readUsage(t *data.Tenant, path string) error {
	tok, err := l.dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('{') {
		return wrongType(path, tok)
	}
	u := &data.Usage{}
	seen := map[string]bool{}
	for l.dec.More() {
		key, err := l.key(usageFields, seen, path+".")
		if err != nil {
			return err
		}
		p := path + "." + key
		switch key {
		case "source":
			err = l.decode(&u.Source, p)
		case "workspace":
			err = l.decode(&u.Workspace, p)
		case "windowDays":
			err = l.decode(&u.WindowDays, p)
		case "from":
			err = l.decode(&u.From, p)
		case "to":
			err = l.decode(&u.To, p)
		case "signIns":
			u.SignIns, err = list(l, p, func(s *data.SignIn) error {
				l.in3(&s.PrincipalID, &s.ResourceAppID, &s.ResourceName)
				return nil
			})
		case "activity":
			u.Activity, err = list(l, p, func(a *data.ResourceActivity) error { l.in1(&a.PrincipalID); return nil })
		case "users":
			u.Users, err = list(l, p, func(*data.UserUsage) error { return nil })
		default:
			err = l.skip()
		}
		if err != nil {
			return err
		}
	}
	if _, err := l.dec.Token(); err != nil { // the closing brace
		return err
	}
	if u.SignIns == nil {
		u.SignIns = []data.SignIn{}
	}
	t.Usage = u
	return nil
}

// readIdentities decodes the identity list a page at a time, checking each identity as it comes, and hands each
// page on as soon as it is full.
func (l *loader) readIdentities(t *data.Tenant, path string) error {
	tok, err := l.dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		t.Identities = nil
		return nil
	}
	if tok != json.Delim('[') {
		return wrongType(path, tok)
	}
	show := l.envelopeOK() && l.page != nil
	seen := map[string]bool{}
	var pages [][]data.Identity
	cur := make([]data.Identity, 0, data.PageSize)
	total := 0
	var id *data.Identity
	for l.dec.More() {
		id = nil
		if err := l.decodeAt(&id, path, total); err != nil {
			return err
		}
		if id == nil {
			return nullElement(path, total)
		}
		if err := l.keep(identitySize); err != nil {
			return err
		}
		if err := checkIdentity(total, id, seen); err != nil {
			return err
		}
		l.in2(&id.ID, &id.ResourceID)
		l.inAll(id.AlternativeNames)
		id.Kind = data.Kind(l.intern(string(id.Kind)))
		cur = append(cur, *id)
		total++
		if len(cur) == data.PageSize {
			if show {
				l.page(cur)
			}
			pages = append(pages, cur)
			cur = make([]data.Identity, 0, data.PageSize)
		}
	}
	if _, err := l.dec.Token(); err != nil {
		return err
	}
	if len(cur) > 0 {
		if show {
			l.page(cur)
		}
		pages = append(pages, cur)
	}
	if show && l.identitiesDone != nil {
		l.identitiesDone()
	}
	if len(pages) == 1 {
		t.Identities = pages[0]
		return nil
	}
	t.Identities = make([]data.Identity, 0, total)
	for _, p := range pages {
		t.Identities = append(t.Identities, p...)
	}
	return nil
}

func checkIdentity(n int, i *data.Identity, seen map[string]bool) error {
	if i.ID == "" {
		return faultf("corrupt: identity %d has no id", n)
	}
	if i.Kind != data.SystemAssigned && i.Kind != data.UserAssigned {
		return faultf("corrupt: identity %q has unknown kind %q", i.ID, i.Kind)
	}
	k := data.Key(i.ID)
	if seen[k] {
		return faultf("corrupt: identity %q appears twice", i.ID)
	}
	seen[k] = true
	return nil
}

// list decodes a JSON array one element at a time, so that the decoder holds one element rather than the array;
// check tidies (interns) and validates each element. null gives nil and [] an empty slice, as encoding/json does.
func list[T any](l *loader, path string, check func(*T) error) ([]T, error) {
	tok, err := l.dec.Token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil
	}
	if tok != json.Delim('[') {
		return nil, wrongType(path, tok)
	}
	out := []T{}
	size := int64(reflect.TypeFor[T]().Size())
	var v *T // decoded through a pointer, so that null tells from {}; declared once, so that only the element is allocated
	for l.dec.More() {
		v = nil
		if err := l.decodeAt(&v, path, len(out)); err != nil {
			return nil, err
		}
		if v == nil {
			return nil, nullElement(path, len(out))
		}
		if err := l.keep(size); err != nil {
			return nil, err
		}
		if err := check(v); err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	_, err = l.dec.Token()
	return out, err
}

// decode reads one value, naming where in the file a value of the wrong type was found.
func (l *loader) decode(v any, path string) error { return l.decodeAt(v, path, -1) }

// keptPerByte bounds the memory list elements may take for each byte of JSON read (white space aside), once they take
// more than keptFree. Elements as miscope writes them take less than 3 bytes per byte; an empty object in a list takes
// the size of its Go struct, 30 to 50 times its 3 bytes, so a file of millions of them, compressed to almost nothing,
// would otherwise cost gigabytes.
const (
	keptPerByte = 16
	keptFree    = 64 << 20
)

var identitySize = int64(reflect.TypeFor[data.Identity]().Size())

// keep accounts for one more list element of size bytes.
func (l *loader) keep(size int64) error {
	l.kept += size
	if l.kept > keptFree && l.kept > keptPerByte*l.g.out {
		return faultf("refused: its list elements would take %d MB of memory for %d MB read, more than %d times as "+
			"much (elements that carry almost nothing, such as {}; the most a snapshot may hold)",
			l.kept>>20, l.g.out>>20, keptPerByte)
	}
	return nil
}

// nullElement refuses a list element that is null: miscope never writes one, and reading it as an empty element would
// invent, say, a role assignment with no principal and no role.
func nullElement(path string, n int) error {
	return faultf("corrupt: element %d of %q is null (each element must be an object)", n, path)
}

// value reads one value whole, within MaxValue.
func (l *loader) value(v any) error {
	off := l.dec.InputOffset()
	l.g.forget(off)
	l.g.beginValue(off)
	err := l.dec.Decode(v)
	l.g.endValue()
	return err
}

// decodeAt reads element n of the list at path (n < 0: the value at path itself).
func (l *loader) decodeAt(v any, path string, n int) error {
	err := l.value(v)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		where := path
		if n >= 0 {
			where = fmt.Sprintf("%s[%d]", path, n)
		}
		if te.Field != "" {
			where += "." + te.Field
		}
		what := te.Value // "number 123...": the value itself may be long
		if len(what) > 40 {
			what = what[:40] + "…"
		}
		return faultf("corrupt: field %q has the wrong type (%s)", where, what)
	}
	return err
}

// key reads an object key and returns the field it names (JSON names match case-insensitively, as encoding/json
// does), or "" for a field miscope does not know. A field given twice is refused: the encoder never writes one, and
// identities already shown cannot be taken back.
func (l *loader) key(fields []string, seen map[string]bool, prefix string) (string, error) {
	tok, err := l.dec.Token()
	if err != nil {
		return "", err
	}
	s, _ := tok.(string)
	name := ""
	for _, f := range fields {
		if f == s {
			name = f
			break
		}
	}
	if name == "" {
		for _, f := range fields {
			if strings.EqualFold(f, s) {
				name = f
				break
			}
		}
	}
	if name != "" {
		if seen[name] {
			return "", faultf("corrupt: field %q appears twice", prefix+name)
		}
		seen[name] = true
	}
	return name, nil
}

// skip reads past a value miscope does not use.
func (l *loader) skip() error {
	depth := 0
	for {
		tok, err := l.dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

func (l *loader) sendHeader() {
	if l.headerSent {
		return
	}
	l.headerSent = true
	if l.header != nil {
		t := l.tenant
		if t == nil {
			t = &data.Tenant{}
		}
		l.header(l.origin, t)
	}
}

// intern returns the one copy of s kept for this file.
func (l *loader) intern(s string) string {
	if s == "" {
		return ""
	}
	if c, ok := l.strs[s]; ok {
		return c
	}
	l.strs[s] = s
	return s
}

func (l *loader) in1(a *string) { *a = l.intern(*a) }

func (l *loader) in2(a, b *string) { *a, *b = l.intern(*a), l.intern(*b) }

func (l *loader) in3(a, b, c *string) { *a, *b, *c = l.intern(*a), l.intern(*b), l.intern(*c) }

func (l *loader) inAll(ss []string) {
	for i := range ss {
		ss[i] = l.intern(ss[i])
	}
}

var bom = []byte{0xef, 0xbb, 0xbf}

// skipBOM drops a UTF-8 byte-order mark at the start of r, which some editors and tools on Windows write; JSON allows
// a reader to ignore it. It returns how many bytes it dropped.
func skipBOM(r io.Reader) (io.Reader, int64, error) {
	head := make([]byte, len(bom))
	n, err := io.ReadFull(r, head)
	switch {
	case n == len(bom) && bytes.Equal(head, bom):
		return r, int64(n), nil
	case err != nil && err != io.EOF && err != io.ErrUnexpectedEOF:
		return nil, 0, err
	}
	return io.MultiReader(bytes.NewReader(head[:n]), r), 0, nil
}

func isTypeError(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te)
}

func wrongType(path string, tok json.Token) error {
	kind := "object"
	switch tok.(type) {
	case string:
		kind = "string"
	case float64, json.Number:
		kind = "number"
	case bool:
		kind = "bool"
	case json.Delim:
		if tok == json.Delim('[') {
			kind = "array"
		}
	}
	return faultf("corrupt: field %q has the wrong type (%s)", path, kind)
}

// reason turns what went wrong into the sentence the user sees.
func (l *loader) reason(err error) string {
	var f fault
	var se *json.SyntaxError
	switch {
	case errors.As(err, &f):
		return string(f)
	case errors.Is(err, context.Canceled):
		return "closed before it was read completely"
	case l.lim != nil && l.lim.N <= 0:
		return fmt.Sprintf("larger than %d bytes", MaxSize)
	case errors.Is(err, io.EOF) && !l.started:
		return "empty file: not a snapshot (make one with `miscope collect -o FILE`)"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum):
		return "truncated: the file ends early (was it copied completely?)"
	case errors.As(err, &se):
		if !l.started {
			return "not a snapshot: not JSON (make one with `miscope collect -o FILE`)"
		}
		return fmt.Sprintf("corrupt JSON at byte %d: %v", l.g.fileOffset(l.dec.InputOffset()), err)
	case strings.Contains(err.Error(), "gzip") || strings.Contains(err.Error(), "flate"):
		return fmt.Sprintf("corrupt gzip: %v", err)
	}
	return fmt.Sprintf("corrupt: %v", err)
}
