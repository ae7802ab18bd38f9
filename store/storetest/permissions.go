package storetest

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

func runPermissions(t *testing.T, newStore NewStore) {
	subtests(t, newStore, map[string]func(t *testing.T, f *fixture){
		"CreateThenListReturnsThePermissionWithItsLimiter": func(t *testing.T, f *fixture) {
			a := f.account("a")
			p := f.permission(a.ID, "study", "tekenradar", "get-responses", `[{"surveyKey":["intake","weekly"]},{"surveyKey":"exit"}]`)
			got, err := f.s.PermissionList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Len(t, got, 1)
			requirePermission(t, p, got[0])
		},
		"CreateKeepsAMissingLimiterAsNil": func(t *testing.T, f *fixture) {
			a := f.account("a")
			f.permission(a.ID, "users", "*", "*", "")
			got, err := f.s.PermissionList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Nil(t, got[0].Limiter)
		},
		"LimiterWithUnicodeAndLongValuesRoundTripsUnchanged": func(t *testing.T, f *fixture) {
			a := f.account("a")
			p := f.permission(a.ID, "study", "研究-ü", "get-reports", `[{"reportKey":["報告 ☃","a\"quote","back\\slash","`+strings.Repeat("v", 200)+`"]}]`)
			got, err := f.s.PermissionList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			requirePermission(t, p, got[0])
		},
		"ALimiterStoredBeforeTheTextRulesStillLoadsAndAuthorizesAsBefore": func(t *testing.T, f *fixture) {
			// The Manager now refuses bidi controls, line separators and
			// invisible values in new limiters; a permission stored
			// before that rule keeps loading and deciding as it did.
			a := f.account("a")
			p := f.permission(a.ID, "study", "tekenradar", "get-responses", `[{"surveyKey":["\u202eekatni","\u200b","line\u2028sep"]}]`)
			k, plaintext := f.key(a.ID, nil)
			cred, err := f.s.KeyByHash(f.ctx, apikey.HashKey(plaintext))
			require.NoError(t, err)
			require.Equal(t, k.ID, cred.Key.ID)
			require.Len(t, cred.Permissions, 1)
			requirePermission(t, p, cred.Permissions[0])
			set := permission.NewSet(cred.Permissions)
			allows := func(survey string) bool {
				return set.Allows("study", "tekenradar", "get-responses", limiter.Attributes{{Key: "surveyKey", Value: survey}})
			}
			require.True(t, allows("\u202eekatni"))
			require.True(t, allows("\u200b"))
			require.True(t, allows("line\u2028sep"))
			require.False(t, allows("intake"), "what the override shows is not what it holds")

			// It can be replaced and deleted.
			_, err = f.w.PermissionUpdateLimiter(f.ctx, store.DefaultTenant, store.PermissionUpdateLimiterParams{
				AccountID: a.ID, PermissionID: p.ID, Limiter: limiter.MustParse(`[{"surveyKey":"intake"}]`),
			})
			require.NoError(t, err)
			require.NoError(t, f.w.PermissionDelete(f.ctx, store.DefaultTenant, a.ID, p.ID))
		},
		"CreateReturnsErrNotFoundForAnUnknownAccount": func(t *testing.T, f *fixture) {
			p := permission.Permission{ID: newID(t), AccountID: newID(t), ResourceType: "users", ResourceKey: "*", Action: "*", CreatedAt: base}
			require.ErrorIs(t, f.w.PermissionCreate(f.ctx, store.DefaultTenant, p), store.ErrNotFound)
		},
		"CreateReturnsErrConflictForADuplicateID": func(t *testing.T, f *fixture) {
			a := f.account("a")
			p := f.permission(a.ID, "users", "*", "*", "")
			require.ErrorIs(t, f.w.PermissionCreate(f.ctx, store.DefaultTenant, p), store.ErrConflict)
		},
		"CreateReturnsErrConflictForTheSameGrantWrittenAnotherWay": func(t *testing.T, f *fixture) {
			a := f.account("a")
			p := f.permission(a.ID, "study", "s1", "get-reports", `[{"reportKey":["r1","r2"]},{"reportKey":"r3"}]`)
			for _, lim := range []string{`[{"reportKey":["r1","r2"]},{"reportKey":"r3"}]`, `[{"reportKey":["r3"]},{"reportKey":["r2","r1"]}]`} {
				require.ErrorIs(t, f.w.PermissionCreate(f.ctx, store.DefaultTenant, grantOf(a.ID, "s1", lim)), store.ErrConflict, lim)
			}
			list, err := f.s.PermissionList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Equal(t, []uuid.UUID{p.ID}, permissionIDs(list))
		},
		"CreateAllowsGrantsThatDifferInAnyPart": func(t *testing.T, f *fixture) {
			a := f.account("a")
			b := f.account("b")
			f.permission(a.ID, "study", "s1", "get-reports", `[{"reportKey":"r1"}]`)
			for _, p := range []struct{ account, key, action, lim string }{
				{"b", "s1", "get-reports", `[{"reportKey":"r1"}]`},
				{"a", "s2", "get-reports", `[{"reportKey":"r1"}]`},
				{"a", "s1", "*", `[{"reportKey":"r1"}]`},
				{"a", "s1", "get-reports", `[{"reportKey":"r2"}]`},
				{"a", "s1", "get-reports", `[{"reportKey":["r1","r2"]}]`},
				{"a", "s1", "get-reports", ``},
			} {
				id := a.ID
				if p.account == "b" {
					id = b.ID
				}
				perm := grantOf(id, p.key, p.lim)
				perm.Action = p.action
				require.NoError(t, f.w.PermissionCreate(f.ctx, store.DefaultTenant, perm), "%+v", p)
			}
		},
		"DeletingAGrantFreesItForANewOne": func(t *testing.T, f *fixture) {
			a := f.account("a")
			p := f.permission(a.ID, "users", "*", "*", "")
			require.NoError(t, f.w.PermissionDelete(f.ctx, store.DefaultTenant, a.ID, p.ID))
			f.permission(a.ID, "users", "*", "*", "")
		},
		"UpdateLimiterReturnsErrConflictWhenItWouldDuplicateAGrant": func(t *testing.T, f *fixture) {
			a := f.account("a")
			f.permission(a.ID, "study", "s1", "get-reports", `[{"reportKey":"r1"}]`)
			p := f.permission(a.ID, "study", "s1", "get-reports", `[{"reportKey":"r2"}]`)
			_, err := f.w.PermissionUpdateLimiter(f.ctx, store.DefaultTenant, store.PermissionUpdateLimiterParams{AccountID: a.ID, PermissionID: p.ID, Limiter: limiter.MustParse(`[{"reportKey":["r1"]}]`)})
			require.ErrorIs(t, err, store.ErrConflict)
			list, err := f.s.PermissionList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			requirePermission(t, p, list[1])
			// The freed form can be taken by the other permission's change.
			_, err = f.w.PermissionUpdateLimiter(f.ctx, store.DefaultTenant, store.PermissionUpdateLimiterParams{AccountID: a.ID, PermissionID: p.ID, Limiter: limiter.MustParse(`[{"reportKey":"r3"}]`)})
			require.NoError(t, err)
			_, err = f.w.PermissionUpdateLimiter(f.ctx, store.DefaultTenant, store.PermissionUpdateLimiterParams{AccountID: a.ID, PermissionID: p.ID, Limiter: limiter.MustParse(`[{"reportKey":"r3"}]`)})
			require.NoError(t, err, "setting the limiter a permission already has is no conflict")
		},
		"ListReturnsErrNotFoundForAnUnknownAccount": func(t *testing.T, f *fixture) {
			_, err := f.s.PermissionList(f.ctx, store.DefaultTenant, newID(t))
			require.ErrorIs(t, err, store.ErrNotFound)
		},
		"ListIsEmptyForAnAccountWithoutPermissions": func(t *testing.T, f *fixture) {
			a := f.account("a")
			got, err := f.s.PermissionList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Empty(t, got)
		},
		"ListReturnsOnlyTheAccountsPermissionsInCreationOrder": func(t *testing.T, f *fixture) {
			a := f.account("a")
			b := f.account("b")
			var want []uuid.UUID
			for _, action := range []string{"get-responses", "get-reports", "delete-study"} {
				want = append(want, f.permission(a.ID, "study", "s1", action, "").ID)
				f.permission(b.ID, "study", "s1", action, "")
			}
			got, err := f.s.PermissionList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Equal(t, want, permissionIDs(got))
		},
		"UpdateLimiterReplacesTheLimiter": func(t *testing.T, f *fixture) {
			a := f.account("a")
			p := f.permission(a.ID, "study", "s1", "get-reports", `[{"reportKey":"r1"}]`)
			p.Limiter = limiter.MustParse(`[{"reportKey":["r2","r3"]}]`)
			got, err := f.w.PermissionUpdateLimiter(f.ctx, store.DefaultTenant, store.PermissionUpdateLimiterParams{AccountID: a.ID, PermissionID: p.ID, Limiter: p.Limiter})
			require.NoError(t, err)
			requirePermission(t, p, got)
			list, err := f.s.PermissionList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			requirePermission(t, p, list[0])
		},
		"UpdateLimiterWithNilRemovesTheLimiter": func(t *testing.T, f *fixture) {
			a := f.account("a")
			p := f.permission(a.ID, "study", "s1", "get-reports", `[{"reportKey":"r1"}]`)
			got, err := f.w.PermissionUpdateLimiter(f.ctx, store.DefaultTenant, store.PermissionUpdateLimiterParams{AccountID: a.ID, PermissionID: p.ID})
			require.NoError(t, err)
			require.Nil(t, got.Limiter)
			list, err := f.s.PermissionList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Nil(t, list[0].Limiter)
		},
		"UpdateLimiterReturnsErrNotFoundForAPermissionOfAnotherAccount": func(t *testing.T, f *fixture) {
			owner := f.account("owner")
			intruder := f.account("intruder")
			p := f.permission(owner.ID, "study", "s1", "get-reports", `[{"reportKey":"r1"}]`)
			_, err := f.w.PermissionUpdateLimiter(f.ctx, store.DefaultTenant, store.PermissionUpdateLimiterParams{AccountID: intruder.ID, PermissionID: p.ID})
			require.ErrorIs(t, err, store.ErrNotFound)
			list, err := f.s.PermissionList(f.ctx, store.DefaultTenant, owner.ID)
			require.NoError(t, err)
			requirePermission(t, p, list[0])
		},
		"UpdateLimiterReturnsErrNotFoundForAnUnknownPermission": func(t *testing.T, f *fixture) {
			a := f.account("a")
			_, err := f.w.PermissionUpdateLimiter(f.ctx, store.DefaultTenant, store.PermissionUpdateLimiterParams{AccountID: a.ID, PermissionID: newID(t)})
			require.ErrorIs(t, err, store.ErrNotFound)
		},
		"DeleteRemovesThePermission": func(t *testing.T, f *fixture) {
			a := f.account("a")
			p := f.permission(a.ID, "users", "*", "*", "")
			kept := f.permission(a.ID, "users", "*", "delete-users", "")
			require.NoError(t, f.w.PermissionDelete(f.ctx, store.DefaultTenant, a.ID, p.ID))
			list, err := f.s.PermissionList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Equal(t, []uuid.UUID{kept.ID}, permissionIDs(list))
		},
		"DeleteReturnsErrNotFoundForAPermissionOfAnotherAccount": func(t *testing.T, f *fixture) {
			owner := f.account("owner")
			intruder := f.account("intruder")
			p := f.permission(owner.ID, "users", "*", "*", "")
			require.ErrorIs(t, f.w.PermissionDelete(f.ctx, store.DefaultTenant, intruder.ID, p.ID), store.ErrNotFound)
			list, err := f.s.PermissionList(f.ctx, store.DefaultTenant, owner.ID)
			require.NoError(t, err)
			require.Len(t, list, 1, "the permission survived")
		},
		"DeleteReturnsErrNotFoundForAnUnknownPermission": func(t *testing.T, f *fixture) {
			a := f.account("a")
			require.ErrorIs(t, f.w.PermissionDelete(f.ctx, store.DefaultTenant, a.ID, newID(t)), store.ErrNotFound)
		},
	})
}
