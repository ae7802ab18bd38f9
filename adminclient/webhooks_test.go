package adminclient_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/adminclient"
)

func TestWebhookMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client

	created, err := c.CreateWebhook(ctx, adminclient.WebhookInput{URL: "https://192.0.2.10/hook", Events: []string{"account.create"}, Description: "ops"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(created.Secret, "whsec_"))
	assert.Equal(t, start, created.CreatedAt)

	got, err := c.GetWebhook(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, created.Webhook, got)
	page, err := c.ListWebhooks(ctx, adminclient.ListParams{})
	require.NoError(t, err)
	assert.Equal(t, []adminclient.Webhook{got}, page.Items)

	_, err = c.CreateAccount(ctx, adminclient.AccountInput{Label: "x"})
	require.NoError(t, err)
	deliveries, err := c.ListDeliveries(ctx, created.ID, adminclient.ListParams{})
	require.NoError(t, err)
	require.Len(t, deliveries.Items, 1)
	d := deliveries.Items[0]
	assert.Equal(t, "account.create", d.EventType)
	assert.Equal(t, "pending", d.State)
	assert.Empty(t, d.Attempts)
	require.NotNil(t, d.NextAttemptAt)
	assert.Equal(t, start, *d.NextAttemptAt)

	_, err = c.CreateWebhook(ctx, adminclient.WebhookInput{URL: "http://127.0.0.1/x", Events: []string{"account.create"}})
	var verr *adminclient.Error
	require.ErrorAs(t, err, &verr)
	require.Len(t, verr.Fields, 1)
	assert.Equal(t, "url", verr.Fields[0].Field, "loopback is refused by default")

	require.NoError(t, c.DeleteWebhook(ctx, created.ID))
	_, err = c.GetWebhook(ctx, created.ID)
	require.ErrorIs(t, err, adminclient.ErrNotFound)
}
