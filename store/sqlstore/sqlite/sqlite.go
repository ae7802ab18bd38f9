// Package sqlite registers SQLite (modernc.org/sqlite, pure Go) with
// store/sqlstore, for sqlite:PATH and sqlite::memory: URLs. Import it for
// its side effect, as a database/sql driver:
//
//	import _ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqlite"
//
// An application that imports only this dialect package links no
// PostgreSQL or MySQL driver.
package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"strings"

	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/schema"
	lite "modernc.org/sqlite" // also registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
)

func init() {
	sqlstore.Register(sqlstore.Dialect{
		Name:     dialect.SQLite,
		Schemes:  []string{"sqlite"},
		Package:  "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqlite",
		Open:     open,
		Classify: classify,
	})
}

func open(rawURL string, create bool) (*sql.DB, schema.Dialect, error) {
	// sqlstore has checked the scheme: PATH is what follows "sqlite:".
	_, path, _ := strings.Cut(rawURL, ":")
	return openSQLite(path, create)
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
			return nil, nil, fmt.Errorf("%w: %s", sqlstore.ErrNoDatabaseFile, path)
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

// classify reads SQLite's extended result codes.
func classify(err error) sqlstore.ErrorClass {
	var liteErr *lite.Error
	if !errors.As(err, &liteErr) {
		return sqlstore.OtherError
	}
	switch code := liteErr.Code(); code {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqlstore.UniqueViolation
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqlstore.ForeignKeyViolation
	default:
		if primary := code & 0xff; primary == sqlite3.SQLITE_BUSY || primary == sqlite3.SQLITE_LOCKED {
			return sqlstore.TransientConflict
		}
	}
	return sqlstore.OtherError
}
