package adminclient_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/adminclient"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

func TestTenantView(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()

	_, err := e.client.Tenant("Not A Tenant")
	require.ErrorIs(t, err, store.ErrInvalidTenant)

	acme, err := e.client.Tenant("acme")
	require.NoError(t, err)
	assert.Equal(t, "acme", acme.TenantID())
	assert.Empty(t, e.client.TenantID(), "the view is a copy")

	a, err := acme.CreateAccount(ctx, adminclient.AccountInput{Label: "acme export"})
	require.NoError(t, err)
	k, err := acme.CreateKey(ctx, a.ID, adminclient.KeyInput{})
	require.NoError(t, err)
	assert.Equal(t, "acme", k.Tenant)
	got, _, err := acme.GetKey(ctx, a.ID, k.ID)
	require.NoError(t, err)
	assert.Equal(t, "acme", got.Tenant)
	events, err := acme.ListAuditEvents(ctx, adminclient.AuditParams{})
	require.NoError(t, err)
	require.NotEmpty(t, events.Items)
	for _, ev := range events.Items {
		assert.Equal(t, "acme", ev.Tenant)
	}
	// The routes that are not a tenant's are served as the client's.
	_, err = acme.Catalog(ctx)
	require.NoError(t, err)
	_, err = acme.OpenAPIDocument(ctx)
	require.NoError(t, err)
}
