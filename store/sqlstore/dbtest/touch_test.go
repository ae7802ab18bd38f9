package sqlstore_test

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
)

// seedKeys stores n keys of a new account in bulk and returns the account
// and the key ids in creation order.
func seedKeys(t *testing.T, s testStore, n int) (serviceaccount.Account, []uuid.UUID) {
	t.Helper()
	a := serviceaccount.Account{ID: newID(t), Label: "bulk", CreatedAt: base, UpdatedAt: base}
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = newID(t)
	}
	err := bulkInsert(s, t.Context(), []serviceaccount.Account{a}, n, func(i int) apikey.Key {
		return apikey.Key{ID: ids[i], AccountID: a.ID, Hash: seedHash(i), Hint: "sa_…", CreatedAt: base}
	}, nil)
	require.NoError(t, err)
	return a, ids
}

// TestTouchOfABatchLargerThanOneStatement touches more keys than one
// statement takes on MySQL and SQLite (the batch is then split, in one
// transaction), with duplicates and with keys that do not exist.
func TestTouchOfABatchLargerThanOneStatement(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		s := newTestStore(t, url)
		a, ids := seedKeys(t, s, 2500)
		want := map[uuid.UUID]time.Time{}
		var touches []serviceaccount.KeyTouch
		for i, id := range ids {
			at := base.Add(time.Duration(i) * time.Millisecond)
			want[id] = at
			touches = append(touches,
				serviceaccount.KeyTouch{KeyID: id, UsedAt: at.Add(-time.Second)},
				serviceaccount.KeyTouch{KeyID: id, UsedAt: at},
				serviceaccount.KeyTouch{KeyID: newID(t), UsedAt: at},
			)
		}
		rand.Shuffle(len(touches), func(i, j int) { touches[i], touches[j] = touches[j], touches[i] })
		require.NoError(t, s.KeysTouch(t.Context(), touches))
		keys, err := s.KeyList(t.Context(), store.DefaultTenant, a.ID)
		require.NoError(t, err)
		require.Len(t, keys, len(ids))
		for _, k := range keys {
			require.NotNil(t, k.LastUsedAt)
			require.True(t, want[k.ID].Equal(*k.LastUsedAt), "key %s: want %s, got %s", k.ID, want[k.ID], k.LastUsedAt)
		}
	})
}

// TestTouchesFromTwoProcessesKeepTheLatestTime flushes overlapping batches
// from two pools (two processes, as far as the database can tell) at
// once, in every order: each key ends at the latest time any of them
// recorded.
func TestTouchesFromTwoProcessesKeepTheLatestTime(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		s := newTestStore(t, url)
		_, ids := seedKeys(t, s, 50)
		other, err := sqlstore.OpenDB(t.Context(), url)
		require.NoError(t, err)
		t.Cleanup(func() { other.Close() })
		s2, err := sqlstore.New(other, sqlstore.WithTablePrefix(s.prefix))
		require.NoError(t, err)

		const flushes = 10
		latest := map[uuid.UUID]time.Time{}
		batches := make([][]serviceaccount.KeyTouch, 2*flushes)
		for b := range batches {
			for _, id := range ids {
				if rand.IntN(2) == 0 {
					continue
				}
				at := base.Add(time.Duration(rand.IntN(1_000_000)) * time.Microsecond)
				if at.After(latest[id]) {
					latest[id] = at
				}
				batches[b] = append(batches[b], serviceaccount.KeyTouch{KeyID: id, UsedAt: at})
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(batches))
		for b, batch := range batches {
			st := store.Store(s)
			if b%2 == 1 {
				st = s2
			}
			wg.Go(func() { errs <- st.KeysTouch(t.Context(), batch) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		for i, id := range ids {
			c, err := s.KeyByHash(t.Context(), seedHash(i))
			require.NoError(t, err)
			if want, ok := latest[id]; ok {
				require.NotNil(t, c.Key.LastUsedAt)
				require.True(t, want.Equal(*c.Key.LastUsedAt), "key %d: want %s, got %s", i, want, c.Key.LastUsedAt)
			} else {
				require.Nil(t, c.Key.LastUsedAt)
			}
		}
	})
}
