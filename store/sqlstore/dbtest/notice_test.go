package sqlstore_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// noticesMigration created the notice records and the scan's indexes.
const noticesMigration = "20261206000008"

// TestNoticeScanReadsOnlyKeysInANoticeWindowOnPostgres seeds many keys
// that need no notice (never expiring, recently used) and a few that do,
// and checks PostgreSQL's plan for both statements of the scan: an index
// on the keys, no sequential scan of them. A regression to a full scan
// would make every instance's minutely scan cost grow with all keys.
func TestNoticeScanReadsOnlyKeysInANoticeWindowOnPostgres(t *testing.T) {
	ctx := t.Context()
	s := newTestStore(t, sqltest.PostgresURL(t))
	accounts := make([]serviceaccount.Account, 20)
	for i := range accounts {
		accounts[i] = serviceaccount.Account{ID: newID(t), Label: "a", CreatedAt: base, UpdatedAt: base}
	}
	const keys = 20000
	expires := base.Add(3 * 24 * time.Hour)
	key := func(i int) apikey.Key {
		used := base.Add(-time.Hour)
		k := apikey.Key{ID: newID(t), AccountID: accounts[i%len(accounts)].ID, Hash: seedHash(i), Hint: "sa_x", CreatedAt: base.Add(-24 * time.Hour), LastUsedAt: &used}
		if i < 3 {
			k.ExpiresAt = &expires // these need a notice
		}
		return k
	}
	require.NoError(t, bulkInsert(s, ctx, accounts, keys, key, nil))
	_, keysTable, _ := tables(s)
	_, err := s.db.DB.ExecContext(ctx, "ANALYZE "+keysTable)
	require.NoError(t, err)
	_, err = s.db.DB.ExecContext(ctx, "ANALYZE "+s.prefix+"service_accounts")
	require.NoError(t, err)

	got, err := s.NoticeScan(ctx, store.NoticeScanParams{Now: base, Limit: 100})
	require.NoError(t, err)
	require.Len(t, got, 3)

	expiring, unused := noticeQueries(s)
	plan := func(query string, args ...any) string {
		rows, err := s.db.DB.QueryContext(ctx, "EXPLAIN "+query, args...)
		require.NoError(t, err)
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var line string
			require.NoError(t, rows.Scan(&line))
			lines = append(lines, line)
		}
		require.NoError(t, rows.Err())
		return strings.Join(lines, "\n")
	}
	day := 24 * time.Hour
	p := plan(expiring, base.Add(day), base.Add(7*day), base, base.Add(14*day), store.NoticeKeyExpiring, base.Add(day), base.Add(7*day), 500)
	t.Logf("key.expiring plan:\n%s", p)
	require.Contains(t, p, s.prefix+"service_account_keys_expires_idx")
	require.NotContains(t, p, "Seq Scan on "+keysTable)
	cutoff := base.Add(-90 * day)
	p = plan(unused, cutoff, cutoff, base, store.DefaultUnusedKeyDays, 90, store.NoticeKeyUnused, 500)
	t.Logf("key.unused plan:\n%s", p)
	require.Contains(t, p, s.prefix+"service_account_keys_use_idx")
	require.NotContains(t, p, "Seq Scan on "+keysTable)
}

// TestUpgradingToNoticesKeepsEveryRow migrates a database from just
// before the notices' migration, with keys in it, and scans: the old keys
// get their notices, and a record is once.
func TestUpgradingToNoticesKeepsEveryRow(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		db := sqltest.Open(t, url)
		if d.name == "sqlite" {
			db = sqltest.Open(t, sqltest.SQLiteURL(t))
		}
		names, err := migrationNames(db)
		require.NoError(t, err)
		i := slices.Index(names, noticesMigration)
		require.Positive(t, i, "the notices' migration exists and is not the first")
		prefix := sqltest.UniquePrefix()
		opt := sqlstore.WithTablePrefix(prefix)
		require.NoError(t, sqlstore.Migrate(t.Context(), db, opt, migrateUntil(names[i-1])))
		t.Cleanup(func() { require.NoError(t, sqlstore.DropTables(context.Background(), db, opt)) })
		s, err := sqlstore.New(db, opt)
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })

		_, err = s.NoticeScan(t.Context(), store.NoticeScanParams{Now: base, Limit: 10})
		require.Error(t, err, "no notices table before the migration")
		old := oldData(t)
		require.NoError(t, insertV1(s, t.Context(), old.accounts, old.keys, old.perms))

		require.NoError(t, sqlstore.Migrate(t.Context(), db, opt))
		old.requireIntact(t, s)

		got, err := s.NoticeScan(t.Context(), store.NoticeScanParams{Now: base, Limit: 10})
		require.NoError(t, err)
		require.Len(t, got, 1, "the key expiring in a day")
		c := got[0]
		require.Equal(t, old.keys[3].ID, c.KeyID)
		require.Equal(t, store.NoticeKeyExpiring, c.Kind)
		require.Equal(t, 1, c.WithinDays)
		require.Equal(t, store.DefaultTenant, c.Tenant)
		record := func() error {
			return s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
				return tx.NoticeRecord(ctx, store.Notice{Tenant: c.Tenant, AccountID: c.AccountID, KeyID: c.KeyID, Kind: c.Kind, WithinDays: 1, CreatedAt: base})
			})
		}
		require.NoError(t, record())
		require.ErrorIs(t, record(), store.ErrConflict)

		got, err = s.NoticeScan(t.Context(), store.NoticeScanParams{Now: base.Add(91 * 24 * time.Hour), Limit: 10})
		require.NoError(t, err)
		require.Len(t, got, 1, "the unexpired key unused for 90 days")
		require.Equal(t, old.keys[0].ID, got[0].KeyID)
		require.Equal(t, store.NoticeKeyUnused, got[0].Kind)
	})
}
