package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

var errInjected = errors.New("storetest: injected failure")

// snapshot is everything the store holds for some accounts, to compare
// before and after a transaction that must change nothing.
type snapshot struct {
	accounts []store.Account
	keys     map[uuid.UUID][]uuid.UUID
	perms    map[uuid.UUID][]string
}

func (f *fixture) snapshot() snapshot {
	f.t.Helper()
	accounts, err := f.s.AccountList(f.ctx, store.DefaultTenant, uuid.Nil, 1000)
	require.NoError(f.t, err)
	snap := snapshot{accounts: accounts, keys: map[uuid.UUID][]uuid.UUID{}, perms: map[uuid.UUID][]string{}}
	for _, a := range accounts {
		keys, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
		require.NoError(f.t, err)
		snap.keys[a.ID] = keyIDs(keys)
		perms, err := f.s.PermissionList(f.ctx, store.DefaultTenant, a.ID)
		require.NoError(f.t, err)
		for _, p := range perms {
			snap.perms[a.ID] = append(snap.perms[a.ID], p.ID.String()+" "+p.Limiter.String())
		}
	}
	return snap
}

func runTransactions(t *testing.T, newStore NewStore) {
	subtests(t, newStore, map[string]func(t *testing.T, f *fixture){
		"InTxCommitsEveryWriteOfFn": func(t *testing.T, f *fixture) {
			a := store.Account{ID: newID(t), Label: "a", CreatedAt: base, UpdatedAt: base}
			k, _ := f.keyRecord(a.ID)
			p := grantOf(a.ID, "s1", `[{"reportKey":"r1"}]`)
			require.NoError(t, f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				if err := tx.AccountCreate(ctx, store.DefaultTenant, a); err != nil {
					return err
				}
				if err := tx.KeyCreate(ctx, store.DefaultTenant, k); err != nil {
					return err
				}
				return tx.PermissionCreate(ctx, store.DefaultTenant, p)
			}))
			c, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			requireAccount(t, a, c.Account)
			require.Len(t, c.Permissions, 1)
			requirePermission(t, p, c.Permissions[0])
		},
		"FnSeesItsOwnWrites": func(t *testing.T, f *fixture) {
			a := store.Account{ID: newID(t), Label: "a", CreatedAt: base, UpdatedAt: base}
			k, _ := f.keyRecord(a.ID)
			p := grantOf(a.ID, "s1", "")
			require.NoError(t, f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				require.NoError(t, tx.AccountCreate(ctx, store.DefaultTenant, a))
				require.NoError(t, tx.KeyCreate(ctx, store.DefaultTenant, k))
				require.NoError(t, tx.PermissionCreate(ctx, store.DefaultTenant, p))
				got, err := tx.AccountGet(ctx, store.DefaultTenant, a.ID)
				require.NoError(t, err)
				requireAccount(t, a, got)
				gotKey, err := tx.KeyGet(ctx, store.DefaultTenant, a.ID, k.ID)
				require.NoError(t, err)
				requireKey(t, k, gotKey)
				keys, err := tx.KeyList(ctx, store.DefaultTenant, a.ID)
				require.NoError(t, err)
				require.Equal(t, []uuid.UUID{k.ID}, keyIDs(keys))
				gotPerm, err := tx.PermissionGet(ctx, store.DefaultTenant, a.ID, p.ID)
				require.NoError(t, err)
				requirePermission(t, p, gotPerm)
				perms, err := tx.PermissionList(ctx, store.DefaultTenant, a.ID)
				require.NoError(t, err)
				require.Equal(t, []uuid.UUID{p.ID}, permissionIDs(perms))
				return nil
			}))
		},
		"AnErrorFromFnRollsBackEveryWrite": func(t *testing.T, f *fixture) {
			kept := f.account("kept")
			keptKey, _ := f.key(kept.ID, nil)
			keptPerm := f.permission(kept.ID, "study", "s1", "get-reports", `[{"reportKey":"r1"}]`)
			doomed := f.account("doomed")
			f.key(doomed.ID, nil)
			f.permission(doomed.ID, "users", "*", "*", "")
			before := f.snapshot()

			fresh := store.Account{ID: newID(t), Label: "fresh", CreatedAt: base, UpdatedAt: base}
			freshKey, _ := f.keyRecord(fresh.ID)
			err := f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				require.NoError(t, tx.AccountCreate(ctx, store.DefaultTenant, fresh))
				require.NoError(t, tx.KeyCreate(ctx, store.DefaultTenant, freshKey))
				require.NoError(t, tx.PermissionCreate(ctx, store.DefaultTenant, grantOf(fresh.ID, "s9", "")))
				_, err := tx.AccountUpdate(ctx, store.DefaultTenant, store.AccountUpdateParams{ID: kept.ID, Label: "changed", UpdatedAt: base})
				require.NoError(t, err)
				require.NoError(t, tx.KeyDelete(ctx, store.DefaultTenant, kept.ID, keptKey.ID))
				_, err = tx.PermissionUpdateLimiter(ctx, store.DefaultTenant, store.PermissionUpdateLimiterParams{AccountID: kept.ID, PermissionID: keptPerm.ID})
				require.NoError(t, err)
				require.NoError(t, tx.AccountDelete(ctx, store.DefaultTenant, doomed.ID))
				return errInjected
			})
			require.ErrorIs(t, err, errInjected, "fn's error comes back")
			require.Equal(t, before, f.snapshot(), "nothing of fn remains")
			_, err = f.s.KeyByHash(f.ctx, freshKey.Hash)
			require.ErrorIs(t, err, store.ErrNotFound)
			c, err := f.s.KeyByHash(f.ctx, keptKey.Hash)
			require.NoError(t, err, "the deleted key is back")
			require.Equal(t, "kept", c.Account.Label)
			require.True(t, limiter.MustParse(`[{"reportKey":"r1"}]`).Equal(c.Permissions[0].Limiter), "the limiter is back")
		},
		"APanicInFnRollsBackAndGoesOn": func(t *testing.T, f *fixture) {
			f.account("kept")
			before := f.snapshot()
			fresh := store.Account{ID: newID(t), Label: "fresh", CreatedAt: base, UpdatedAt: base}
			require.PanicsWithValue(t, "boom", func() {
				_ = f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
					if err := tx.AccountCreate(ctx, store.DefaultTenant, fresh); err != nil {
						return err
					}
					panic("boom")
				})
			})
			require.Equal(t, before, f.snapshot())
			// The store is still usable: the lock or connection was released.
			f.account("after")
		},
		"AStoreErrorInsideATransactionRollsBackItsEarlierWrites": func(t *testing.T, f *fixture) {
			a := f.account("a")
			f.permission(a.ID, "study", "s1", "get-reports", `[{"reportKey":"r1"}]`)
			before := f.snapshot()
			fresh := store.Account{ID: newID(t), Label: "fresh", CreatedAt: base, UpdatedAt: base}
			err := f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				if err := tx.AccountCreate(ctx, store.DefaultTenant, fresh); err != nil {
					return err
				}
				// The same grant written the other way: the store refuses it.
				return tx.PermissionCreate(ctx, store.DefaultTenant, grantOf(a.ID, "s1", `[{"reportKey":["r1"]}]`))
			})
			require.ErrorIs(t, err, store.ErrConflict)
			require.Equal(t, before, f.snapshot())
		},
		"ARollbackIsInvisibleToAConcurrentReader": func(t *testing.T, f *fixture) {
			fresh := store.Account{ID: newID(t), Label: "fresh", CreatedAt: base, UpdatedAt: base}
			read := make(chan error, 1)
			err := f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				if err := tx.AccountCreate(ctx, store.DefaultTenant, fresh); err != nil {
					return err
				}
				// A reader outside the transaction, while it is open (a
				// memory store makes it wait for the end instead).
				go func() {
					_, err := f.s.AccountGet(f.ctx, store.DefaultTenant, fresh.ID)
					read <- err
				}()
				return errInjected
			})
			require.ErrorIs(t, err, errInjected)
			require.ErrorIs(t, <-read, store.ErrNotFound)
		},
		"ATxUsedAfterInTxReturnedFails": func(t *testing.T, f *fixture) {
			var kept store.Tx
			require.NoError(t, f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				kept = tx
				return nil
			}))
			a := store.Account{ID: newID(t), Label: "late", CreatedAt: base, UpdatedAt: base}
			err := kept.AccountCreate(f.ctx, store.DefaultTenant, a)
			require.Error(t, err)
			require.NotErrorIs(t, err, store.ErrNotFound)
			_, err = f.s.AccountGet(f.ctx, store.DefaultTenant, a.ID)
			require.ErrorIs(t, err, store.ErrNotFound, "nothing was written")
		},
		"ACanceledContextFailsInTxWithoutRunningAWrite": func(t *testing.T, f *fixture) {
			ctx, cancel := context.WithCancel(f.ctx)
			cancel()
			a := store.Account{ID: newID(t), Label: "x", CreatedAt: base, UpdatedAt: base}
			err := f.s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.AccountCreate(ctx, store.DefaultTenant, a) })
			require.Error(t, err)
			require.NotErrorIs(t, err, store.ErrNotFound)
			_, err = f.s.AccountGet(f.ctx, store.DefaultTenant, a.ID)
			require.ErrorIs(t, err, store.ErrNotFound)
		},
		"AContextCanceledDuringFnCommitsNothing": func(t *testing.T, f *fixture) {
			// The client went away while the change ran: whether fn notices
			// (its next write fails) or not (it returns nil), nothing of it
			// is committed, and the store stays usable.
			for _, writeAgain := range []bool{true, false} {
				ctx, cancel := context.WithCancel(f.ctx)
				a := store.Account{ID: newID(t), Label: "x", CreatedAt: base, UpdatedAt: base}
				err := f.s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
					if err := tx.AccountCreate(ctx, store.DefaultTenant, a); err != nil {
						return err
					}
					cancel()
					if writeAgain {
						return tx.PermissionCreate(ctx, store.DefaultTenant, grantOf(a.ID, "s1", ""))
					}
					return nil
				})
				require.Error(t, err, "writeAgain=%v", writeAgain)
				require.NotErrorIs(t, err, store.ErrNotFound)
				_, err = f.s.AccountGet(f.ctx, store.DefaultTenant, a.ID)
				require.ErrorIs(t, err, store.ErrNotFound, "writeAgain=%v", writeAgain)
			}
			f.account("after")
		},
		"KeyGetAndPermissionGetReturnErrNotFoundForAnotherAccountsRow": func(t *testing.T, f *fixture) {
			owner := f.account("owner")
			intruder := f.account("intruder")
			k, _ := f.key(owner.ID, nil)
			p := f.permission(owner.ID, "users", "*", "*", "")
			require.NoError(t, f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.KeyGet(ctx, store.DefaultTenant, intruder.ID, k.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				_, err = tx.KeyGet(ctx, store.DefaultTenant, owner.ID, newID(t))
				require.ErrorIs(t, err, store.ErrNotFound)
				_, err = tx.PermissionGet(ctx, store.DefaultTenant, intruder.ID, p.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				_, err = tx.AccountGet(ctx, store.DefaultTenant, newID(t))
				require.ErrorIs(t, err, store.ErrNotFound)
				return nil
			}))
		},
	})
}
