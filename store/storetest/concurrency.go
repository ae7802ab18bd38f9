package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

func runConcurrency(t *testing.T, newStore NewStore) {
	subtests(t, newStore, map[string]func(t *testing.T, f *fixture){
		"ConcurrentWritersLoseNoWrite": func(t *testing.T, f *fixture) {
			const writers, perWriter = 8, 5
			accounts := make([]serviceaccount.Account, writers)
			for i := range accounts {
				accounts[i] = f.account("writer")
			}
			errs := make(chan error, writers)
			var wg sync.WaitGroup
			for _, a := range accounts {
				wg.Go(func() {
					for range perWriter {
						plaintext, err := apikey.Generate(apikey.DefaultPrefix)
						if err == nil {
							err = f.s.KeyCreate(f.ctx, apikey.Key{ID: newID(t), AccountID: a.ID, Hash: apikey.HashKey(plaintext), Hint: apikey.Hint(plaintext), CreatedAt: base})
						}
						if err == nil {
							err = f.s.PermissionCreate(f.ctx, permission.Permission{ID: newID(t), AccountID: a.ID, ResourceType: "users", ResourceKey: "*", Action: "*", CreatedAt: base})
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
				keys, err := f.s.KeyList(f.ctx, a.ID)
				require.NoError(t, err)
				require.Len(t, keys, perWriter)
				perms, err := f.s.PermissionList(f.ctx, a.ID)
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
					errs <- f.s.KeysTouch(f.ctx, []serviceaccount.KeyTouch{{KeyID: k.ID, UsedAt: base.Add(time.Duration(i) * time.Minute)}})
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			got, err := f.s.KeyList(f.ctx, a.ID)
			require.NoError(t, err)
			requireTimePtr(t, ptr(base.Add((flushers-1)*time.Minute)), got[0].LastUsedAt)
		},
		"DeletingAnAccountWhileKeysAreAddedLeavesNoOrphanKey": func(t *testing.T, f *fixture) {
			a := f.account("a")
			const adders = 4
			created := make(chan apikey.Key, adders*10)
			errs := make(chan error, adders+1)
			var wg sync.WaitGroup
			for range adders {
				wg.Go(func() {
					for range 10 {
						plaintext, err := apikey.Generate(apikey.DefaultPrefix)
						if err != nil {
							errs <- err
							return
						}
						k := apikey.Key{ID: newID(t), AccountID: a.ID, Hash: apikey.HashKey(plaintext), Hint: apikey.Hint(plaintext), CreatedAt: base}
						err = f.s.KeyCreate(f.ctx, k)
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
			wg.Go(func() { errs <- f.s.AccountDelete(f.ctx, a.ID) })
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
