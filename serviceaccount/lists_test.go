package serviceaccount_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

func TestListKeysPagesInIDOrder(t *testing.T) {
	f := newFixtureWithPolicy(t, serviceaccount.Policy{MaxKeysPerAccount: serviceaccount.NoKeyLimit})
	a := f.account(t)
	other := f.account(t)
	var want []uuid.UUID
	for range 5 {
		k, err := f.m.CreateKey(t.Context(), a.ID, serviceaccount.CreateKeyInput{})
		require.NoError(t, err)
		want = append(want, k.Key.ID)
		_, err = f.m.CreateKey(t.Context(), other.ID, serviceaccount.CreateKeyInput{})
		require.NoError(t, err)
		f.clock.Advance(time.Millisecond)
	}

	var got []uuid.UUID
	var sizes []int
	p := serviceaccount.PageParams{Limit: 2}
	for {
		page, err := f.m.ListKeys(t.Context(), a.ID, p)
		require.NoError(t, err)
		sizes = append(sizes, len(page.Items))
		for _, k := range page.Items {
			got = append(got, k.ID)
		}
		if page.NextCursor == "" {
			break
		}
		require.Less(t, len(sizes), 10, "pagination does not end")
		p.Cursor = page.NextCursor
	}
	assert.Equal(t, []int{2, 2, 1}, sizes)
	assert.Equal(t, want, got, "only this account's keys, in creation order")

	all, err := f.m.ListKeys(t.Context(), a.ID, serviceaccount.PageParams{Limit: 5})
	require.NoError(t, err)
	assert.Len(t, all.Items, 5)
	assert.Empty(t, all.NextCursor, "a full last page has no next page")
}

func TestListPermissionsPagesInIDOrder(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	var want []uuid.UUID
	for i := range 3 {
		p, err := f.m.AddPermission(t.Context(), a.ID, serviceaccount.PermissionInput{
			ResourceType: "study", ResourceKey: fmt.Sprintf("study-%d", i), Action: "read-study-config"})
		require.NoError(t, err)
		want = append(want, p.ID)
		f.clock.Advance(time.Millisecond)
	}
	first, err := f.m.ListPermissions(t.Context(), a.ID, serviceaccount.PageParams{Limit: 2})
	require.NoError(t, err)
	require.NotEmpty(t, first.NextCursor)
	second, err := f.m.ListPermissions(t.Context(), a.ID, serviceaccount.PageParams{Limit: 2, Cursor: first.NextCursor})
	require.NoError(t, err)
	assert.Empty(t, second.NextCursor)
	ids := func(ps ...[]permission.Permission) (out []uuid.UUID) {
		for _, page := range ps {
			for _, p := range page {
				out = append(out, p.ID)
			}
		}
		return out
	}
	assert.Equal(t, want, ids(first.Items, second.Items))

	whole, err := f.m.ListPermissions(t.Context(), a.ID, serviceaccount.PageParams{})
	require.NoError(t, err)
	assert.Equal(t, want, ids(whole.Items), "no limit: DefaultPageSize")
}

func TestAccountListsRejectBadParamsAndUnknownAccounts(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	_, err := f.m.ListKeys(t.Context(), a.ID, serviceaccount.PageParams{Limit: serviceaccount.MaxPageSize + 1})
	requireFields(t, err, "limit")
	_, err = f.m.ListPermissions(t.Context(), a.ID, serviceaccount.PageParams{Cursor: "not a cursor"})
	requireFields(t, err, "cursor")

	_, err = f.m.ListKeys(t.Context(), uuid.New(), serviceaccount.PageParams{})
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = f.m.ListPermissions(t.Context(), uuid.New(), serviceaccount.PageParams{})
	require.ErrorIs(t, err, store.ErrNotFound)

	empty, err := f.m.ListKeys(t.Context(), a.ID, serviceaccount.PageParams{})
	require.NoError(t, err)
	assert.Equal(t, []apikey.Key{}, empty.Items)
}
