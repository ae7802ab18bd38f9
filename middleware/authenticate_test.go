package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

func TestAuthenticateAcceptsAValidKeyInEitherHeader(t *testing.T) {
	f := newFixture(t)
	h := f.handler()

	for name, set := range map[string]func(r *http.Request){
		"Bearer":          func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+f.key) },
		"LowercaseScheme": func(r *http.Request) { r.Header.Set("Authorization", "bearer "+f.key) },
		"XAPIKey":         func(r *http.Request) { r.Header.Set("X-API-Key", f.key) },
		"BothHeadersEqual": func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+f.key)
			r.Header.Set("X-API-Key", f.key)
		},
		"SurroundingSpace": func(r *http.Request) { r.Header.Set("Authorization", "Bearer  "+f.key+" ") },
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
			set(r)
			w := serve(h, r)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		})
	}
}

func TestAuthenticatePutsThePrincipalInTheContext(t *testing.T) {
	expires := t0.Add(time.Hour)
	f := newFixture(t)
	k := f.createKey(f.account, &expires)

	w := get(f.handler(), "/whoami", k.Plaintext)

	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var got struct {
		ServiceAccountID string    `json:"serviceAccountId"`
		KeyID            string    `json:"keyId"`
		Label            string    `json:"label"`
		KeyHint          string    `json:"keyHint"`
		ExpiresAt        time.Time `json:"expiresAt"`
		Permissions      int       `json:"permissions"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
	require.Equal(t, f.account.ID.String(), got.ServiceAccountID)
	require.Equal(t, k.Key.ID.String(), got.KeyID)
	require.Equal(t, "Data pipeline", got.Label)
	require.Equal(t, k.Key.Hint, got.KeyHint)
	require.True(t, expires.Equal(got.ExpiresAt))
	require.Equal(t, 1, got.Permissions)
}

func TestPrincipalAllowsChecksItsPermissions(t *testing.T) {
	f := newFixture(t)
	var p middleware.Principal
	h := f.mw.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ = middleware.FromContext(r.Context())
	}))
	require.Equal(t, http.StatusOK, get(h, "/", f.key).Code)

	require.True(t, p.Allows("study", "tekenradar", "get-responses", limiter.Attributes{{Key: "surveyKey", Value: "s2"}}))
	require.False(t, p.Allows("study", "tekenradar", "get-responses", limiter.Attributes{{Key: "surveyKey", Value: "s3"}}))
	require.False(t, p.Allows("study", "tekenradar", "get-responses", nil))
	require.False(t, p.Allows("study", "other", "get-responses", limiter.Attributes{{Key: "surveyKey", Value: "s2"}}))
}

func TestFromContextWithoutAuthenticateFindsNothing(t *testing.T) {
	_, ok := middleware.FromContext(context.Background())
	require.False(t, ok)
}

func TestAuthenticateRejectsWith401(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	unknown := otherKey(t)

	cases := []struct {
		name      string
		header    map[string]string
		challenge string
		detail    string
		key       string // must not be echoed
	}{
		{"NoHeader", nil, "Bearer", "an API key is required", ""},
		{"OtherScheme", map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}, "Bearer", "an API key is required", ""},
		{"EmptyBearer", map[string]string{"Authorization": "Bearer   "}, invalidToken, "malformed", ""},
		{"EmptyXAPIKey", map[string]string{"X-API-Key": " "}, invalidToken, "malformed", ""},
		{"Garbage", map[string]string{"Authorization": "Bearer hunter2"}, invalidToken, "malformed", "hunter2"},
		{"BadChecksum", map[string]string{"Authorization": "Bearer " + malformed(f.key)}, invalidToken, "malformed", malformed(f.key)},
		{"WrongPrefix", map[string]string{"X-API-Key": "xx" + f.key[2:]}, invalidToken, "malformed", f.key[2:]},
		{"Unknown", map[string]string{"Authorization": "Bearer " + unknown}, invalidToken, "not valid", unknown},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
			for k, v := range c.header {
				r.Header.Set(k, v)
			}
			requireUnauthorized(t, serve(h, r), c.challenge, c.detail, c.key)
		})
	}
	require.EqualValues(t, 1, f.store.lookups.Load(), "only the unknown key reaches the store")
}

func TestAuthenticateRejectsAnExpiredKeyEvenWhenCached(t *testing.T) {
	f := newFixture(t)
	expires := t0.Add(5 * time.Second) // well within the 10 s cache TTL
	k := f.createKey(f.account, &expires)
	h := f.handler()

	require.Equal(t, http.StatusOK, get(h, "/whoami", k.Plaintext).Code)
	f.clock.Advance(5*time.Second - time.Microsecond)
	require.Equal(t, http.StatusOK, get(h, "/whoami", k.Plaintext).Code)

	f.clock.Advance(time.Microsecond) // the expiry instant itself is expired
	requireUnauthorized(t, get(h, "/whoami", k.Plaintext), invalidToken, "expired", k.Plaintext)
	require.EqualValues(t, 1, f.store.lookups.Load(), "judged on the cached entry")
}

func TestAuthenticateRejectsADeletedKeyOnTheNextRequest(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)

	require.NoError(t, f.mgr.DeleteKey(context.Background(), f.account.ID, f.keyID))

	requireUnauthorized(t, get(h, "/whoami", f.key), invalidToken, "not valid", f.key)
}

func TestAuthenticateRejectsTheKeysOfADeletedAccountOnTheNextRequest(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)

	require.NoError(t, f.mgr.DeleteAccount(context.Background(), f.account.ID))

	requireUnauthorized(t, get(h, "/whoami", f.key), invalidToken, "not valid", f.key)
}

func TestAuthenticateAnswers503WhenTheStoreIsDown(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	f.store.failLookups.Store(true)

	w := get(h, "/whoami", f.key)

	detail := requireProblem(t, w, http.StatusServiceUnavailable)
	require.Empty(t, w.Header().Get("WWW-Authenticate"), "a store failure is not a credential problem")
	require.NotContains(t, detail, errStoreDown.Error(), "store errors are for the log")
	require.Contains(t, f.logs.String(), "connection refused")

	// Not cached: the first request after the store recovers succeeds.
	f.store.failLookups.Store(false)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	require.EqualValues(t, 2, f.store.lookups.Load())
}

func TestStoreFailuresAreLoggedAtMostOncePerSecond(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	f.store.failLookups.Store(true)
	for range 100 {
		requireProblem(t, get(h, "/whoami", f.key), http.StatusServiceUnavailable)
	}
	require.Equal(t, 1, strings.Count(f.logs.String(), "could not be checked"), "an outage does not log every request")

	f.clock.Advance(time.Second)
	requireProblem(t, get(h, "/whoami", f.key), http.StatusServiceUnavailable)
	require.Equal(t, 2, strings.Count(f.logs.String(), "could not be checked"))
	require.Contains(t, f.logs.String(), "similarFailuresNotLogged=99")
}

func TestAuthenticateKeepsServingCachedKeysWhileTheStoreIsDown(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)

	f.store.failLookups.Store(true)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)

	f.clock.Advance(middleware.DefaultCacheTTL)
	requireProblem(t, get(h, "/whoami", f.key), http.StatusServiceUnavailable)
}

func TestErrorHandlerReceivesDistinguishableErrors(t *testing.T) {
	var got []error
	f := newFixture(t, func(c *middleware.Config) {
		c.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			got = append(got, err)
			w.WriteHeader(middleware.StatusOf(err))
			w.Write([]byte("custom"))
		}
	})
	h := f.handler()

	requests := []struct {
		key, target string
		want        error
		status      int
	}{
		{"", "/whoami", middleware.ErrNoCredentials, http.StatusUnauthorized},
		{"junk", "/whoami", middleware.ErrMalformedKey, http.StatusUnauthorized},
		{otherKey(t), "/whoami", middleware.ErrUnknownKey, http.StatusUnauthorized},
		{f.key, "/studies/other/responses?surveyKey=s1", nil, http.StatusForbidden},
	}
	for _, rq := range requests {
		w := get(h, rq.target, rq.key)
		require.Equal(t, rq.status, w.Code)
		require.Equal(t, "custom", w.Body.String())
		if rq.status == http.StatusUnauthorized {
			require.NotEmpty(t, w.Header().Get("WWW-Authenticate"), "set for custom handlers too")
		}
	}
	f.store.failLookups.Store(true)
	f.clock.Advance(middleware.DefaultCacheTTL)
	require.Equal(t, http.StatusServiceUnavailable, get(h, "/whoami", f.key).Code)

	require.Len(t, got, 5)
	require.ErrorIs(t, got[0], middleware.ErrNoCredentials)
	require.ErrorIs(t, got[1], middleware.ErrMalformedKey)
	require.ErrorIs(t, got[2], middleware.ErrUnknownKey)
	var fe *middleware.ForbiddenError
	require.ErrorAs(t, got[3], &fe)
	require.Equal(t, middleware.ForbiddenError{ResourceType: "study", ResourceKey: "other", Action: "get-responses"}, *fe)
	require.ErrorIs(t, got[4], middleware.ErrStoreUnavailable)
	require.ErrorIs(t, got[4], errStoreDown, "the store error is wrapped for the application's log")
}

func TestStatusOf(t *testing.T) {
	for err, want := range map[error]int{
		middleware.ErrNoCredentials:                               http.StatusUnauthorized,
		middleware.ErrMalformedKey:                                http.StatusUnauthorized,
		middleware.ErrUnknownKey:                                  http.StatusUnauthorized,
		middleware.ErrExpiredKey:                                  http.StatusUnauthorized,
		&middleware.ForbiddenError{}:                              http.StatusForbidden,
		middleware.ErrBodyTooLarge:                                http.StatusRequestEntityTooLarge,
		middleware.ErrUnreadableBody:                              http.StatusBadRequest,
		middleware.ErrAmbiguousBody:                               http.StatusBadRequest,
		middleware.ErrStoreUnavailable:                            http.StatusServiceUnavailable,
		middleware.ErrClosed:                                      http.StatusServiceUnavailable,
		errors.Join(middleware.ErrStoreUnavailable, errStoreDown): http.StatusServiceUnavailable,
		middleware.ErrNotAuthenticated:                            http.StatusInternalServerError,
		errors.New("anything else"):                               http.StatusInternalServerError,
	} {
		require.Equal(t, want, middleware.StatusOf(err), err.Error())
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	f := newFixture(t)
	for name, c := range map[string]struct {
		cfg  middleware.Config
		want string
	}{
		"NoManager":             {middleware.Config{}, "Manager is required"},
		"NegativeTTL":           {middleware.Config{Manager: f.mgr, CacheTTL: -time.Second}, "CacheTTL is -1s"},
		"NegativeSize":          {middleware.Config{Manager: f.mgr, CacheSize: -1}, "CacheSize is -1"},
		"TTLWithDisabledCache":  {middleware.Config{Manager: f.mgr, DisableCache: true, CacheTTL: time.Second}, "must be 0 when DisableCache"},
		"SizeWithDisabledCache": {middleware.Config{Manager: f.mgr, DisableCache: true, CacheSize: 5}, "must be 0 when DisableCache"},
		"NegativeFlush":         {middleware.Config{Manager: f.mgr, FlushInterval: -time.Minute}, "FlushInterval is -1m0s"},
		"NegativeBody":          {middleware.Config{Manager: f.mgr, MaxBodyBytes: -1}, "MaxBodyBytes is -1"},
		"NegativeLookupTimeout": {middleware.Config{Manager: f.mgr, LookupTimeout: -time.Second}, "LookupTimeout is -1s"},
	} {
		t.Run(name, func(t *testing.T) {
			mw, err := middleware.New(c.cfg)
			require.Nil(t, mw)
			require.ErrorContains(t, err, "middleware: invalid Config: ")
			require.ErrorContains(t, err, c.want)
		})
	}
	t.Run("ListsEveryProblem", func(t *testing.T) {
		_, err := middleware.New(middleware.Config{CacheTTL: -1, FlushInterval: -1})
		require.ErrorContains(t, err, "Manager")
		require.ErrorContains(t, err, "CacheTTL")
		require.ErrorContains(t, err, "FlushInterval")
	})
}

func TestNewFillsInDefaults(t *testing.T) {
	f := newFixture(t) // all zero but Manager and Logger
	h := f.handler()
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)

	// Default TTL: cached until 10 s have passed.
	f.clock.Advance(middleware.DefaultCacheTTL - time.Nanosecond)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	require.EqualValues(t, 1, f.store.lookups.Load())
	f.clock.Advance(time.Nanosecond)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	require.EqualValues(t, 2, f.store.lookups.Load())

	// Default flush interval: one minute after start.
	require.Zero(t, f.store.touchCalls.Load())
	f.clock.Advance(middleware.DefaultFlushInterval - middleware.DefaultCacheTTL)
	require.Len(t, f.store.nextTouch(t), 1)
}

func TestCloseIsIdempotent(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.close())
	require.NoError(t, f.close())
}

func TestProblemBodiesNeverContainTheKey(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	for _, key := range []string{f.key, malformed(f.key), otherKey(t)} {
		w := get(h, "/studies/other/responses", key)
		require.NotContains(t, w.Body.String(), key)
		require.False(t, strings.Contains(w.Body.String(), key[3:20]))
	}
}

// A second Manager on the same store stands for another process: its
// changes reach this middleware only when the cache entry expires.
func TestChangesByAnotherManagerTakeEffectWithinTheTTL(t *testing.T) {
	f := newFixture(t, func(c *middleware.Config) { c.CacheTTL = 3 * time.Second })
	other, err := serviceaccount.NewManager(serviceaccount.Config{Store: f.store.Store, Clock: f.clock})
	require.NoError(t, err)
	h := f.handler()
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)

	require.NoError(t, other.DeleteKey(context.Background(), f.account.ID, f.keyID))

	f.clock.Advance(3*time.Second - time.Nanosecond)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code, "stale within the TTL, by design")
	f.clock.Advance(time.Nanosecond)
	requireUnauthorized(t, get(h, "/whoami", f.key), invalidToken, "not valid", f.key)
}

// Today's keys are 52 bytes; the server lets a header grow to a megabyte.
// Such junk is turned away on its length, before any hashing (see
// TestTheKeyShapeIsCheckedBeforeHashing), and never reaches the store.
func TestAuthenticateRejectsAMegabyteOfJunkAsMalformed(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	junk := strings.Repeat("A", 1<<20)
	for _, header := range []map[string]string{
		{"Authorization": "Bearer " + junk},
		{"X-API-Key": junk},
		{"X-API-Key": "sa_" + junk},
	} {
		r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
		for k, v := range header {
			r.Header.Set(k, v)
		}
		w := serve(h, r)
		requireUnauthorized(t, w, invalidToken, "malformed", "")
		require.Less(t, w.Body.Len(), 200, "the junk is not echoed")
	}
	require.Zero(t, f.store.lookups.Load())
}

// Once Close has begun, the middleware answers 503: it is about to stop
// following the Manager's changes, so its cache could serve a revoked key.
func TestAuthenticateAnswers503OnceCloseHasBegun(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)

	// Close is held while it writes the last uses.
	f.store.touchGate = make(chan struct{})
	release := sync.OnceFunc(func() { close(f.store.touchGate) })
	t.Cleanup(release) // a failed assertion must not leave Close stuck
	f.closed = true
	closed := make(chan error)
	go func() { closed <- f.mw.Close(context.Background()) }()
	select {
	case <-f.store.touchHeld:
	case <-time.After(waitFor):
		t.Fatal("Close did not flush")
	}

	w := get(h, "/whoami", f.key)
	detail := requireProblem(t, w, http.StatusServiceUnavailable)
	require.Contains(t, detail, "shutting down")
	require.Empty(t, w.Header().Get("WWW-Authenticate"))

	release()
	require.NoError(t, <-closed)
	f.store.nextTouch(t)

	requireProblem(t, get(h, "/whoami", f.key), http.StatusServiceUnavailable)
	requireProblem(t, get(h, "/whoami", otherKey(t)), http.StatusServiceUnavailable)
	require.EqualValues(t, 1, f.store.lookups.Load(), "nothing looked up after Close began")
}

func TestErrorHandlerReceivesErrClosed(t *testing.T) {
	var got error
	f := newFixture(t, func(c *middleware.Config) {
		c.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			got = err
			w.WriteHeader(middleware.StatusOf(err))
		}
	})
	h := f.handler()
	require.NoError(t, f.close())
	require.Equal(t, http.StatusServiceUnavailable, get(h, "/whoami", f.key).Code)
	require.ErrorIs(t, got, middleware.ErrClosed)
}

// WriteProblem keeps browsers from sniffing a problem body, which may
// quote a JSON key the client sent, as something else.
func TestWriteProblemSetsNosniff(t *testing.T) {
	for _, err := range []error{
		middleware.ErrUnknownKey, // prebuilt body
		&middleware.ForbiddenError{ResourceType: "study", ResourceKey: "s1", Action: "get-reports"},
		middleware.ErrAmbiguousBody,
		errors.New("internal"),
	} {
		w := httptest.NewRecorder()
		middleware.WriteProblem(w, httptest.NewRequest(http.MethodGet, "/", nil), err)
		require.Equal(t, []string{"nosniff"}, w.Header().Values("X-Content-Type-Options"))
		requireProblem(t, w, middleware.StatusOf(err))
	}
}
