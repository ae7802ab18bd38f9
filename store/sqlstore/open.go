package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"

	"github.com/seed-c7fc2061/serviceaccounts/internal/connstr"
)

// OpenDB opens and pings the database named by a URL, through the dialect
// package registered for its scheme (imported for its side effect, as
// database/sql drivers are: store/sqlstore/sqlite, store/sqlstore/postgres,
// store/sqlstore/mysql; an unregistered scheme is an error naming the
// package to import):
//
//	sqlite:PATH                      a file, created if missing
//	sqlite::memory:                  a private in-memory database
//	postgres://user:pass@host:port/db?sslmode=disable   (or postgresql://; any pgx setting)
//	mysql://user:pass@host:port/db?param=value          (TCP; any go-sql-driver parameter)
//
// It configures each pool for this store: SQLite in WAL mode with
// foreign_keys on, a 10 s busy_timeout and BEGIN IMMEDIATE transactions,
// at most GOMAXPROCS (at least 4) connections, or a single one for
// :memory:; MySQL with parseTime=true, loc=UTC, utf8mb4 (whatever the
// URL's charset says) and
// interpolateParams=true (one round trip per statement instead of
// prepare-then-execute); PostgreSQL as pgx's defaults, whose statement
// cache prepares each of the store's statements once per connection.
// PostgreSQL and MySQL pools are capped at 25 connections.
//
// The error for an unreachable database names it without its password,
// whatever form the connection string takes.
// The caller closes the returned DB.
func OpenDB(ctx context.Context, rawURL string) (*bun.DB, error) {
	return open(ctx, rawURL, true)
}

// OpenExistingDB is OpenDB for a caller that must not create a database:
// an SQLite file that does not exist is an error naming its path
// (ErrNoDatabaseFile), and is not created, so that a mistyped path in a
// command that only reads leaves nothing behind. Other databases open as
// with OpenDB.
func OpenExistingDB(ctx context.Context, rawURL string) (*bun.DB, error) {
	return open(ctx, rawURL, false)
}

// ErrNoDatabaseFile is OpenExistingDB's error for an SQLite file that does
// not exist.
var ErrNoDatabaseFile = errors.New("no such SQLite database file")

func open(ctx context.Context, rawURL string, create bool) (*bun.DB, error) {
	sqldb, dialect, err := openDB(rawURL, create)
	if err != nil {
		return nil, connstr.HideError(fmt.Errorf("sqlstore: open %s: %w", RedactURL(rawURL), err), rawURL)
	}
	// Ping before bun.NewDB: the MySQL dialect queries the server version
	// when bun adopts the pool and only logs (to the standard logger) when
	// that fails, which would put a stray line before our clear error.
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		// A driver may quote the password in its own message (pgx does,
		// for a database name read from a malformed URL).
		return nil, connstr.HideError(fmt.Errorf("sqlstore: connect to %s: %w", RedactURL(rawURL), err), rawURL)
	}
	return bun.NewDB(sqldb, dialect), nil
}

func openDB(rawURL string, create bool) (*sql.DB, schema.Dialect, error) {
	scheme, _, ok := strings.Cut(rawURL, ":")
	if !ok || !urlScheme.MatchString(scheme) {
		// Not a URL (libpq's key=value, say): quote none of it, it may
		// hold a password.
		return nil, nil, errors.New("not a database URL: want sqlite:PATH, postgres://… or mysql://user:pass@host:port/db")
	}
	d, err := dialectForScheme(scheme)
	if err != nil {
		return nil, nil, err
	}
	return d.Open(rawURL, create)
}

// urlScheme is what RFC 3986 allows as a scheme, so that an unknown one
// can be quoted without quoting part of a password.
var urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

// RedactURL returns a connection string fit for messages and logs: the
// password masked as "xxxxx" in whatever form it is written (a URL's
// user-info or password-like query parameter, libpq's key=value, the MySQL
// driver's user:pass@tcp(…), a malformed URL). sqlite: names hold no
// secret and are returned as they are.
func RedactURL(rawURL string) string {
	return connstr.Redact(rawURL)
}
