package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// NewStore returns an empty store for one subtest.
type NewStore func(t *testing.T) store.Store

// Run runs the whole suite against the stores newStore makes.
func Run(t *testing.T, newStore NewStore) {
	t.Helper()
	t.Run("Accounts", func(t *testing.T) { t.Parallel(); runAccounts(t, newStore) })
	t.Run("Keys", func(t *testing.T) { t.Parallel(); runKeys(t, newStore) })
	t.Run("Permissions", func(t *testing.T) { t.Parallel(); runPermissions(t, newStore) })
	t.Run("Audit", func(t *testing.T) { t.Parallel(); runAudit(t, newStore) })
	t.Run("Concurrency", func(t *testing.T) { t.Parallel(); runConcurrency(t, newStore) })
	t.Run("Transactions", func(t *testing.T) { t.Parallel(); runTransactions(t, newStore) })
	t.Run("Lifecycle", func(t *testing.T) { t.Parallel(); runKeyState(t, newStore) })
	t.Run("ListAllKeys", func(t *testing.T) { t.Parallel(); runListAllKeys(t, newStore) })
	t.Run("Changes", func(t *testing.T) { t.Parallel(); runChanges(t, newStore) })
	t.Run("Webhooks", func(t *testing.T) { t.Parallel(); runWebhooks(t, newStore) })
	t.Run("Tenants", func(t *testing.T) { t.Parallel(); runTenants(t, newStore) })
	t.Run("Restrictions", func(t *testing.T) { t.Parallel(); runRestrictions(t, newStore) })
}

// subtests runs each case in parallel on a fresh fixture.
func subtests(t *testing.T, newStore NewStore, cases map[string]func(t *testing.T, f *fixture)) {
	t.Helper()
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			fn(t, &fixture{t: t, ctx: t.Context(), s: s, w: Autocommit{s}})
		})
	}
}

// base is the fixture's "now": fixed, UTC, microsecond precision.
var base = time.Date(2026, 11, 25, 10, 30, 0, 123456000, time.UTC)

// precision is what the contract guarantees for stored times.
const precision = time.Microsecond

type fixture struct {
	t   *testing.T
	ctx context.Context
	s   store.Store
	w   Autocommit // s's writes, each in a transaction of its own
}

func newID(t *testing.T) uuid.UUID {
	id, err := uuid.NewV7()
	require.NoError(t, err)
	return id
}

func (f *fixture) account(label string) store.Account {
	f.t.Helper()
	a := store.Account{
		ID: newID(f.t), Label: label, Description: "about " + label,
		CreatedAt: base, UpdatedAt: base,
	}
	require.NoError(f.t, f.w.AccountCreate(f.ctx, store.DefaultTenant, a))
	return a
}

// newKey makes a key record without a *testing.T, for goroutines, which
// must not call require (FailNow ends only the goroutine that calls it).
func newKey(accountID uuid.UUID) (apikey.Key, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return apikey.Key{}, err
	}
	plaintext, err := apikey.Generate(apikey.DefaultPrefix)
	if err != nil {
		return apikey.Key{}, err
	}
	return apikey.Key{ID: id, AccountID: accountID, Hash: apikey.HashKey(plaintext), Hint: apikey.Hint(plaintext), CreatedAt: base}, nil
}

// keyRecord makes, without storing it, a key of account and returns the
// record and its plaintext.
func (f *fixture) keyRecord(accountID uuid.UUID) (apikey.Key, string) {
	f.t.Helper()
	plaintext, err := apikey.Generate(apikey.DefaultPrefix)
	require.NoError(f.t, err)
	return apikey.Key{
		ID: newID(f.t), AccountID: accountID,
		Hash: apikey.HashKey(plaintext), Hint: apikey.Hint(plaintext),
		CreatedAt: base,
	}, plaintext
}

// key stores a new key of account and returns the record and its plaintext.
func (f *fixture) key(accountID uuid.UUID, expiresAt *time.Time) (apikey.Key, string) {
	f.t.Helper()
	k, plaintext := f.keyRecord(accountID)
	k.ExpiresAt = expiresAt
	require.NoError(f.t, f.w.KeyCreate(f.ctx, store.DefaultTenant, k))
	return k, plaintext
}

func (f *fixture) permission(accountID uuid.UUID, resourceType, resourceKey, action, limiterJSON string) permission.Permission {
	f.t.Helper()
	p := permission.Permission{
		ID: newID(f.t), AccountID: accountID,
		ResourceType: resourceType, ResourceKey: resourceKey, Action: action,
		CreatedAt: base,
	}
	if limiterJSON != "" {
		p.Limiter = limiter.MustParse(limiterJSON)
	}
	require.NoError(f.t, f.w.PermissionCreate(f.ctx, store.DefaultTenant, p))
	return p
}

func requireTime(t *testing.T, want, got time.Time) {
	t.Helper()
	require.Equal(t, time.UTC, got.Location(), "times come back in UTC")
	require.WithinDuration(t, want, got, precision)
}

func requireTimePtr(t *testing.T, want, got *time.Time) {
	t.Helper()
	if want == nil {
		require.Nil(t, got)
		return
	}
	require.NotNil(t, got)
	requireTime(t, *want, *got)
}

func requireAccount(t *testing.T, want, got store.Account) {
	t.Helper()
	require.Equal(t, want.ID, got.ID)
	require.Equal(t, want.Label, got.Label)
	require.Equal(t, want.Description, got.Description)
	requireTime(t, want.CreatedAt, got.CreatedAt)
	requireTime(t, want.UpdatedAt, got.UpdatedAt)
	requireTimePtr(t, want.DisabledAt, got.DisabledAt)
	require.Equal(t, metadata.Normalize(want.Metadata), got.Metadata, "metadata")
}

func requireKey(t *testing.T, want, got apikey.Key) {
	t.Helper()
	require.Equal(t, want.ID, got.ID)
	require.Equal(t, want.AccountID, got.AccountID)
	require.True(t, want.Hash == got.Hash, "hash round-trips")
	require.Equal(t, want.Hint, got.Hint)
	requireTime(t, want.CreatedAt, got.CreatedAt)
	requireTimePtr(t, want.LastUsedAt, got.LastUsedAt)
	requireTimePtr(t, want.ExpiresAt, got.ExpiresAt)
	require.Equal(t, want.Name, got.Name)
	requireTimePtr(t, want.DisabledAt, got.DisabledAt)
	require.Equal(t, want.ReplacedBy, got.ReplacedBy)
	requireRestrictions(t, want, got)
}

func requirePermission(t *testing.T, want, got permission.Permission) {
	t.Helper()
	require.Equal(t, want.ID, got.ID)
	require.Equal(t, want.AccountID, got.AccountID)
	require.Equal(t, want.ResourceType, got.ResourceType)
	require.Equal(t, want.ResourceKey, got.ResourceKey)
	require.Equal(t, want.Action, got.Action)
	require.True(t, want.Limiter.Equal(got.Limiter), "limiter: want %s, got %s", want.Limiter, got.Limiter)
	requireTime(t, want.CreatedAt, got.CreatedAt)
}

func keyIDs(keys []apikey.Key) []uuid.UUID {
	ids := make([]uuid.UUID, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return ids
}

func permissionIDs(perms []permission.Permission) []uuid.UUID {
	ids := make([]uuid.UUID, len(perms))
	for i, p := range perms {
		ids[i] = p.ID
	}
	return ids
}

func accountIDs(accounts []store.Account) []uuid.UUID {
	ids := make([]uuid.UUID, len(accounts))
	for i, a := range accounts {
		ids[i] = a.ID
	}
	return ids
}

func ptr[T any](v T) *T { return &v }
