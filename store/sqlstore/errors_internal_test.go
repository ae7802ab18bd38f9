package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/schema"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// fakeDriverError is a driver error whose class the fake dialect reads,
// standing in for the dialect packages (whose own tests check their
// drivers' codes), which this package's tests cannot import.
type fakeDriverError struct {
	class ErrorClass
	msg   string
}

func (e *fakeDriverError) Error() string { return e.msg }

func init() {
	Register(Dialect{
		Name:    dialect.Name(-1),
		Schemes: []string{"fake"},
		Package: "fake",
		Open: func(string, bool) (*sql.DB, schema.Dialect, error) {
			return nil, nil, errors.New("fake dialect opens nothing")
		},
		Classify: func(err error) ErrorClass {
			var f *fakeDriverError
			if errors.As(err, &f) {
				return f.class
			}
			return OtherError
		},
	})
}

func TestMapError(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("exec: %w", err) }
	for _, tc := range []struct {
		name string
		err  error
		want error // nil: returned unchanged
	}{
		{"no rows", sql.ErrNoRows, store.ErrNotFound},
		{"wrapped no rows", wrap(sql.ErrNoRows), store.ErrNotFound},
		{"unique", &fakeDriverError{UniqueViolation, "Duplicate entry '\xde\xad' for key 'hash_key' (dead)"}, store.ErrConflict},
		{"foreign key", wrap(&fakeDriverError{ForeignKeyViolation, "fk"}), store.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mapError(tc.err)
			require.ErrorIs(t, got, tc.want)
			require.NotContains(t, got.Error(), "dead", "no driver message, which may quote a key hash")
			require.NotContains(t, got.Error(), "\xde\xad")
		})
	}

	for _, tc := range []struct {
		name string
		err  error
	}{
		{"closed pool", sql.ErrConnDone},
		{"closed database", errors.New("sql: database is closed")},
		{"bad connection", driver.ErrBadConn},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}},
		{"connection reset", wrap(io.ErrUnexpectedEOF)},
		{"cancelled", context.Canceled},
		{"deadline", wrap(context.DeadlineExceeded)},
		{"other driver error", &fakeDriverError{OtherError, "admin shutdown"}},
		{"deadlock", &fakeDriverError{TransientConflict, "deadlock"}},
		{"already exists", &fakeDriverError{AlreadyExists, "duplicate column"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mapError(tc.err)
			require.Same(t, tc.err, got, "a system error is returned as it is")
			require.NotErrorIs(t, got, store.ErrNotFound)
			require.NotErrorIs(t, got, store.ErrConflict)
		})
	}

	require.NoError(t, mapError(nil))
}

func TestRetryRunsAgainOnlyAfterATransientConflict(t *testing.T) {
	calls := 0
	err := retry(t.Context(), func() error {
		calls++
		if calls < 3 {
			return &fakeDriverError{TransientConflict, "deadlock"}
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 3, calls)

	calls = 0
	err = retry(t.Context(), func() error { calls++; return &fakeDriverError{UniqueViolation, "dup"} })
	require.Error(t, err)
	require.Equal(t, 1, calls, "a conflict is an answer, not a race")

	calls = 0
	err = retry(t.Context(), func() error { calls++; return &fakeDriverError{TransientConflict, "deadlock"} })
	require.Error(t, err)
	require.Equal(t, retryAttempts, calls)
}

func TestUnregisteredDialectNamesThePackageToImport(t *testing.T) {
	_, err := OpenDB(t.Context(), "postgres://u:secret@127.0.0.1/db")
	require.ErrorContains(t, err, `import _ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/postgres"`)
	require.NotContains(t, err.Error(), "secret")
	_, err = OpenDB(t.Context(), "sqlite::memory:")
	require.ErrorContains(t, err, "store/sqlstore/sqlite")
	_, err = OpenDB(t.Context(), "oracle://x")
	require.ErrorContains(t, err, `unknown scheme "oracle"`)
}

func TestRegisterRefusesADuplicate(t *testing.T) {
	d := *byName[dialect.Name(-1)]
	require.Panics(t, func() { Register(d) })
	require.Panics(t, func() { Register(Dialect{Name: dialect.Name(-2)}) }, "incomplete")
}

// noConnector is a pool that never connects: New does no I/O. (SQLite's
// bun dialect, because an application on SQLite downloads it anyway: the
// tests of this package count in its go mod tidy.)
type noConnector struct{}

func (noConnector) Connect(context.Context) (driver.Conn, error) { return nil, errors.New("no") }
func (noConnector) Driver() driver.Driver                        { return nil }

func TestNewRefusesAPoolOfAnUnregisteredDialect(t *testing.T) {
	db := bun.NewDB(sql.OpenDB(noConnector{}), sqlitedialect.New())
	t.Cleanup(func() { db.Close() })
	_, err := New(db)
	require.ErrorContains(t, err, `import _ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqlite"`)
}
