package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/schema"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/seed-c7fc2061/serviceaccounts/internal/connstr"
)

// OpenDB opens and pings the database named by a URL:
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
	scheme, rest, ok := strings.Cut(rawURL, ":")
	if !ok || !urlScheme.MatchString(scheme) {
		// Not a URL (libpq's key=value, say): quote none of it, it may
		// hold a password.
		return nil, nil, errors.New("not a database URL: want sqlite:PATH, postgres://… or mysql://user:pass@host:port/db")
	}
	switch strings.ToLower(scheme) {
	case "sqlite":
		return openSQLite(rest, create)
	case "postgres", "postgresql":
		cfg, err := pgx.ParseConfig(rawURL)
		if err != nil {
			return nil, nil, errors.New("invalid PostgreSQL URL") // pgx's message may quote the password
		}
		sqldb := stdlib.OpenDB(*cfg)
		limitPool(sqldb)
		return sqldb, pgdialect.New(), nil
	case "mysql":
		cfg, err := mysqlConfig(rawURL)
		if err != nil {
			return nil, nil, err
		}
		connector, err := mysql.NewConnector(cfg)
		if err != nil {
			return nil, nil, err
		}
		sqldb := sql.OpenDB(connector)
		limitPool(sqldb)
		// Below MySQL's wait_timeout and any proxy's idle cut-off, as
		// go-sql-driver recommends.
		sqldb.SetConnMaxLifetime(3 * time.Minute)
		return sqldb, mysqldialect.New(), nil
	default:
		return nil, nil, fmt.Errorf("unknown scheme %q: want sqlite, postgres, postgresql or mysql", scheme)
	}
}

// urlScheme is what RFC 3986 allows as a scheme, so that an unknown one
// can be quoted without quoting part of a password.
var urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

func limitPool(db *sql.DB) {
	db.SetMaxOpenConns(25)
	db.SetMaxIdleConns(25)
	db.SetConnMaxIdleTime(5 * time.Minute)
}

func openSQLite(path string, create bool) (*sql.DB, schema.Dialect, error) {
	if path == "" {
		return nil, nil, errors.New("empty SQLite path (want sqlite:PATH or sqlite::memory:)")
	}
	memory := path == ":memory:"
	q := url.Values{}
	if !memory && !create {
		// The check gives the clear message; mode=rw makes SQLite itself
		// refuse to create the file, should it vanish in between.
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("%w: %s", ErrNoDatabaseFile, path)
		}
		q.Set("mode", "rw")
	}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	if !memory {
		q.Add("_pragma", "journal_mode(WAL)")
		// In WAL mode NORMAL keeps the database consistent on power loss
		// and loses at most the last commits; FULL syncs every commit.
		q.Add("_pragma", "synchronous(NORMAL)")
	}
	// Every transaction takes the write lock when it begins, waiting for
	// it under busy_timeout, instead of failing when a read inside it
	// would have to become a write while another connection writes.
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, nil, err
	}
	if memory {
		// Each connection to :memory: is a database of its own, so one
		// connection it is, kept for ever.
		sqldb.SetMaxOpenConns(1)
		sqldb.SetMaxIdleConns(1)
		sqldb.SetConnMaxLifetime(0)
		sqldb.SetConnMaxIdleTime(0)
	} else {
		// WAL lets readers run beside the one writer; writers queue on
		// the file lock. Bounded, because every connection carries its
		// own page cache.
		n := max(4, runtime.GOMAXPROCS(0))
		sqldb.SetMaxOpenConns(n)
		sqldb.SetMaxIdleConns(n)
	}
	return sqldb, sqlitedialect.New(), nil
}

// mysqlConfig turns mysql://user:pass@host:port/db?params into a driver
// configuration. The user and password are set as fields, not parsed from
// a DSN string, so any character may appear in them.
func mysqlConfig(rawURL string) (*mysql.Config, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("invalid MySQL URL") // url's message quotes the URL
	}
	if u.Host == "" {
		return nil, errors.New("MySQL URL without a host: want mysql://user:pass@host:port/db")
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	if dbName == "" || strings.Contains(dbName, "/") {
		return nil, errors.New("MySQL URL without a database name: want mysql://user:pass@host:port/db")
	}
	port := u.Port()
	if port == "" {
		port = "3306"
	}
	dsn := "tcp(" + net.JoinHostPort(u.Hostname(), port) + ")/" + url.PathEscape(dbName)
	if u.RawQuery != "" {
		dsn += "?" + u.RawQuery
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("invalid MySQL parameters: %w", err)
	}
	cfg.DBName = dbName
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.InterpolateParams = true
	// The connection's character set is utf8mb4 whatever the URL says: a
	// charset=latin1 or utf8 (three bytes at most) would turn emoji into
	// question marks or refuse them. A utf8mb4 collation the URL names is
	// kept; any other is replaced by the driver's default.
	collation := cfg.Collation
	if !strings.HasPrefix(collation, "utf8mb4_") {
		collation = "utf8mb4_general_ci"
	}
	if err := cfg.Apply(mysql.Charset("utf8mb4", collation)); err != nil {
		return nil, fmt.Errorf("invalid MySQL parameters: %w", err)
	}
	return cfg, nil
}

// RedactURL returns a connection string fit for messages and logs: the
// password masked as "xxxxx" in whatever form it is written (a URL's
// user-info or password-like query parameter, libpq's key=value, the MySQL
// driver's user:pass@tcp(…), a malformed URL). sqlite: names hold no
// secret and are returned as they are.
func RedactURL(rawURL string) string {
	return connstr.Redact(rawURL)
}
