package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// keyUpdate runs KeyUpdate in a transaction of its own.
func (f *fixture) keyUpdate(p store.KeyUpdateParams) (apikey.Key, error) {
	return inTx(f.ctx, f.s, func(ctx context.Context, tx store.Tx) (apikey.Key, error) {
		return tx.KeyUpdate(ctx, store.DefaultTenant, p)
	})
}

// keyGet runs KeyGet in a transaction of its own.
func (f *fixture) keyGet(accountID, keyID uuid.UUID) (apikey.Key, error) {
	return inTx(f.ctx, f.s, func(ctx context.Context, tx store.Tx) (apikey.Key, error) {
		return tx.KeyGet(ctx, store.DefaultTenant, accountID, keyID)
	})
}

func runKeyState(t *testing.T, newStore NewStore) {
	subtests(t, newStore, map[string]func(t *testing.T, f *fixture){
		"KeyNameDisabledAtAndReplacedByRoundTripEverywhere": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.keyRecord(a.ID)
			k.Name = "GitHub Actions deploy 😀 – ü"
			k.DisabledAt = ptr(base.Add(time.Minute))
			k.ReplacedBy = ptr(newID(t))
			require.NoError(t, f.w.KeyCreate(f.ctx, store.DefaultTenant, k))
			list, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			requireKey(t, k, list[0])
			c, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			requireKey(t, k, c.Key)
			got, err := f.keyGet(a.ID, k.ID)
			require.NoError(t, err)
			requireKey(t, k, got)
			all, err := f.s.KeyListAll(f.ctx, store.DefaultTenant, uuid.Nil, 10, store.KeyFilter{})
			require.NoError(t, err)
			requireKey(t, k, all[0])
		},
		"ANewKeyHasNoNameAndIsEnabledAndNotReplaced": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.key(a.ID, nil)
			got, err := f.keyGet(a.ID, k.ID)
			require.NoError(t, err)
			require.Empty(t, got.Name)
			require.Nil(t, got.DisabledAt)
			require.Nil(t, got.ReplacedBy)
		},
		"KeyUpdateSetsEveryMutableFieldAndNothingElse": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.key(a.ID, ptr(base.Add(time.Hour)))
			require.NoError(t, f.s.KeysTouch(f.ctx, []store.KeyTouch{{KeyID: k.ID, UsedAt: base.Add(time.Minute)}}))
			k.LastUsedAt = ptr(base.Add(time.Minute))
			k.Name, k.ExpiresAt, k.DisabledAt, k.ReplacedBy = "renamed", ptr(base.Add(2*time.Hour)), ptr(base.Add(3*time.Minute)), ptr(newID(t))
			got, err := f.keyUpdate(store.KeyUpdateParams{AccountID: a.ID, KeyID: k.ID, Name: k.Name, ExpiresAt: k.ExpiresAt, DisabledAt: k.DisabledAt, ReplacedBy: k.ReplacedBy})
			require.NoError(t, err)
			requireKey(t, k, got)
			c, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			requireKey(t, k, c.Key)
		},
		"KeyUpdateWithNilClearsExpiryDisabledAtAndReplacedBy": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.keyRecord(a.ID)
			k.ExpiresAt, k.DisabledAt, k.ReplacedBy = ptr(base.Add(time.Hour)), ptr(base), ptr(newID(t))
			require.NoError(t, f.w.KeyCreate(f.ctx, store.DefaultTenant, k))
			got, err := f.keyUpdate(store.KeyUpdateParams{AccountID: a.ID, KeyID: k.ID, Name: "x"})
			require.NoError(t, err)
			require.Nil(t, got.ExpiresAt)
			require.Nil(t, got.DisabledAt)
			require.Nil(t, got.ReplacedBy)
		},
		"KeyUpdateAndKeyGetReturnErrNotFoundForAKeyOfAnotherAccount": func(t *testing.T, f *fixture) {
			owner := f.account("owner")
			intruder := f.account("intruder")
			k, _ := f.key(owner.ID, nil)
			_, err := f.keyUpdate(store.KeyUpdateParams{AccountID: intruder.ID, KeyID: k.ID, Name: "stolen", DisabledAt: ptr(base)})
			require.ErrorIs(t, err, store.ErrNotFound)
			_, err = f.keyGet(intruder.ID, k.ID)
			require.ErrorIs(t, err, store.ErrNotFound)
			got, err := f.keyGet(owner.ID, k.ID)
			require.NoError(t, err)
			requireKey(t, k, got)
		},
		"KeyUpdateReturnsErrNotFoundForAnUnknownKey": func(t *testing.T, f *fixture) {
			a := f.account("a")
			_, err := f.keyUpdate(store.KeyUpdateParams{AccountID: a.ID, KeyID: newID(t)})
			require.ErrorIs(t, err, store.ErrNotFound)
		},
		"AccountDisabledAtIsCreatedUpdatedAndClearedAndReachesKeyByHash": func(t *testing.T, f *fixture) {
			a := store.Account{ID: newID(t), Label: "a", CreatedAt: base, UpdatedAt: base, DisabledAt: ptr(base)}
			require.NoError(t, f.w.AccountCreate(f.ctx, store.DefaultTenant, a))
			k, _ := f.key(a.ID, nil)
			c, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			requireAccount(t, a, c.Account)

			a.DisabledAt, a.UpdatedAt = nil, base.Add(time.Minute)
			got, err := f.w.AccountUpdate(f.ctx, store.DefaultTenant, store.AccountUpdateParams{ID: a.ID, Label: a.Label, UpdatedAt: a.UpdatedAt})
			require.NoError(t, err)
			requireAccount(t, a, got)
			c, err = f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			requireAccount(t, a, c.Account)

			a.DisabledAt = ptr(base.Add(2 * time.Minute))
			_, err = f.w.AccountUpdate(f.ctx, store.DefaultTenant, store.AccountUpdateParams{ID: a.ID, Label: a.Label, DisabledAt: a.DisabledAt, UpdatedAt: a.UpdatedAt})
			require.NoError(t, err)
			list, err := f.s.AccountList(f.ctx, store.DefaultTenant, uuid.Nil, 1)
			require.NoError(t, err)
			requireAccount(t, a, list[0])
		},
		"ARotationInOneTransactionIsAllOrNothing": func(t *testing.T, f *fixture) {
			a := f.account("a")
			old, _ := f.key(a.ID, ptr(base.Add(30*24*time.Hour)))
			next, _ := f.keyRecord(a.ID)
			rotate := func(ctx context.Context, tx store.Tx) error {
				current, err := tx.KeyGet(ctx, store.DefaultTenant, a.ID, old.ID)
				if err != nil {
					return err
				}
				if err := tx.KeyCreate(ctx, store.DefaultTenant, next); err != nil {
					return err
				}
				_, err = tx.KeyUpdate(ctx, store.DefaultTenant, store.KeyUpdateParams{AccountID: a.ID, KeyID: old.ID, Name: current.Name,
					ExpiresAt: ptr(base.Add(time.Hour)), ReplacedBy: &next.ID})
				return err
			}
			err := f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				if err := rotate(ctx, tx); err != nil {
					return err
				}
				return errInjected // a crash after both writes
			})
			require.ErrorIs(t, err, errInjected)
			keys, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Len(t, keys, 1, "no new key")
			requireKey(t, old, keys[0])

			require.NoError(t, f.s.InTx(f.ctx, rotate))
			keys, err = f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Equal(t, []uuid.UUID{old.ID, next.ID}, keyIDs(keys))
			require.Equal(t, &next.ID, keys[0].ReplacedBy)
			requireTimePtr(t, ptr(base.Add(time.Hour)), keys[0].ExpiresAt)
		},
	})
}

func runListAllKeys(t *testing.T, newStore NewStore) {
	subtests(t, newStore, map[string]func(t *testing.T, f *fixture){
		"ListAllIsEmptyOnAnEmptyStore": func(t *testing.T, f *fixture) {
			got, err := f.s.KeyListAll(f.ctx, store.DefaultTenant, uuid.Nil, 10, store.KeyFilter{})
			require.NoError(t, err)
			require.Empty(t, got)
		},
		"ListAllWalksEveryAccountsKeysInIDOrderAcrossPages": func(t *testing.T, f *fixture) {
			a, b := f.account("a"), f.account("b")
			var want []uuid.UUID
			for range 4 {
				k, _ := f.key(a.ID, nil)
				want = append(want, k.ID)
				k, _ = f.key(b.ID, nil)
				want = append(want, k.ID)
			}
			var got []uuid.UUID
			after, pages := uuid.Nil, 0
			for {
				page, err := f.s.KeyListAll(f.ctx, store.DefaultTenant, after, 3, store.KeyFilter{})
				require.NoError(t, err)
				if len(page) == 0 {
					break
				}
				require.LessOrEqual(t, len(page), 3)
				pages++
				got = append(got, keyIDs(page)...)
				after = page[len(page)-1].ID
			}
			require.Equal(t, want, got)
			require.Equal(t, 3, pages)
		},
		"ListAllCursorStillWorksAfterItsKeyIsDeleted": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k1, _ := f.key(a.ID, nil)
			k2, _ := f.key(a.ID, nil)
			k3, _ := f.key(a.ID, nil)
			require.NoError(t, f.w.KeyDelete(f.ctx, store.DefaultTenant, a.ID, k2.ID))
			got, err := f.s.KeyListAll(f.ctx, store.DefaultTenant, k2.ID, 10, store.KeyFilter{})
			require.NoError(t, err)
			require.Equal(t, []uuid.UUID{k3.ID}, keyIDs(got))
			got, err = f.s.KeyListAll(f.ctx, store.DefaultTenant, k1.ID, 10, store.KeyFilter{})
			require.NoError(t, err)
			require.Equal(t, []uuid.UUID{k3.ID}, keyIDs(got))
		},
		"ListAllKeepsKeysExpiringWithinTheWindowAndNotYetExpired": func(t *testing.T, f *fixture) {
			a := f.account("a")
			now := base.Add(24 * time.Hour)
			f.key(a.ID, nil)                                      // never expires
			f.key(a.ID, ptr(now.Add(-time.Second)))               // expired
			f.key(a.ID, ptr(now))                                 // expires now: expired
			soon, _ := f.key(a.ID, ptr(now.Add(time.Second)))     // in the window
			edge, _ := f.key(a.ID, ptr(now.Add(7*24*time.Hour)))  // the window's last instant
			f.key(a.ID, ptr(now.Add(7*24*time.Hour+time.Second))) // after it
			got, err := f.s.KeyListAll(f.ctx, store.DefaultTenant, uuid.Nil, 10, store.KeyFilter{ExpiresAfter: &now, ExpiresBy: ptr(now.Add(7 * 24 * time.Hour))})
			require.NoError(t, err)
			require.Equal(t, []uuid.UUID{soon.ID, edge.ID}, keyIDs(got))
		},
		"ListAllKeepsKeysUnusedSinceACutOff": func(t *testing.T, f *fixture) {
			a := f.account("a")
			cut := base.Add(time.Hour)
			usedBefore, _ := f.key(a.ID, nil)
			usedAfter, _ := f.key(a.ID, nil)
			usedAtCut, _ := f.key(a.ID, nil)
			neverUsedOld, _ := f.key(a.ID, nil) // created at base, before the cut
			neverUsedNew, _ := f.keyRecord(a.ID)
			neverUsedNew.CreatedAt = cut.Add(time.Minute)
			require.NoError(t, f.w.KeyCreate(f.ctx, store.DefaultTenant, neverUsedNew))
			require.NoError(t, f.s.KeysTouch(f.ctx, []store.KeyTouch{
				{KeyID: usedBefore.ID, UsedAt: cut.Add(-time.Second)},
				{KeyID: usedAfter.ID, UsedAt: cut.Add(time.Second)},
				{KeyID: usedAtCut.ID, UsedAt: cut},
			}))
			got, err := f.s.KeyListAll(f.ctx, store.DefaultTenant, uuid.Nil, 10, store.KeyFilter{UnusedSince: &cut})
			require.NoError(t, err)
			require.Equal(t, []uuid.UUID{usedBefore.ID, neverUsedOld.ID}, keyIDs(got))
		},
		"ListAllWithBothFiltersKeepsKeysThatPassBoth": func(t *testing.T, f *fixture) {
			a := f.account("a")
			now := base.Add(48 * time.Hour)
			both, _ := f.key(a.ID, ptr(now.Add(time.Hour))) // never used, created before the cut, expiring
			used, _ := f.key(a.ID, ptr(now.Add(time.Hour))) // expiring but used recently
			f.key(a.ID, nil)                                // unused, but never expires
			require.NoError(t, f.s.KeysTouch(f.ctx, []store.KeyTouch{{KeyID: used.ID, UsedAt: now}}))
			got, err := f.s.KeyListAll(f.ctx, store.DefaultTenant, uuid.Nil, 10, store.KeyFilter{ExpiresAfter: &now, ExpiresBy: ptr(now.Add(24 * time.Hour)), UnusedSince: ptr(now.Add(-24 * time.Hour))})
			require.NoError(t, err)
			require.Equal(t, []uuid.UUID{both.ID}, keyIDs(got))
		},
		"ListAllFiltersEachPageNotJustTheFirst": func(t *testing.T, f *fixture) {
			a := f.account("a")
			now := base
			var want []uuid.UUID
			for i := range 9 {
				if i%3 == 0 {
					k, _ := f.key(a.ID, ptr(now.Add(time.Hour)))
					want = append(want, k.ID)
				} else {
					f.key(a.ID, nil)
				}
			}
			var got []uuid.UUID
			after := uuid.Nil
			for {
				page, err := f.s.KeyListAll(f.ctx, store.DefaultTenant, after, 2, store.KeyFilter{ExpiresAfter: &now, ExpiresBy: ptr(now.Add(24 * time.Hour))})
				require.NoError(t, err)
				if len(page) == 0 {
					break
				}
				got = append(got, keyIDs(page)...)
				after = page[len(page)-1].ID
			}
			require.Equal(t, want, got)
		},
		"ListAllRefusesHalfAnExpiryWindow": func(t *testing.T, f *fixture) {
			for _, p := range []store.KeyFilter{{ExpiresAfter: &base}, {ExpiresBy: &base}} {
				_, err := f.s.KeyListAll(f.ctx, store.DefaultTenant, uuid.Nil, 1, p)
				require.Error(t, err)
				require.NotErrorIs(t, err, store.ErrNotFound)
			}
		},
		"ListAllWithANonPositiveLimitIsAnError": func(t *testing.T, f *fixture) {
			for _, limit := range []int{0, -1} {
				_, err := f.s.KeyListAll(f.ctx, store.DefaultTenant, uuid.Nil, limit, store.KeyFilter{})
				require.Error(t, err)
				require.NotErrorIs(t, err, store.ErrNotFound)
			}
		},
	})
}
