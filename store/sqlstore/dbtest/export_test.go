package sqlstore_test

import (
	"context"
	"database/sql"

	"github.com/uptrace/bun"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/internal/testexport"
)

// The store's test-only helpers (store/sqlstore/export.go), typed.

// storeOrTest is a *sqlstore.Store or a testStore.
type storeOrTest any

func unwrap(s storeOrTest) *sqlstore.Store {
	switch v := s.(type) {
	case *sqlstore.Store:
		return v
	case testStore:
		return v.Store
	}
	panic("not a store")
}

func tables(s storeOrTest) (accounts, keys, permissions string) { return testexport.Tables(unwrap(s)) }
func auditTable(s storeOrTest) string                           { return testexport.AuditTable(unwrap(s)) }
func migrationTable(s storeOrTest) string                       { return testexport.MigrationTable(unwrap(s)) }
func changesTable(s storeOrTest) string                         { return testexport.ChangesTable(unwrap(s)) }
func poolOf(s storeOrTest) *bun.DB                              { return testexport.DB(unwrap(s)) }

func bulkInsert(s storeOrTest, ctx context.Context, accounts []serviceaccount.Account, keys int, key func(i int) apikey.Key, perms []permission.Permission) error {
	return testexport.BulkInsert(unwrap(s), ctx, accounts, keys, key, perms)
}

func insertV1(s storeOrTest, ctx context.Context, accounts []serviceaccount.Account, keys []apikey.Key, perms []permission.Permission) error {
	return testexport.InsertV1(unwrap(s), ctx, accounts, keys, perms)
}

func changeRecordTx(s storeOrTest, ctx context.Context, tx *sql.Tx, p store.ChangeRecordParams) error {
	return testexport.ChangeRecordTx(unwrap(s), ctx, tx, p)
}

func migrateUntil(name string) sqlstore.Option {
	return testexport.MigrateUntil(name).(sqlstore.Option)
}

func migrationNames(db *bun.DB) ([]string, error)  { return testexport.MigrationNames(db) }
func noticeQueries(s storeOrTest) (string, string) { return testexport.NoticeQueries(unwrap(s)) }
func insertV2(s storeOrTest, ctx context.Context, e store.AuditEvent, change store.ChangeRecordParams) error {
	return testexport.InsertV2(unwrap(s), ctx, e, change)
}
