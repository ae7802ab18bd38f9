package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

func runAccounts(t *testing.T, newStore NewStore) {
	subtests(t, newStore, map[string]func(t *testing.T, f *fixture){
		"CreateThenGetReturnsTheAccount": func(t *testing.T, f *fixture) {
			a := f.account("pipeline")
			got, err := f.s.AccountGet(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			requireAccount(t, a, got)
		},
		"CreateReturnsErrConflictForADuplicateID": func(t *testing.T, f *fixture) {
			a := f.account("first")
			dup := a
			dup.Label = "second"
			require.ErrorIs(t, f.w.AccountCreate(f.ctx, store.DefaultTenant, dup), store.ErrConflict)
			got, err := f.s.AccountGet(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Equal(t, "first", got.Label, "the original is unchanged")
		},
		"GetReturnsErrNotFoundForAnUnknownID": func(t *testing.T, f *fixture) {
			_, err := f.s.AccountGet(f.ctx, store.DefaultTenant, newID(t))
			require.ErrorIs(t, err, store.ErrNotFound)
		},
		"UpdateChangesLabelDescriptionAndUpdatedAtButNotCreatedAt": func(t *testing.T, f *fixture) {
			a := f.account("old")
			later := base.Add(time.Hour)
			got, err := f.w.AccountUpdate(f.ctx, store.DefaultTenant, store.AccountUpdateParams{ID: a.ID, Label: "new", Description: "", UpdatedAt: later})
			require.NoError(t, err)
			want := store.Account{ID: a.ID, Label: "new", Description: "", CreatedAt: base, UpdatedAt: later}
			requireAccount(t, want, got)
			stored, err := f.s.AccountGet(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			requireAccount(t, want, stored)
		},
		"UpdateReturnsErrNotFoundForAnUnknownID": func(t *testing.T, f *fixture) {
			_, err := f.w.AccountUpdate(f.ctx, store.DefaultTenant, store.AccountUpdateParams{ID: newID(t), Label: "x", UpdatedAt: base})
			require.ErrorIs(t, err, store.ErrNotFound)
		},
		"DeleteRemovesTheAccountWithItsKeysAndPermissions": func(t *testing.T, f *fixture) {
			a := f.account("doomed")
			k1, _ := f.key(a.ID, nil)
			k2, _ := f.key(a.ID, ptr(base.Add(time.Hour)))
			p := f.permission(a.ID, "study", "s1", "get-responses", `[{"surveyKey":"q1"}]`)

			require.NoError(t, f.w.AccountDelete(f.ctx, store.DefaultTenant, a.ID))

			_, err := f.s.AccountGet(f.ctx, store.DefaultTenant, a.ID)
			require.ErrorIs(t, err, store.ErrNotFound)
			for _, k := range []uuid.UUID{k1.ID, k2.ID} {
				require.ErrorIs(t, f.w.KeyDelete(f.ctx, store.DefaultTenant, a.ID, k), store.ErrNotFound, "key is gone")
			}
			_, err = f.s.KeyByHash(f.ctx, k1.Hash)
			require.ErrorIs(t, err, store.ErrNotFound)
			_, err = f.s.KeyByHash(f.ctx, k2.Hash)
			require.ErrorIs(t, err, store.ErrNotFound)
			require.ErrorIs(t, f.w.PermissionDelete(f.ctx, store.DefaultTenant, a.ID, p.ID), store.ErrNotFound, "permission is gone")
			_, err = f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.ErrorIs(t, err, store.ErrNotFound)
			_, err = f.s.PermissionList(f.ctx, store.DefaultTenant, a.ID)
			require.ErrorIs(t, err, store.ErrNotFound)
		},
		"DeleteLeavesOtherAccountsAlone": func(t *testing.T, f *fixture) {
			doomed := f.account("doomed")
			f.key(doomed.ID, nil)
			f.permission(doomed.ID, "users", "*", "*", "")
			kept := f.account("kept")
			k, _ := f.key(kept.ID, nil)
			p := f.permission(kept.ID, "users", "*", "delete-users", "")

			require.NoError(t, f.w.AccountDelete(f.ctx, store.DefaultTenant, doomed.ID))

			c, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			require.Equal(t, kept.ID, c.Account.ID)
			require.Equal(t, []uuid.UUID{p.ID}, permissionIDs(c.Permissions))
		},
		"DeleteReturnsErrNotFoundForAnUnknownID": func(t *testing.T, f *fixture) {
			require.ErrorIs(t, f.w.AccountDelete(f.ctx, store.DefaultTenant, newID(t)), store.ErrNotFound)
		},
		"DeleteTwiceReturnsErrNotFoundTheSecondTime": func(t *testing.T, f *fixture) {
			a := f.account("once")
			require.NoError(t, f.w.AccountDelete(f.ctx, store.DefaultTenant, a.ID))
			require.ErrorIs(t, f.w.AccountDelete(f.ctx, store.DefaultTenant, a.ID), store.ErrNotFound)
		},
		"ListIsEmptyOnAnEmptyStore": func(t *testing.T, f *fixture) {
			got, err := f.s.AccountList(f.ctx, store.DefaultTenant, uuid.Nil, 10)
			require.NoError(t, err)
			require.Empty(t, got)
		},
		"ListWalksSeveralPagesInCreationOrder": func(t *testing.T, f *fixture) {
			var want []uuid.UUID
			for i := range 7 {
				want = append(want, f.account(strings.Repeat("a", i+1)).ID)
			}
			var got []uuid.UUID
			after := uuid.Nil
			pages := 0
			for {
				page, err := f.s.AccountList(f.ctx, store.DefaultTenant, after, 3)
				require.NoError(t, err)
				require.LessOrEqual(t, len(page), 3)
				if len(page) == 0 {
					break
				}
				pages++
				got = append(got, accountIDs(page)...)
				after = page[len(page)-1].ID
			}
			require.Equal(t, want, got)
			require.Equal(t, 3, pages)
		},
		"ListReturnsFullAccounts": func(t *testing.T, f *fixture) {
			a := f.account("full")
			got, err := f.s.AccountList(f.ctx, store.DefaultTenant, uuid.Nil, 1)
			require.NoError(t, err)
			require.Len(t, got, 1)
			requireAccount(t, a, got[0])
		},
		"ListCursorStillWorksAfterItsAccountIsDeleted": func(t *testing.T, f *fixture) {
			a := f.account("a")
			b := f.account("b")
			c := f.account("c")
			require.NoError(t, f.w.AccountDelete(f.ctx, store.DefaultTenant, b.ID))
			got, err := f.s.AccountList(f.ctx, store.DefaultTenant, b.ID, 10)
			require.NoError(t, err)
			require.Equal(t, []uuid.UUID{c.ID}, accountIDs(got))
			got, err = f.s.AccountList(f.ctx, store.DefaultTenant, a.ID, 10)
			require.NoError(t, err)
			require.Equal(t, []uuid.UUID{c.ID}, accountIDs(got))
		},
		"ListWithANonPositiveLimitIsAnError": func(t *testing.T, f *fixture) {
			f.account("a")
			for _, limit := range []int{0, -1} {
				_, err := f.s.AccountList(f.ctx, store.DefaultTenant, uuid.Nil, limit)
				require.Error(t, err, "limit %d", limit)
				require.NotErrorIs(t, err, store.ErrNotFound)
			}
		},
		"SearchMatchesLabelSubstringsIgnoringCaseAcrossPages": func(t *testing.T, f *fixture) {
			var want []uuid.UUID
			var first store.Account
			for i, label := range []string{"Tekenradar export", "nightly", "TEKENRADAR import", "tekenradar", "other", "Old tekenRadar 2"} {
				a := f.account(label)
				if i == 0 {
					first = a
				}
				if i != 1 && i != 4 {
					want = append(want, a.ID)
				}
			}
			var got []uuid.UUID
			after := uuid.Nil
			pages := 0
			for {
				page, err := f.s.AccountSearch(f.ctx, store.DefaultTenant, "kenRAD", after, 2)
				require.NoError(t, err)
				require.LessOrEqual(t, len(page), 2)
				if len(page) == 0 {
					break
				}
				pages++
				got = append(got, accountIDs(page)...)
				after = page[len(page)-1].ID
			}
			require.Equal(t, want, got, "every match, in creation order, each once")
			require.Equal(t, 2, pages, "full pages: the filter runs in the store")
			one, err := f.s.AccountSearch(f.ctx, store.DefaultTenant, "kenRAD", uuid.Nil, 1)
			require.NoError(t, err)
			require.Len(t, one, 1)
			requireAccount(t, first, one[0])
		},
		"SearchTakesWildcardsLiterally": func(t *testing.T, f *fixture) {
			pct := f.account("100% uptime")
			under := f.account("a_b")
			bang := f.account("hey!")
			f.account("100 percent")
			f.account("axb")
			f.account("hey")
			for _, c := range []struct {
				q    string
				want []uuid.UUID
			}{
				{"%", []uuid.UUID{pct.ID}},
				{"0% u", []uuid.UUID{pct.ID}},
				{"_", []uuid.UUID{under.ID}},
				{"a_b", []uuid.UUID{under.ID}},
				{"!", []uuid.UUID{bang.ID}},
				{"nothing", []uuid.UUID{}},
			} {
				got, err := f.s.AccountSearch(f.ctx, store.DefaultTenant, c.q, uuid.Nil, 10)
				require.NoError(t, err, c.q)
				require.Equal(t, c.want, accountIDs(got), "query %q", c.q)
			}
		},
		"SearchStaysInItsTenantAndRefusesANonPositiveLimit": func(t *testing.T, f *fixture) {
			f.account("shared name")
			got, err := f.s.AccountSearch(f.ctx, "another-tenant", "shared", uuid.Nil, 10)
			require.NoError(t, err)
			require.Empty(t, got)
			_, err = f.s.AccountSearch(f.ctx, store.DefaultTenant, "shared", uuid.Nil, 0)
			require.Error(t, err)
		},
		"ListPastTheEndIsEmpty": func(t *testing.T, f *fixture) {
			a := f.account("last")
			got, err := f.s.AccountList(f.ctx, store.DefaultTenant, a.ID, 5)
			require.NoError(t, err)
			require.Empty(t, got)
		},
		"StringsAtMaximumLengthAndAnyUnicodeRoundTripUnchanged": func(t *testing.T, f *fixture) {
			for _, tc := range []struct{ label, description string }{
				{strings.Repeat("x", store.MaxLabelLength), strings.Repeat("y", store.MaxDescriptionLength)},
				{strings.Repeat("😀", store.MaxLabelLength), strings.Repeat("数", store.MaxDescriptionLength)},
				{"Zürich ñ ü – “quotes” 'single' \\ back\\slash", "tab\tnew\nline; DROP TABLE accounts; --"},
				{"𝔘𝔫𝔦𝔠𝔬𝔡𝔢 עברית العربية", ""},
			} {
				a := store.Account{ID: newID(t), Label: tc.label, Description: tc.description, CreatedAt: base, UpdatedAt: base}
				require.NoError(t, f.w.AccountCreate(f.ctx, store.DefaultTenant, a))
				got, err := f.s.AccountGet(f.ctx, store.DefaultTenant, a.ID)
				require.NoError(t, err)
				require.Equal(t, tc.label, got.Label)
				require.Equal(t, tc.description, got.Description)
			}
		},
		"TimesKeepMicrosecondsAndComeBackInUTC": func(t *testing.T, f *fixture) {
			at := time.Date(2030, 1, 2, 3, 4, 5, 999999000, time.UTC)
			a := store.Account{ID: newID(t), Label: "µs", CreatedAt: at, UpdatedAt: at}
			require.NoError(t, f.w.AccountCreate(f.ctx, store.DefaultTenant, a))
			got, err := f.s.AccountGet(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Equal(t, time.UTC, got.CreatedAt.Location())
			require.True(t, at.Equal(got.CreatedAt), "want %s, got %s", at, got.CreatedAt)
		},
		"CanceledContextIsAnErrorButNotErrNotFound": func(t *testing.T, f *fixture) {
			a := f.account("ctx")
			ctx, cancel := context.WithCancel(f.ctx)
			cancel()
			_, err := f.s.AccountGet(ctx, store.DefaultTenant, a.ID)
			require.Error(t, err)
			require.NotErrorIs(t, err, store.ErrNotFound)
			_, err = f.s.KeyByHash(ctx, [32]byte{1})
			require.Error(t, err)
			require.NotErrorIs(t, err, store.ErrNotFound)
		},
	})
}
