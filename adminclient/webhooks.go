package adminclient

import (
	"context"
	"net/http"
)

func webhookPath(id string, rest ...string) (string, error) {
	seg, err := segment("webhook", id)
	if err != nil {
		return "", err
	}
	path := "/webhooks/" + seg
	for _, r := range rest {
		path += r
	}
	return path, nil
}

// CreateWebhook creates a webhook; the answer holds its secret, which the
// API never shows again.
func (c *Client) CreateWebhook(ctx context.Context, in WebhookInput) (CreatedWebhook, error) {
	var out CreatedWebhook
	_, err := c.do(ctx, http.MethodPost, "/webhooks", nil, in, &out, nil)
	return out, err
}

// ListWebhooks returns one page of webhooks, in creation order.
func (c *Client) ListWebhooks(ctx context.Context, p ListParams) (WebhookPage, error) {
	var out WebhookPage
	_, err := c.do(ctx, http.MethodGet, "/webhooks", pageQuery(p), nil, &out, nil)
	return out, err
}

// GetWebhook returns a webhook (without its secret).
func (c *Client) GetWebhook(ctx context.Context, id string) (Webhook, error) {
	path, err := webhookPath(id)
	if err != nil {
		return Webhook{}, err
	}
	var out Webhook
	_, err = c.do(ctx, http.MethodGet, path, nil, nil, &out, nil)
	return out, err
}

// DeleteWebhook deletes a webhook and its deliveries.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	path, err := webhookPath(id)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodDelete, path, nil, nil, nil, nil)
	return err
}

// ListDeliveries returns one page of a webhook's deliveries, newest
// first, with their attempts.
func (c *Client) ListDeliveries(ctx context.Context, webhookID string, p ListParams) (DeliveryPage, error) {
	path, err := webhookPath(webhookID, "/deliveries")
	if err != nil {
		return DeliveryPage{}, err
	}
	var out DeliveryPage
	_, err = c.do(ctx, http.MethodGet, path, pageQuery(p), nil, &out, nil)
	return out, err
}
