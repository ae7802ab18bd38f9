package middleware

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/changefeed"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// otherAccount creates an account with a key whose invalidation stripe
// differs from acct's, so that the test does not depend on the 1 in 4,096
// chance of sharing one.
func otherAccount(t *testing.T, mw *Middleware, mgr *serviceaccount.Manager, acct serviceaccount.Account) (serviceaccount.Account, serviceaccount.CreatedKey) {
	t.Helper()
	for range 10 {
		other, err := mgr.CreateAccount(context.Background(), serviceaccount.AccountInput{Label: "other"})
		require.NoError(t, err)
		if mw.invalid.stripe(other.ID) == mw.invalid.stripe(acct.ID) {
			continue
		}
		key, err := mgr.CreateKey(context.Background(), other.ID, serviceaccount.CreateKeyInput{})
		require.NoError(t, err)
		return other, key
	}
	t.Fatal("ten accounts in one stripe")
	return serviceaccount.Account{}, serviceaccount.CreatedKey{}
}

// A change drops the entries of its account, and the negative entries,
// but not another account's.
func TestAChangeDropsOnlyItsAccountsEntries(t *testing.T) {
	st := newProbeStore()
	mw, mgr, acct, key := internalFixture(t, st, Config{}, serviceaccount.Config{})
	_, otherKey := otherAccount(t, mw, mgr, acct)
	unknown, err := apikey.Generate(apikey.DefaultPrefix)
	require.NoError(t, err)
	h := mw.Authenticate(okHandler)
	for _, k := range []string{key.Plaintext, otherKey.Plaintext, unknown} {
		serveKey(h, "Authorization", "Bearer "+k)
	}
	require.EqualValues(t, 3, st.lookups.Load())

	_, err = mgr.UpdateAccount(context.Background(), acct.ID, serviceaccount.AccountInput{Label: "renamed"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, serveKey(h, "Authorization", "Bearer "+otherKey.Plaintext).Code)
	require.EqualValues(t, 3, st.lookups.Load(), "the other account's entry is kept")
	require.Equal(t, http.StatusOK, serveKey(h, "Authorization", "Bearer "+key.Plaintext).Code)
	require.EqualValues(t, 4, st.lookups.Load(), "the changed account's entry is dropped")
	require.Equal(t, http.StatusUnauthorized, serveKey(h, "Authorization", "Bearer "+unknown).Code)
	require.EqualValues(t, 5, st.lookups.Load(), "negative entries are dropped: a change may create a key")
}

// A feed's AccountChanged drops that account's entries; AllChanged drops
// everything.
func TestTheFeedsChangesDropEntries(t *testing.T) {
	st := newProbeStore()
	clock := clockwork.NewFakeClockAt(t0)
	feed, err := changefeed.New(changefeed.Config{Store: memstore.New(), Clock: clock, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	mw, mgr, acct, key := internalFixture(t, st, Config{Feed: feed, CacheTTL: time.Hour}, serviceaccount.Config{Clock: clock})
	_, otherKey := otherAccount(t, mw, mgr, acct)
	h := mw.Authenticate(okHandler)
	serve := func(k string) { serveKey(h, "Authorization", "Bearer "+k) }
	serve(key.Plaintext)
	serve(otherKey.Plaintext)
	require.EqualValues(t, 2, st.lookups.Load())

	s := cacheSubscriber{mw}
	s.AccountChanged(acct.ID)
	serve(otherKey.Plaintext)
	serve(key.Plaintext)
	require.EqualValues(t, 3, st.lookups.Load(), "only the changed account's key is looked up again")

	s.AllChanged()
	serve(otherKey.Plaintext)
	serve(key.Plaintext)
	require.EqualValues(t, 5, st.lookups.Load(), "everything is looked up again")

	// The middleware subscribed to the feed, and unsubscribes on Close.
	unsubscribed := mw.unsubscribeFeed
	require.NotNil(t, unsubscribed)
}

// Serving a cached key allocates only what putting the principal in the
// request costs: the invalidation stripes add nothing.
func TestServingACachedKeyAllocatesOnlyTheRequestCopy(t *testing.T) {
	st := newProbeStore()
	mw, _, _, key := internalFixture(t, st, Config{}, serviceaccount.Config{})
	h := mw.Authenticate(okHandler)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+key.Plaintext)
	w := &discardWriter{header: http.Header{}}
	h.ServeHTTP(w, r)
	allocs := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, r) })
	// Authenticate puts the principal in the request's context: that
	// context and the request copy are the only allocations.
	require.LessOrEqual(t, allocs, 2.0)
}

func TestInvalidationNumbersNeverGoBack(t *testing.T) {
	var inv invalidations
	a := uuid.New()
	inv.account(a)
	s := inv.stripe(a)
	n := s.Load()
	raise(s, n-1)
	require.Equal(t, n, s.Load())
	require.False(t, inv.current(n-1, s))
	require.True(t, inv.current(n, s))
	inv.everything()
	require.False(t, inv.current(n, s))
}

// fakeSource is a ChangeSource of the application's own: the middleware
// needs the interface, not a *changefeed.Feed.
type fakeSource struct{ subs []store.ChangeSubscriber }

func (f *fakeSource) Subscribe(s store.ChangeSubscriber) func() {
	f.subs = append(f.subs, s)
	return func() {}
}

// Any ChangeSource reaches the cache in the same shape as the Manager's
// own changes, and a nil *changefeed.Feed (no database to share) is no
// source at all rather than a crash.
func TestAnyChangeSourceDropsEntriesAndANilFeedIsHarmless(t *testing.T) {
	st := newProbeStore()
	src := &fakeSource{}
	mw, mgr, acct, key := internalFixture(t, st, Config{Feed: src, CacheTTL: time.Hour}, serviceaccount.Config{})
	_, otherKey := otherAccount(t, mw, mgr, acct)
	require.Len(t, src.subs, 1)
	h := mw.Authenticate(okHandler)
	serve := func(k string) { serveKey(h, "Authorization", "Bearer "+k) }
	serve(key.Plaintext)
	serve(otherKey.Plaintext)
	require.EqualValues(t, 2, st.lookups.Load())
	src.subs[0].AccountChanged(acct.ID)
	serve(otherKey.Plaintext)
	serve(key.Plaintext)
	require.EqualValues(t, 3, st.lookups.Load(), "only the changed account's key is looked up again")

	var none *changefeed.Feed
	mw2, _, _, key2 := internalFixture(t, newProbeStore(), Config{Feed: none}, serviceaccount.Config{})
	require.Equal(t, http.StatusOK, serveKey(mw2.Authenticate(okHandler), "Authorization", "Bearer "+key2.Plaintext).Code)
}
