package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// mapError is the one place where driver errors become the store's
// sentinels:
//
//   - no rows → store.ErrNotFound;
//   - a unique or primary-key violation → store.ErrConflict;
//   - a foreign-key violation → store.ErrNotFound: the only statements that
//     can violate one insert a key or permission, and then the account
//     they name does not exist;
//   - anything else (a lost connection, a closed pool, a cancelled context,
//     a deadlock) is returned unchanged: a system error, never a sentinel.
//
// A sentinel is returned without the driver's message, because MySQL's
// duplicate-entry message quotes the duplicated value, which may be a key
// hash.
func mapError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	}
	switch classify(err) {
	case uniqueViolation:
		return store.ErrConflict
	case foreignKeyViolation:
		return store.ErrNotFound
	}
	return err
}

type errorClass int

const (
	otherError errorClass = iota
	uniqueViolation
	foreignKeyViolation
	// transientConflict: the statement lost a race (deadlock,
	// serialization failure, a busy SQLite file) and running it again may
	// succeed.
	transientConflict
)

func classify(err error) errorClass {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return uniqueViolation
		case "23503": // foreign_key_violation
			return foreignKeyViolation
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return transientConflict
		}
		return otherError
	}
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		switch myErr.Number {
		case 1062: // ER_DUP_ENTRY
			return uniqueViolation
		case 1452: // ER_NO_REFERENCED_ROW_2
			return foreignKeyViolation
		case 1213: // ER_LOCK_DEADLOCK
			return transientConflict
		}
		return otherError
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch code := liteErr.Code(); code {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return uniqueViolation
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return foreignKeyViolation
		default:
			if primary := code & 0xff; primary == sqlite3.SQLITE_BUSY || primary == sqlite3.SQLITE_LOCKED {
				return transientConflict
			}
		}
	}
	return otherError
}

// retryAttempts bounds how often a write that lost a race is run again.
const retryAttempts = 5

// retry runs fn, which must be safe to repeat (one statement, or one whole
// transaction), again when it lost a race with a concurrent writer: two
// flushes touching the same keys in a different order, or a delete and an
// insert crossing on MySQL, can deadlock, and the database then aborts one
// of them. The pauses are short and random, so that the two do not collide
// again; they wait on a timer, not on a clock, because no time is recorded.
func retry(ctx context.Context, fn func() error) error {
	var err error
	for attempt := range retryAttempts {
		err = fn()
		if err == nil || classify(err) != transientConflict {
			return err
		}
		pause := time.Duration(1+rand.IntN(5<<attempt)) * time.Millisecond
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
	return err
}
