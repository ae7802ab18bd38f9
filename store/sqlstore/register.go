package sqlstore

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/schema"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// A Dialect is what a registering package (store/sqlstore/sqlite,
// store/sqlstore/postgres, store/sqlstore/mysql) gives the store: how to
// open its URLs, and how to read its driver's errors. The core imports
// no driver, so that an application links only the one it imports.
type Dialect struct {
	// Name is bun's name of the dialect (pg, mysql or sqlite): New picks
	// the Dialect of a *bun.DB by it.
	Name dialect.Name
	// Schemes are the URL schemes OpenDB hands to Open, lowercase.
	Schemes []string
	// Package is the registering package's import path, for the error
	// of a URL or pool whose dialect nobody registered.
	Package string
	// Open returns a configured, unpinged pool for rawURL (whose scheme
	// is one of Schemes), and its bun dialect. With create false, a
	// database that does not exist is an error (ErrNoDatabaseFile for
	// an SQLite file) and is not created. Errors must not quote rawURL:
	// OpenDB adds its redacted form.
	Open func(rawURL string, create bool) (*sql.DB, schema.Dialect, error)
	// Classify says what a driver error means; errors not of this
	// driver are OtherError.
	Classify func(err error) ErrorClass
	// Listener returns a listener for changes recorded on channel in db,
	// or nil when db cannot listen (not this driver's pool). Nil: the
	// dialect never listens.
	Listener func(db *sql.DB, channel string) store.ChangeListener
}

// ErrorClass is what a driver error means to the store.
type ErrorClass int

// The error classes.
const (
	// OtherError is every error the store returns unchanged: a lost
	// connection, a closed pool, a cancelled context.
	OtherError ErrorClass = iota
	// UniqueViolation is a unique or primary-key violation.
	UniqueViolation
	// ForeignKeyViolation is a foreign-key violation.
	ForeignKeyViolation
	// TransientConflict is a statement that lost a race (deadlock,
	// serialization failure, a busy SQLite file) and may succeed if run
	// again.
	TransientConflict
	// AlreadyExists is adding a column or index that exists (MySQL has
	// no IF NOT EXISTS for them), which a migration takes as done.
	AlreadyExists
)

// The registry is written by the dialect packages' init functions and
// only read afterwards, as database/sql's drivers are: this is the one
// global registry of the module, so that OpenDB can take a URL while an
// application links only the driver it imports.
var (
	registryMu sync.RWMutex
	bySchemes  = map[string]*Dialect{}
	byName     = map[dialect.Name]*Dialect{}
)

// Register makes d's schemes known to OpenDB and its errors to the store.
// Dialect packages call it from init; it panics, as sql.Register does, on
// an incomplete Dialect or a scheme or name registered twice.
func Register(d Dialect) {
	if d.Name == dialect.Invalid || len(d.Schemes) == 0 || d.Open == nil || d.Classify == nil || d.Package == "" {
		panic("sqlstore: Register: Name, Schemes, Package, Open and Classify are required")
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := byName[d.Name]; dup {
		panic(fmt.Sprintf("sqlstore: Register called twice for dialect %s", d.Name))
	}
	for _, s := range d.Schemes {
		if _, dup := bySchemes[s]; dup {
			panic(fmt.Sprintf("sqlstore: Register called twice for scheme %q", s))
		}
	}
	p := &d
	p.Schemes = slices.Clone(d.Schemes)
	for _, s := range p.Schemes {
		bySchemes[s] = p
	}
	byName[p.Name] = p
}

// dialectPackages names the registering package of each dialect this
// module has, for errors about an unregistered one.
var dialectPackages = map[string]string{
	"sqlite":     "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqlite",
	"postgres":   "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/postgres",
	"postgresql": "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/postgres",
	"pg":         "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/postgres",
	"mysql":      "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/mysql",
}

// dialectForScheme returns the registered dialect of a URL scheme, or an
// error naming the package to import.
func dialectForScheme(scheme string) (*Dialect, error) {
	scheme = strings.ToLower(scheme)
	registryMu.RLock()
	d := bySchemes[scheme]
	registryMu.RUnlock()
	if d != nil {
		return d, nil
	}
	if pkg, ok := dialectPackages[scheme]; ok {
		return nil, fmt.Errorf("no %s dialect registered: import _ %q", scheme, pkg)
	}
	return nil, fmt.Errorf("unknown scheme %q: want sqlite, postgres, postgresql or mysql", scheme)
}

// dialectByName returns the registered dialect of a bun dialect, or an
// error naming the package to import.
func dialectByName(name dialect.Name) (*Dialect, error) {
	registryMu.RLock()
	d := byName[name]
	registryMu.RUnlock()
	if d != nil {
		return d, nil
	}
	if pkg, ok := dialectPackages[name.String()]; ok {
		return nil, fmt.Errorf("sqlstore: no %s dialect registered: import _ %q", name, pkg)
	}
	return nil, fmt.Errorf("sqlstore: unsupported dialect %s (want pg, mysql or sqlite)", name)
}

// classify asks every registered dialect what err means; each knows only
// its own driver's error type, so at most one answers.
func classify(err error) ErrorClass {
	registryMu.RLock()
	defer registryMu.RUnlock()
	for _, d := range byName {
		if c := d.Classify(err); c != OtherError {
			return c
		}
	}
	return OtherError
}

// listener returns the dialect's change listener on db, or nil.
func listener(name dialect.Name, db *sql.DB, channel string) store.ChangeListener {
	d, err := dialectByName(name)
	if err != nil || d.Listener == nil {
		return nil
	}
	return d.Listener(db, channel)
}

// LimitPool caps a server database's pool as OpenDB does for PostgreSQL
// and MySQL (25 connections, idle ones closed after 5 minutes), for the
// dialect packages.
func LimitPool(db *sql.DB) {
	db.SetMaxOpenConns(25)
	db.SetMaxIdleConns(25)
	db.SetConnMaxIdleTime(5 * time.Minute)
}
