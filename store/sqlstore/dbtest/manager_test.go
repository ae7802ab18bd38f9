package sqlstore_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// TestConcurrentChangesThatCheckBeforeWritingSerialize runs the Manager's
// read-check-write changes concurrently on each database: creations at the
// key cap (the account row is locked before counting) and rotations of one
// key (the key row is locked before it is checked). Exactly as many
// succeed as the rules allow; the others get a conflict, never a deadlock
// or a second replacement.
func TestConcurrentChangesThatCheckBeforeWritingSerialize(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		if d.name == "sqlite" {
			url = sqltest.SQLiteURL(t)
		}
		s := sqltest.NewStore(t, url)
		const limit, callers = 3, 8
		m, err := serviceaccount.NewManager(serviceaccount.Config{Store: s, Policy: serviceaccount.Policy{MaxKeysPerAccount: limit}})
		require.NoError(t, err)
		ctx := t.Context()
		a, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "a"})
		require.NoError(t, err)

		run := func(fn func() error) (succeeded int) {
			errs := make(chan error, callers)
			var wg sync.WaitGroup
			for range callers {
				wg.Go(func() { errs <- fn() })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err == nil {
					succeeded++
					continue
				}
				var conflict *serviceaccount.ConflictError
				require.ErrorAs(t, err, &conflict)
				require.ErrorIs(t, err, store.ErrConflict)
			}
			return succeeded
		}

		created := run(func() error {
			_, err := m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
			return err
		})
		require.Equal(t, limit, created)
		keys, err := m.Keys(ctx, a.ID)
		require.NoError(t, err)
		require.Len(t, keys, limit)

		target := keys[0].ID
		rotated := run(func() error {
			_, err := m.RotateKey(ctx, a.ID, target, serviceaccount.RotateKeyInput{})
			return err
		})
		require.Equal(t, 1, rotated)
		keys, err = m.Keys(ctx, a.ID)
		require.NoError(t, err)
		require.Len(t, keys, limit+1, "one replacement, not several")

		// The account is locked before a rotation counts its keys: of
		// concurrent rotations of different keys of an account at the
		// cap, exactly one goes one key over it.
		b, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "b"})
		require.NoError(t, err)
		var ids []uuid.UUID
		for range limit {
			k, err := m.CreateKey(ctx, b.ID, serviceaccount.CreateKeyInput{})
			require.NoError(t, err)
			ids = append(ids, k.Key.ID)
		}
		var turn atomic.Int32
		rotated = run(func() error {
			id := ids[int(turn.Add(1))%len(ids)]
			_, err := m.RotateKey(ctx, b.ID, id, serviceaccount.RotateKeyInput{})
			return err
		})
		require.Equal(t, 1, rotated)
		keys, err = m.Keys(ctx, b.ID)
		require.NoError(t, err)
		require.Len(t, keys, limit+1, "never more than one key over the cap")
	})
}
