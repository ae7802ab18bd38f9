package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// PendingMigrations names, in order, the migrations that Migrate would
// apply to db with these options: none when the schema is up to date, all
// of them when the store's tables were never created. It writes nothing
// (Migrate's first step creates bun's bookkeeping tables; this only reads
// them), so a tool that must not change the schema on its own, such as the
// command-line tool, can check that the schema is ready and say what to do
// instead of failing later on a missing table or column.
func PendingMigrations(ctx context.Context, db *bun.DB, opts ...Option) ([]string, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if db == nil {
		return nil, errors.New("sqlstore: pending migrations: nil *bun.DB")
	}
	migrator, migrations, err := newMigrator(db, c)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: pending migrations: %w", err)
	}
	exists, err := tableExists(ctx, db, tableNames(c.prefix).migrations)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: pending migrations: %w", err)
	}
	// Never migrated: every migration is pending, and asking bun would
	// fail on its missing bookkeeping table.
	ms := migrations.Sorted()
	if exists {
		if ms, err = migrator.MigrationsWithStatus(ctx); err != nil {
			return nil, fmt.Errorf("sqlstore: pending migrations: %w", err)
		}
	}
	var pending []string
	for _, m := range ms.Unapplied() {
		pending = append(pending, m.String()) // id_comment, as the files are named
	}
	return pending, nil
}

// tableExists reports whether the table named (unquoted) name exists where
// the store's unqualified statements would find it.
func tableExists(ctx context.Context, db *bun.DB, name string) (bool, error) {
	var query string
	switch db.Dialect().Name() {
	case dialect.PG:
		query = "SELECT count(*) FROM (SELECT to_regclass($1) AS t) r WHERE t IS NOT NULL"
	case dialect.MySQL:
		query = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?"
	case dialect.SQLite:
		query = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	default:
		return false, fmt.Errorf("unsupported dialect %s", db.Dialect().Name())
	}
	var n int
	if err := db.DB.QueryRowContext(ctx, query, name).Scan(&n); err != nil {
		return false, fmt.Errorf("look for table %s: %w", name, err)
	}
	return n > 0, nil
}
