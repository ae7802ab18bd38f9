package sqlstore_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
	"github.com/seed-c7fc2061/serviceaccounts/store/storetest"
)

// callEverything calls every Store method with rows that existed before
// the database went away, and returns each call's error by name.
func callEverything(ctx context.Context, s store.Store, a serviceaccount.Account, k apikey.Key, p permission.Permission) map[string]error {
	errs := map[string]error{}
	_, errs["AccountGet"] = s.AccountGet(ctx, store.DefaultTenant, a.ID)
	errs["AccountCreate"] = storetest.Autocommit{Store: s}.AccountCreate(ctx, store.DefaultTenant, serviceaccount.Account{ID: uuidFor(1), Label: "x", CreatedAt: base, UpdatedAt: base})
	_, errs["AccountUpdate"] = storetest.Autocommit{Store: s}.AccountUpdate(ctx, store.DefaultTenant, store.AccountUpdateParams{ID: a.ID, Label: "y", UpdatedAt: base})
	_, errs["AccountList"] = s.AccountList(ctx, store.DefaultTenant, uuid.Nil, 10)
	_, errs["KeyList"] = s.KeyList(ctx, store.DefaultTenant, a.ID)
	_, errs["KeyByHash(known)"] = s.KeyByHash(ctx, k.Hash)
	_, errs["KeyByHash(unknown)"] = s.KeyByHash(ctx, seedHash(-1))
	errs["KeyCreate"] = storetest.Autocommit{Store: s}.KeyCreate(ctx, store.DefaultTenant, apikey.Key{ID: uuidFor(2), AccountID: a.ID, Hash: seedHash(-2), Hint: "h", CreatedAt: base})
	errs["KeysTouch"] = s.KeysTouch(ctx, []serviceaccount.KeyTouch{{KeyID: k.ID, UsedAt: base}})
	_, errs["PermissionList"] = s.PermissionList(ctx, store.DefaultTenant, a.ID)
	errs["PermissionCreate"] = storetest.Autocommit{Store: s}.PermissionCreate(ctx, store.DefaultTenant, permission.Permission{ID: uuidFor(3), AccountID: a.ID, ResourceType: "users", ResourceKey: "*", Action: "*", CreatedAt: base})
	_, errs["PermissionUpdateLimiter"] = storetest.Autocommit{Store: s}.PermissionUpdateLimiter(ctx, store.DefaultTenant, store.PermissionUpdateLimiterParams{AccountID: a.ID, PermissionID: p.ID})
	errs["PermissionDelete"] = storetest.Autocommit{Store: s}.PermissionDelete(ctx, store.DefaultTenant, a.ID, p.ID)
	errs["KeyDelete"] = storetest.Autocommit{Store: s}.KeyDelete(ctx, store.DefaultTenant, a.ID, k.ID)
	errs["AccountDelete"] = storetest.Autocommit{Store: s}.AccountDelete(ctx, store.DefaultTenant, a.ID)
	return errs
}

func uuidFor(n byte) uuid.UUID {
	return uuid.UUID{0x01, 0x90, 15: n}
}

func TestAClosedPoolGivesErrorsThatAreNotSentinels(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		// The tables outlive the closed pool, so they are migrated and
		// dropped through another one.
		prefix := sqltest.UniquePrefix()
		migrateForTest(t, sqltest.Open(t, url), prefix)
		db, err := sqlstore.OpenDB(t.Context(), url)
		require.NoError(t, err)
		s, err := sqlstore.New(db, sqlstore.WithTablePrefix(prefix))
		require.NoError(t, err)
		a := createAccount(t, s)
		k := createKey(t, s, a.ID)
		p := createPermission(t, s, a.ID)

		require.NoError(t, db.Close())

		for call, err := range callEverything(t.Context(), s, a, k, p) {
			requireSystemError(t, err, call)
		}
	})
}

// TestALostDatabaseGivesErrorsThatAreNotSentinels takes the database away
// from a pool in use, as an outage would: the middleware must then answer
// 503, so no call may say ErrNotFound (401) or ErrConflict.
func TestALostDatabaseGivesErrorsThatAreNotSentinels(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		if d.name == "sqlite" {
			t.Skip("SQLite has no connection to lose; the closed-pool test covers it")
		}
		prefix := sqltest.UniquePrefix()
		migrateForTest(t, sqltest.Open(t, url), prefix)
		p := startProxy(t, hostPort(t, url))
		db, err := sqlstore.OpenDB(t.Context(), p.through(t, url))
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		s, err := sqlstore.New(db, sqlstore.WithTablePrefix(prefix))
		require.NoError(t, err)
		a := createAccount(t, s)
		k := createKey(t, s, a.ID)
		perm := createPermission(t, s, a.ID)
		_, err = s.KeyByHash(t.Context(), k.Hash)
		require.NoError(t, err, "works through the proxy")

		p.Cut()

		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		for call, err := range callEverything(ctx, s, a, k, perm) {
			requireSystemError(t, err, call)
		}
	})
}

// TestAStoreOnAnUnreachableDatabaseGivesErrors needs no database: the
// pools point at a port nothing listens on.
func TestAStoreOnAnUnreachableDatabaseGivesErrors(t *testing.T) {
	addr := closedPort(t)
	cfg, err := pgx.ParseConfig("postgres://postgres:secret@" + addr + "/test?sslmode=disable&connect_timeout=5")
	require.NoError(t, err)
	mysqlDB, err := sql.Open("mysql", "root:secret@tcp("+addr+")/test?timeout=5s")
	require.NoError(t, err)
	for name, db := range map[string]*bun.DB{
		"postgres": bun.NewDB(stdlib.OpenDB(*cfg), pgdialect.New()),
		"mysql":    bun.NewDB(mysqlDB, mysqldialect.New()),
	} {
		t.Run(name, func(t *testing.T) {
			t.Cleanup(func() { db.Close() })
			s, err := sqlstore.New(db)
			require.NoError(t, err, "New does no I/O")
			id := uuidFor(9)
			a := serviceaccount.Account{ID: id}
			k := apikey.Key{ID: uuidFor(10), AccountID: id, Hash: seedHash(1)}
			p := permission.Permission{ID: uuidFor(11), AccountID: id}
			for call, err := range callEverything(t.Context(), s, a, k, p) {
				requireSystemError(t, err, call)
				require.NotContains(t, err.Error(), "secret", call)
			}
			err = sqlstore.Migrate(t.Context(), db)
			require.Error(t, err)
			require.NotContains(t, err.Error(), "secret")
		})
	}
}

func TestOpenDBNamesAnUnreachableDatabaseWithoutItsPassword(t *testing.T) {
	addr := closedPort(t)
	for _, u := range []string{
		"postgres://postgres:secret@" + addr + "/test?sslmode=disable&connect_timeout=5",
		"postgresql://postgres:secret@" + addr + "/test?sslmode=disable&connect_timeout=5",
		"mysql://root:secret@" + addr + "/test?timeout=5s",
	} {
		db, err := sqlstore.OpenDB(t.Context(), u)
		require.Error(t, err, u)
		require.Nil(t, db)
		require.NotContains(t, err.Error(), "secret")
		require.Contains(t, err.Error(), addr, "the message says which database")
	}
}
