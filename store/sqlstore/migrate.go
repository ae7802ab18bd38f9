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
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"

	"github.com/seed-c7fc2061/serviceaccounts/permission"
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
	migrator, _, err := newMigrator(db, c)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	t := tableNames(c.prefix)

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
	if c.migrateUntil == "" || c.migrateUntil >= grantKeyMigration {
		if err := fillGrantKeys(ctx, db, t); err != nil {
			return fmt.Errorf("sqlstore: migrate: fill in grant keys: %w", err)
		}
	}
	return nil
}

// newMigrator is bun's migrator for this store's migrations and
// bookkeeping tables, shared by Migrate and PendingMigrations, with the
// migrations it runs.
func newMigrator(db *bun.DB, c config) (*migrate.Migrator, *migrate.Migrations, error) {
	name := db.Dialect().Name()
	if !supported(name) {
		return nil, nil, fmt.Errorf("unsupported dialect %s", name)
	}
	migrations, err := loadMigrations(name, c)
	if err != nil {
		return nil, nil, fmt.Errorf("load migrations: %w", err)
	}
	t := tableNames(c.prefix)
	return migrate.NewMigrator(db, migrations,
		migrate.WithTableName(t.migrations),
		migrate.WithLocksTableName(t.migrationLocks),
		// A failed migration stays unapplied, so the next run retries it.
		migrate.WithMarkAppliedOnSuccess(true),
		// Two SQLite processes may both apply a migration; the second
		// record then updates the first instead of duplicating it.
		migrate.WithUpsert(true),
		migrate.WithTemplateData(templateData{Prefix: c.prefix}),
	), migrations, nil
}

// grantKeyMigration added the permissions' grant_key column.
const grantKeyMigration = "20261128000002"

// loadMigrations reads the dialect's migrations, up to c.migrateUntil when
// set (tests of upgrades start from an old schema), and makes them
// resumable where the dialect's DDL is not (see resumable).
func loadMigrations(d dialect.Name, c config) (*migrate.Migrations, error) {
	sub, err := fs.Sub(migrationFiles, migrationDirs[d])
	if err != nil {
		return nil, err
	}
	all := migrate.NewMigrations()
	if err := all.Discover(sub); err != nil {
		return nil, err
	}
	out := migrate.NewMigrations()
	for _, m := range all.Sorted() {
		if c.migrateUntil != "" && m.Name > c.migrateUntil {
			continue
		}
		if err := resumable(d, sub, c, &m); err != nil {
			return nil, err
		}
		out.Add(m)
	}
	return out, nil
}

// resumable makes m's up migration safe to run again after it was
// interrupted or raced, where a statement cannot say IF NOT EXISTS:
//
//   - MySQL commits each DDL statement on its own, and MySQL 8 has no ADD
//     COLUMN IF NOT EXISTS: the statements run one by one, and a column or
//     index that exists already ("duplicate column", "duplicate key name")
//     counts as added;
//   - SQLite's migrations run in one transaction each, so when two
//     processes race, "duplicate column name" can only mean that the other
//     committed the whole file: it counts as applied.
func resumable(d dialect.Name, sub fs.FS, c config, m *migrate.Migration) error {
	switch d {
	case dialect.MySQL:
		matches, err := fs.Glob(sub, m.Name+"_*.up.sql")
		if err != nil || len(matches) != 1 {
			return fmt.Errorf("migration %s: want one up file, found %d (%v)", m.Name, len(matches), err)
		}
		raw, err := fs.ReadFile(sub, matches[0])
		if err != nil {
			return err
		}
		var text strings.Builder
		if err := template.Must(template.New(m.Name).Parse(string(raw))).Execute(&text, templateData{Prefix: c.prefix}); err != nil {
			return err
		}
		statements := strings.Split(text.String(), "--bun:split")
		m.Up = func(ctx context.Context, migrator *migrate.Migrator, _ *migrate.Migration) error {
			for _, q := range statements {
				if strings.TrimSpace(stripComments(q)) == "" {
					continue
				}
				if _, err := migrator.DB().ExecContext(ctx, q); err != nil && !alreadyDone(err) {
					return err
				}
			}
			return nil
		}
	case dialect.SQLite:
		up := m.Up
		m.Up = func(ctx context.Context, migrator *migrate.Migrator, mig *migrate.Migration) error {
			err := up(ctx, migrator, mig)
			if err != nil && strings.Contains(err.Error(), "duplicate column name") {
				return nil
			}
			return err
		}
	}
	return nil
}

// alreadyDone reports MySQL's answers to adding a column or index that
// exists.
func alreadyDone(err error) bool {
	return classify(err) == AlreadyExists
}

func stripComments(q string) string {
	var b strings.Builder
	for line := range strings.Lines(q) {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// fillGrantKeys writes the grant key of permissions stored before the
// column existed, in one transaction. Identical grants, which version 1
// could store twice when two requests raced, are one grant: the oldest
// keeps it and the later copies are deleted (they granted nothing more).
func fillGrantKeys(ctx context.Context, db *bun.DB, t tables) error {
	s := &Store{dialect: db.Dialect().Name()}
	q := func(query string) string {
		if s.dialect == dialect.PG {
			return numberPlaceholders(query)
		}
		return query
	}
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		rows, err := tx.Tx.QueryContext(ctx, `SELECT `+permissionColumns+` FROM `+t.permissions+` WHERE grant_key IS NULL ORDER BY id`)
		if err != nil {
			return err
		}
		var perms []permission.Permission
		r := s.newPermissionRow()
		for rows.Next() {
			if err := rows.Scan(r.dest()...); err != nil {
				rows.Close()
				return err
			}
			perms = append(perms, r.permission())
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, p := range perms {
			key := p.GrantKey()
			var n int
			if err := tx.Tx.QueryRowContext(ctx, q(`SELECT count(*) FROM `+t.permissions+` WHERE account_id = ? AND grant_key = ?`),
				s.idArg(p.AccountID), key[:]).Scan(&n); err != nil {
				return err
			}
			statement := `UPDATE ` + t.permissions + ` SET grant_key = ? WHERE id = ?`
			args := []any{key[:], s.idArg(p.ID)}
			if n > 0 {
				statement, args = `DELETE FROM `+t.permissions+` WHERE id = ?`, args[1:]
			}
			if _, err := tx.Tx.ExecContext(ctx, q(statement), args...); err != nil {
				return err
			}
		}
		return nil
	})
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
	for _, table := range []string{t.deliveries, t.webhooks, t.policyDefaults, t.policies, t.changes, t.changeHead, t.audit, t.permissions, t.keys, t.accounts, t.migrations, t.migrationLocks} {
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
