package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
	"github.com/seed-c7fc2061/serviceaccounts/store/storetest"
)

// TestUpgradingKeepsEveryRow starts from every schema but the newest (the
// database as each earlier release left it), writes accounts, keys (used,
// never used, expiring, expired) and permissions the way version 1 code
// does, and, from version 2's last schema on, an audit event and a
// change-log row as version 2 code wrote them, migrates to the newest
// schema and reads everything back through the store: every row lands in
// the tenant "default". It needs no change when a migration is added: each new one is
// both a starting point and a step of every older start.
func TestUpgradingKeepsEveryRow(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		names, err := migrationNames(sqltest.Open(t, url))
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(names), 2)
		for _, from := range names[:len(names)-1] {
			t.Run("from"+from, func(t *testing.T) {
				db := sqltest.Open(t, url)
				if d.name == "sqlite" {
					db = sqltest.Open(t, sqltest.SQLiteURL(t))
				}
				prefix := sqltest.UniquePrefix()
				opt := sqlstore.WithTablePrefix(prefix)
				require.NoError(t, sqlstore.Migrate(t.Context(), db, opt, migrateUntil(from)))
				t.Cleanup(func() { require.NoError(t, sqlstore.DropTables(context.Background(), db, opt)) })
				s, err := sqlstore.New(db, opt)
				require.NoError(t, err)
				t.Cleanup(func() { s.Close() })

				old := oldData(t)
				require.NoError(t, insertV1(s, t.Context(), old.accounts, old.keys, old.perms))
				if from >= v2Schema {
					old.v2 = &v2Rows{
						event: store.AuditEvent{
							ID: newID(t), OccurredAt: base, Action: store.ActionKeyDelete, Actor: &store.Actor{ID: "admin-token"},
							ServiceAccountID: old.accounts[0].ID, Details: []byte(`{"before":{"id":"x"},"after":null}`),
						},
						change: store.ChangeRecordParams{AccountID: old.accounts[1].ID, RecordedAt: base},
					}
					require.NoError(t, insertV2(s, t.Context(), old.v2.event, old.v2.change))
				}

				require.NoError(t, sqlstore.Migrate(t.Context(), db, opt))
				old.requireIntact(t, s)
			})
		}
	})
}

// v2Schema is the last schema of version 2 (its change log).
const v2Schema = "20261128000004"

// v2Rows are rows of the tables version 2 added, as its code wrote them.
type v2Rows struct {
	event  store.AuditEvent
	change store.ChangeRecordParams
}

type upgradeData struct {
	v2       *v2Rows // nil when the schema started from predates them
	accounts []serviceaccount.Account
	keys     []apikey.Key
	perms    []permission.Permission
	// kept are the permissions that survive: identical grants stored
	// twice by version 1 (it checked for them with a racy read) become one.
	kept map[uuid.UUID][]uuid.UUID
}

func oldData(t *testing.T) upgradeData {
	at := func(d time.Duration) *time.Time { v := base.Add(d); return &v }
	var u upgradeData
	for _, label := range []string{"pipeline 😀", "CI ü", "no keys, no permissions"} {
		u.accounts = append(u.accounts, serviceaccount.Account{ID: newID(t), Label: label, Description: "about " + label, CreatedAt: base, UpdatedAt: base.Add(time.Minute)})
	}
	a, b := u.accounts[0].ID, u.accounts[1].ID
	for i, k := range []struct {
		account           uuid.UUID
		lastUsed, expires *time.Time
	}{
		{a, at(time.Hour), nil},                       // used, never expires
		{a, nil, at(30 * 24 * time.Hour)},             // never used, expiring
		{a, at(2 * time.Hour), at(-time.Hour)},        // used, expired
		{b, at(90 * time.Minute), at(24 * time.Hour)}, // used, expiring
	} {
		u.keys = append(u.keys, apikey.Key{ID: newID(t), AccountID: k.account, Hash: seedHash(-100 - i), Hint: "sa_AbCd…wxy" + string(rune('a'+i)), CreatedAt: base, LastUsedAt: k.lastUsed, ExpiresAt: k.expires})
	}
	perm := func(account uuid.UUID, key, action, lim string) permission.Permission {
		p := permission.Permission{ID: newID(t), AccountID: account, ResourceType: "study", ResourceKey: key, Action: action, CreatedAt: base}
		if lim != "" {
			p.Limiter = limiter.MustParse(lim)
		}
		return p
	}
	u.perms = []permission.Permission{
		perm(a, "s1", "get-responses", `[{"surveyKey":["intake","weekly"]}]`),
		perm(a, "s1", "get-reports", `[{"reportKey":"r1"}]`),
		perm(a, "s1", "get-reports", `[{"reportKey":["r1"]}]`), // the same grant again
		perm(a, "*", "*", ""),
		perm(b, "s1", "get-reports", `[{"reportKey":"r1"}]`), // the same grant on another account
	}
	p := u.perms
	u.kept = map[uuid.UUID][]uuid.UUID{
		a: {p[0].ID, p[1].ID, p[3].ID},
		b: {p[4].ID},
	}
	return u
}

func (u upgradeData) requireIntact(t *testing.T, s *sqlstore.Store) {
	t.Helper()
	accounts, err := s.AccountList(t.Context(), store.DefaultTenant, uuid.Nil, 10)
	require.NoError(t, err)
	require.Len(t, accounts, len(u.accounts))
	for i, a := range u.accounts {
		require.Equal(t, a.ID, accounts[i].ID)
		require.Equal(t, a.Label, accounts[i].Label)
		require.Equal(t, a.Description, accounts[i].Description)
		require.True(t, a.CreatedAt.Equal(accounts[i].CreatedAt))
		require.True(t, a.UpdatedAt.Equal(accounts[i].UpdatedAt))
		require.Nil(t, accounts[i].DisabledAt, "an upgraded account is enabled")
		require.Equal(t, store.DefaultTenant, accounts[i].Tenant)
		require.Nil(t, accounts[i].Metadata, "an upgraded account has no metadata")
	}
	for _, other := range []string{"acme"} {
		none, err := s.AccountList(t.Context(), other, uuid.Nil, 10)
		require.NoError(t, err)
		require.Empty(t, none)
	}
	tenants, err := s.TenantList(t.Context(), "", 10)
	require.NoError(t, err)
	require.Equal(t, []store.TenantSummary{{ID: store.DefaultTenant, AccountCount: len(u.accounts)}}, tenants)
	for _, want := range u.keys {
		c, err := s.KeyByHash(t.Context(), want.Hash)
		require.NoError(t, err)
		got := c.Key
		require.Equal(t, want.ID, got.ID)
		require.Equal(t, want.AccountID, got.AccountID)
		require.Equal(t, want.Hint, got.Hint)
		require.True(t, want.CreatedAt.Equal(got.CreatedAt))
		requireSameTime(t, want.LastUsedAt, got.LastUsedAt)
		requireSameTime(t, want.ExpiresAt, got.ExpiresAt)
		require.Empty(t, got.Name, "an upgraded key has no name")
		require.Nil(t, got.DisabledAt, "an upgraded key is enabled")
		require.Nil(t, got.ReplacedBy)
		require.Equal(t, store.DefaultTenant, c.Account.Tenant)
		keys, err := s.KeyList(t.Context(), store.DefaultTenant, want.AccountID)
		require.NoError(t, err)
		require.Contains(t, keyIDsOf(keys), want.ID)
		require.Nil(t, got.Scopes, "an upgraded key is not restricted")
		require.Nil(t, got.AllowedCIDRs, "an upgraded key is not restricted")
		require.Nil(t, got.RateLimit, "an upgraded key is not restricted")
		require.Nil(t, got.Metadata, "an upgraded key has no metadata")
		require.Nil(t, c.Account.Metadata)
	}
	for _, a := range u.accounts {
		perms, err := s.PermissionList(t.Context(), store.DefaultTenant, a.ID)
		require.NoError(t, err)
		var ids []uuid.UUID
		for _, p := range perms {
			ids = append(ids, p.ID)
			for _, old := range u.perms {
				if old.ID == p.ID {
					require.True(t, old.Limiter.Equal(p.Limiter), "limiter of %s", p.ID)
					require.Equal(t, old.Action, p.Action)
				}
			}
		}
		require.Equal(t, u.kept[a.ID], ids, "permissions of %s", a.Label)
	}
	// The upgraded rows obey the new rules: the grant keys were filled in.
	dup := u.perms[1]
	dup.ID = newID(t)
	require.ErrorIs(t, storetest.Autocommit{Store: s}.PermissionCreate(t.Context(), store.DefaultTenant, dup), store.ErrConflict)
	// The audit log works on the upgraded database: version 2's event is
	// in the default tenant, and a new one joins it.
	events, err := s.AuditList(t.Context(), store.AuditListParams{Tenant: store.DefaultTenant, Limit: 10})
	require.NoError(t, err)
	var before int64
	if u.v2 != nil {
		require.Len(t, events, 1)
		require.Equal(t, u.v2.event.ID, events[0].ID)
		require.Equal(t, store.DefaultTenant, events[0].Tenant)
		require.Equal(t, *u.v2.event.Actor, *events[0].Actor)
		require.JSONEq(t, string(u.v2.event.Details), string(events[0].Details))
		before = 1
	} else {
		require.Empty(t, events)
	}
	e := serviceaccount.AuditEvent{ID: newID(t), OccurredAt: base, Action: store.ActionAccountUpdate,
		ServiceAccountID: u.accounts[0].ID, Details: []byte(`{"before":null,"after":null}`)}
	require.NoError(t, storetest.Autocommit{Store: s}.AuditAppend(t.Context(), store.DefaultTenant, e))
	events, err = s.AuditList(t.Context(), store.AuditListParams{Tenant: store.DefaultTenant, ServiceAccountID: u.accounts[0].ID, Limit: 10})
	require.NoError(t, err)
	require.Len(t, events, 1+int(before))
	events, err = s.AuditList(t.Context(), store.AuditListParams{Tenant: "acme", Limit: 10})
	require.NoError(t, err)
	require.Empty(t, events)
	// So does the change log, after version 2's row (an account change
	// in the default tenant), or from id 1.
	head, err := s.ChangeHead(t.Context())
	require.NoError(t, err)
	require.Equal(t, before, head)
	require.NoError(t, s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		return tx.ChangeRecord(ctx, store.DefaultTenant, store.ChangeRecordParams{AccountID: u.accounts[0].ID, RecordedAt: base})
	}))
	page, err := s.ChangeList(t.Context(), store.ChangeListParams{Limit: 10})
	require.NoError(t, err)
	require.Len(t, page.Changes, 1+int(before))
	if u.v2 != nil {
		c := page.Changes[0]
		require.Equal(t, store.RecordedChange{ID: 1, Kind: store.ChangeAccount, Tenant: store.DefaultTenant, AccountID: u.v2.change.AccountID},
			store.RecordedChange{ID: c.ID, Kind: c.Kind, Tenant: c.Tenant, AccountID: c.AccountID})
	}
	require.EqualValues(t, 1+before, page.Changes[len(page.Changes)-1].ID)
	// And the policy tables start empty.
	require.NoError(t, s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.PolicyDefaultGet(ctx)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = tx.PolicyGet(ctx, store.DefaultTenant)
		require.ErrorIs(t, err, store.ErrNotFound)
		return nil
	}))
}

func keyIDsOf(keys []apikey.Key) []uuid.UUID {
	ids := make([]uuid.UUID, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return ids
}

func requireSameTime(t *testing.T, want, got *time.Time) {
	t.Helper()
	if want == nil {
		require.Nil(t, got)
		return
	}
	require.NotNil(t, got)
	require.True(t, want.Equal(*got), "want %s, got %s", want, got)
}
