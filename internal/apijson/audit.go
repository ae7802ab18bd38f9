package apijson

import (
	"encoding/json"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// Actor is who made a change, in an audit event.
type Actor struct {
	ID        string `json:"id"`
	Address   string `json:"address"`
	UserAgent string `json:"userAgent"`
}

// AuditEvent is the representation of one audit event.
type AuditEvent struct {
	ID               string          `json:"id"`
	Tenant           string          `json:"tenant"`
	OccurredAt       string          `json:"occurredAt"`
	Actor            *Actor          `json:"actor"`
	Action           string          `json:"action"`
	ServiceAccountID string          `json:"serviceAccountId"`
	TargetID         *string         `json:"targetId"`
	Details          json.RawMessage `json:"details"`
}

// NewAuditEvent represents e, an event of tenant (the tenant whose log
// was read: the logs are kept per tenant); details that are not valid JSON (a row
// edited by hand) become null rather than break the page.
func NewAuditEvent(tenant string, e serviceaccount.AuditEvent) AuditEvent {
	out := AuditEvent{
		ID:               e.ID.String(),
		Tenant:           tenant,
		OccurredAt:       FormatTime(e.OccurredAt),
		Action:           string(e.Action),
		ServiceAccountID: e.ServiceAccountID.String(),
		Details:          e.Details,
	}
	if e.Actor != nil {
		out.Actor = &Actor{ID: e.Actor.ID, Address: e.Actor.Address, UserAgent: e.Actor.UserAgent}
	}
	if e.TargetID != nil {
		s := e.TargetID.String()
		out.TargetID = &s
	}
	if !json.Valid(out.Details) {
		// A store row edited by hand must not break the whole page.
		out.Details = json.RawMessage("null")
	}
	return out
}

// AuditPage is the body of GET /audit-events.
type AuditPage = Page[AuditEvent]

// NewAuditPage represents one page of events.
func NewAuditPage(tenant string, page serviceaccount.AuditEventPage) AuditPage {
	return newPage(page.Items, page.NextCursor, func(e serviceaccount.AuditEvent) AuditEvent { return NewAuditEvent(tenant, e) })
}
