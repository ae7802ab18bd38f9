package adminclient_test

import (
	"context"
	"strings"
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

	for _, id := range []string{"", "Not A Tenant", "-acme", "acme-", "a_b", strings.Repeat("a", 64)} {
		_, err := e.client.Tenant(id)
		require.ErrorIs(t, err, adminclient.ErrInvalidTenant, id)
		require.Equal(t, store.CheckTenant(id) == nil, err == nil, "the API's rule: %q", id)
	}
	for _, id := range []string{"a", "acme", "a-1", strings.Repeat("a", 63)} {
		_, err := e.client.Tenant(id)
		require.NoError(t, err, id)
	}

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
	// Every other route of a tenant, through the view.
	_, _, err = acme.GetAccount(ctx, a.ID)
	require.NoError(t, err)
	_, _, err = acme.UpdateAccount(ctx, a.ID, adminclient.AccountInput{Label: "acme export 2"})
	require.NoError(t, err)
	_, _, err = acme.PatchAccount(ctx, a.ID, adminclient.AccountPatch{Description: ptr("nightly")})
	require.NoError(t, err)
	accounts, err := acme.ListAccounts(ctx, adminclient.ListParams{})
	require.NoError(t, err)
	require.Len(t, accounts.Items, 1)
	_, _, err = acme.PatchKey(ctx, a.ID, k.ID, adminclient.KeyPatch{Name: ptr("ci")})
	require.NoError(t, err)
	rotated, err := acme.RotateKey(ctx, a.ID, k.ID, adminclient.RotateInput{})
	require.NoError(t, err)
	assert.Equal(t, "acme", rotated.Created.Tenant)
	keys, err := acme.ListKeys(ctx, a.ID, adminclient.ListParams{})
	require.NoError(t, err)
	all, err := acme.ListAllKeys(ctx, adminclient.AllKeysParams{})
	require.NoError(t, err)
	for _, k := range append(keys.Items, all.Items...) {
		assert.Equal(t, "acme", k.Tenant)
	}
	p, err := acme.GrantPermission(ctx, a.ID, adminclient.PermissionInput{ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses"})
	require.NoError(t, err)
	_, _, err = acme.GetPermission(ctx, a.ID, p.ID)
	require.NoError(t, err)
	_, _, err = acme.SetLimiter(ctx, a.ID, p.ID, nil)
	require.NoError(t, err)
	_, err = acme.ListPermissions(ctx, a.ID, adminclient.ListParams{})
	require.NoError(t, err)
	_, err = acme.Policy(ctx)
	require.NoError(t, err)
	require.NoError(t, acme.RevokePermission(ctx, a.ID, p.ID))
	require.NoError(t, acme.DeleteKey(ctx, a.ID, rotated.Created.ID))

	events, err := acme.ListAuditEvents(ctx, adminclient.AuditParams{})
	require.NoError(t, err)
	require.NotEmpty(t, events.Items)
	for _, ev := range events.Items {
		assert.Equal(t, "acme", ev.Tenant)
	}
	require.NoError(t, acme.DeleteAccount(ctx, a.ID))

	hook, err := acme.CreateWebhook(ctx, adminclient.WebhookInput{URL: "https://192.0.2.10/hook", Events: []string{"account.create"}})
	require.NoError(t, err)
	_, err = acme.GetWebhook(ctx, hook.ID)
	require.NoError(t, err)
	hooks, err := acme.ListWebhooks(ctx, adminclient.ListParams{})
	require.NoError(t, err)
	require.Len(t, hooks.Items, 1)
	_, err = acme.ListDeliveries(ctx, hook.ID, adminclient.ListParams{})
	require.NoError(t, err)
	_, err = e.client.GetWebhook(ctx, hook.ID)
	require.Error(t, err, "another tenant's webhook is not found")
	require.NoError(t, acme.DeleteWebhook(ctx, hook.ID))

	// The routes that are not a tenant's are served as the client's.
	_, err = acme.Catalog(ctx)
	require.NoError(t, err)
	_, err = acme.OpenAPIDocument(ctx)
	require.NoError(t, err)
}

func TestPolicyAndTenantMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	acme, err := e.client.Tenant("acme")
	require.NoError(t, err)

	p, err := acme.Policy(ctx)
	require.NoError(t, err)
	assert.False(t, p.Stored)
	stored, err := acme.SetPolicy(ctx, adminclient.PolicyInput{MaxKeysPerAccount: 1, MaxKeyLifetimeSeconds: 3600, DefaultKeyLifetimeSeconds: 600})
	require.NoError(t, err)
	assert.Equal(t, adminclient.StoredPolicy{Policy: adminclient.Policy{
		MaxKeysPerAccount: 1, MaxKeyLifetimeSeconds: 3600, DefaultKeyLifetimeSeconds: 600,
		LeakedKeyAction: "disable", UnusedKeyDays: 90,
	}, Stored: true}, stored)
	got, err := acme.Policy(ctx)
	require.NoError(t, err)
	assert.Equal(t, stored, got)

	// The default tenant's own, and the database-wide default.
	_, err = e.client.SetPolicy(ctx, adminclient.PolicyInput{MaxKeysPerAccount: 5})
	require.NoError(t, err)
	def, err := acme.SetDefaultPolicy(ctx, adminclient.PolicyInput{MaxKeysPerAccount: 2, LeakedKeyAction: "delete", UnusedKeyDays: ptr(0)})
	require.NoError(t, err)
	assert.Equal(t, adminclient.Policy{MaxKeysPerAccount: 2, LeakedKeyAction: "delete"}, def)
	again, err := e.client.DefaultPolicy(ctx)
	require.NoError(t, err)
	assert.Equal(t, def, again)
	_, err = e.client.SetPolicy(ctx, adminclient.PolicyInput{MaxKeysPerAccount: -1})
	require.ErrorIs(t, err, adminclient.ErrInvalidInput)

	_, err = acme.CreateAccount(ctx, adminclient.AccountInput{Label: "a"})
	require.NoError(t, err)
	page, err := acme.ListTenants(ctx, adminclient.ListParams{Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, []adminclient.TenantSummary{{ID: "acme", AccountCount: 1}}, page.Items)
	var ids []string
	for tn, err := range e.client.Tenants(ctx, 1) {
		require.NoError(t, err)
		ids = append(ids, tn.ID)
	}
	assert.Equal(t, []string{"acme", "default"}, ids, "default holds a stored policy")
}
