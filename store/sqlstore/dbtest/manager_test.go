package sqlstore_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// TestAStoredPolicyIsEnforcedByEveryInstanceAtOnce: two instances (stores
// of their own, one database) with different configurations. The first
// default stored wins; a tenant's policy set through one instance is
// enforced by the other on its next key creation, without waiting for a
// change feed, because creation reads the policy in its transaction.
func TestAStoredPolicyIsEnforcedByEveryInstanceAtOnce(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		if d.name == "sqlite" {
			url = sqltest.SQLiteURL(t)
		}
		stores := sqltest.NewSharedStores(t, url, 2)
		ctx := t.Context()
		server, err := serviceaccount.NewManager(serviceaccount.Config{Store: stores[0], Policy: serviceaccount.Policy{MaxKeysPerAccount: 3}})
		require.NoError(t, err)
		cli, err := serviceaccount.NewManager(serviceaccount.Config{Store: stores[1]}) // the library's defaults: 10 keys
		require.NoError(t, err)
		_, err = server.DefaultPolicy(ctx)
		require.NoError(t, err)

		a, err := cli.CreateAccount(ctx, serviceaccount.AccountInput{Label: "a"})
		require.NoError(t, err)
		for range 3 {
			_, err := cli.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
			require.NoError(t, err)
		}
		_, err = cli.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
		require.ErrorIs(t, err, store.ErrConflict, "the stored default, not the CLI's configuration")

		serverAcme, err := server.Tenant("acme")
		require.NoError(t, err)
		cliAcme, err := cli.Tenant("acme")
		require.NoError(t, err)
		b, err := cliAcme.CreateAccount(ctx, serviceaccount.AccountInput{Label: "b"})
		require.NoError(t, err)
		_, err = serverAcme.SetPolicy(ctx, serviceaccount.TenantPolicy{MaxKeysPerAccount: 1, MaxKeyLifetime: time.Hour})
		require.NoError(t, err)
		_, err = cliAcme.CreateKey(ctx, b.ID, serviceaccount.CreateKeyInput{})
		var verr *serviceaccount.ValidationError
		require.ErrorAs(t, err, &verr, "a maximum lifetime without a default needs an expiry")
		_, err = cliAcme.CreateKey(ctx, b.ID, serviceaccount.CreateKeyInput{ExpiresAt: ptrTime(cli.Clock().Now().Add(30 * time.Minute))})
		require.NoError(t, err)
		_, err = cliAcme.CreateKey(ctx, b.ID, serviceaccount.CreateKeyInput{ExpiresAt: ptrTime(cli.Clock().Now().Add(30 * time.Minute))})
		require.ErrorIs(t, err, store.ErrConflict, "acme's cap of one")

		p, stored, err := cliAcme.EffectivePolicy(ctx)
		require.NoError(t, err)
		require.True(t, stored)
		require.Equal(t, 1, p.MaxKeysPerAccount)
	})
}

func ptrTime(t time.Time) *time.Time { return &t }
