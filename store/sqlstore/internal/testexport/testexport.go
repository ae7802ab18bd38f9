// Package testexport carries the store's test-only helpers to its
// database tests in store/sqlstore/dbtest: sqlstore sets these functions
// in its init (s is always a *sqlstore.Store). Being internal, it is no
// part of the public API.
package testexport

import (
	"context"
	"database/sql"

	"github.com/uptrace/bun"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

var (
	// Tables returns the names of the store's data tables.
	Tables func(s any) (accounts, keys, permissions string)
	// AuditTable returns the name of the audit events table.
	AuditTable func(s any) string
	// MigrationTable returns the name of bun's bookkeeping table.
	MigrationTable func(s any) string
	// DB returns the pool under the store.
	DB func(s any) *bun.DB
	// BulkInsert seeds accounts, keys and permissions with multi-row
	// INSERTs in one transaction; key(i) is called for i in [0, keys).
	BulkInsert func(s any, ctx context.Context, accounts []serviceaccount.Account, keys int, key func(i int) apikey.Key, perms []permission.Permission) error
	// InsertV1 writes rows as version 1 of the store did.
	InsertV1 func(s any, ctx context.Context, accounts []serviceaccount.Account, keys []apikey.Key, perms []permission.Permission) error
	// ChangeRecordTx records a change in tx, as the store's Tx does.
	ChangeRecordTx func(s any, ctx context.Context, tx *sql.Tx, p store.ChangeRecordParams) error
	// ChangesTable returns the name of the change log's table.
	ChangesTable func(s any) string
	// MigrateUntil returns a sqlstore.Option that makes Migrate stop after
	// the migration named name.
	MigrateUntil func(name string) any
	// MigrationNames lists the embedded migrations of db's dialect.
	MigrationNames func(db *bun.DB) ([]string, error)
	// NoticeQueries returns NoticeScan's two statements, for EXPLAIN.
	NoticeQueries func(s any) (expiring, unused string)
	// InsertV2 writes, as version 2 of the store did (before tenants), an
	// audit event and a change-log row.
	InsertV2 func(s any, ctx context.Context, e store.AuditEvent, change store.ChangeRecordParams) error
)
