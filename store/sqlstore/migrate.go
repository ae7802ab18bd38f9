package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

// migrationFiles holds one directory of SQL templates per dialect; bun's
// migrate renders {{.Prefix}} in them.
//
//go:embed migrations
var migrationFiles embed.FS

var migrationDirs = map[dialect.Name]string{
	dialect.PG:     "migrations/postgres",
	dialect.MySQL:  "migrations/mysql",
	dialect.SQLite: "migrations/sqlite",
}

type templateData struct {
	Prefix string
}

// Migrate creates the store's tables, or brings them up to date, in db.
// Running it again changes nothing, and several processes may run it at
// once: on PostgreSQL and MySQL it holds an advisory lock for the
// duration (so it needs a pool of at least two connections: one holds the
// lock), and every statement of the migrations is idempotent, which is
// what protects SQLite. Bun's bookkeeping tables get the table prefix too.
func Migrate(ctx context.Context, db *bun.DB, opts ...Option) error {
	c, err := newConfig(opts)
	if err != nil {
		return err
	}
	if db == nil {
		return errors.New("sqlstore: migrate: nil *bun.DB")
	}
	name := db.Dialect().Name()
	if !supported(name) {
		return fmt.Errorf("sqlstore: migrate: unsupported dialect %s", name)
	}
	migrations := migrate.NewMigrations()
	sub, err := fs.Sub(migrationFiles, migrationDirs[name])
	if err == nil {
		err = migrations.Discover(sub)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: load migrations: %w", err)
	}
	t := tableNames(c.prefix)
	migrator := migrate.NewMigrator(db, migrations,
		migrate.WithTableName(t.migrations),
		migrate.WithLocksTableName(t.migrationLocks),
		// A failed migration stays unapplied, so the next run retries it.
		migrate.WithMarkAppliedOnSuccess(true),
		// Two SQLite processes may both apply a migration; the second
		// record then updates the first instead of duplicating it.
		migrate.WithUpsert(true),
		migrate.WithTemplateData(templateData{Prefix: c.prefix}),
	)

	unlock, err := lockMigrations(ctx, db, c.prefix)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	defer unlock()
	if err := migrator.Init(ctx); err != nil {
		return fmt.Errorf("sqlstore: migrate: create bookkeeping tables: %w", err)
	}
	if _, err := migrator.Migrate(ctx); err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	return nil
}

// DropTables drops every table of the store with these options, bun's
// bookkeeping included, deleting all its data irreversibly: for tests and
// for uninstalling. Tables that do not exist are skipped.
func DropTables(ctx context.Context, db *bun.DB, opts ...Option) error {
	c, err := newConfig(opts)
	if err != nil {
		return err
	}
	if db == nil {
		return errors.New("sqlstore: drop tables: nil *bun.DB")
	}
	if !supported(db.Dialect().Name()) {
		return fmt.Errorf("sqlstore: drop tables: unsupported dialect %s", db.Dialect().Name())
	}
	unlock, err := lockMigrations(ctx, db, c.prefix)
	if err != nil {
		return fmt.Errorf("sqlstore: drop tables: %w", err)
	}
	defer unlock()
	t := tableNames(c.prefix)
	// Children first, for the foreign keys.
	for _, table := range []string{t.permissions, t.keys, t.accounts, t.migrations, t.migrationLocks} {
		if _, err := db.DB.ExecContext(ctx, "DROP TABLE IF EXISTS "+table); err != nil {
			return fmt.Errorf("sqlstore: drop table %s: %w", table, err)
		}
	}
	return nil
}

// poolLocks serializes, within this process, the migrations run on one
// pool: each holds one connection for the database lock and needs another
// to work, so many at once could take every connection for locks and
// wait forever for a working one.
var poolLocks sync.Map // *sql.DB → *sync.Mutex

// lockMigrations takes the lock that serializes migrations of one table
// prefix across processes: pg_advisory_lock on PostgreSQL and GET_LOCK on
// MySQL, both held by a connection set aside until unlock, and released by
// the server if the process dies. SQLite needs none: its writers are
// serialized by the database file, and the migrations are idempotent.
func lockMigrations(ctx context.Context, db *bun.DB, prefix string) (unlock func(), err error) {
	name := db.Dialect().Name()
	if name == dialect.SQLite {
		return func() {}, nil
	}
	if db.Stats().MaxOpenConnections == 1 {
		return nil, fmt.Errorf("the pool allows one connection, and migrating on %s needs two (one holds the migration lock)", name)
	}
	mu, _ := poolLocks.LoadOrStore(db.DB, new(sync.Mutex))
	poolMu := mu.(*sync.Mutex)
	poolMu.Lock()
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		poolMu.Unlock()
		return nil, fmt.Errorf("take the migration lock: %w", err)
	}
	lockName := "serviceaccounts.sqlstore.migrate." + prefix
	var release func(context.Context) error
	switch name {
	case dialect.PG:
		h := fnv.New64a()
		h.Write([]byte(lockName))
		key := int64(h.Sum64())
		_, err = conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key)
		release = func(ctx context.Context) error {
			_, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", key)
			return err
		}
	case dialect.MySQL:
		err = mysqlGetLock(ctx, conn, lockName)
		release = func(ctx context.Context) error {
			_, err := conn.ExecContext(ctx, "SELECT RELEASE_LOCK(?)", lockName)
			return err
		}
	}
	if err != nil {
		discard(conn)
		poolMu.Unlock()
		return nil, fmt.Errorf("take the migration lock: %w", err)
	}
	return func() {
		defer poolMu.Unlock()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if release(ctx) != nil {
			// Closing the session releases the lock in the server.
			discard(conn)
			return
		}
		conn.Close()
	}, nil
}

// mysqlGetLock waits for the named lock in short steps, so that ctx can
// end the wait.
func mysqlGetLock(ctx context.Context, conn *sql.Conn, name string) error {
	for {
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 1)", name).Scan(&got); err != nil {
			return err
		}
		if got.Valid && got.Int64 == 1 {
			return nil
		}
		if !got.Valid {
			return errors.New("GET_LOCK failed")
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// discard closes conn's session instead of returning it to the pool, so
// that a lock it may still hold dies with it.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}
