package adminclient_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/adminclient"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
)

func ptr[T any](v T) *T { return &v }

func TestAccountMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client

	created, err := c.CreateAccount(ctx, adminclient.AccountInput{Label: "nightly export", Description: "to the warehouse"})
	require.NoError(t, err)
	assert.Equal(t, "nightly export", created.Label)
	assert.Equal(t, start, created.CreatedAt)

	got, etag, err := c.GetAccount(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, created, got)
	require.NotEmpty(t, etag)

	e.clock.Advance(time.Minute)
	updated, etag2, err := c.UpdateAccount(ctx, created.ID, adminclient.AccountInput{Label: "export"}, adminclient.IfMatch(etag))
	require.NoError(t, err)
	assert.Equal(t, "export", updated.Label)
	assert.Empty(t, updated.Description, "PUT replaces both fields")
	assert.NotEqual(t, etag, etag2)

	patched, etag3, err := c.PatchAccount(ctx, created.ID, adminclient.AccountPatch{Disabled: ptr(true)}, adminclient.IfMatch(etag2))
	require.NoError(t, err)
	require.NotNil(t, patched.DisabledAt)
	assert.Equal(t, "export", patched.Label)
	assert.Equal(t, start.Add(time.Minute), *patched.DisabledAt)

	page, err := c.ListAccounts(ctx, adminclient.ListParams{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, patched, page.Items[0])
	assert.Nil(t, page.NextCursor)

	// A stale ETag is refused, and the account stays.
	err = c.DeleteAccount(ctx, created.ID, adminclient.IfMatch(etag))
	require.ErrorIs(t, err, adminclient.ErrPreconditionFailed)
	require.NoError(t, c.DeleteAccount(ctx, created.ID, adminclient.IfMatch(etag3)))
	_, _, err = c.GetAccount(ctx, created.ID)
	require.ErrorIs(t, err, adminclient.ErrNotFound)
}

func TestKeyMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	account, err := c.CreateAccount(ctx, adminclient.AccountInput{Label: "ci"})
	require.NoError(t, err)

	expires := start.Add(72 * time.Hour)
	created, err := c.CreateKey(ctx, account.ID, adminclient.KeyInput{Name: "deploy", ExpiresAt: &expires})
	require.NoError(t, err)
	require.NotEmpty(t, created.Plaintext, "the plaintext, this once")
	assert.NotEmpty(t, created.Hint)
	assert.NotContains(t, created.Hint, created.Plaintext)
	assert.Equal(t, "deploy", created.Name)
	require.NotNil(t, created.ExpiresAt)
	assert.Equal(t, expires, *created.ExpiresAt)
	noExpiry, err := c.CreateKey(ctx, account.ID, adminclient.KeyInput{})
	require.NoError(t, err)
	assert.Nil(t, noExpiry.ExpiresAt)

	got, etag, err := c.GetKey(ctx, account.ID, created.ID)
	require.NoError(t, err)
	assert.Equal(t, created.Key, got)
	require.NotEmpty(t, etag)

	renamed, etag2, err := c.PatchKey(ctx, account.ID, created.ID, adminclient.KeyPatch{Name: ptr("deploy-2")}, adminclient.IfMatch(etag))
	require.NoError(t, err)
	assert.Equal(t, "deploy-2", renamed.Name)
	assert.NotEqual(t, etag, etag2)

	list, err := c.ListKeys(ctx, account.ID, adminclient.ListParams{Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, []adminclient.Key{renamed, noExpiry.Key}, list.Items)

	// The hygiene list: only the key expiring within 7 days.
	expiring, err := c.ListAllKeys(ctx, adminclient.AllKeysParams{ExpiresWithinDays: ptr(7)})
	require.NoError(t, err)
	require.Len(t, expiring.Items, 1)
	assert.Equal(t, created.ID, expiring.Items[0].ID)
	e.clock.Advance(time.Minute)
	unused, err := c.ListAllKeys(ctx, adminclient.AllKeysParams{UnusedForDays: ptr(0)})
	require.NoError(t, err)
	assert.Len(t, unused.Items, 2, "never used keys created more than 0 days ago")

	rotated, err := c.RotateKey(ctx, account.ID, noExpiry.ID, adminclient.RotateInput{GracePeriodSeconds: ptr(int64(60))})
	require.NoError(t, err)
	require.NotEmpty(t, rotated.Created.Plaintext)
	assert.NotEqual(t, noExpiry.Plaintext, rotated.Created.Plaintext)
	require.NotNil(t, rotated.Previous.ReplacedBy)
	assert.Equal(t, rotated.Created.ID, *rotated.Previous.ReplacedBy)
	require.NotNil(t, rotated.Previous.ExpiresAt)
	assert.Equal(t, start.Add(2*time.Minute), *rotated.Previous.ExpiresAt)

	require.ErrorIs(t, c.DeleteKey(ctx, account.ID, created.ID, adminclient.IfMatch(etag)), adminclient.ErrPreconditionFailed)
	require.NoError(t, c.DeleteKey(ctx, account.ID, created.ID, adminclient.IfMatch(etag2)))
	_, _, err = c.GetKey(ctx, account.ID, created.ID)
	require.ErrorIs(t, err, adminclient.ErrNotFound)
}

func TestPermissionMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	account, err := c.CreateAccount(ctx, adminclient.AccountInput{Label: "reports"})
	require.NoError(t, err)

	in := adminclient.PermissionInput{ResourceType: "study", ResourceKey: "s1", Action: "get-responses",
		Limiter: limiter.MustParse(`[{"surveyKey":["s2","s1"]}]`)}
	granted, err := c.GrantPermission(ctx, account.ID, in)
	require.NoError(t, err)
	assert.Equal(t, "study", granted.ResourceType)
	require.NotNil(t, granted.Limiter)
	l, err := json.Marshal(granted.Limiter)
	require.NoError(t, err)
	assert.JSONEq(t, `[{"surveyKey":["s2","s1"]}]`, string(l))

	_, err = c.GrantPermission(ctx, account.ID, in)
	require.ErrorIs(t, err, adminclient.ErrConflict, "the same grant twice")

	open, err := c.GrantPermission(ctx, account.ID, adminclient.PermissionInput{ResourceType: "users", ResourceKey: "*", Action: "delete-users"})
	require.NoError(t, err)
	assert.Nil(t, open.Limiter)

	got, etag, err := c.GetPermission(ctx, account.ID, granted.ID)
	require.NoError(t, err)
	assert.Equal(t, granted, got)

	unlimited, etag2, err := c.SetLimiter(ctx, account.ID, granted.ID, nil, adminclient.IfMatch(etag))
	require.NoError(t, err)
	assert.Nil(t, unlimited.Limiter)
	assert.NotEqual(t, etag, etag2)
	_, _, err = c.SetLimiter(ctx, account.ID, granted.ID, limiter.MustParse(`[{"surveyKey":"intake"}]`), adminclient.IfMatch(etag))
	require.ErrorIs(t, err, adminclient.ErrPreconditionFailed)

	page, err := c.ListPermissions(ctx, account.ID, adminclient.ListParams{})
	require.NoError(t, err)
	assert.Equal(t, []adminclient.Permission{unlimited, open}, page.Items)

	require.NoError(t, c.RevokePermission(ctx, account.ID, granted.ID, adminclient.IfMatch(etag2)))
	require.ErrorIs(t, c.RevokePermission(ctx, account.ID, granted.ID), adminclient.ErrNotFound)
}

func TestCatalogPolicyDocumentAndAudit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client

	catalog, err := c.Catalog(ctx)
	require.NoError(t, err)
	var ids []string
	for _, rt := range catalog.ResourceTypes {
		ids = append(ids, rt.ID)
	}
	assert.Contains(t, ids, "study")

	policy, err := c.Policy(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(7*86400), policy.MaxRotationGraceSeconds, "the default policy")

	doc, err := c.OpenAPIDocument(ctx)
	require.NoError(t, err)
	var head struct{ OpenAPI string }
	require.NoError(t, json.Unmarshal(doc, &head))
	assert.True(t, strings.HasPrefix(head.OpenAPI, "3.1"), head.OpenAPI)

	a, err := c.CreateAccount(ctx, adminclient.AccountInput{Label: "a"})
	require.NoError(t, err)
	e.clock.Advance(time.Hour)
	b, err := c.CreateAccount(ctx, adminclient.AccountInput{Label: "b"})
	require.NoError(t, err)
	_, _, err = c.PatchAccount(ctx, b.ID, adminclient.AccountPatch{Label: ptr("b2")})
	require.NoError(t, err)

	events, err := c.ListAuditEvents(ctx, adminclient.AuditParams{ServiceAccountID: b.ID})
	require.NoError(t, err)
	require.Len(t, events.Items, 2)
	assert.Equal(t, "account.update", events.Items[0].Action, "newest first")
	assert.Equal(t, "account.create", events.Items[1].Action)
	require.NotNil(t, events.Items[0].Actor)
	assert.Equal(t, "admin-token", events.Items[0].Actor.ID)
	assert.Equal(t, adminclient.DefaultUserAgent, events.Items[0].Actor.UserAgent)

	byAction, err := c.ListAuditEvents(ctx, adminclient.AuditParams{Action: "account.create", ActorID: "admin-token"})
	require.NoError(t, err)
	require.Len(t, byAction.Items, 2)

	since := start.Add(30 * time.Minute)
	later, err := c.ListAuditEvents(ctx, adminclient.AuditParams{Action: "account.create", Since: &since})
	require.NoError(t, err)
	require.Len(t, later.Items, 1)
	assert.Equal(t, b.ID, later.Items[0].ServiceAccountID)
	earlier, err := c.ListAuditEvents(ctx, adminclient.AuditParams{Until: &since})
	require.NoError(t, err)
	require.Len(t, earlier.Items, 1)
	assert.Equal(t, a.ID, earlier.Items[0].ServiceAccountID)
}
