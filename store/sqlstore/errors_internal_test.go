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

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

func TestMapError(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("exec: %w", err) }
	for _, tc := range []struct {
		name string
		err  error
		want error // nil: returned unchanged
	}{
		{"no rows", sql.ErrNoRows, store.ErrNotFound},
		{"wrapped no rows", wrap(sql.ErrNoRows), store.ErrNotFound},
		{"postgres unique", &pgconn.PgError{Code: "23505", Detail: "Key (hash)=(\\xdeadbeef) already exists."}, store.ErrConflict},
		{"postgres foreign key", wrap(&pgconn.PgError{Code: "23503"}), store.ErrNotFound},
		{"mysql duplicate entry", &mysql.MySQLError{Number: 1062, Message: "Duplicate entry '\xde\xad' for key 'hash_key'"}, store.ErrConflict},
		{"mysql foreign key", wrap(&mysql.MySQLError{Number: 1452}), store.ErrNotFound},
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
		{"postgres admin shutdown", &pgconn.PgError{Code: "57P01"}},
		{"postgres deadlock", &pgconn.PgError{Code: "40P01"}},
		{"mysql gone away", &mysql.MySQLError{Number: 2006}},
		{"mysql deadlock", &mysql.MySQLError{Number: 1213}},
		{"mysql invalid connection", mysql.ErrInvalidConn},
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

// TestMapErrorOnSQLiteErrors gets real errors from SQLite, whose error
// type cannot be built outside its package.
func TestMapErrorOnSQLiteErrors(t *testing.T) {
	db, err := OpenDB(t.Context(), "sqlite::memory:")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	ctx := t.Context()
	for _, q := range []string{
		`CREATE TABLE parent (id INTEGER PRIMARY KEY, u TEXT UNIQUE)`,
		`CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id))`,
		`INSERT INTO parent (id, u) VALUES (1, 'x')`,
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err)
	}
	_, err = db.DB.ExecContext(ctx, `INSERT INTO parent (id, u) VALUES (1, 'y')`)
	require.ErrorIs(t, mapError(err), store.ErrConflict, "primary key")
	_, err = db.DB.ExecContext(ctx, `INSERT INTO parent (id, u) VALUES (2, 'x')`)
	require.ErrorIs(t, mapError(err), store.ErrConflict, "unique")
	_, err = db.DB.ExecContext(ctx, `INSERT INTO child (id, parent_id) VALUES (1, 99)`)
	require.ErrorIs(t, mapError(err), store.ErrNotFound, "foreign key")
	_, err = db.DB.ExecContext(ctx, `INSERT INTO nowhere VALUES (1)`)
	require.Error(t, mapError(err))
	require.NotErrorIs(t, mapError(err), store.ErrNotFound, "other errors stay system errors")
}

func TestRetryRunsAgainOnlyAfterATransientConflict(t *testing.T) {
	calls := 0
	err := retry(t.Context(), func() error {
		calls++
		if calls < 3 {
			return &pgconn.PgError{Code: "40P01"}
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 3, calls)

	calls = 0
	err = retry(t.Context(), func() error { calls++; return &mysql.MySQLError{Number: 1062} })
	require.Error(t, err)
	require.Equal(t, 1, calls, "a conflict is an answer, not a race")

	calls = 0
	err = retry(t.Context(), func() error { calls++; return &mysql.MySQLError{Number: 1213} })
	require.Error(t, err)
	require.Equal(t, retryAttempts, calls)
}
