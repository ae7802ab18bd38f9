package store

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Webhook is a receiver of a tenant's events: deliveries of the event
// types it lists are signed with Secret and POSTed to URL.
type Webhook struct {
	ID          uuid.UUID // UUIDv7
	Tenant      string
	URL         string
	Events      []string // event types, each once
	Description string
	// Secret signs its deliveries (Standard Webhooks' "whsec_…" form). It
	// is stored as given, because signing needs it, and shown only once,
	// by the response that created the webhook.
	Secret    string
	CreatedAt time.Time
}

// DeliveryState is where a delivery stands.
type DeliveryState string

// The states of a delivery. A pending one is sent when its NextAttemptAt
// has come; delivered and failed are final.
const (
	DeliveryPending   DeliveryState = "pending"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryFailed    DeliveryState = "failed"
)

// DeliveryAttempt is one try at sending a delivery.
type DeliveryAttempt struct {
	At time.Time `json:"at"`
	// StatusCode is the receiver's HTTP status; 0 when none came (a
	// refused address, a timeout, a lost connection).
	StatusCode int `json:"statusCode"`
	// Error says why the attempt failed without a status ("" otherwise).
	// It never holds the secret or the body.
	Error string `json:"error"`
}

// Delivery is one event for one webhook, in the outbox.
type Delivery struct {
	// ID is the delivery's webhook-id header, kept across retries, so a
	// receiver can drop a duplicate.
	ID        uuid.UUID
	Tenant    string
	WebhookID uuid.UUID
	EventType string
	// Body is the JSON sent, fixed when the event is enqueued, so every
	// attempt sends the same bytes.
	Body     []byte
	State    DeliveryState
	Attempts []DeliveryAttempt
	// NextAttemptAt is when a pending delivery is due; nil once final.
	NextAttemptAt *time.Time
	DeliveredAt   *time.Time
	CreatedAt     time.Time
}

// ClaimedDelivery is a due delivery that one sender holds until its lease
// ends, with what sending it needs.
type ClaimedDelivery struct {
	Delivery
	URL    string
	Secret string
}

// OutboxClaimParams are the inputs of OutboxClaim.
type OutboxClaimParams struct {
	// Owner names the claiming sender (unique per process and start); only
	// it can record or release what it claimed.
	Owner string
	// Now is the sender's clock: deliveries due by then whose lease (if
	// any) has ended are claimed.
	Now time.Time
	// Lease is how long the claim lasts: after Now+Lease another sender
	// may claim the delivery again.
	Lease time.Duration
	Limit int
}

// OutboxResult records one attempt of a claimed delivery.
type OutboxResult struct {
	ID    uuid.UUID
	Owner string
	// Attempts is the delivery's whole list of attempts, the new one last.
	Attempts      []DeliveryAttempt
	State         DeliveryState
	NextAttemptAt *time.Time // the retry's time when State is pending
	DeliveredAt   *time.Time // when State is delivered
}

// MaxWebhookURLLength bounds a webhook's URL; MaxWebhookEvents the event
// types one lists; MaxWebhookDescriptionLength its description.
const (
	MaxWebhookURLLength         = 2000
	MaxWebhookEvents            = 64
	MaxWebhookDescriptionLength = 1000
)

// WebhookReader reads webhooks and their deliveries. It is part of every
// [Store].
type WebhookReader interface {
	// WebhookGet returns webhook id of tenant; ErrNotFound if there is
	// none, or it belongs to another tenant.
	WebhookGet(ctx context.Context, tenant string, id uuid.UUID) (Webhook, error)

	// WebhookList returns up to limit webhooks of tenant in creation
	// order, after after (uuid.Nil: from the first). A limit below 1 is an
	// error.
	WebhookList(ctx context.Context, tenant string, after uuid.UUID, limit int) ([]Webhook, error)

	// DeliveryList returns up to limit deliveries of webhook webhookID of
	// tenant, newest first, older than before (uuid.Nil: from the
	// newest), with their attempts. ErrNotFound if the webhook does not
	// exist in tenant.
	DeliveryList(ctx context.Context, tenant string, webhookID, before uuid.UUID, limit int) ([]Delivery, error)

	// OutboxClaim claims, for p.Owner and until p.Now+p.Lease, up to
	// p.Limit pending deliveries of every tenant that are due (their
	// NextAttemptAt is at or before p.Now) and not claimed by a lease
	// that is still running, oldest due first. Two senders claiming at
	// once never claim the same delivery (SQL: SELECT … FOR UPDATE SKIP
	// LOCKED on PostgreSQL and MariaDB, the database's only writer on
	// SQLite), so a delivery is sent by one sender at a time.
	OutboxClaim(ctx context.Context, p OutboxClaimParams) ([]ClaimedDelivery, error)

	// OutboxRecord writes the outcome of an attempt of a delivery that
	// r.Owner claimed, and ends the claim. ErrNotFound if the delivery is
	// gone (its webhook was deleted) or r.Owner no longer holds it (the
	// lease ran out and another sender claimed it): the outcome is then
	// dropped.
	OutboxRecord(ctx context.Context, r OutboxResult) error

	// OutboxRelease ends owner's claims on the deliveries ids without
	// recording an attempt, so another sender may take them at once (a
	// sender shutting down). Ids owner does not hold are skipped.
	OutboxRelease(ctx context.Context, owner string, ids []uuid.UUID) error
}

// WebhookWriter changes webhooks and fills the outbox, inside a [Tx].
type WebhookWriter interface {
	// WebhookCreate inserts w (w.Tenant is its tenant). ErrConflict if a
	// webhook with w.ID exists.
	WebhookCreate(ctx context.Context, w Webhook) error

	// WebhookDelete deletes webhook id of tenant and its deliveries,
	// pending ones included, and returns the webhook as it was (for the
	// audit event). ErrNotFound if there is none in tenant.
	WebhookDelete(ctx context.Context, tenant string, id uuid.UUID) (Webhook, error)

	// WebhooksForEvent returns the webhooks of tenant that list
	// eventType, in creation order.
	WebhooksForEvent(ctx context.Context, tenant, eventType string) ([]Webhook, error)

	// OutboxAdd enqueues d (pending, due at d.NextAttemptAt) in the
	// transaction, so that it is sent only if the change it reports
	// commits. ErrConflict if d.ID exists.
	OutboxAdd(ctx context.Context, d Delivery) error
}
