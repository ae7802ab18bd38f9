package serviceaccount

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
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
//   - account: label, description, disabledAt;
//   - key: id, hint, name, expiresAt, disabledAt, replacedBy (the
//     plaintext and the hash never appear);
//   - permission: id, resourceType, resourceKey, action, limiter.
//
// An account's delete also lists, in before, the keys and permissions
// that were deleted with it. A rotation (key.rotate, whose target is the
// old key) shows the old key before and after, and the new key under
// "created".
type AuditDetails struct {
	Before  map[string]any `json:"before"`
	After   map[string]any `json:"after"`
	Created map[string]any `json:"created,omitempty"`
}

func auditAccount(a Account) map[string]any {
	return map[string]any{"label": a.Label, "description": a.Description, "disabledAt": auditTime(a.DisabledAt)}
}

// auditKey shows a key by its hint only. Keep it that way: the hint is
// the one part of a key meant to be shown after its creation.
func auditKey(k apikey.Key) map[string]any {
	var replacedBy any
	if k.ReplacedBy != nil {
		replacedBy = k.ReplacedBy.String()
	}
	return map[string]any{
		"id": k.ID.String(), "hint": k.Hint, "name": k.Name,
		"expiresAt": auditTime(k.ExpiresAt), "disabledAt": auditTime(k.DisabledAt), "replacedBy": replacedBy,
	}
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
	var l any // a JSON null when there is no limiter
	if p.Limiter != nil {
		l = p.Limiter
	}
	return map[string]any{
		"id":           p.ID.String(),
		"resourceType": p.ResourceType,
		"resourceKey":  p.ResourceKey,
		"action":       p.Action,
		"limiter":      l,
	}
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
	a, err := u.AccountGet(ctx, id)
	if err != nil {
		return nil, err
	}
	keys, err := u.KeyList(ctx, id)
	if err != nil {
		return nil, err
	}
	perms, err := u.PermissionList(ctx, id)
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
	out["keys"], out["permissions"] = ks, ps
	return out, nil
}

// newAuditEvent describes one change for the log, with the actor of ctx.
func (m *Manager) newAuditEvent(ctx context.Context, action AuditAction, accountID uuid.UUID, targetID *uuid.UUID, d AuditDetails) (AuditEvent, error) {
	details, err := json.Marshal(d)
	if err != nil {
		return AuditEvent{}, fmt.Errorf("audit %s: encode details: %w", action, err)
	}
	e := AuditEvent{
		ID:               newID(),
		OccurredAt:       m.now(),
		Action:           action,
		ServiceAccountID: accountID,
		TargetID:         targetID,
		Details:          details,
	}
	if a, ok := ActorFrom(ctx); ok {
		e.Actor = &a
	}
	return e, nil
}

// checkActor refuses, before anything is written, an actor that the audit
// log could not store as given.
func checkActor(ctx context.Context) error {
	if a, ok := ActorFrom(ctx); ok {
		return validateActor(a)
	}
	return nil
}

// ListAuditEventsParams selects one page of audit events: every filter is
// optional and they combine with AND; Limit is 1 to MaxPageSize (0 means
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
// application's choice (the example server's -audit-retention).
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
