package store

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Actor is who made a change, as the application knows them: an
// administrator's id, where the request came from and with what client.
// The library does not authenticate administrators; it records what the
// application puts in the context with serviceaccount.WithActor.
type Actor struct {
	// ID names the administrator ("admin-token", a user id, "cli:alice").
	// Required, at most MaxActorIDLength characters, one line.
	ID string `json:"id"`
	// Address is where the request came from (a remote address), if known.
	Address string `json:"address"`
	// UserAgent is the client that sent the request, if known.
	UserAgent string `json:"userAgent"`
}

// Limits on Actor fields, in characters. They bound what an audit row can
// hold, whatever a client sends as its User-Agent.
const (
	MaxActorIDLength        = 200
	MaxActorAddressLength   = 200
	MaxActorUserAgentLength = 500
)

// AuditAction names what an audit event records.
type AuditAction string

// The actions of the audit log; every change a Manager makes is one of them.
const (
	ActionAccountCreate    AuditAction = "account.create"
	ActionAccountUpdate    AuditAction = "account.update"
	ActionAccountDisable   AuditAction = "account.disable"
	ActionAccountEnable    AuditAction = "account.enable"
	ActionAccountDelete    AuditAction = "account.delete"
	ActionKeyCreate        AuditAction = "key.create"
	ActionKeyUpdate        AuditAction = "key.update"
	ActionKeyDisable       AuditAction = "key.disable"
	ActionKeyEnable        AuditAction = "key.enable"
	ActionKeyRotate        AuditAction = "key.rotate"
	ActionKeyDelete        AuditAction = "key.delete"
	ActionPermissionCreate AuditAction = "permission.create"
	ActionPermissionUpdate AuditAction = "permission.update"
	ActionPermissionDelete AuditAction = "permission.delete"
	// Webhooks belong to a tenant, not to an account: their events have
	// no ServiceAccountID (uuid.Nil) and the webhook's id as TargetID.
	ActionWebhookCreate AuditAction = "webhook.create"
	ActionWebhookDelete AuditAction = "webhook.delete"
	// ActionPolicyUpdate records a change of a tenant's stored policy, or
	// of the database-wide default (details "defaults": true).
	ActionPolicyUpdate AuditAction = "policy.update"
)

// ActionKeyLeaked: a secret scanner reported the key found in public, and
// it was disabled or deleted (serviceaccount.Manager.ReportLeakedKey).
const ActionKeyLeaked AuditAction = "key.leaked"

var auditActions = []AuditAction{
	ActionAccountCreate, ActionAccountUpdate, ActionAccountDisable, ActionAccountEnable, ActionAccountDelete,
	ActionKeyCreate, ActionKeyUpdate, ActionKeyDisable, ActionKeyEnable, ActionKeyRotate, ActionKeyDelete, ActionKeyLeaked,
	ActionPermissionCreate, ActionPermissionUpdate, ActionPermissionDelete,
	ActionWebhookCreate, ActionWebhookDelete,
	ActionPolicyUpdate,
}

// AuditActions returns every action, for forms and validation.
func AuditActions() []AuditAction { return slices.Clone(auditActions) }

// Valid reports whether a is one of the actions above.
func (a AuditAction) Valid() bool { return slices.Contains(auditActions, a) }

// MaxAuditActionLength is the longest action name a store must hold.
const MaxAuditActionLength = 32

// AuditEvent records one change made through a Manager. It is written in
// the change's own transaction, so a stored event always describes a
// committed change, and it outlives the account it names.
type AuditEvent struct {
	ID uuid.UUID // UUIDv7
	// Tenant is the tenant the change was made in; its audit list is the
	// only one that shows the event.
	Tenant     string
	OccurredAt time.Time // the Manager's clock, UTC, microseconds
	Actor      *Actor    // nil when the context carried none
	Action     AuditAction
	// ServiceAccountID is the account the change was made to; uuid.Nil
	// for a policy change.
	ServiceAccountID uuid.UUID
	// TargetID is the key or permission changed; nil for account events.
	TargetID *uuid.UUID
	// Details is a JSON object {"before": …, "after": …} of what changed
	// (see AuditDetails); it never holds a key, a key hash or a token.
	Details json.RawMessage
}

// AuditPosition is where one page of events ended: the (OccurredAt, ID) of
// its last event. Events are ordered newest first by OccurredAt and then
// by ID, so a position names one place in the order whatever is appended
// or pruned meanwhile.
type AuditPosition struct {
	OccurredAt time.Time
	ID         uuid.UUID
}

// AuditListParams selects one page of events, for AuditList and for
// serviceaccount.Manager.ListAuditEvents (which names it
// ListAuditEventsParams): one type, so that a filter is declared once. The
// zero value of a filter means "any", and filters combine with AND.
type AuditListParams struct {
	// Tenant is the tenant whose events are listed; required by a
	// backend (the Manager sets it from its view; callers of the Manager
	// leave it empty).
	Tenant           string
	ServiceAccountID uuid.UUID   // uuid.Nil: any account
	Action           AuditAction // "": any action; otherwise one of AuditActions()
	ActorID          string      // "": any actor (events without one included)
	Since            *time.Time  // OccurredAt >= Since
	Until            *time.Time  // OccurredAt < Until; not before Since
	// After continues a walk: only events older than this position (the
	// last event of the previous page) are returned. nil: from the newest.
	// The Manager sets it from Cursor; a backend reads After, never Cursor.
	After *AuditPosition
	// Limit is the page size. The Manager takes 1 to its MaxPageSize, 0
	// meaning its DefaultPageSize; a backend refuses a Limit below 1.
	Limit int
	// Cursor is the Manager's NextCursor of the previous page ("" for the
	// first): the opaque, URL-safe form of After that its callers pass.
	Cursor string
}

// before reports whether e sorts strictly after p in newest-first order,
// i.e. is older than p. Stores without SQL use it to apply After.
func (p AuditPosition) before(e AuditEvent) bool {
	if !e.OccurredAt.Equal(p.OccurredAt) {
		return e.OccurredAt.Before(p.OccurredAt)
	}
	return bytes.Compare(e.ID[:], p.ID[:]) < 0
}

// Matches reports whether e passes every filter of p and lies after p.After:
// the reference semantics of AuditList, for stores that filter in Go.
func (p AuditListParams) Matches(e AuditEvent) bool {
	switch {
	case e.Tenant != p.Tenant:
		return false
	case p.ServiceAccountID != uuid.Nil && e.ServiceAccountID != p.ServiceAccountID:
		return false
	case p.Action != "" && e.Action != p.Action:
		return false
	case p.ActorID != "" && (e.Actor == nil || e.Actor.ID != p.ActorID):
		return false
	case p.Since != nil && e.OccurredAt.Before(*p.Since):
		return false
	case p.Until != nil && !e.OccurredAt.Before(*p.Until):
		return false
	case p.After != nil && !p.After.before(e):
		return false
	}
	return true
}

// CompareAuditEvents orders events oldest first, by OccurredAt and then ID;
// listings use the reverse.
func CompareAuditEvents(a, b AuditEvent) int {
	if c := a.OccurredAt.Compare(b.OccurredAt); c != 0 {
		return c
	}
	return bytes.Compare(a.ID[:], b.ID[:])
}

// AuditStore reads and prunes the audit log. Events are written by a
// change's transaction (AuditWriter), never on their own.
type AuditStore interface {
	// AuditList returns up to p.Limit events of tenant p.Tenant that pass
	// p's filters, newest
	// first (OccurredAt descending, then ID descending). A walk that passes
	// the position of each page's last event as the next p.After never
	// skips or repeats an event that existed during the whole walk. An
	// empty slice past the end; a p.Limit below 1 is an error.
	AuditList(ctx context.Context, p AuditListParams) ([]AuditEvent, error)

	// AuditPrune deletes every event that occurred before before, and
	// returns how many it deleted.
	// Pruning is retention, database-wide: it takes no tenant.
	AuditPrune(ctx context.Context, before time.Time) (int64, error)
}

// AuditWriter appends events; it is part of the unit of work, so an event
// is committed with its change or not at all.
type AuditWriter interface {
	// AuditAppend stores e in tenant, which e.Tenant must equal (or be
	// empty). ErrConflict if e.ID exists. The account it
	// names need not exist: events have no foreign key to accounts, so
	// that they outlive them.
	AuditAppend(ctx context.Context, tenant string, e AuditEvent) error
}

// AuditActionNames lists the valid audit actions, comma-separated: what a
// bad action filter is told to choose from, by the Manager, the admin API
// and the CLI alike.
func AuditActionNames() string {
	var names []string
	for _, a := range AuditActions() {
		names = append(names, string(a))
	}
	return strings.Join(names, ", ")
}
