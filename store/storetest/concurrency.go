package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// The goroutines of these tests report errors on channels and never call
// require: FailNow must run on the test's own goroutine.
func runConcurrency(t *testing.T, newStore NewStore) {
	subtests(t, newStore, map[string]func(t *testing.T, f *fixture){
		"ConcurrentWritersLoseNoWrite": func(t *testing.T, f *fixture) {
			const writers, perWriter = 8, 5
			accounts := make([]store.Account, writers)
			for i := range accounts {
				accounts[i] = f.account("writer")
			}
			errs := make(chan error, writers)
			var wg sync.WaitGroup
			for _, a := range accounts {
				wg.Go(func() {
					for i := range perWriter {
						k, err := newKey(a.ID)
						if err == nil {
							err = f.w.KeyCreate(f.ctx, store.DefaultTenant, k)
						}
						if err == nil {
							err = f.w.PermissionCreate(f.ctx, store.DefaultTenant, grantOf(a.ID, fmt.Sprintf("s%d", i), ""))
						}
						if err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			for _, a := range accounts {
				keys, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
				require.NoError(t, err)
				require.Len(t, keys, perWriter)
				perms, err := f.s.PermissionList(f.ctx, store.DefaultTenant, a.ID)
				require.NoError(t, err)
				require.Len(t, perms, perWriter)
			}
		},
		"ConcurrentTouchesKeepTheLatestTime": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.key(a.ID, nil)
			const flushers = 8
			errs := make(chan error, flushers)
			var wg sync.WaitGroup
			for i := range flushers {
				wg.Go(func() {
					errs <- f.s.KeysTouch(f.ctx, []store.KeyTouch{{KeyID: k.ID, UsedAt: base.Add(time.Duration(i) * time.Minute)}})
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			got, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			requireTimePtr(t, ptr(base.Add((flushers-1)*time.Minute)), got[0].LastUsedAt)
		},
		// The check reads the key rows themselves: KeyByHash joins the
		// accounts table, so it cannot see a key whose account is gone,
		// but an account created again with the same id sees every row
		// that still names it.
		"DeletingAnAccountWhileKeysAreAddedLeavesNoOrphanKey": func(t *testing.T, f *fixture) {
			a := f.account("a")
			const adders = 4
			created := make(chan apikey.Key, adders*10)
			errs := make(chan error, adders+1)
			var wg sync.WaitGroup
			for range adders {
				wg.Go(func() {
					for range 10 {
						k, err := newKey(a.ID)
						if err == nil {
							err = f.w.KeyCreate(f.ctx, store.DefaultTenant, k)
						}
						if errors.Is(err, store.ErrNotFound) {
							return // the account is gone: the contract's answer
						}
						if err != nil {
							errs <- err
							return
						}
						created <- k
					}
				})
			}
			wg.Go(func() { errs <- f.w.AccountDelete(f.ctx, store.DefaultTenant, a.ID) })
			wg.Wait()
			close(created)
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			for k := range created {
				_, err := f.s.KeyByHash(f.ctx, k.Hash)
				require.ErrorIs(t, err, store.ErrNotFound, "a key of a deleted account must not authenticate")
			}
			require.NoError(t, f.w.AccountCreate(f.ctx, store.DefaultTenant, a), "the id is free again")
			orphans, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Empty(t, orphans, "no key row outlived its account")
		},
		"DeletingAnAccountWhilePermissionsAreAddedLeavesNoOrphanPermission": func(t *testing.T, f *fixture) {
			a := f.account("a")
			const adders = 4
			errs := make(chan error, adders+1)
			var wg sync.WaitGroup
			for n := range adders {
				wg.Go(func() {
					for i := range 10 {
						err := f.w.PermissionCreate(f.ctx, store.DefaultTenant, grantOf(a.ID, fmt.Sprintf("s%d-%d", n, i), ""))
						if errors.Is(err, store.ErrNotFound) {
							return
						}
						if err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Go(func() { errs <- f.w.AccountDelete(f.ctx, store.DefaultTenant, a.ID) })
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			require.NoError(t, f.w.AccountCreate(f.ctx, store.DefaultTenant, a), "the id is free again")
			orphans, err := f.s.PermissionList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Empty(t, orphans, "no permission row outlived its account")
		},
		"IdenticalConcurrentGrantsOneSucceedsTheOthersConflict": func(t *testing.T, f *fixture) {
			a := f.account("a")
			const granters = 8
			errs := make(chan error, granters)
			var wg sync.WaitGroup
			for i := range granters {
				wg.Go(func() {
					// Half write "r1", half ["r1"]: one grant.
					lim := `[{"reportKey":"r1"}]`
					if i%2 == 1 {
						lim = `[{"reportKey":["r1"]}]`
					}
					errs <- f.w.PermissionCreate(f.ctx, store.DefaultTenant, grantOf(a.ID, "s1", lim))
				})
			}
			wg.Wait()
			close(errs)
			succeeded := 0
			for err := range errs {
				if err == nil {
					succeeded++
					continue
				}
				require.ErrorIs(t, err, store.ErrConflict)
			}
			require.Equal(t, 1, succeeded)
			perms, err := f.s.PermissionList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Len(t, perms, 1)
		},
		"ConcurrentReadersSeeConsistentCredentials": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.key(a.ID, nil)
			f.permission(a.ID, "users", "*", "*", "")
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for range 16 {
				wg.Go(func() {
					c, err := f.s.KeyByHash(f.ctx, k.Hash)
					if err == nil && (c.Account.ID != a.ID || len(c.Permissions) != 1) {
						err = errors.New("inconsistent credential")
					}
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
		},
	})
}

// grantOf is a get-reports permission on study resourceKey, with a fresh
// id, made without a *testing.T so that goroutines may call it. A UUIDv7
// that cannot be made is a broken machine: it panics.
func grantOf(accountID uuid.UUID, resourceKey, limiterJSON string) permission.Permission {
	p := permission.Permission{
		ID: uuid.Must(uuid.NewV7()), AccountID: accountID,
		ResourceType: "study", ResourceKey: resourceKey, Action: "get-reports", CreatedAt: base,
	}
	if limiterJSON != "" {
		p.Limiter = limiter.MustParse(limiterJSON)
	}
	return p
}
