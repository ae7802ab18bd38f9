package serviceaccount

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/webhook/egress"
	"github.com/seed-c7fc2061/serviceaccounts/webhook/signature"
)

// The event types that are not audit actions: notices about keys, and a
// leak report's response. A webhook may list these and every audit action
// (store.AuditActions).
const (
	EventKeyExpiring = "key.expiring"
	EventKeyUnused   = "key.unused"
	EventKeyLeaked   = "key.leaked"
)

// WebhookEventTypes lists every event type a webhook may subscribe to:
// every audit action, then the notices.
func WebhookEventTypes() []string {
	var out []string
	for _, a := range store.AuditActions() {
		out = append(out, string(a))
	}
	for _, e := range []string{EventKeyExpiring, EventKeyUnused, EventKeyLeaked} {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// Webhook is a tenant's receiver of events, as the Manager shows it: its
// secret is never part of it (see CreatedWebhook).
type Webhook struct {
	ID          uuid.UUID
	Tenant      string
	URL         string
	Events      []string
	Description string
	CreatedAt   time.Time
}

// CreatedWebhook is a new webhook with its signing secret ("whsec_…"),
// which nothing shows again: the receiver verifies deliveries with it.
type CreatedWebhook struct {
	Webhook
	Secret string
}

// WebhookInput describes a new webhook: URL is where deliveries go (https
// or http, at most egress.MaxURLLength bytes, and not resolving to a
// loopback, private, link-local or CGNAT address unless the Manager's
// WebhookClient allows them); Events are 1 to store.MaxWebhookEvents
// distinct types of WebhookEventTypes; Description is optional, at most
// store.MaxWebhookDescriptionLength characters.
type WebhookInput struct {
	URL         string
	Events      []string
	Description string
}

// WebhookPage is one page of a tenant's webhooks, in creation order.
type WebhookPage struct {
	Items      []Webhook
	NextCursor string // "" on the last page
}

// Delivery is one event sent (or to be sent) to one webhook, with its
// attempts.
type Delivery = store.Delivery

// DeliveryPage is one page of a webhook's deliveries, newest first.
type DeliveryPage struct {
	Items      []Delivery
	NextCursor string // "" on the last page
}

func webhookOf(w store.Webhook) Webhook {
	return Webhook{ID: w.ID, Tenant: w.Tenant, URL: w.URL, Events: slices.Clone(w.Events), Description: w.Description, CreatedAt: w.CreatedAt}
}

// auditWebhook is a webhook as its events show it: never the secret.
func auditWebhook(w Webhook) map[string]any {
	return map[string]any{"id": w.ID.String(), "url": w.URL, "events": w.Events, "description": w.Description}
}

// checkWebhook validates in, naming the field of each problem: url,
// events, events[i], description. The URL's host is resolved (unless
// private addresses are allowed), so a name that points inside the
// network is refused now, and again by the sender at every connection.
func (m *Manager) checkWebhook(ctx context.Context, in WebhookInput) error {
	out := &ValidationError{}
	if _, err := m.webhookClient.CheckURL(ctx, in.URL); err != nil {
		msg := err.Error()
		for _, prefix := range []string{"egress: invalid webhook URL: ", "egress: "} {
			msg = strings.TrimPrefix(msg, prefix)
		}
		out.Fields = append(out.Fields, FieldError{Field: "url", Message: msg})
	}
	known := WebhookEventTypes()
	switch {
	case len(in.Events) == 0:
		out.Fields = append(out.Fields, FieldError{Field: "events", Message: "must list at least one event type, such as " + known[0]})
	case len(in.Events) > store.MaxWebhookEvents:
		out.Fields = append(out.Fields, FieldError{Field: "events", Message: fmt.Sprintf("may list at most %d event types", store.MaxWebhookEvents)})
	}
	for i, e := range in.Events {
		field := fmt.Sprintf("events[%d]", i)
		switch {
		case !slices.Contains(known, e):
			out.Fields = append(out.Fields, FieldError{Field: field, Message: "is not an event type; choose from " + strings.Join(known, ", ")})
		case slices.Contains(in.Events[:i], e):
			out.Fields = append(out.Fields, FieldError{Field: field, Message: "is listed twice"})
		}
	}
	switch {
	case utf8.RuneCountInString(in.Description) > store.MaxWebhookDescriptionLength:
		out.Fields = append(out.Fields, FieldError{Field: "description", Message: fmt.Sprintf("must be at most %d characters", store.MaxWebhookDescriptionLength)})
	case !cleanText(in.Description, true):
		out.Fields = append(out.Fields, FieldError{Field: "description", Message: "must be valid text without control characters"})
	}
	if len(out.Fields) > 0 {
		return out
	}
	return nil
}

// CreateWebhook adds a webhook to the tenant, with a fresh signing secret
// that only the returned value holds. Creating one sends nothing. It is
// audited as webhook.create (without the secret).
func (m *Manager) CreateWebhook(ctx context.Context, in WebhookInput) (CreatedWebhook, error) {
	if err := m.checkWebhook(ctx, in); err != nil {
		return CreatedWebhook{}, err
	}
	secret := signature.NewSecret()
	w := store.Webhook{
		ID: newID(), Tenant: m.tenant, URL: in.URL, Events: slices.Clone(in.Events),
		Description: in.Description, Secret: secret.Reveal(), CreatedAt: m.now(),
	}
	err := m.write(ctx, func(ctx context.Context, u *unit) error {
		if err := u.WebhookCreate(ctx, w); err != nil {
			return err
		}
		u.audited(store.ActionWebhookCreate, uuid.Nil, &w.ID, nil, auditWebhook(webhookOf(w)))
		return nil
	})
	if err != nil {
		return CreatedWebhook{}, err
	}
	return CreatedWebhook{Webhook: webhookOf(w), Secret: w.Secret}, nil
}

// Webhook returns webhook id of the tenant; store.ErrNotFound if there is
// none (another tenant's included).
func (m *Manager) Webhook(ctx context.Context, id uuid.UUID) (Webhook, error) {
	w, err := m.store.WebhookGet(ctx, m.tenant, id)
	if err != nil {
		return Webhook{}, err
	}
	return webhookOf(w), nil
}

// ListWebhooks returns one page of the tenant's webhooks in creation
// order, with cursors like ListAccounts'.
func (m *Manager) ListWebhooks(ctx context.Context, p PageParams) (WebhookPage, error) {
	limit, after, err := pageOf(p.Limit, p.Cursor)
	if err != nil {
		return WebhookPage{}, err
	}
	hooks, err := m.store.WebhookList(ctx, m.tenant, after, limit+1)
	if err != nil {
		return WebhookPage{}, err
	}
	hooks, next := trimPage(hooks, limit, func(w store.Webhook) uuid.UUID { return w.ID })
	page := WebhookPage{Items: make([]Webhook, len(hooks)), NextCursor: next}
	for i, w := range hooks {
		page.Items[i] = webhookOf(w)
	}
	return page, nil
}

// DeleteWebhook deletes webhook id of the tenant and its deliveries,
// pending ones included; store.ErrNotFound if there is none. It is
// audited as webhook.delete.
func (m *Manager) DeleteWebhook(ctx context.Context, id uuid.UUID) error {
	return m.write(ctx, func(ctx context.Context, u *unit) error {
		w, err := u.WebhookDelete(ctx, m.tenant, id)
		if err != nil {
			return err
		}
		u.audited(store.ActionWebhookDelete, uuid.Nil, &id, auditWebhook(webhookOf(w)), nil)
		return nil
	})
}

// ListDeliveries returns one page of webhook webhookID's deliveries,
// newest first, with their attempts; store.ErrNotFound if the tenant has
// no such webhook.
func (m *Manager) ListDeliveries(ctx context.Context, webhookID uuid.UUID, p PageParams) (DeliveryPage, error) {
	limit, before, err := pageOf(p.Limit, p.Cursor)
	if err != nil {
		return DeliveryPage{}, err
	}
	items, err := m.store.DeliveryList(ctx, m.tenant, webhookID, before, limit+1)
	if err != nil {
		return DeliveryPage{}, err
	}
	page := DeliveryPage{}
	page.Items, page.NextCursor = trimPage(items, limit, func(d Delivery) uuid.UUID { return d.ID })
	return page, nil
}

// OutboxSignal is closed-over by a sender (package webhook/delivery): it
// receives a value after a change that enqueued deliveries commits, so a
// sender in this process sends at once instead of at its next poll. It
// is a hint; polling is what makes delivery correct. One reader.
func (m *Manager) OutboxSignal() <-chan struct{} { return m.outboxSignal }

// WebhookClient is the client that checks webhook URLs; a sender should
// deliver through the same one, so both refuse the same addresses.
func (m *Manager) WebhookClient() *egress.Client { return m.webhookClient }

// webhookBody is the body of every delivery: Standard Webhooks' shape.
type webhookBody struct {
	Type      string `json:"type"`
	Timestamp string `json:"timestamp"`
	Data      any    `json:"data"`
}

// webhookAuditEvent is an audit event as GET /audit-events shows it
// (internal/apijson.AuditEvent, which this package cannot import; a test
// compares the two).
type webhookAuditEvent struct {
	ID               string          `json:"id"`
	Tenant           string          `json:"tenant"`
	OccurredAt       string          `json:"occurredAt"`
	Actor            *Actor          `json:"actor"`
	Action           string          `json:"action"`
	ServiceAccountID string          `json:"serviceAccountId"`
	TargetID         *string         `json:"targetId"`
	Details          json.RawMessage `json:"details"`
}

// enqueueEvent writes, in the change's transaction, one outbox row per
// webhook of the tenant that lists eventType (except skip), all with the
// same body, due at once. It reports whether it enqueued any.
func (m *Manager) enqueueEvent(ctx context.Context, tx store.Tx, eventType string, at time.Time, data any, skip uuid.UUID) (bool, error) {
	hooks, err := tx.WebhooksForEvent(ctx, m.tenant, eventType)
	if err != nil {
		return false, err
	}
	hooks = slices.DeleteFunc(hooks, func(w store.Webhook) bool { return w.ID == skip })
	if len(hooks) == 0 {
		return false, nil
	}
	body, err := json.Marshal(webhookBody{Type: eventType, Timestamp: at.UTC().Format(auditTimeFormat), Data: data})
	if err != nil {
		return false, fmt.Errorf("encode the %s webhook body: %w", eventType, err)
	}
	now := m.now()
	for _, w := range hooks {
		d := store.Delivery{
			ID: newID(), Tenant: m.tenant, WebhookID: w.ID, EventType: eventType, Body: body,
			State: store.DeliveryPending, NextAttemptAt: &now, CreatedAt: now,
		}
		if err := tx.OutboxAdd(ctx, d); err != nil {
			return false, fmt.Errorf("enqueue a %s delivery: %w", eventType, err)
		}
	}
	return true, nil
}

// enqueueAudit enqueues e for the webhooks that listen to its action.
func (m *Manager) enqueueAudit(ctx context.Context, tx store.Tx, e AuditEvent) (bool, error) {
	data := webhookAuditEvent{
		ID: e.ID.String(), Tenant: m.tenant, OccurredAt: e.OccurredAt.UTC().Format(auditTimeFormat), Actor: e.Actor,
		Action: string(e.Action), ServiceAccountID: e.ServiceAccountID.String(), Details: e.Details,
	}
	if e.TargetID != nil {
		s := e.TargetID.String()
		data.TargetID = &s
	}
	if !json.Valid(data.Details) {
		data.Details = json.RawMessage("null")
	}
	// Creating a webhook sends nothing to it (no ping): the new webhook
	// does not hear of its own creation; the others do.
	skip := uuid.Nil
	if e.Action == store.ActionWebhookCreate && e.TargetID != nil {
		skip = *e.TargetID
	}
	return m.enqueueEvent(ctx, tx, string(e.Action), e.OccurredAt, data, skip)
}

// signalOutbox wakes a local sender without ever blocking a change.
func (m *Manager) signalOutbox() {
	select {
	case m.outboxSignal <- struct{}{}:
	default:
	}
}

// defaultWebhookClient refuses private addresses, as production should.
func defaultWebhookClient() *egress.Client {
	c, err := egress.NewClient(egress.Config{})
	if err != nil {
		panic(errors.New("serviceaccount: the default webhook client: " + err.Error()))
	}
	return c
}
