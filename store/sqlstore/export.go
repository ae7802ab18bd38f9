package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/internal/testexport"
)

// Test-only helpers for the database tests in store/sqlstore/dbtest, a
// package of its own so that no application's build loads them (and the
// drivers they import). They reach it through internal/testexport, set
// here, because a test file of this package cannot export to another.

func init() {
	testexport.Tables = func(s any) (string, string, string) { return s.(*Store).testTables() }
	testexport.AuditTable = func(s any) string { return s.(*Store).testAuditTable() }
	testexport.MigrationTable = func(s any) string { return s.(*Store).testMigrationTable() }
	testexport.DB = func(s any) *bun.DB { return s.(*Store).db }
	testexport.BulkInsert = func(s any, ctx context.Context, accounts []serviceaccount.Account, keys int, key func(i int) apikey.Key, perms []permission.Permission) error {
		return s.(*Store).testBulkInsert(ctx, accounts, keys, key, perms)
	}
	testexport.InsertV1 = func(s any, ctx context.Context, accounts []serviceaccount.Account, keys []apikey.Key, perms []permission.Permission) error {
		return s.(*Store).testInsertV1(ctx, accounts, keys, perms)
	}
	testexport.ChangeRecordTx = func(s any, ctx context.Context, tx *sql.Tx, p store.ChangeRecordParams) error {
		return s.(*Store).changeRecord(ctx, tx, store.DefaultTenant, p)
	}
	testexport.ChangesTable = func(s any) string { return tableNames(s.(*Store).prefix).changes }
	testexport.MigrateUntil = func(name string) any { return testMigrateUntil(name) }
	testexport.MigrationNames = testMigrationNames
	testexport.NoticeQueries = func(s any) (string, string) { return s.(*Store).testNoticeQueries() }
	testexport.InsertV2 = func(s any, ctx context.Context, e store.AuditEvent, change store.ChangeRecordParams) error {
		return s.(*Store).testInsertV2(ctx, e, change)
	}
}

// Tables returns the names of the store's data tables.
func (s *Store) testTables() (accounts, keys, permissions string) {
	t := tableNames(s.prefix)
	return t.accounts, t.keys, t.permissions
}

// AuditTable returns the name of the audit events table.
func (s *Store) testAuditTable() string { return tableNames(s.prefix).audit }

// MigrationTable returns the name of bun's bookkeeping table.
func (s *Store) testMigrationTable() string { return tableNames(s.prefix).migrations }

// bulkRows is how many rows one seeding INSERT writes: far below every
// dialect's parameter limit (SQLite 32,766) at seven columns.
const bulkRows = 1000

// BulkInsert seeds accounts, keys and permissions with multi-row INSERTs,
// bulkRows rows per statement, all in one transaction. key(i) is called
// for i in [0, keys).
func (s *Store) testBulkInsert(ctx context.Context, accounts []serviceaccount.Account, keys int, key func(i int) apikey.Key, perms []permission.Permission) error {
	t := tableNames(s.prefix)
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if s.dialect == dialect.SQLite {
			// A page cache large enough for the whole transaction, so
			// that SQLite does not spill and rewrite pages of the
			// randomly ordered hash index over and over.
			if _, err := tx.Tx.ExecContext(ctx, "PRAGMA cache_size = -524288"); err != nil {
				return err
			}
			defer tx.Tx.ExecContext(ctx, "PRAGMA cache_size = -2000")
		}
		err := s.insertRows(ctx, tx, t.accounts, accountColumns, len(accounts), func(i int, args []any) []any {
			a := accounts[i]
			return append(args, s.idArg(a.ID), a.Label, a.Description, s.timeArg(a.CreatedAt), s.timeArg(a.UpdatedAt), s.nullTimeArg(a.DisabledAt),
				cmp.Or(a.Tenant, store.DefaultTenant), must(metadataArg(a.Metadata)))
		})
		if err != nil {
			return err
		}
		err = s.insertRows(ctx, tx, t.keys, keyColumns, keys, func(i int, args []any) []any {
			return append(args, must(s.keyArgs(key(i)))...)
		})
		if err != nil {
			return err
		}
		return s.insertRows(ctx, tx, t.permissions, permissionInsertColumns, len(perms), func(i int, args []any) []any {
			p := perms[i]
			grantKey := p.GrantKey()
			return append(args, s.idArg(p.AccountID), s.idArg(p.ID), p.ResourceType, p.ResourceKey, p.Action,
				limiterArg(p.Limiter), s.timeArg(p.CreatedAt), grantKey[:])
		})
	})
}

func (s *Store) insertRows(ctx context.Context, tx bun.Tx, table, columns string, n int, row func(i int, args []any) []any) error {
	ncols := strings.Count(columns, ",") + 1
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", ncols), ", ") + ")"
	statement := func(rows int) string {
		q := "INSERT INTO " + table + " (" + columns + ") VALUES " + strings.TrimSuffix(strings.Repeat(tuple+", ", rows), ", ")
		if s.dialect == dialect.PG {
			q = numberPlaceholders(q)
		}
		return q
	}
	full := statement(bulkRows)
	args := make([]any, 0, bulkRows*ncols)
	for start := 0; start < n; start += bulkRows {
		rows := min(bulkRows, n-start)
		args = args[:0]
		for i := start; i < start+rows; i++ {
			args = row(i, args)
		}
		q := full
		if rows != bulkRows {
			q = statement(rows)
		}
		if _, err := tx.Tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// MigrateUntil makes Migrate stop after the migration named name (its
// timestamp), for tests that upgrade an old schema.
func testMigrateUntil(name string) Option {
	return func(c *config) { c.migrateUntil = name }
}

// MigrationNames lists the names (timestamps) of the embedded migrations
// of db's dialect, in order.
func testMigrationNames(db *bun.DB) ([]string, error) {
	ms, err := loadMigrations(db.Dialect().Name(), config{})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range ms.Sorted() {
		names = append(names, m.Name)
	}
	return names, nil
}

// The columns of the first schema. Every later migration must keep rows
// inserted with only these working (new columns are nullable or have a
// default), so that version 1 code keeps running during an upgrade.
const (
	v1AccountColumns    = "id, label, description, created_at, updated_at"
	v1KeyColumns        = "id, account_id, hash, hint, created_at, last_used_at, expires_at"
	v1PermissionColumns = "account_id, id, resource_type, resource_key, action, limiter, created_at"
)

// InsertV1 writes rows as version 1 of the store did, with the first
// schema's columns only.
func (s *Store) testInsertV1(ctx context.Context, accounts []serviceaccount.Account, keys []apikey.Key, perms []permission.Permission) error {
	t := tableNames(s.prefix)
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		err := s.insertRows(ctx, tx, t.accounts, v1AccountColumns, len(accounts), func(i int, args []any) []any {
			a := accounts[i]
			return append(args, s.idArg(a.ID), a.Label, a.Description, s.timeArg(a.CreatedAt), s.timeArg(a.UpdatedAt))
		})
		if err != nil {
			return err
		}
		err = s.insertRows(ctx, tx, t.keys, v1KeyColumns, len(keys), func(i int, args []any) []any {
			k := keys[i]
			return append(args, s.idArg(k.ID), s.idArg(k.AccountID), hashArg(k.Hash), k.Hint,
				s.timeArg(k.CreatedAt), s.nullTimeArg(k.LastUsedAt), s.nullTimeArg(k.ExpiresAt))
		})
		if err != nil {
			return err
		}
		return s.insertRows(ctx, tx, t.permissions, v1PermissionColumns, len(perms), func(i int, args []any) []any {
			p := perms[i]
			return append(args, s.idArg(p.AccountID), s.idArg(p.ID), p.ResourceType, p.ResourceKey, p.Action,
				limiterArg(p.Limiter), s.timeArg(p.CreatedAt))
		})
	})
}

// testInsertV2 writes, as version 2 of the store did (before tenants), an
// audit event and a change-log row: the tables version 2 added, with
// their version 2 columns only.
func (s *Store) testInsertV2(ctx context.Context, e store.AuditEvent, change store.ChangeRecordParams) error {
	t := tableNames(s.prefix)
	q := func(query string) string {
		if s.dialect == dialect.PG {
			return numberPlaceholders(query)
		}
		return query
	}
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var actorID, address, userAgent any
		if e.Actor != nil {
			actorID, address, userAgent = e.Actor.ID, e.Actor.Address, e.Actor.UserAgent
		}
		if _, err := tx.Tx.ExecContext(ctx, q(`INSERT INTO `+t.audit+
			` (id, occurred_at, actor_id, actor_address, actor_user_agent, action, account_id, target_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			s.idArg(e.ID), s.timeArg(e.OccurredAt), actorID, address, userAgent, string(e.Action), s.idArg(e.ServiceAccountID), nil, string(e.Details)); err != nil {
			return err
		}
		if _, err := tx.Tx.ExecContext(ctx, `UPDATE `+t.changeHead+` SET last_id = last_id + 1 WHERE id = 1`); err != nil {
			return err
		}
		_, err := tx.Tx.ExecContext(ctx, q(`INSERT INTO `+t.changes+` (id, account_id, recorded_at) SELECT last_id, ?, ? FROM `+t.changeHead+` WHERE id = 1`),
			s.idArg(change.AccountID), s.timeArg(change.RecordedAt))
		return err
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err) // test data that cannot encode is a bug in the test
	}
	return v
}

// testNoticeQueries are NoticeScan's two statements, for EXPLAIN.
func (s *Store) testNoticeQueries() (expiring, unused string) {
	return s.expiringQuery(), s.unusedQuery()
}
