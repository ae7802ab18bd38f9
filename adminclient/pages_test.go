package adminclient_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/adminclient"
)

// collect drains seq, failing on an error.
func collect[T any](t *testing.T, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

func TestIteratorsWalkEveryPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client

	var accounts []adminclient.Account
	for i := range 7 {
		a, err := c.CreateAccount(ctx, adminclient.AccountInput{Label: fmt.Sprintf("account %d", i)})
		require.NoError(t, err)
		accounts = append(accounts, a)
		e.clock.Advance(time.Second)
	}
	first, err := c.ListAccounts(ctx, adminclient.ListParams{Limit: 3})
	require.NoError(t, err)
	require.Len(t, first.Items, 3)
	require.NotNil(t, first.NextCursor, "7 accounts do not fit pages of 3")
	assert.Equal(t, accounts, collect(t, c.Accounts(ctx, 3)), "creation order, across 3 pages")

	owner := accounts[0].ID
	var keyIDs []string
	for i := range 5 {
		k, err := c.CreateKey(ctx, owner, adminclient.KeyInput{Name: fmt.Sprintf("k%d", i)})
		require.NoError(t, err)
		keyIDs = append(keyIDs, k.ID)
	}
	var got []string
	for _, k := range collect(t, c.Keys(ctx, owner, 2)) {
		got = append(got, k.ID)
	}
	assert.Equal(t, keyIDs, got)
	assert.Len(t, collect(t, c.AllKeys(ctx, adminclient.AllKeysParams{ListParams: adminclient.ListParams{Limit: 2}})), 5)
	// A filter holds on every page.
	e.clock.Advance(48 * time.Hour)
	assert.Len(t, collect(t, c.AllKeys(ctx, adminclient.AllKeysParams{UnusedForDays: ptr(1), ListParams: adminclient.ListParams{Limit: 2}})), 5)
	assert.Empty(t, collect(t, c.AllKeys(ctx, adminclient.AllKeysParams{UnusedForDays: ptr(3), ListParams: adminclient.ListParams{Limit: 2}})))

	for i := range 5 {
		_, err := c.GrantPermission(ctx, owner, adminclient.PermissionInput{ResourceType: "study", ResourceKey: fmt.Sprintf("s%d", i), Action: "get-responses"})
		require.NoError(t, err)
	}
	perms := collect(t, c.Permissions(ctx, owner, 2))
	require.Len(t, perms, 5)
	assert.Equal(t, "s4", perms[4].ResourceKey)

	// 7 accounts, 5 keys and 5 grants: 17 events, 5 of them key.create.
	assert.Len(t, collect(t, c.AuditEvents(ctx, adminclient.AuditParams{ListParams: adminclient.ListParams{Limit: 4}})), 17)
	keyEvents := collect(t, c.AuditEvents(ctx, adminclient.AuditParams{Action: "key.create", ListParams: adminclient.ListParams{Limit: 2}}))
	require.Len(t, keyEvents, 5)
	for _, ev := range keyEvents {
		assert.Equal(t, "key.create", ev.Action)
	}

	// Iterating again starts over; breaking out stops early.
	assert.Len(t, collect(t, c.Accounts(ctx, 3)), 7)
	n := 0
	for _, err := range c.Accounts(ctx, 3) {
		require.NoError(t, err)
		n++
		if n == 4 {
			break
		}
	}
	assert.Equal(t, 4, n)
}

func TestIteratorStopsOnError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	var n int
	for _, err := range e.client.Keys(ctx, "00000000-0000-4000-8000-000000000000", 0) {
		n++
		require.ErrorIs(t, err, adminclient.ErrNotFound)
	}
	assert.Equal(t, 1, n, "one error, then the end")
}

func TestIteratorRefusesACursorThatDoesNotAdvance(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"items":[],"nextCursor":"same"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := adminclient.New(srv.URL, adminclient.Config{Token: testToken})
	require.NoError(t, err)
	var last error
	for _, err := range c.Accounts(context.Background(), 0) {
		last = err
	}
	require.Error(t, last)
	assert.Contains(t, last.Error(), "same next cursor")
	assert.Equal(t, int32(2), requests.Load())
}
