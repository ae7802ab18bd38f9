package middleware_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

const interval = middleware.DefaultFlushInterval

func TestManyRequestsInOneIntervalMakeOneWrite(t *testing.T) {
	f := newFixture(t)
	h := f.handler()

	const n = 10_000
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for range n / 4 {
				if code := get(h, "/whoami", f.key).Code; code != http.StatusOK {
					t.Errorf("worker %d: status %d", w, code)
					return
				}
			}
		})
	}
	wg.Wait()
	f.clock.Advance(time.Second)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code) // the last use
	require.Zero(t, f.store.touchCalls.Load(), "nothing is written on the request path")

	f.clock.Advance(interval - time.Second)
	batch := f.store.nextTouch(t)

	require.Equal(t, []serviceaccount.KeyTouch{{KeyID: f.keyID, UsedAt: t0.Add(time.Second)}}, batch)
	require.NoError(t, f.close())
	require.EqualValues(t, 1, f.store.touchCalls.Load())
	keys, err := f.mgr.Keys(context.Background(), f.account.ID)
	require.NoError(t, err)
	require.Equal(t, t0.Add(time.Second), *keys[0].LastUsedAt)
}

func TestOneFlushWritesAllKeysInOneBatch(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	second := f.createKey(f.account, nil)
	other := f.createKey(f.createAccount("Other"), nil)

	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	f.clock.Advance(time.Second)
	require.Equal(t, http.StatusOK, get(h, "/whoami", second.Plaintext).Code)
	require.Equal(t, http.StatusOK, get(h, "/whoami", other.Plaintext).Code)
	f.clock.Advance(interval - time.Second)

	batch := f.store.nextTouch(t)
	require.ElementsMatch(t, []serviceaccount.KeyTouch{
		{KeyID: f.keyID, UsedAt: t0},
		{KeyID: second.Key.ID, UsedAt: t0.Add(time.Second)},
		{KeyID: other.Key.ID, UsedAt: t0.Add(time.Second)},
	}, batch)
}

func TestEachIntervalWritesOnlyTheKeysUsedInIt(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	f.clock.Advance(interval)
	require.Len(t, f.store.nextTouch(t), 1)

	// An idle interval writes nothing; the next use is written at the
	// next tick after it.
	f.clock.Advance(interval)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	f.clock.Advance(interval)
	batch := f.store.nextTouch(t)
	require.Equal(t, []serviceaccount.KeyTouch{{KeyID: f.keyID, UsedAt: t0.Add(2 * interval)}}, batch)
	require.EqualValues(t, 2, f.store.touchCalls.Load())
}

func TestRejectedKeysAreNotRecorded(t *testing.T) {
	f := newFixture(t)
	expires := t0.Add(time.Second)
	expiring := f.createKey(f.account, &expires)
	h := f.handler()

	require.Equal(t, http.StatusOK, get(h, "/whoami", expiring.Plaintext).Code)
	f.clock.Advance(2 * time.Second)
	require.Equal(t, http.StatusUnauthorized, get(h, "/whoami", expiring.Plaintext).Code)
	require.Equal(t, http.StatusUnauthorized, get(h, "/whoami", otherKey(t)).Code)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	f.clock.Advance(interval)

	batch := f.store.nextTouch(t)
	require.ElementsMatch(t, []serviceaccount.KeyTouch{
		{KeyID: expiring.Key.ID, UsedAt: t0}, // its use before it expired
		{KeyID: f.keyID, UsedAt: t0.Add(2 * time.Second)},
	}, batch)
}

func TestAFailedFlushIsRetriedAtTheNextInterval(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	f.store.failTouches.Store(true)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)

	f.clock.Advance(interval)
	require.Len(t, f.store.nextTouch(t), 1) // failed

	// A use after the failure and a healthy store: the next tick writes
	// the later time, once.
	f.clock.Advance(time.Second)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	f.store.failTouches.Store(false)
	f.clock.Advance(interval - time.Second)
	batch := f.store.nextTouch(t)
	require.Equal(t, []serviceaccount.KeyTouch{{KeyID: f.keyID, UsedAt: t0.Add(interval + time.Second)}}, batch)
	// Logged by the same goroutine before it took the second batch.
	require.Contains(t, f.logs.String(), "keeping them for the next interval")

	require.NoError(t, f.close())
	require.EqualValues(t, 2, f.store.touchCalls.Load(), "one attempt per interval, never a tight loop")
}

func TestAFailedFlushKeepsTheLatestTime(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	f.store.failTouches.Store(true)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	f.clock.Advance(interval)
	require.Len(t, f.store.nextTouch(t), 1) // failed, kept

	f.clock.Advance(interval) // fails again, without new uses
	batch := f.store.nextTouch(t)
	require.Equal(t, []serviceaccount.KeyTouch{{KeyID: f.keyID, UsedAt: t0}}, batch)

	f.store.failTouches.Store(false)
	require.NoError(t, f.close())
	require.Equal(t, []serviceaccount.KeyTouch{{KeyID: f.keyID, UsedAt: t0}}, f.store.nextTouch(t))
}

func TestCloseFlushesPendingUses(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)

	require.NoError(t, f.close())

	require.Equal(t, []serviceaccount.KeyTouch{{KeyID: f.keyID, UsedAt: t0}}, f.store.nextTouch(t))
}

func TestCloseReportsAFailedFlush(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	f.store.failTouches.Store(true)

	err := f.close()

	require.ErrorIs(t, err, errStoreDown)
	require.ErrorContains(t, err, "middleware: close: ")
}

func TestLastUseOfARevokedKeyIsStillWritten(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	second := f.createKey(f.account, nil)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	require.Equal(t, http.StatusOK, get(h, "/whoami", second.Plaintext).Code)
	require.NoError(t, f.mgr.DeleteKey(context.Background(), f.account.ID, f.keyID))

	f.clock.Advance(interval)

	// The store ignores the deleted key; the batch does not fail for it.
	require.Len(t, f.store.nextTouch(t), 2)
	keys, err := f.mgr.Keys(context.Background(), f.account.ID)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	require.Equal(t, t0, *keys[0].LastUsedAt)
}

func TestCloseStopsWaitingForARunningFlushWhenItsContextEnds(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	f.store.touchGate = make(chan struct{})
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	f.clock.Advance(interval)
	select {
	case <-f.store.touchHeld: // the flusher is stuck in the store
	case <-time.After(waitFor):
		t.Fatal("no flush")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.closed = true
	err := f.mw.Close(ctx)

	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "waiting for a running flush")
	close(f.store.touchGate)
	require.Len(t, f.store.nextTouch(t), 1) // the running flush still completes
}
