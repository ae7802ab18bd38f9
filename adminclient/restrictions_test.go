package adminclient_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/adminclient"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
)

func TestRestrictionsAndMetadataThroughTheClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client

	a, err := c.CreateAccount(ctx, adminclient.AccountInput{Label: "ci", Metadata: &metadata.Map{"environment": "staging"}})
	require.NoError(t, err)
	assert.Equal(t, metadata.Map{"environment": "staging"}, a.Metadata)
	a, _, err = c.UpdateAccount(ctx, a.ID, adminclient.AccountInput{Label: "ci2"})
	require.NoError(t, err)
	assert.Equal(t, metadata.Map{"environment": "staging"}, a.Metadata, "PUT without metadata keeps it")
	a, _, err = c.PatchAccount(ctx, a.ID, adminclient.AccountPatch{Metadata: new(metadata.Map)})
	require.NoError(t, err)
	assert.Nil(t, a.Metadata, "a pointer to nil clears it")

	scope := adminclient.Scope{ResourceType: "study", ResourceKey: "s", Action: "get-reports"}
	k, err := c.CreateKey(ctx, a.ID, adminclient.KeyInput{
		Scopes: []adminclient.Scope{scope}, AllowedCIDRs: []string{"10.1.2.3"},
		RateLimit: &adminclient.RateLimit{Limit: 10, PeriodSeconds: 60}, Metadata: metadata.Map{"tier": 1},
	})
	require.NoError(t, err)
	assert.Equal(t, []adminclient.Scope{scope}, k.Scopes)
	assert.Equal(t, []string{"10.1.2.3/32"}, k.AllowedCIDRs)
	assert.Equal(t, &adminclient.RateLimit{Limit: 10, PeriodSeconds: 60}, k.RateLimit)
	assert.Equal(t, metadata.Map{"tier": float64(1)}, k.Metadata)

	var noLimit *adminclient.RateLimit
	patched, _, err := c.PatchKey(ctx, a.ID, k.ID, adminclient.KeyPatch{Restrictions: adminclient.Restrictions{
		RateLimit: &noLimit, AllowedCIDRs: &[]string{"192.0.2.0/24"},
	}})
	require.NoError(t, err)
	assert.Nil(t, patched.RateLimit, "removed")
	assert.Equal(t, []string{"192.0.2.0/24"}, patched.AllowedCIDRs)
	assert.Equal(t, k.Scopes, patched.Scopes, "kept")

	rotated, err := c.RotateKey(ctx, a.ID, k.ID, adminclient.RotateInput{Restrictions: adminclient.Restrictions{Scopes: new([]adminclient.Scope)}})
	require.NoError(t, err)
	assert.Nil(t, rotated.Created.Scopes, "removed on the new key")
	assert.Equal(t, patched.AllowedCIDRs, rotated.Created.AllowedCIDRs, "copied")

	_, err = c.CreateKey(ctx, a.ID, adminclient.KeyInput{AllowedCIDRs: []string{"10.0.0.1/8"}})
	var apiErr *adminclient.Error
	require.ErrorAs(t, err, &apiErr)
	require.NotEmpty(t, apiErr.Fields)
	assert.Equal(t, "allowedCidrs[0]", apiErr.Fields[0].Field)
}
