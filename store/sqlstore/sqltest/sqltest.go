// Package sqltest finds the databases that tests of SQL-backed code run
// against, and makes isolated stores in them, for this module's tests (the
// store's own, and the admin and end-to-end tests of other packages).
//
// PostgreSQL and MySQL/MariaDB are named by SA_TEST_POSTGRES_DSN /
// SA_TEST_MYSQL_DSN, URLs in the form sqlstore.OpenDB accepts (for MySQL,
// a go-sql-driver DSN such as root@tcp(127.0.0.1:3306)/test is accepted
// too). Without one, the test is skipped with a message saying how to
// enable it, or, with SA_TEST_REQUIRE_DB=1 (as in CI), it fails. There is
// no testcontainers fallback: it would put testcontainers and the Docker
// client in the module graph of every application that imports the store.
//
// It imports all three dialect packages, so a test that uses it can open
// every database.
//
// SQLite needs nothing: SQLiteURL names a file in the test's temporary
// directory.
package sqltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	_ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/mysql"    // mysql:// URLs
	_ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/postgres" // postgres:// URLs
	_ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqlite"   // sqlite: URLs
)

// The environment variables read by this package.
const (
	EnvPostgresDSN = "SA_TEST_POSTGRES_DSN"
	EnvMySQLDSN    = "SA_TEST_MYSQL_DSN"
	EnvRequireDB   = "SA_TEST_REQUIRE_DB"
)

// Example values, as on the project's machines.
const (
	ExamplePostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	ExampleMySQLDSN    = "mysql://root@127.0.0.1:3306/test"
)

// PostgresURL returns the URL of a PostgreSQL database for tests, or skips
// (fails, with SA_TEST_REQUIRE_DB=1) t when there is none.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return serverURL(t, &postgresServer)
}

// MySQLURL returns the URL of a MySQL or MariaDB database for tests, or
// skips (fails, with SA_TEST_REQUIRE_DB=1) t when there is none.
func MySQLURL(t testing.TB) string {
	t.Helper()
	return serverURL(t, &mysqlServer)
}

// SQLiteURL returns the URL of a new SQLite file in t's temporary
// directory.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite:" + t.TempDir() + "/test.db"
}

// RequireDB reports whether SA_TEST_REQUIRE_DB asks for missing databases
// to fail the run.
func RequireDB() bool {
	v, _ := strconv.ParseBool(os.Getenv(EnvRequireDB))
	return v
}

var (
	poolsMu sync.Mutex
	pools   = map[string]*bun.DB{}
)

// Open returns a pool on the database at url. PostgreSQL and MySQL pools
// are shared by every test of the binary (and never closed: the process
// ends first), so that parallel tests do not exhaust the server's
// connections; an SQLite pool is the test's own, closed when it ends.
func Open(t testing.TB, url string) *bun.DB {
	t.Helper()
	if strings.HasPrefix(url, "sqlite:") {
		db, err := sqlstore.OpenDB(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	poolsMu.Lock()
	defer poolsMu.Unlock()
	if db, ok := pools[url]; ok {
		return db
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sqlstore.OpenDB(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	pools[url] = db
	return db
}

// UniquePrefix returns a random table prefix, so that tests sharing a
// database each have their own tables.
func UniquePrefix() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return "t" + hex.EncodeToString(b[:]) + "_"
}

// NewStore returns a migrated store of its own (a random table prefix) in
// the database at url, and drops its tables when t ends.
func NewStore(t testing.TB, url string) *sqlstore.Store {
	t.Helper()
	db := Open(t, url)
	prefix := UniquePrefix()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	migrate(ctx, t, db, prefix)
	s, err := sqlstore.New(db, sqlstore.WithTablePrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// migrate creates the tables of prefix in db, and drops them when t ends.
func migrate(ctx context.Context, t testing.TB, db *bun.DB, prefix string) {
	t.Helper()
	if err := sqlstore.Migrate(ctx, db, sqlstore.WithTablePrefix(prefix)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := sqlstore.DropTables(ctx, db, sqlstore.WithTablePrefix(prefix)); err != nil {
			t.Errorf("drop the test's tables: %v", err)
		}
	})
}

// NewSharedStores returns n stores on the same new tables (a random table
// prefix, migrated once) in the database at url, each on a pool of its own
// as separate processes would have, for tests of several instances sharing
// one database. The pools are closed and the tables dropped when t ends.
func NewSharedStores(t testing.TB, url string, n int) []*sqlstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	prefix := UniquePrefix()
	stores := make([]*sqlstore.Store, n)
	for i := range stores {
		db, err := sqlstore.OpenDB(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		// Few connections each: parallel tests on a shared server must
		// stay under its connection limit. Enough for the migration lock
		// and its work, a listener, and a query.
		db.SetMaxOpenConns(5)
		if i == 0 {
			migrate(ctx, t, db, prefix)
		}
		s, err := sqlstore.New(db, sqlstore.WithTablePrefix(prefix))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	return stores
}

type server struct {
	name    string // for messages
	env     string
	example string
}

var postgresServer = server{name: "PostgreSQL", env: EnvPostgresDSN, example: ExamplePostgresDSN}

var mysqlServer = server{name: "MySQL", env: EnvMySQLDSN, example: ExampleMySQLDSN}

func serverURL(t testing.TB, s *server) string {
	t.Helper()
	if v := os.Getenv(s.env); v != "" {
		if s == &mysqlServer {
			return mysqlURL(t, v)
		}
		return v
	}
	msg := fmt.Sprintf("%s tests need a database: set %s=%s", s.name, s.env, s.example)
	if RequireDB() {
		t.Fatalf("%s; %s=1 makes this a failure", msg, EnvRequireDB)
	}
	t.Skipf("%s; %s=1 makes this a failure instead of a skip", msg, EnvRequireDB)
	return ""
}

// mysqlURL accepts a mysql:// URL as is, and turns a go-sql-driver DSN
// into one.
func mysqlURL(t testing.TB, v string) string {
	t.Helper()
	if strings.HasPrefix(v, "mysql://") {
		return v
	}
	cfg, err := mysql.ParseDSN(v)
	if err != nil {
		t.Fatalf("%s is neither a mysql:// URL nor a go-sql-driver DSN", EnvMySQLDSN)
	}
	u := url.URL{Scheme: "mysql", Host: cfg.Addr, Path: "/" + cfg.DBName}
	if cfg.User != "" {
		u.User = url.User(cfg.User)
		if cfg.Passwd != "" {
			u.User = url.UserPassword(cfg.User, cfg.Passwd)
		}
	}
	return u.String()
}
