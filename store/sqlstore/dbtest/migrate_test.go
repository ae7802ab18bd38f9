package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
	"github.com/seed-c7fc2061/serviceaccounts/store/storetest"
)

// migrationFiles is the number of migrations embedded per dialect.
const migrationFiles = 7

func appliedMigrations(t *testing.T, s testStore) int {
	t.Helper()
	var n int
	require.NoError(t, s.db.DB.QueryRowContext(t.Context(), "SELECT count(*) FROM "+migrationTable(s)).Scan(&n))
	return n
}

func TestMigratingAgainChangesNothing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		s := newTestStore(t, url)
		a := createAccount(t, s)
		k := createKey(t, s, a.ID)
		for range 2 {
			require.NoError(t, s.Migrate(t.Context()))
		}
		c, err := s.KeyByHash(t.Context(), k.Hash)
		require.NoError(t, err)
		require.Equal(t, a.ID, c.Account.ID)
		require.Equal(t, migrationFiles, appliedMigrations(t, s))
	})
}

// TestConcurrentMigrationsLeaveOneCorrectSchema migrates one prefix from
// several pools at once, as several processes starting together would.
func TestConcurrentMigrationsLeaveOneCorrectSchema(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		prefix := sqltest.UniquePrefix()
		t.Cleanup(func() {
			require.NoError(t, sqlstore.DropTables(context.Background(), sqltest.Open(t, url), sqlstore.WithTablePrefix(prefix)))
		})
		const processes = 4
		pools := make([]*bun.DB, processes)
		for i := range pools {
			db, err := sqlstore.OpenDB(t.Context(), url)
			require.NoError(t, err)
			t.Cleanup(func() { db.Close() })
			pools[i] = db
		}
		start := make(chan struct{})
		errs := make(chan error, processes)
		var wg sync.WaitGroup
		for _, db := range pools {
			wg.Go(func() {
				<-start
				errs <- sqlstore.Migrate(t.Context(), db, sqlstore.WithTablePrefix(prefix))
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}

		st, err := sqlstore.New(pools[0], sqlstore.WithTablePrefix(prefix))
		require.NoError(t, err)
		s := testStore{Store: st, db: pools[0], prefix: prefix}
		require.Equal(t, migrationFiles, appliedMigrations(t, s))
		a := createAccount(t, s)
		k := createKey(t, s, a.ID)
		createPermission(t, s, a.ID)
		c, err := s.KeyByHash(t.Context(), k.Hash)
		require.NoError(t, err)
		require.Len(t, c.Permissions, 1)
		require.Equal(t, []string{"index(account_id,id)", "unique(hash)"}, indexes(t, d, s, "keys"))
	})
}

func TestTwoPrefixesInOneDatabaseAreIndependentStores(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		one := newTestStore(t, url)
		two := newTestStore(t, url)
		a := createAccount(t, one)
		k := createKey(t, one, a.ID)

		_, err := two.AccountGet(t.Context(), store.DefaultTenant, a.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = two.KeyByHash(t.Context(), k.Hash)
		require.ErrorIs(t, err, store.ErrNotFound)
		list, err := two.AccountList(t.Context(), store.DefaultTenant, uuid.Nil, 10)
		require.NoError(t, err)
		require.Empty(t, list)
		// The same key hash may exist under both prefixes: separate
		// unique indexes.
		b := createAccount(t, two)
		dup := k
		dup.AccountID = b.ID
		require.NoError(t, storetest.Autocommit{Store: two}.KeyCreate(t.Context(), store.DefaultTenant, dup))

		require.NoError(t, sqlstore.DropTables(t.Context(), two.db, sqlstore.WithTablePrefix(two.prefix)))
		c, err := one.KeyByHash(t.Context(), k.Hash)
		require.NoError(t, err, "dropping one prefix leaves the other")
		require.Equal(t, a.ID, c.Account.ID)
	})
}

func TestInvalidTablePrefixesAreRefused(t *testing.T) {
	db, err := sqlstore.OpenDB(t.Context(), "sqlite::memory:")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	for _, prefix := range []string{"App_", "1app_", "app-", "app ", "a;drop table x;", "é_", strings.Repeat("a", sqlstore.MaxTablePrefixLength+1)} {
		opt := sqlstore.WithTablePrefix(prefix)
		_, err := sqlstore.New(db, opt)
		require.Error(t, err, prefix)
		require.Error(t, sqlstore.Migrate(t.Context(), db, opt), prefix)
		require.Error(t, sqlstore.DropTables(t.Context(), db, opt), prefix)
	}
	for _, prefix := range []string{"", "a", "app_", "x1_", strings.Repeat("a", sqlstore.MaxTablePrefixLength)} {
		_, err := sqlstore.New(db, sqlstore.WithTablePrefix(prefix))
		require.NoError(t, err, prefix)
		require.NoError(t, sqlstore.Migrate(t.Context(), db, sqlstore.WithTablePrefix(prefix)), prefix)
	}
}

func TestTheSchemaHasTheDocumentedIndexes(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		s := newTestStore(t, url)
		require.Equal(t, []string{"index(account_id,id)", "unique(hash)"}, indexes(t, d, s, "keys"))
		require.Equal(t, []string{"index(account_id,id)", "unique(account_id,grant_key)"}, indexes(t, d, s, "permissions"))
		require.Equal(t, []string{
			"index(account_id,occurred_at,id)", "index(action,occurred_at,id)",
			"index(actor_id,occurred_at,id)", "index(occurred_at,id)",
			"index(tenant,action,occurred_at,id)", "index(tenant,actor_id,occurred_at,id)", "index(tenant,occurred_at,id)",
		}, indexes(t, d, s, "audit"), "one per filter, each in the listing's order, and per tenant")
		require.Equal(t, []string{"index(tenant,id)"}, indexes(t, d, s, "accounts"), "a tenant's list and count")
	})
}

// indexes lists the secondary indexes of one of the store's tables as
// "unique(cols)" or "index(cols)", sorted, leaving out the primary key.
func indexes(t *testing.T, d testDialect, s testStore, which string) []string {
	t.Helper()
	accounts, keys, permissions := tables(s)
	table := map[string]string{"accounts": accounts, "keys": keys, "permissions": permissions, "audit": auditTable(s)}[which]
	var query string
	switch d.name {
	case "postgres":
		query = `SELECT CASE WHEN ix.indisunique THEN 'unique' ELSE 'index' END,
	string_agg(a.attname, ',' ORDER BY k.ord)
FROM pg_index ix
JOIN pg_class c ON c.oid = ix.indrelid
CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace AND NOT ix.indisprimary
GROUP BY ix.indexrelid, ix.indisunique`
	case "mysql":
		query = `SELECT CASE WHEN NON_UNIQUE = 0 THEN 'unique' ELSE 'index' END,
	GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR ',')
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME <> 'PRIMARY'
GROUP BY INDEX_NAME, NON_UNIQUE`
	case "sqlite":
		query = `SELECT CASE WHEN l."unique" THEN 'unique' ELSE 'index' END, group_concat(i.name, ',')
FROM pragma_index_list(?) l, pragma_index_info(l.name) i
WHERE l.origin = 'c'
GROUP BY l.name`
	}
	rows, err := s.db.DB.QueryContext(t.Context(), query, table)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var kind, cols string
		require.NoError(t, rows.Scan(&kind, &cols))
		out = append(out, fmt.Sprintf("%s(%s)", kind, cols))
	}
	require.NoError(t, rows.Err())
	slices.Sort(out)
	return out
}

// TestMigrateRefusesAOneConnectionServerPool: the migration lock holds a
// connection, so on a one-connection pool Migrate would wait for ever.
func TestMigrateRefusesAOneConnectionServerPool(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		if d.name == "sqlite" {
			t.Skip("SQLite takes no migration lock; sqlite::memory: runs on one connection")
		}
		db, err := sqlstore.OpenDB(t.Context(), url)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		db.SetMaxOpenConns(1)
		err = sqlstore.Migrate(t.Context(), db, sqlstore.WithTablePrefix(sqltest.UniquePrefix()))
		require.ErrorContains(t, err, "needs two")
	})
}

func TestTheLongestPrefixFitsEveryDialectsNameLimit(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		prefix := "z" + strings.Repeat("9", sqlstore.MaxTablePrefixLength-2) + "_"
		migrateForTest(t, sqltest.Open(t, url), prefix)
		require.NoError(t, sqlstore.Migrate(t.Context(), sqltest.Open(t, url), sqlstore.WithTablePrefix(prefix)), "again")
		s, err := sqlstore.New(sqltest.Open(t, url), sqlstore.WithTablePrefix(prefix))
		require.NoError(t, err)
		a := createAccount(t, s)
		k := createKey(t, s, a.ID)
		_, err = s.KeyByHash(t.Context(), k.Hash)
		require.NoError(t, err)
	})
}

// TestAMigrationAppliedButNotRecordedRunsAgainCleanly: a process that dies
// after a migration's statements and before bun records it (or, on MySQL,
// between two statements, since each DDL statement commits on its own)
// leaves a schema that the next Migrate must finish, not fail on.
func TestAMigrationAppliedButNotRecordedRunsAgainCleanly(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		s := newTestStore(t, url)
		a := createAccount(t, s)
		createPermission(t, s, a.ID)
		q := "DELETE FROM " + migrationTable(s) + " WHERE name <> ?"
		if d.name == "postgres" {
			q = strings.Replace(q, "?", "$1", 1)
		}
		_, err := s.db.DB.ExecContext(t.Context(), q, "20260101000001")
		require.NoError(t, err)
		require.NoError(t, s.Migrate(t.Context()))
		require.Equal(t, migrationFiles, appliedMigrations(t, s))
		perms, err := s.PermissionList(t.Context(), store.DefaultTenant, a.ID)
		require.NoError(t, err)
		require.Len(t, perms, 1)
	})
}

func TestPendingMigrationsListsWhatMigrateWouldApplyAndWritesNothing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		db := sqltest.Open(t, url)
		prefix := sqltest.UniquePrefix()
		opt := sqlstore.WithTablePrefix(prefix)
		t.Cleanup(func() { require.NoError(t, sqlstore.DropTables(context.Background(), db, opt)) })

		pending, err := sqlstore.PendingMigrations(t.Context(), db, opt)
		require.NoError(t, err)
		require.Len(t, pending, migrationFiles)
		require.True(t, slices.IsSorted(pending))
		s, err := sqlstore.New(db, opt)
		require.NoError(t, err)
		_, err = s.AccountList(t.Context(), store.DefaultTenant, uuid.Nil, 1)
		require.Error(t, err, "PendingMigrations created the store's tables")

		// A version 1 database lacks every later migration.
		require.NoError(t, sqlstore.Migrate(t.Context(), db, opt, migrateUntil("20260101000001")))
		pending, err = sqlstore.PendingMigrations(t.Context(), db, opt)
		require.NoError(t, err)
		require.Len(t, pending, migrationFiles-1)
		require.NotContains(t, pending, "20260101000001_create_tables")

		require.NoError(t, sqlstore.Migrate(t.Context(), db, opt))
		pending, err = sqlstore.PendingMigrations(t.Context(), db, opt)
		require.NoError(t, err)
		require.Empty(t, pending)
	})
}
