package apijson

import (
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// Webhook is the representation of a webhook: never its secret.
type Webhook struct {
	ID          string   `json:"id"`
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
	CreatedAt   string   `json:"createdAt"`
}

// CreatedWebhook is the answer to creating a webhook: the only
// representation that holds its signing secret.
type CreatedWebhook struct {
	Webhook
	Secret string `json:"secret"`
}

// NewWebhook represents w.
func NewWebhook(w serviceaccount.Webhook) Webhook {
	events := w.Events
	if events == nil {
		events = []string{}
	}
	return Webhook{ID: w.ID.String(), URL: w.URL, Events: events, Description: w.Description, CreatedAt: FormatTime(w.CreatedAt)}
}

// NewCreatedWebhook represents a new webhook with its secret.
func NewCreatedWebhook(w serviceaccount.CreatedWebhook) CreatedWebhook {
	return CreatedWebhook{Webhook: NewWebhook(w.Webhook), Secret: w.Secret}
}

// WebhookPage is the body of GET /webhooks.
type WebhookPage = Page[Webhook]

// NewWebhookPage represents one page of webhooks.
func NewWebhookPage(page serviceaccount.WebhookPage) WebhookPage {
	return newPage(page.Items, page.NextCursor, NewWebhook)
}

// DeliveryAttempt is one attempt of a delivery: the receiver's status, or
// null and the error when none came.
type DeliveryAttempt struct {
	At         string  `json:"at"`
	StatusCode *int    `json:"statusCode"`
	Error      *string `json:"error"`
}

// Delivery is the representation of one delivery, with its attempts.
type Delivery struct {
	ID            string            `json:"id"`
	EventType     string            `json:"eventType"`
	State         string            `json:"state"`
	Attempts      []DeliveryAttempt `json:"attempts"`
	NextAttemptAt *string           `json:"nextAttemptAt"`
	DeliveredAt   *string           `json:"deliveredAt"`
}

// NewDelivery represents d; its id is the webhook-id of every attempt.
func NewDelivery(d serviceaccount.Delivery) Delivery {
	out := Delivery{
		ID: d.ID.String(), EventType: d.EventType, State: string(d.State), Attempts: []DeliveryAttempt{},
		NextAttemptAt: FormatOptionalTime(d.NextAttemptAt), DeliveredAt: FormatOptionalTime(d.DeliveredAt),
	}
	for _, a := range d.Attempts {
		at := DeliveryAttempt{At: FormatTime(a.At)}
		if a.StatusCode != 0 {
			code := a.StatusCode
			at.StatusCode = &code
		}
		if a.Error != "" {
			msg := a.Error
			at.Error = &msg
		}
		out.Attempts = append(out.Attempts, at)
	}
	return out
}

// DeliveryPage is the body of GET /webhooks/{id}/deliveries.
type DeliveryPage = Page[Delivery]

// NewDeliveryPage represents one page of deliveries.
func NewDeliveryPage(page serviceaccount.DeliveryPage) DeliveryPage {
	return newPage(page.Items, page.NextCursor, NewDelivery)
}
