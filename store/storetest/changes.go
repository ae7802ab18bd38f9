package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// recordChange records a change of account in a transaction of its own.
func (f *fixture) recordChange(account uuid.UUID, at time.Time) {
	f.t.Helper()
	require.NoError(f.t, f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.ChangeRecord(ctx, store.DefaultTenant, store.ChangeRecordParams{AccountID: account, RecordedAt: at})
	}))
}

func (f *fixture) changesAfter(after int64, limit int) store.ChangePage {
	f.t.Helper()
	page, err := f.s.ChangeList(f.ctx, store.ChangeListParams{After: after, Limit: limit})
	require.NoError(f.t, err)
	return page
}

func changeIDs(page store.ChangePage) []int64 {
	ids := make([]int64, len(page.Changes))
	for i, c := range page.Changes {
		ids[i] = c.ID
	}
	return ids
}

func runChanges(t *testing.T, newStore NewStore) {
	subtests(t, newStore, map[string]func(t *testing.T, f *fixture){
		"AnEmptyLogHasHeadZero": func(t *testing.T, f *fixture) {
			head, err := f.s.ChangeHead(f.ctx)
			require.NoError(t, err)
			require.Zero(t, head)
			page := f.changesAfter(0, 10)
			require.Zero(t, page.Head)
			require.Empty(t, page.Changes)
		},
		"ChangeRecordIsReadBackInIDOrderFromOne": func(t *testing.T, f *fixture) {
			a, b := newID(t), newID(t)
			f.recordChange(a, base)
			f.recordChange(b, base.Add(time.Second))
			page := f.changesAfter(0, 10)
			require.EqualValues(t, 2, page.Head)
			require.Equal(t, []int64{1, 2}, changeIDs(page))
			require.Equal(t, a, page.Changes[0].AccountID)
			require.Equal(t, b, page.Changes[1].AccountID)
			requireTime(t, base, page.Changes[0].RecordedAt)
			requireTime(t, base.Add(time.Second), page.Changes[1].RecordedAt)
			head, err := f.s.ChangeHead(f.ctx)
			require.NoError(t, err)
			require.EqualValues(t, 2, head)
		},
		"AChangeCommitsWithItsTransactionOrNotAtAll": func(t *testing.T, f *fixture) {
			a := store.Account{ID: newID(t), Label: "a", CreatedAt: base, UpdatedAt: base}
			err := f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				if err := tx.AccountCreate(ctx, store.DefaultTenant, a); err != nil {
					return err
				}
				if err := tx.ChangeRecord(ctx, store.DefaultTenant, store.ChangeRecordParams{AccountID: a.ID, RecordedAt: base}); err != nil {
					return err
				}
				return errInjected
			})
			require.ErrorIs(t, err, errInjected)
			page := f.changesAfter(0, 10)
			require.Zero(t, page.Head, "the rolled-back change took no id")
			require.Empty(t, page.Changes)

			f.recordChange(a.ID, base)
			require.Equal(t, []int64{1}, changeIDs(f.changesAfter(0, 10)), "no gap where the rollback was")
		},
		"ChangeListPagesAfterAPosition": func(t *testing.T, f *fixture) {
			for range 5 {
				f.recordChange(newID(t), base)
			}
			page := f.changesAfter(1, 2)
			require.EqualValues(t, 5, page.Head)
			require.Equal(t, []int64{2, 3}, changeIDs(page))
			page = f.changesAfter(3, 10)
			require.Equal(t, []int64{4, 5}, changeIDs(page))
			page = f.changesAfter(5, 10)
			require.EqualValues(t, 5, page.Head)
			require.Empty(t, page.Changes)
		},
		"ChangeListRefusesANonPositiveLimit": func(t *testing.T, f *fixture) {
			_, err := f.s.ChangeList(f.ctx, store.ChangeListParams{Limit: 0})
			require.Error(t, err)
		},
		"ChangePruneDeletesOlderChangesAndKeepsTheHead": func(t *testing.T, f *fixture) {
			for i := range 4 {
				f.recordChange(newID(t), base.Add(time.Duration(i)*time.Minute))
			}
			n, err := f.s.ChangePrune(f.ctx, base.Add(2*time.Minute))
			require.NoError(t, err)
			require.EqualValues(t, 2, n)
			page := f.changesAfter(0, 10)
			require.EqualValues(t, 4, page.Head)
			require.Equal(t, []int64{3, 4}, changeIDs(page), "a reader at 0 sees that 1 and 2 are gone")

			n, err = f.s.ChangePrune(f.ctx, base.Add(time.Hour))
			require.NoError(t, err)
			require.EqualValues(t, 2, n)
			page = f.changesAfter(0, 10)
			require.EqualValues(t, 4, page.Head, "pruning never lowers the head")
			require.Empty(t, page.Changes)
			f.recordChange(newID(t), base)
			require.Equal(t, []int64{5}, changeIDs(f.changesAfter(4, 10)), "ids are never reused")
		},
		"ConcurrentChangesTakeConsecutiveIDs": func(t *testing.T, f *fixture) {
			const writers, each = 6, 5
			var (
				mu       sync.Mutex
				accounts = map[uuid.UUID]bool{}
				wg       sync.WaitGroup
			)
			for range writers {
				wg.Go(func() {
					for range each {
						id, err := uuid.NewV7()
						if err == nil {
							err = f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
								return tx.ChangeRecord(ctx, store.DefaultTenant, store.ChangeRecordParams{AccountID: id, RecordedAt: base})
							})
						}
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						accounts[id] = true
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			page := f.changesAfter(0, 100)
			require.EqualValues(t, writers*each, page.Head)
			seen := map[uuid.UUID]bool{}
			for i, c := range page.Changes {
				require.EqualValues(t, i+1, c.ID)
				seen[c.AccountID] = true
			}
			require.Equal(t, accounts, seen)
		},
	})
}
