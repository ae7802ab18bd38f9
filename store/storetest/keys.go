package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

func runKeys(t *testing.T, newStore NewStore) {
	subtests(t, newStore, map[string]func(t *testing.T, f *fixture){
		"CreateThenListReturnsTheKey": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.key(a.ID, ptr(base.Add(24*time.Hour)))
			got, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Len(t, got, 1)
			requireKey(t, k, got[0])
		},
		"CreateReturnsErrNotFoundForAnUnknownAccount": func(t *testing.T, f *fixture) {
			plaintext, err := apikey.Generate(apikey.DefaultPrefix)
			require.NoError(t, err)
			k := apikey.Key{ID: newID(t), AccountID: newID(t), Hash: apikey.HashKey(plaintext), Hint: apikey.Hint(plaintext), CreatedAt: base}
			require.ErrorIs(t, f.w.KeyCreate(f.ctx, store.DefaultTenant, k), store.ErrNotFound)
			_, err = f.s.KeyByHash(f.ctx, k.Hash)
			require.ErrorIs(t, err, store.ErrNotFound, "nothing was written")
		},
		"CreateReturnsErrConflictForADuplicateHash": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.key(a.ID, nil)
			dup := k
			dup.ID = newID(t)
			require.ErrorIs(t, f.w.KeyCreate(f.ctx, store.DefaultTenant, dup), store.ErrConflict)
			got, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Equal(t, []uuid.UUID{k.ID}, keyIDs(got))
		},
		"CreateReturnsErrConflictForAHashHeldByAnotherAccount": func(t *testing.T, f *fixture) {
			a := f.account("a")
			b := f.account("b")
			k, _ := f.key(a.ID, nil)
			dup := k
			dup.ID = newID(t)
			dup.AccountID = b.ID
			require.ErrorIs(t, f.w.KeyCreate(f.ctx, store.DefaultTenant, dup), store.ErrConflict)
			c, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			require.Equal(t, a.ID, c.Account.ID, "the hash still belongs to the first account")
		},
		"CreateReturnsErrConflictForADuplicateID": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.key(a.ID, nil)
			plaintext, err := apikey.Generate(apikey.DefaultPrefix)
			require.NoError(t, err)
			dup := k
			dup.Hash = apikey.HashKey(plaintext)
			require.ErrorIs(t, f.w.KeyCreate(f.ctx, store.DefaultTenant, dup), store.ErrConflict)
		},
		"ListReturnsErrNotFoundForAnUnknownAccount": func(t *testing.T, f *fixture) {
			_, err := f.s.KeyList(f.ctx, store.DefaultTenant, newID(t))
			require.ErrorIs(t, err, store.ErrNotFound)
		},
		"ListIsEmptyForAnAccountWithoutKeys": func(t *testing.T, f *fixture) {
			a := f.account("a")
			got, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Empty(t, got)
		},
		"ListReturnsOnlyTheAccountsKeysInCreationOrder": func(t *testing.T, f *fixture) {
			a := f.account("a")
			b := f.account("b")
			var want []uuid.UUID
			for range 4 {
				k, _ := f.key(a.ID, nil)
				want = append(want, k.ID)
				f.key(b.ID, nil)
			}
			got, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Equal(t, want, keyIDs(got))
		},
		"ByHashReturnsTheKeyItsAccountAndAllItsPermissions": func(t *testing.T, f *fixture) {
			a := f.account("a")
			other := f.account("other")
			k, _ := f.key(a.ID, ptr(base.Add(time.Hour)))
			p1 := f.permission(a.ID, "study", "s1", "get-responses", `[{"surveyKey":["q1","q2"]},{"surveyKey":"q3"}]`)
			p2 := f.permission(a.ID, "users", "*", "*", "")
			f.permission(other.ID, "users", "*", "*", "")
			c, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			requireKey(t, k, c.Key)
			requireAccount(t, a, c.Account)
			require.Len(t, c.Permissions, 2)
			requirePermission(t, p1, c.Permissions[0])
			requirePermission(t, p2, c.Permissions[1])
		},
		"ByHashReturnsAnEmptyPermissionListForAnAccountWithoutPermissions": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.key(a.ID, nil)
			c, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			require.Empty(t, c.Permissions)
		},
		"ByHashReturnsErrNotFoundForAnUnknownHash": func(t *testing.T, f *fixture) {
			a := f.account("a")
			f.key(a.ID, nil)
			plaintext, err := apikey.Generate(apikey.DefaultPrefix)
			require.NoError(t, err)
			_, err = f.s.KeyByHash(f.ctx, apikey.HashKey(plaintext))
			require.ErrorIs(t, err, store.ErrNotFound)
		},
		"ByHashReturnsExpiredKeysForTheCallerToJudge": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.key(a.ID, ptr(base.Add(-time.Hour)))
			c, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			requireTimePtr(t, k.ExpiresAt, c.Key.ExpiresAt)
		},
		"DeleteRemovesTheKeyAndItStopsAuthenticating": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.key(a.ID, nil)
			kept, _ := f.key(a.ID, nil)
			require.NoError(t, f.w.KeyDelete(f.ctx, store.DefaultTenant, a.ID, k.ID))
			_, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.ErrorIs(t, err, store.ErrNotFound)
			got, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Equal(t, []uuid.UUID{kept.ID}, keyIDs(got))
		},
		"DeleteReturnsErrNotFoundForAKeyOfAnotherAccount": func(t *testing.T, f *fixture) {
			owner := f.account("owner")
			intruder := f.account("intruder")
			k, _ := f.key(owner.ID, nil)
			require.ErrorIs(t, f.w.KeyDelete(f.ctx, store.DefaultTenant, intruder.ID, k.ID), store.ErrNotFound)
			_, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err, "the key survived")
		},
		"DeleteReturnsErrNotFoundForAnUnknownKey": func(t *testing.T, f *fixture) {
			a := f.account("a")
			require.ErrorIs(t, f.w.KeyDelete(f.ctx, store.DefaultTenant, a.ID, newID(t)), store.ErrNotFound)
			require.ErrorIs(t, f.w.KeyDelete(f.ctx, store.DefaultTenant, newID(t), newID(t)), store.ErrNotFound)
		},
		"TouchSetsLastUsedAt": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.key(a.ID, nil)
			used := base.Add(5 * time.Minute)
			require.NoError(t, f.s.KeysTouch(f.ctx, []store.KeyTouch{{KeyID: k.ID, UsedAt: used}}))
			c, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			requireTimePtr(t, &used, c.Key.LastUsedAt)
		},
		"TouchNeverMovesLastUsedAtBackwards": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.key(a.ID, nil)
			late, early := base.Add(time.Hour), base.Add(time.Minute)
			require.NoError(t, f.s.KeysTouch(f.ctx, []store.KeyTouch{{KeyID: k.ID, UsedAt: late}}))
			require.NoError(t, f.s.KeysTouch(f.ctx, []store.KeyTouch{{KeyID: k.ID, UsedAt: early}}))
			got, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			requireTimePtr(t, &late, got[0].LastUsedAt)
		},
		"TouchKeepsTheLatestOfDuplicatesInOneBatch": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.key(a.ID, nil)
			latest := base.Add(3 * time.Minute)
			require.NoError(t, f.s.KeysTouch(f.ctx, []store.KeyTouch{
				{KeyID: k.ID, UsedAt: base.Add(time.Minute)},
				{KeyID: k.ID, UsedAt: latest},
				{KeyID: k.ID, UsedAt: base.Add(2 * time.Minute)},
			}))
			got, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			requireTimePtr(t, &latest, got[0].LastUsedAt)
		},
		"TouchIgnoresUnknownKeysAndStillTouchesTheOthers": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.key(a.ID, nil)
			used := base.Add(time.Minute)
			require.NoError(t, f.s.KeysTouch(f.ctx, []store.KeyTouch{
				{KeyID: newID(t), UsedAt: used},
				{KeyID: k.ID, UsedAt: used},
			}))
			got, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			requireTimePtr(t, &used, got[0].LastUsedAt)
		},
		"TouchWithAnEmptyBatchDoesNothing": func(t *testing.T, f *fixture) {
			a := f.account("a")
			f.key(a.ID, nil)
			require.NoError(t, f.s.KeysTouch(f.ctx, nil))
			got, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Nil(t, got[0].LastUsedAt)
		},
		"TouchUpdatesAManyKeyBatch": func(t *testing.T, f *fixture) {
			a := f.account("a")
			var touches []store.KeyTouch
			for i := range 300 {
				k, _ := f.key(a.ID, nil)
				touches = append(touches, store.KeyTouch{KeyID: k.ID, UsedAt: base.Add(time.Duration(i) * time.Second)})
			}
			require.NoError(t, f.s.KeysTouch(f.ctx, touches))
			got, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Len(t, got, len(touches))
			for i, k := range got {
				require.Equal(t, touches[i].KeyID, k.ID)
				requireTimePtr(t, &touches[i].UsedAt, k.LastUsedAt)
			}
		},
		"ReturnedKeysDoNotAliasTheStore": func(t *testing.T, f *fixture) {
			a := f.account("a")
			exp := base.Add(time.Hour)
			k, _ := f.key(a.ID, &exp)
			got, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			*got[0].ExpiresAt = base.Add(-time.Hour)
			again, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			requireTimePtr(t, k.ExpiresAt, again[0].ExpiresAt)
		},
	})
}
