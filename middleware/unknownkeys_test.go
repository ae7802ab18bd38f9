package middleware_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/clientaddr"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
)

// getFrom serves GET /whoami with key from the client at remote.
func getFrom(h http.Handler, remote, key string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
	r.RemoteAddr = remote
	r.Header.Set("Authorization", "Bearer "+key)
	return serve(h, r)
}

func limitUnknownKeys(lookups int) func(*middleware.Config) {
	return func(cfg *middleware.Config) {
		cfg.UnknownKeyLimit = middleware.UnknownKeyLimit{Lookups: lookups}
	}
}

// requireTooManyAttempts checks the 429 of a client over its bound.
func requireTooManyAttempts(t *testing.T, w *httptest.ResponseRecorder, retryAfter string) {
	t.Helper()
	require.Equal(t, http.StatusTooManyRequests, w.Code, "body: %s", w.Body)
	assert.Equal(t, retryAfter, w.Header().Get("Retry-After"))
	assert.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
	assert.Empty(t, w.Header().Get("WWW-Authenticate"))
	var p middleware.Problem
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
	assert.Equal(t, "too_many_attempts", p.Code)
	assert.Equal(t, "urn:serviceaccounts:problem:too_many_attempts", p.Type)
	assert.Equal(t, http.StatusTooManyRequests, p.Status)
	assert.NotEmpty(t, p.Detail)
}

func TestUnknownKeyLimitBoundsStoreLookupsPerClient(t *testing.T) {
	f := newFixture(t, limitUnknownKeys(5)) // 5 a minute: one every 12 s
	h := f.handler()
	const guesser, other = "198.51.100.7:4000", "198.51.100.8:4000"

	// The known key is cached before the guesser starts.
	require.Equal(t, http.StatusOK, getFrom(h, guesser, f.key).Code)
	lookups := f.store.lookups.Load()

	first := otherKey(t)
	requireUnauthorized(t, getFrom(h, guesser, first), invalidToken, "not valid", "")
	for range 4 {
		requireUnauthorized(t, getFrom(h, guesser, otherKey(t)), invalidToken, "not valid", "")
	}
	require.Equal(t, lookups+5, f.store.lookups.Load())

	w := getFrom(h, guesser, otherKey(t))
	requireTooManyAttempts(t, w, "12")
	assert.Equal(t, lookups+5, f.store.lookups.Load(), "a client over its bound never reaches the store")
	assert.Equal(t, middleware.StatusOf(middleware.ErrTooManyAttempts), http.StatusTooManyRequests)

	// A cached key never consults the bound, from the same client.
	require.Equal(t, http.StatusOK, getFrom(h, guesser, f.key).Code)
	// Nor does an unknown key already cached as unknown: it costs no lookup.
	requireUnauthorized(t, getFrom(h, guesser, first), invalidToken, "not valid", "")
	// Another client is unaffected.
	requireUnauthorized(t, getFrom(h, other, otherKey(t)), invalidToken, "not valid", "")

	f.clock.Advance(12 * time.Second)
	requireUnauthorized(t, getFrom(h, guesser, otherKey(t)), invalidToken, "not valid", "")
	requireTooManyAttempts(t, getFrom(h, guesser, otherKey(t)), "12")
	f.clock.Advance(11*time.Second + 500*time.Millisecond)
	requireTooManyAttempts(t, getFrom(h, guesser, otherKey(t)), "1")
}

func TestUnknownKeyLimitDoesNotChargeKnownKeysOrCachedRefusals(t *testing.T) {
	f := newFixture(t, limitUnknownKeys(2))
	h := f.handler()
	const client = "198.51.100.7:4000"
	for range 20 {
		// Each request after the cache's TTL looks the known key up again,
		// 20 lookups within a little over three minutes, none charged.
		require.Equal(t, http.StatusOK, getFrom(h, client, f.key).Code)
		f.clock.Advance(middleware.DefaultCacheTTL)
	}
	lookups := f.store.lookups.Load()
	require.Equal(t, http.StatusOK, getFrom(h, client, f.key).Code)
	require.Equal(t, lookups+1, f.store.lookups.Load(), "the known key was looked up again")
	unknown := otherKey(t)
	requireUnauthorized(t, getFrom(h, client, unknown), invalidToken, "not valid", "")
	requireUnauthorized(t, getFrom(h, client, otherKey(t)), invalidToken, "not valid", "")
	requireTooManyAttempts(t, getFrom(h, client, otherKey(t)), "30")
	// A refusal cached within the TTL costs no lookup, so it is not bounded.
	for range 10 {
		requireUnauthorized(t, getFrom(h, client, unknown), invalidToken, "not valid", "")
	}
}

func TestUnknownKeyLimitHoldsUnderConcurrentMisses(t *testing.T) {
	f := newFixture(t, limitUnknownKeys(5))
	h := f.handler()
	keys := make([]string, 40)
	for i := range keys {
		keys[i] = otherKey(t)
	}
	var wg sync.WaitGroup
	codes := make([]int, len(keys))
	for i, k := range keys {
		wg.Go(func() { codes[i] = getFrom(h, "198.51.100.7:4000", k).Code })
	}
	wg.Wait()
	refused := 0
	for _, c := range codes {
		if c == http.StatusTooManyRequests {
			refused++
		}
	}
	assert.Equal(t, 35, refused)
	assert.Equal(t, int64(5), f.store.lookups.Load(), "concurrent misses cannot all pass before one is charged")
}

func TestUnknownKeyLimitIsOffByDefault(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	for range 100 {
		requireUnauthorized(t, getFrom(h, "198.51.100.7:4000", otherKey(t)), invalidToken, "not valid", "")
	}
	assert.Equal(t, int64(100), f.store.lookups.Load())
}

func TestUnknownKeyLimitReadsTheClientThroughTrustedProxies(t *testing.T) {
	proxies, err := clientaddr.NewTrustedProxies([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	require.NoError(t, err)
	f := newFixture(t, limitUnknownKeys(1), func(cfg *middleware.Config) { cfg.ClientAddr = proxies.ClientAddr })
	h := f.handler()
	from := func(xff string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
		r.RemoteAddr = "10.0.0.1:4000"
		r.Header.Set("X-Forwarded-For", xff)
		r.Header.Set("Authorization", "Bearer "+otherKey(t))
		return serve(h, r)
	}
	require.Equal(t, http.StatusUnauthorized, from("198.51.100.7").Code)
	requireTooManyAttempts(t, from("203.0.113.1, 198.51.100.7"), "60")
	require.Equal(t, http.StatusUnauthorized, from("198.51.100.9").Code, "another client behind the same proxy")
}

func TestUnknownKeyLimitRefusesBadSettings(t *testing.T) {
	f := newFixture(t)
	for _, l := range []middleware.UnknownKeyLimit{
		{Lookups: -1}, {Lookups: 1, Period: -time.Second}, {Lookups: 1, MaxClients: -1}, {Lookups: 2, Period: time.Nanosecond},
	} {
		_, err := middleware.New(middleware.Config{Manager: f.mgr, UnknownKeyLimit: l})
		assert.ErrorContains(t, err, "UnknownKeyLimit", "%+v", l)
	}
}

// A lookup that did not show the key to exist keeps its cost: a failing
// store (one overloaded by a flood of unknown keys, say) and a client
// that hangs up while its lookup runs on for the others must not lift
// the bound.
func TestUnknownKeyLimitChargesFailedAndAbandonedLookups(t *testing.T) {
	t.Run("StoreFailure", func(t *testing.T) {
		f := newFixture(t, limitUnknownKeys(2))
		h := f.handler()
		const client = "198.51.100.7:4000"
		f.store.failLookups.Store(true)
		for range 2 {
			require.Equal(t, http.StatusServiceUnavailable, getFrom(h, client, otherKey(t)).Code)
		}
		requireTooManyAttempts(t, getFrom(h, client, otherKey(t)), "30")
		assert.Equal(t, int64(2), f.store.lookups.Load(), "a client over its bound never reaches the store")
	})
	t.Run("ClientHangsUp", func(t *testing.T) {
		f := newFixture(t, limitUnknownKeys(1))
		h := f.handler()
		const client = "198.51.100.7:4000"
		f.store.holdLookups.Store(true)
		ctx, cancel := context.WithCancel(t.Context())
		r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/whoami", nil)
		r.RemoteAddr = client
		r.Header.Set("Authorization", "Bearer "+otherKey(t))
		done := make(chan int)
		go func() { done <- serve(h, r).Code }()
		<-f.store.lookupHeld // the store has been asked
		cancel()
		<-done
		f.store.holdLookups.Store(false)
		close(f.store.release)
		requireTooManyAttempts(t, getFrom(h, client, otherKey(t)), "60")
		assert.Equal(t, int64(1), f.store.lookups.Load())
	})
}
