package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

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
	case UniqueViolation:
		return store.ErrConflict
	case ForeignKeyViolation:
		return store.ErrNotFound
	}
	return err
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
		if err == nil || classify(err) != TransientConflict {
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
