package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

func recordIn(t *testing.T, s testStore, tx *sql.Tx, account uuid.UUID) {
	t.Helper()
	require.NoError(t, changeRecordTx(s, t.Context(), tx, store.ChangeRecordParams{AccountID: account, RecordedAt: base}))
}

func listAfter(t *testing.T, s testStore, after int64) store.ChangePage {
	t.Helper()
	page, err := s.ChangeList(t.Context(), store.ChangeListParams{After: after, Limit: 100})
	require.NoError(t, err)
	return page
}

// The transaction that takes a change id first commits first: a second
// writer waits for the head until the first ends, so a reader never sees
// id n+1 before id n. And a transaction that began first but records
// last gets the later id.
func TestChangesCommitInIDOrder(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		s := newTestStore(t, url)
		ctx := t.Context()
		a, b := newID(t), newID(t)

		if d.name != "sqlite" { // SQLite's BEGIN IMMEDIATE lets only one writer in at all
			// T1 begins and writes first, T2 records and commits first.
			t1, err := poolOf(s).DB.BeginTx(ctx, nil)
			require.NoError(t, err)
			accounts, _, _ := tables(s)
			_, err = t1.ExecContext(ctx, "INSERT INTO "+accounts+" (id, label, description, created_at, updated_at) SELECT id, label, description, created_at, updated_at FROM "+accounts+" WHERE 1 = 0")
			require.NoError(t, err)
			t2, err := poolOf(s).DB.BeginTx(ctx, nil)
			require.NoError(t, err)
			recordIn(t, s, t2, b)
			require.NoError(t, t2.Commit())
			page := listAfter(t, s, 0)
			require.EqualValues(t, 1, page.Head)
			require.Len(t, page.Changes, 1)
			require.Equal(t, b, page.Changes[0].AccountID)
			recordIn(t, s, t1, a)
			require.NoError(t, t1.Commit())
			page = listAfter(t, s, 1)
			require.EqualValues(t, 2, page.Head)
			require.Len(t, page.Changes, 1)
			require.Equal(t, a, page.Changes[0].AccountID)
		}

		// T3 takes an id and holds it; T4 records while T3 is open and
		// must come after it.
		start := listAfter(t, s, 0).Head
		t3, err := poolOf(s).DB.BeginTx(ctx, nil)
		require.NoError(t, err)
		recordIn(t, s, t3, a)
		t4done := make(chan error, 1)
		go func() {
			t4, err := poolOf(s).DB.BeginTx(ctx, nil)
			if err == nil {
				err = changeRecordTx(s, ctx, t4, store.ChangeRecordParams{AccountID: b, RecordedAt: base})
				if err == nil {
					err = t4.Commit()
				} else {
					t4.Rollback()
				}
			}
			t4done <- err
		}()
		page := listAfter(t, s, start)
		require.Equal(t, start, page.Head, "nothing is visible before T3 commits")
		require.Empty(t, page.Changes)
		require.NoError(t, t3.Commit())
		require.NoError(t, <-t4done)
		page = listAfter(t, s, start)
		require.Equal(t, start+2, page.Head)
		require.Len(t, page.Changes, 2)
		require.Equal(t, []uuid.UUID{a, b}, []uuid.UUID{page.Changes[0].AccountID, page.Changes[1].AccountID},
			"T3 took its id first, so it commits first")
	})
}

// Many writers commit at random moments after recording while a reader
// polls all along: reading in id order, the reader sees every committed
// change exactly once, never one that rolled back, and an id missing
// below a later one is only ever missing for a moment.
func TestChangesAreNeverMissedUnderConcurrentWriters(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		s := newTestStore(t, url)
		ctx := t.Context()
		const writers, perWriter = 6, 15
		var (
			mu        sync.Mutex
			committed = map[uuid.UUID]bool{}
		)
		var wg sync.WaitGroup
		for range writers {
			wg.Go(func() {
				for i := range perWriter {
					account := newID(t)
					err := func() error {
						tx, err := poolOf(s).DB.BeginTx(ctx, nil)
						if err != nil {
							return err
						}
						defer tx.Rollback()
						if err := changeRecordTx(s, ctx, tx, store.ChangeRecordParams{AccountID: account, RecordedAt: base}); err != nil {
							return err
						}
						// A few more statements before the commit, so that
						// commits land at varied moments.
						for range rand.IntN(3) {
							var n int
							if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+changesTable(s)).Scan(&n); err != nil {
								return err
							}
						}
						if i%5 == 4 {
							return tx.Rollback() // leaves no id behind
						}
						if err := tx.Commit(); err != nil {
							return err
						}
						mu.Lock()
						committed[account] = true
						mu.Unlock()
						return nil
					}()
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		want := writers * perWriter * 4 / 5
		seen := map[uuid.UUID]bool{}
		var position int64
		gaps := 0
		for polls := 0; len(seen) < want; polls++ {
			require.Less(t, polls, 1_000_000, "the reader never caught up")
			page, err := s.ChangeList(ctx, store.ChangeListParams{After: position, Limit: 7})
			require.NoError(t, err)
			require.GreaterOrEqual(t, page.Head, position)
			for _, c := range page.Changes {
				if c.ID != position+1 {
					// Not visible yet (InnoDB makes a commit visible a
					// moment after releasing its locks): read again.
					gaps++
					break
				}
				require.False(t, seen[c.AccountID], "seen twice")
				seen[c.AccountID] = true
				position = c.ID
			}
		}
		if gaps > 0 {
			t.Logf("%s: %d reads found an id missing for a moment; every one appeared", d.name, gaps)
		}
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, committed, seen)
		require.Equal(t, position, listAfter(t, s, position).Head, "no rolled-back change consumed an id")
	})
}

// Pruning deletes old rows only; the head stays, so a reader that fell
// behind learns that rows it never read are gone.
func TestChangePrune(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		s := newTestStore(t, url)
		ctx := t.Context()
		for i := range 3 {
			tx, err := poolOf(s).DB.BeginTx(ctx, nil)
			require.NoError(t, err)
			require.NoError(t, changeRecordTx(s, ctx, tx, store.ChangeRecordParams{AccountID: newID(t), RecordedAt: base.Add(time.Duration(i) * time.Minute)}))
			require.NoError(t, tx.Commit())
		}
		n, err := s.ChangePrune(ctx, base.Add(time.Minute)) // before, not at
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		page := listAfter(t, s, 0)
		require.EqualValues(t, 3, page.Head)
		require.Len(t, page.Changes, 2)
		require.EqualValues(t, 2, page.Changes[0].ID, "id 1 is gone: a reader at 0 sees the gap")
		require.WithinDuration(t, base.Add(time.Minute), page.Changes[0].RecordedAt, time.Microsecond)

		n, err = s.ChangePrune(ctx, base.Add(time.Hour))
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
		head, err := s.ChangeHead(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 3, head, "pruning never lowers the head")
		page = listAfter(t, s, 1)
		require.EqualValues(t, 3, page.Head)
		require.Empty(t, page.Changes)
		_, err = s.ChangeList(ctx, store.ChangeListParams{After: 0, Limit: 0})
		require.ErrorContains(t, err, "limit must be positive")
	})
}

// Two instances pruning at once do not wait for one another: rows that
// one holds are skipped by the other.
func TestChangePruneSkipsRowsAnotherPrunerHolds(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		if d.name == "sqlite" {
			t.Skip("SQLite has one writer at a time: there is nothing to skip")
		}
		s := newTestStore(t, url)
		ctx := t.Context()
		for range 4 {
			tx, err := poolOf(s).DB.BeginTx(ctx, nil)
			require.NoError(t, err)
			recordIn(t, s, tx, newID(t))
			require.NoError(t, tx.Commit())
		}
		// Another pruner holds rows 1 and 2.
		other, err := poolOf(s).DB.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
		require.NoError(t, err)
		defer other.Rollback()
		rows, err := other.QueryContext(ctx, fmt.Sprintf("SELECT id FROM %s WHERE id <= 2 FOR UPDATE", changesTable(s)))
		require.NoError(t, err)
		for rows.Next() {
		}
		require.NoError(t, rows.Close())

		// A wait for the held rows would run into the timeout.
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		n, err := s.ChangePrune(pctx, base.Add(time.Hour))
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
		require.NoError(t, other.Rollback())
		n, err = s.ChangePrune(ctx, base.Add(time.Hour))
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
	})
}

// ChangeListener exists on PostgreSQL only.
func TestChangeListenerOnPostgreSQLOnly(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		s := newTestStore(t, url)
		if d.name == "postgres" {
			require.NotNil(t, s.ChangeListener())
		} else {
			require.Nil(t, s.ChangeListener())
		}
	})
}

// The notification leaves at commit and carries the change id; a payload
// that is not an id is reported as malformed, and a rolled-back change
// sends nothing.
func TestChangeListenHearsCommitsOnly(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		if d.name != "postgres" {
			t.Skip("LISTEN/NOTIFY is PostgreSQL's")
		}
		s := newTestStore(t, url)
		ctx, cancel := context.WithCancel(t.Context())
		listening := make(chan struct{})
		ids := make(chan int64, 10)
		malformed := make(chan struct{}, 10)
		done := make(chan error, 1)
		go func() {
			done <- s.ChangeListener().ChangeListen(ctx, store.ChangeListenParams{
				Listening: func() { close(listening) },
				Notify:    func(id int64) { ids <- id },
				Malformed: func() { malformed <- struct{}{} },
			})
		}()
		<-listening

		rolledBack, err := poolOf(s).DB.BeginTx(ctx, nil)
		require.NoError(t, err)
		recordIn(t, s, rolledBack, newID(t))
		require.NoError(t, rolledBack.Rollback())

		_, err = poolOf(s).DB.ExecContext(ctx, "SELECT pg_notify($1, 'not an id')", changesTable(s))
		require.NoError(t, err)
		select {
		case <-malformed:
		case <-time.After(10 * time.Second):
			t.Fatal("the malformed payload was not reported")
		}

		tx, err := poolOf(s).DB.BeginTx(ctx, nil)
		require.NoError(t, err)
		recordIn(t, s, tx, newID(t))
		// A notification committed after the record but before its
		// commit arrives first: had the record's left early, it would be
		// waiting already.
		_, err = poolOf(s).DB.ExecContext(ctx, "SELECT pg_notify($1, '-1')", changesTable(s))
		require.NoError(t, err)
		select {
		case <-malformed:
		case <-time.After(10 * time.Second):
			t.Fatal("the second malformed payload was not reported")
		}
		select {
		case id := <-ids:
			t.Fatalf("notified of %d before the commit", id)
		default:
		}
		require.NoError(t, tx.Commit())
		select {
		case id := <-ids:
			require.EqualValues(t, 1, id, "the rolled-back change took no id")
		case <-time.After(10 * time.Second):
			t.Fatal("no notification")
		}
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})
}
