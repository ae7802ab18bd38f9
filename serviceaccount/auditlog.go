package serviceaccount

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// auditTimeFormat writes times in details as the admin API writes them:
// RFC 3339, UTC, six fractional digits.
const auditTimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// AuditDetails is the shape of AuditEvent.Details: the record as it was
// before the change and as it is after it (null for a create's before and
// a delete's after). Each side holds every audited field of the record,
// not only the changed ones, so one event reads on its own:
//
//   - account: label, description, disabledAt, and metadata when it
//     has any;
//   - key: id, hint, name, expiresAt, disabledAt, replacedBy, and those
//     of scopes, allowedCidrs, rateLimit and metadata that it has (the
//     plaintext and the hash never appear);
//   - permission: id, resourceType, resourceKey, action, limiter.
//
// An account's delete also lists, in before, the keys and permissions
// that were deleted with it. Parts that can grow are described by count
// and size rather than in full, so that every event stays under
// MaxAuditEventBytes: a limiter over 8 KiB of JSON as {"items","bytes",
// "sha256"} (the digest of its canonical form), a list of keys or
// permissions over 256 KiB as {"count","bytes"}. A rotation (key.rotate, whose target is the
// old key) shows the old key before and after, and the new key under
// "created". A leak report (key.leaked, whose target is the key) shows the
// key before and after (null after a delete) and the report's url and
// source under "report"; never the token or its hash.
type AuditDetails struct {
	Before  map[string]any `json:"before"`
	After   map[string]any `json:"after"`
	Created map[string]any `json:"created,omitempty"`
	Report  map[string]any `json:"report,omitempty"`
	// Defaults marks a change of the database-wide default policy, as
	// opposed to one tenant's.
	Defaults bool `json:"defaults,omitempty"`
}

func auditAccount(a Account) map[string]any {
	out := map[string]any{"label": a.Label, "description": a.Description, "disabledAt": auditTime(a.DisabledAt)}
	auditMetadata(a.Metadata, out)
	return out
}

// auditKey shows a key by its hint only. Keep it that way: the hint is
// the one part of a key meant to be shown after its creation.
func auditKey(k apikey.Key) map[string]any {
	var replacedBy any
	if k.ReplacedBy != nil {
		replacedBy = k.ReplacedBy.String()
	}
	out := map[string]any{
		"id": k.ID.String(), "hint": k.Hint, "name": k.Name,
		"expiresAt": auditTime(k.ExpiresAt), "disabledAt": auditTime(k.DisabledAt), "replacedBy": replacedBy,
	}
	auditRestrictions(k, out)
	return out
}

// toggleAction names a change that may disable or enable a record as well
// as edit it: one change is one event, and disabling or enabling is what
// an auditor looks for first.
func toggleAction(kind ChangeKind) AuditAction {
	switch kind {
	case AccountDisabled:
		return store.ActionAccountDisable
	case AccountEnabled:
		return store.ActionAccountEnable
	case KeyDisabled:
		return store.ActionKeyDisable
	case KeyEnabled:
		return store.ActionKeyEnable
	}
	return ""
}

func auditPermission(p permission.Permission) map[string]any {
	return map[string]any{
		"id":           p.ID.String(),
		"resourceType": p.ResourceType,
		"resourceKey":  p.ResourceKey,
		"action":       p.Action,
		"limiter":      auditLimiter(p.Limiter),
	}
}

// auditLimiter is a limiter as an event shows it: in full up to
// auditLimiterInlineBytes of JSON, which holds every limiter people write
// by hand; a larger one (up to limiter's 64 KiB) is described by its
// number of items, its size and a digest of its canonical form, so that an
// auditor still sees whether it changed. A JSON null when there is none.
func auditLimiter(l *limiter.Limiter) any {
	if l == nil {
		return nil
	}
	canonical, _ := l.MarshalJSON() // never fails
	if len(canonical) <= auditLimiterInlineBytes {
		return json.RawMessage(canonical)
	}
	items := 0
	for i := range l.Keys() {
		items = max(items, i+1)
	}
	sum := sha256.Sum256(canonical)
	return map[string]any{"items": items, "bytes": len(canonical), "sha256": hex.EncodeToString(sum[:])}
}

// auditList is a list of records (an account's keys or permissions) as an
// account's delete event shows it: in full up to auditListInlineBytes of
// JSON, otherwise by count and size, as {"count": n, "bytes": b}. An
// account may hold any number of keys (Policy.NoKeyLimit) and of
// permissions, so the list alone could outgrow what a store accepts in
// one statement (MariaDB's 16 MiB packet).
func auditList(records []map[string]any) (any, error) {
	full, err := json.Marshal(records)
	if err != nil {
		return nil, err
	}
	if len(full) <= auditListInlineBytes {
		return json.RawMessage(full), nil
	}
	return map[string]any{"count": len(records), "bytes": len(full)}, nil
}

func auditTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Format(auditTimeFormat)
}

// accountWithEverything is how a deleted account appears in its event:
// its fields, and the keys and permissions deleted with it.
func (u *unit) accountWithEverything(ctx context.Context, id uuid.UUID) (map[string]any, error) {
	a, err := u.AccountGet(ctx, u.tenant, id)
	if err != nil {
		return nil, err
	}
	// Read for the delete, so the revision of IfRevision is checked here.
	if err := checkRevision(ctx, AccountRevision(a)); err != nil {
		return nil, err
	}
	keys, err := u.KeyList(ctx, u.tenant, id)
	if err != nil {
		return nil, err
	}
	perms, err := u.PermissionList(ctx, u.tenant, id)
	if err != nil {
		return nil, err
	}
	out := auditAccount(a)
	ks := make([]map[string]any, len(keys))
	for i, k := range keys {
		ks[i] = auditKey(k)
	}
	ps := make([]map[string]any, len(perms))
	for i, p := range perms {
		ps[i] = auditPermission(p)
	}
	if out["keys"], err = auditList(ks); err != nil {
		return nil, err
	}
	if out["permissions"], err = auditList(ps); err != nil {
		return nil, err
	}
	return out, nil
}

// Bounds on the size of an audit event. Every store must accept an event
// whatever the change (MariaDB refuses a statement over its 16 MiB packet,
// and an account's delete once listed every permission in full, up to
// 64 KiB of limiter each), and the log stays readable.
const (
	// MaxAuditEventBytes bounds one event as JSON (json.Marshal of the
	// AuditEvent, details included). newAuditEvent enforces it for
	// every action.
	MaxAuditEventBytes = 1 << 20
	// auditLimiterInlineBytes is the largest limiter shown in full.
	auditLimiterInlineBytes = 8 << 10
	// auditListInlineBytes is the largest list of keys or permissions
	// shown in full; two of them, the account's fields and the actor
	// stay well under MaxAuditEventBytes.
	auditListInlineBytes = 256 << 10
)

// fitAuditEvent is where the size bound of events is enforced, for every
// action: the parts that can grow are described by count and size when
// the event is made (auditLimiter, auditList), so an event that is still
// too large means a new part that grows; rather than fail the change
// (deleting an account must always succeed), each side of its details is
// then described by its size alone. An event that cannot be brought under
// the bound is refused, and nothing is written.
func fitAuditEvent(e AuditEvent) (AuditEvent, error) {
	size, err := auditEventSize(e)
	if err != nil || size <= MaxAuditEventBytes {
		return e, err
	}
	var d map[string]json.RawMessage
	if err := json.Unmarshal(e.Details, &d); err != nil {
		return AuditEvent{}, fmt.Errorf("audit %s: read details: %w", e.Action, err)
	}
	short := make(map[string]any, len(d))
	for side, raw := range d {
		short[side] = map[string]any{"bytes": len(raw)}
		if string(raw) == "null" {
			short[side] = nil
		}
	}
	if e.Details, err = json.Marshal(short); err != nil {
		return AuditEvent{}, fmt.Errorf("audit %s: encode details: %w", e.Action, err)
	}
	if size, err = auditEventSize(e); err != nil {
		return AuditEvent{}, err
	}
	if size > MaxAuditEventBytes {
		return AuditEvent{}, fmt.Errorf("audit %s: the event takes %d bytes, over the %d an event may take", e.Action, size, MaxAuditEventBytes)
	}
	return e, nil
}

// auditEventSize is the size of e as JSON.
func auditEventSize(e AuditEvent) (int, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return 0, fmt.Errorf("audit %s: encode event: %w", e.Action, err)
	}
	return len(b), nil
}

// newAuditEvent describes one change for the log, with the actor of ctx.
func (m *Manager) newAuditEvent(ctx context.Context, action AuditAction, accountID uuid.UUID, targetID *uuid.UUID, d AuditDetails) (AuditEvent, error) {
	details, err := json.Marshal(d)
	if err != nil {
		return AuditEvent{}, fmt.Errorf("audit %s: encode details: %w", action, err)
	}
	e := AuditEvent{
		ID:               newID(),
		Tenant:           m.tenant,
		OccurredAt:       m.now(),
		Action:           action,
		ServiceAccountID: accountID,
		TargetID:         targetID,
		Details:          details,
	}
	if a, ok := ActorFrom(ctx); ok {
		e.Actor = &a
	}
	return fitAuditEvent(e)
}

// checkActor refuses, before anything is written, an actor that the audit
// log could not store as given.
func checkActor(ctx context.Context) error {
	if a, ok := ActorFrom(ctx); ok {
		return validateActor(a)
	}
	return nil
}

// ParseIDFilter reads an id that a client gave as a filter (the audit
// log's serviceAccountId): the canonical 36-character form of a UUID. A
// malformed id and the nil UUID, which names nothing, are a
// *ValidationError on field: both must be refused rather than read as
// uuid.Nil, which in ListAuditEventsParams means "no filter" and would
// answer every event.
func ParseIDFilter(field, s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	switch {
	case err != nil || len(s) != 36:
		return uuid.Nil, invalid(field, "must be an id: a UUID such as 0192f0c1-7a3b-7c4d-8e5f-0123456789ab")
	case id == uuid.Nil:
		return uuid.Nil, invalid(field, "must not be the nil UUID, which names nothing; leave the filter out to not filter by it")
	}
	return id, nil
}

// ListAuditEventsParams selects one page of audit events: every filter is
// optional and they combine with AND (ServiceAccountID uuid.Nil means
// any account, so an id a client wrote must be read with ParseIDFilter); Limit is 1 to MaxPageSize (0 means
// DefaultPageSize) and Cursor the NextCursor of the previous page ("" for
// the first). It is the store's type, so a filter is declared once; After
// is ignored here (the Manager derives it from Cursor).
type ListAuditEventsParams = store.AuditListParams

// AuditEventPage is one page of events, newest first.
type AuditEventPage struct {
	Items []AuditEvent
	// NextCursor fetches the next (older) page; "" on the last page.
	NextCursor string
}

// ListAuditEvents returns one page of audit events, newest first. Invalid
// filters, a limit out of range or a cursor this API did not make are a
// *ValidationError naming the parameter.
func (m *Manager) ListAuditEvents(ctx context.Context, p ListAuditEventsParams) (AuditEventPage, error) {
	q, err := storeParams(p)
	if err != nil {
		return AuditEventPage{}, err
	}
	q.Tenant = m.tenant // whatever the caller set: a view lists its own tenant's events
	limit := q.Limit
	q.Limit++ // one extra row tells whether another page follows
	items, err := m.store.AuditList(ctx, q)
	if err != nil {
		return AuditEventPage{}, fmt.Errorf("list audit events: %w", err)
	}
	page := AuditEventPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		last := items[limit-1]
		page.NextCursor = encodeAuditCursor(store.AuditPosition{OccurredAt: last.OccurredAt, ID: last.ID})
	}
	return page, nil
}

func storeParams(p ListAuditEventsParams) (store.AuditListParams, error) {
	out := &ValidationError{}
	bad := func(field, message string) {
		out.Fields = append(out.Fields, FieldError{Field: field, Message: message})
	}
	q := store.AuditListParams{ServiceAccountID: p.ServiceAccountID, Action: p.Action, ActorID: p.ActorID, Limit: p.Limit}
	if q.Limit == 0 {
		q.Limit = DefaultPageSize
	}
	if q.Limit < 1 || q.Limit > MaxPageSize {
		bad("limit", fmt.Sprintf("must be between 1 and %d", MaxPageSize))
	}
	if p.Action != "" && !p.Action.Valid() {
		bad("action", "must be one of "+store.AuditActionNames())
	}
	if utf8.RuneCountInString(p.ActorID) > store.MaxActorIDLength || !cleanText(p.ActorID, false) {
		bad("actorId", fmt.Sprintf("must be at most %d characters of valid UTF-8 on one line", store.MaxActorIDLength))
	}
	for _, t := range []struct {
		field string
		in    *time.Time
		out   **time.Time
	}{{"since", p.Since, &q.Since}, {"until", p.Until, &q.Until}} {
		if t.in == nil {
			continue
		}
		if verr := checkTime(t.field, *t.in); verr != nil {
			out.Fields = append(out.Fields, verr.Fields...)
			continue
		}
		u := t.in.UTC()
		*t.out = &u
	}
	if q.Since != nil && q.Until != nil && q.Since.After(*q.Until) {
		bad("since", "must not be after until")
	}
	if p.Cursor != "" {
		pos, ok := decodeAuditCursor(p.Cursor)
		if !ok {
			bad("cursor", "is not a cursor returned by this API")
		}
		q.After = &pos
	}
	if len(out.Fields) > 0 {
		return store.AuditListParams{}, out
	}
	return q, nil
}

// An audit cursor is the position of a page's last event: its time in
// microseconds since the Unix epoch (8 bytes, big-endian) and its id.
const auditCursorLength = 8 + 16

func encodeAuditCursor(p store.AuditPosition) string {
	var b [auditCursorLength]byte
	binary.BigEndian.PutUint64(b[:8], uint64(p.OccurredAt.UnixMicro()))
	copy(b[8:], p.ID[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodeAuditCursor(s string) (store.AuditPosition, bool) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != auditCursorLength {
		return store.AuditPosition{}, false
	}
	t := time.UnixMicro(int64(binary.BigEndian.Uint64(b[:8]))).UTC()
	if checkTime("cursor", t) != nil {
		return store.AuditPosition{}, false
	}
	return store.AuditPosition{OccurredAt: t, ID: uuid.UUID(b[8:])}, true
}

// PruneAuditEvents deletes the audit events that occurred before before
// and returns how many it deleted: the retention of the log is the
// application's choice (the example server's -audit-retention). It prunes
// every tenant's events, whichever view m is: retention is one rule for
// the database, and a tenant whose accounts are all gone still has
// events to prune.
func (m *Manager) PruneAuditEvents(ctx context.Context, before time.Time) (int64, error) {
	if verr := checkTime("before", before); verr != nil {
		return 0, verr
	}
	n, err := m.store.AuditPrune(ctx, before.UTC().Truncate(time.Microsecond))
	if err != nil {
		return n, fmt.Errorf("prune audit events before %s: %w", before.UTC().Format(time.RFC3339), err)
	}
	return n, nil
}
