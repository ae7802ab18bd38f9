package middleware_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

func TestConcurrentFirstRequestsMakeOneLookup(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	f.store.holdLookups.Store(true)

	const n = 100
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { codes <- get(h, "/whoami", f.key).Code })
	}
	select {
	case <-f.store.lookupHeld:
	case <-time.After(waitFor):
		t.Fatal("no lookup")
	}
	close(f.store.release)
	wg.Wait()
	close(codes)

	for code := range codes {
		require.Equal(t, http.StatusOK, code)
	}
	require.EqualValues(t, 1, f.store.lookups.Load())
}

func TestCacheServesRepeatedRequestsWithoutTheStore(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	for range 50 {
		require.Equal(t, http.StatusOK, get(h, "/studies/tekenradar/responses?surveyKey=s1", f.key).Code)
	}
	require.EqualValues(t, 1, f.store.lookups.Load())
}

func TestCacheRemembersUnknownKeys(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	unknown := otherKey(t)
	for range 3 {
		requireUnauthorized(t, get(h, "/whoami", unknown), invalidToken, "not valid", unknown)
	}
	require.EqualValues(t, 1, f.store.lookups.Load())

	// A new key could be this one: negative entries go with any change.
	f.createKey(f.account, nil)
	requireUnauthorized(t, get(h, "/whoami", unknown), invalidToken, "not valid", unknown)
	require.EqualValues(t, 2, f.store.lookups.Load())

	// And with the TTL.
	f.clock.Advance(middleware.DefaultCacheTTL)
	requireUnauthorized(t, get(h, "/whoami", unknown), invalidToken, "not valid", unknown)
	require.EqualValues(t, 3, f.store.lookups.Load())
}

func TestDisableCacheLooksUpEveryRequest(t *testing.T) {
	f := newFixture(t, func(c *middleware.Config) { c.DisableCache = true })
	h := f.handler()
	unknown := otherKey(t)
	for range 3 {
		require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
		requireUnauthorized(t, get(h, "/whoami", unknown), invalidToken, "not valid", unknown)
	}
	requireUnauthorized(t, get(h, "/whoami", "junk"), invalidToken, "malformed", "")
	require.EqualValues(t, 6, f.store.lookups.Load())

	// Uses are still coalesced: one write for the three requests.
	f.clock.Advance(middleware.DefaultFlushInterval)
	batch := f.store.nextTouch(t)
	require.Equal(t, []serviceaccount.KeyTouch{{KeyID: f.keyID, UsedAt: t0}}, batch)
}

// Every change made through the Manager is seen by the very next request.
func TestChangesThroughTheManagerTakeEffectOnTheNextRequest(t *testing.T) {
	ctx := context.Background()
	responses := func(study, survey string) string {
		return "/studies/" + study + "/responses?surveyKey=" + survey
	}

	t.Run("PermissionAdded", func(t *testing.T) {
		f := newFixture(t)
		h := f.handler()
		require.Equal(t, http.StatusForbidden, get(h, responses("other", "s1"), f.key).Code)
		f.addPermission(f.account, "study", "other", "get-responses", "")
		require.Equal(t, http.StatusOK, get(h, responses("other", "s1"), f.key).Code)
	})
	t.Run("PermissionDeleted", func(t *testing.T) {
		f := newFixture(t)
		h := f.handler()
		require.Equal(t, http.StatusOK, get(h, responses("tekenradar", "s1"), f.key).Code)
		perms, err := f.mgr.Permissions(ctx, f.account.ID)
		require.NoError(t, err)
		require.NoError(t, f.mgr.DeletePermission(ctx, f.account.ID, perms[0].ID))
		require.Equal(t, http.StatusForbidden, get(h, responses("tekenradar", "s1"), f.key).Code)
	})
	t.Run("LimiterChanged", func(t *testing.T) {
		f := newFixture(t)
		h := f.handler()
		require.Equal(t, http.StatusOK, get(h, responses("tekenradar", "s1"), f.key).Code)
		require.Equal(t, http.StatusForbidden, get(h, responses("tekenradar", "s3"), f.key).Code)
		perms, err := f.mgr.Permissions(ctx, f.account.ID)
		require.NoError(t, err)
		_, err = f.mgr.SetLimiter(ctx, f.account.ID, perms[0].ID, json.RawMessage(`[{"surveyKey":"s3"}]`))
		require.NoError(t, err)
		require.Equal(t, http.StatusForbidden, get(h, responses("tekenradar", "s1"), f.key).Code)
		require.Equal(t, http.StatusOK, get(h, responses("tekenradar", "s3"), f.key).Code)
	})
	t.Run("AccountRenamed", func(t *testing.T) {
		f := newFixture(t)
		h := f.handler()
		require.Contains(t, get(h, "/whoami", f.key).Body.String(), `"label":"Data pipeline"`)
		_, err := f.mgr.UpdateAccount(ctx, f.account.ID, serviceaccount.AccountInput{Label: "ETL"})
		require.NoError(t, err)
		require.Contains(t, get(h, "/whoami", f.key).Body.String(), `"label":"ETL"`)
	})
	t.Run("KeyDeleted", func(t *testing.T) {
		f := newFixture(t)
		h := f.handler()
		require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
		require.NoError(t, f.mgr.DeleteKey(ctx, f.account.ID, f.keyID))
		require.Equal(t, http.StatusUnauthorized, get(h, "/whoami", f.key).Code)
	})
}

// A lookup that read the store before a revocation and returns after it
// must not leave the revoked key in the cache.
func TestALookupRacingARevocationIsNotCached(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	f.store.holdLookups.Store(true)

	first := make(chan int)
	go func() { first <- get(h, "/whoami", f.key).Code }()
	select {
	case <-f.store.lookupHeld: // it has read the key, still valid
	case <-time.After(waitFor):
		t.Fatal("no lookup")
	}
	require.NoError(t, f.mgr.DeleteKey(context.Background(), f.account.ID, f.keyID))
	f.store.holdLookups.Store(false)
	close(f.store.release)

	require.Equal(t, http.StatusOK, <-first, "it started before the revocation returned")
	requireUnauthorized(t, get(h, "/whoami", f.key), invalidToken, "not valid", f.key)
	require.EqualValues(t, 2, f.store.lookups.Load())
}

// A request that starts after a revocation must not join a lookup that
// started before it.
func TestARequestAfterARevocationDoesNotJoinAnOlderLookup(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	f.store.holdLookups.Store(true)

	first := make(chan int)
	go func() { first <- get(h, "/whoami", f.key).Code }()
	select {
	case <-f.store.lookupHeld:
	case <-time.After(waitFor):
		t.Fatal("no lookup")
	}
	require.NoError(t, f.mgr.DeleteKey(context.Background(), f.account.ID, f.keyID))

	second := make(chan int)
	go func() { second <- get(h, "/whoami", f.key).Code }()
	// Whether the second request joins the held lookup (and then finds it
	// older than the revocation) or arrives after it, it must look again.
	close(f.store.release)

	require.Equal(t, http.StatusOK, <-first)
	require.Equal(t, http.StatusUnauthorized, <-second)
	require.EqualValues(t, 2, f.store.lookups.Load())
}

// The lookup is shared: the request that started it leaving must not fail
// the requests waiting for it.
func TestASharedLookupOutlivesTheRequestThatStartedIt(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	f.store.holdLookups.Store(true)

	ctx, cancel := context.WithCancel(context.Background())
	leader := make(chan int)
	go func() {
		r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/whoami", nil)
		r.Header.Set("Authorization", "Bearer "+f.key)
		leader <- serve(h, r).Code
	}()
	select {
	case <-f.store.lookupHeld:
	case <-time.After(waitFor):
		t.Fatal("no lookup")
	}
	follower := make(chan int)
	go func() { follower <- get(h, "/whoami", f.key).Code }()

	cancel() // the client of the first request goes away
	require.Equal(t, http.StatusServiceUnavailable, <-leader)
	close(f.store.release)
	require.Equal(t, http.StatusOK, <-follower)
	require.EqualValues(t, 1, f.store.lookups.Load())
	require.NotContains(t, f.logs.String(), "level=ERROR", "a client leaving is not a store failure")
}

// Setting the clock back must not stretch the TTL: a key that another
// process revoked is seen as revoked once its entry is older than the TTL,
// however the wall clock moved meanwhile. On the real clock the age is
// measured on the monotonic clock; the fake clock has none, so setting it
// back makes the age negative, which counts as stale.
func TestSettingTheClockBackDoesNotExtendTheTTL(t *testing.T) {
	f := newFixture(t)
	other, err := serviceaccount.NewManager(serviceaccount.Config{Store: f.store.Store, Clock: f.clock})
	require.NoError(t, err)
	h := f.handler()
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)

	require.NoError(t, other.DeleteKey(context.Background(), f.account.ID, f.keyID))
	f.clock.Advance(-time.Hour)

	requireUnauthorized(t, get(h, "/whoami", f.key), invalidToken, "not valid", f.key)
	require.EqualValues(t, 2, f.store.lookups.Load())
}
