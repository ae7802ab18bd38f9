package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/ratelimit"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// restrictKey gives the fixture's key (and only it) the restrictions set
// by change, as the store would hold them.
func (f *fixture) restrictKey(change func(k *apikey.Key)) {
	f.store.decorate = func(c *serviceaccount.Credential) {
		if c.Key.ID == f.keyID {
			change(&c.Key)
		}
	}
}

// routes serves the three shapes of a protected route on one mux:
//
//	GET /whoami                          Authenticate alone
//	GET /required/{studyKey}/responses   Authenticate(Require(…)), per route
//	GET /protected/{studyKey}/responses  Protect
//
// each with study/{studyKey}/get-responses and surveyKey from the query.
func (f *fixture) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /whoami", f.mw.Authenticate(http.HandlerFunc(whoami)))
	mux.Handle("GET /required/{studyKey}/responses", f.mw.Authenticate(
		f.mw.Require("study", middleware.PathValue("studyKey"), "get-responses",
			middleware.Attr("surveyKey", middleware.Query("surveyKey")))(http.HandlerFunc(ok))))
	mux.Handle("GET /protected/{studyKey}/responses", f.mw.Protect(
		middleware.Need("study", middleware.PathValue("studyKey"), "get-responses",
			middleware.Attr("surveyKey", middleware.Query("surveyKey"))),
		func(w http.ResponseWriter, r *http.Request, p middleware.Principal) { w.Write([]byte("ok")) }))
	return mux
}

func getVia(h http.Handler, target, key, remoteAddr string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.Header.Set("Authorization", "Bearer "+key)
	r.RemoteAddr = remoteAddr
	return serve(h, r)
}

func requireProblemCode(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	requireProblem(t, w, status)
	var p middleware.Problem
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
	require.Equal(t, code, p.Code)
	require.Equal(t, "urn:serviceaccounts:problem:"+code, p.Type)
}

func TestRestrictionsAllowedNetworks(t *testing.T) {
	f := newFixture(t)
	f.restrictKey(func(k *apikey.Key) {
		k.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	})
	h := f.routes()
	for _, target := range []string{"/whoami", "/required/tekenradar/responses?surveyKey=s1", "/protected/tekenradar/responses?surveyKey=s1"} {
		t.Run(target, func(t *testing.T) {
			for _, from := range []string{"10.1.2.3:4000", "[::ffff:10.9.9.9]:1", "[2001:db8::7]:443"} {
				w := getVia(h, target, f.key, from)
				require.Equal(t, http.StatusOK, w.Code, "from %s: %s", from, w.Body)
			}
			for _, from := range []string{"127.0.0.1:4000", "11.0.0.1:1", "[2001:db9::1]:1", "not an address", ""} {
				requireProblemCode(t, getVia(h, target, f.key, from), http.StatusForbidden, "ip_not_allowed")
			}
		})
	}
	// The network is checked before the permission: a request it refuses
	// learns nothing about the account's permissions.
	requireProblemCode(t, getVia(h, "/protected/other/responses?surveyKey=s1", f.key, "127.0.0.1:1"), http.StatusForbidden, "ip_not_allowed")
	requireProblemCode(t, getVia(h, "/required/other/responses?surveyKey=s1", f.key, "127.0.0.1:1"), http.StatusForbidden, "ip_not_allowed")

	// Outside HTTP: Verify has no address, which is outside every network.
	_, err := f.mw.Verify(context.Background(), f.key)
	require.ErrorIs(t, err, middleware.ErrIPNotAllowed)
	_, err = f.mw.VerifyFrom(context.Background(), f.key, netip.MustParseAddr("127.0.0.1"))
	require.ErrorIs(t, err, middleware.ErrIPNotAllowed)
	p, err := f.mw.VerifyFrom(context.Background(), f.key, netip.MustParseAddr("10.0.0.1"))
	require.NoError(t, err)
	require.True(t, p.Restricted())
}

func TestRestrictionsClientAddrHookDecidesTheNetwork(t *testing.T) {
	f := newFixture(t, func(c *middleware.Config) {
		c.ClientAddr = func(r *http.Request) netip.Addr {
			a, _ := netip.ParseAddr(r.Header.Get("X-Test-Client"))
			return a
		}
	})
	f.restrictKey(func(k *apikey.Key) { k.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} })
	h := f.routes()
	r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
	r.Header.Set("Authorization", "Bearer "+f.key)
	r.RemoteAddr = "10.0.0.1:1" // the connection alone does not decide
	requireProblemCode(t, serve(h, r), http.StatusForbidden, "ip_not_allowed")
	r.Header.Set("X-Test-Client", "10.1.2.3")
	require.Equal(t, http.StatusOK, serve(h, r).Code)
}

func TestRestrictionsScopesNarrowTheAccount(t *testing.T) {
	f := newFixture(t)
	// The account may also read any study's responses without a limiter;
	// the key only tekenradar's, where the account's limiter still applies.
	f.addPermission(f.account, "study", "*", "get-responses", "")
	f.addPermission(f.account, "study", "*", "get-reports", "")
	f.restrictKey(func(k *apikey.Key) {
		k.Scopes = []apikey.Scope{{ResourceType: "study", ResourceKey: "tekenradar", Action: "*"}}
	})
	// The account's unconditional grant on "*" makes the limiter moot for
	// the account; a second account keeps it to test that limiters apply
	// inside a scope.
	h := f.routes()
	for _, route := range []string{"/required", "/protected"} {
		t.Run(route, func(t *testing.T) {
			require.Equal(t, http.StatusOK, get(h, route+"/tekenradar/responses?surveyKey=s9", f.key).Code)
			requireProblemCode(t, get(h, route+"/other/responses?surveyKey=s1", f.key), http.StatusForbidden, "outside_key_scope")
		})
	}
	// Authenticate alone checks no scope: no permission is named.
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)

	p, err := f.mw.Verify(context.Background(), f.key)
	require.NoError(t, err)
	require.NoError(t, f.mw.Authorize(p, "study", "tekenradar", "get-reports", nil))
	require.ErrorIs(t, f.mw.Authorize(p, "study", "other", "get-reports", nil), middleware.ErrOutsideKeyScope)
	require.True(t, p.Allows("study", "tekenradar", "get-reports", nil))
	require.False(t, p.Allows("study", "other", "get-reports", nil))
	// What the account does not allow is forbidden, not outside the scope.
	err = f.mw.Authorize(p, "study", "tekenradar", "delete", nil)
	require.ErrorIs(t, err, middleware.ErrForbidden)
	require.NotErrorIs(t, err, middleware.ErrOutsideKeyScope)
}

func TestRestrictionsLimitersStillApplyInsideAScope(t *testing.T) {
	f := newFixture(t) // study/tekenradar/get-responses limited to surveys s1, s2
	f.addPermission(f.account, "study", "other", "get-responses", "")
	f.restrictKey(func(k *apikey.Key) {
		k.Scopes = []apikey.Scope{{ResourceType: "study", ResourceKey: "*", Action: "get-responses"}, {ResourceType: "report", ResourceKey: "*", Action: "*"}}
	})
	h := f.routes()
	for _, route := range []string{"/required", "/protected"} {
		t.Run(route, func(t *testing.T) {
			require.Equal(t, http.StatusOK, get(h, route+"/tekenradar/responses?surveyKey=s1", f.key).Code)
			require.Equal(t, http.StatusOK, get(h, route+"/other/responses?surveyKey=s3", f.key).Code)
			requireProblemCode(t, get(h, route+"/tekenradar/responses?surveyKey=s3", f.key), http.StatusForbidden, "forbidden")
			requireProblemCode(t, get(h, route+"/nowhere/responses?surveyKey=s1", f.key), http.StatusForbidden, "forbidden")
		})
	}
}

func TestRestrictionsRateLimitIsChargedLastAndOnce(t *testing.T) {
	for _, route := range []string{"/required", "/protected"} {
		t.Run(route, func(t *testing.T) {
			f := newFixture(t)
			f.restrictKey(func(k *apikey.Key) {
				k.Scopes = []apikey.Scope{{ResourceType: "study", ResourceKey: "tekenradar", Action: "*"}}
				k.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
				k.RateLimit = &apikey.RateLimit{Limit: 3, Period: time.Minute}
			})
			f.addPermission(f.account, "study", "other", "get-responses", "")
			h := f.routes()
			const from = "192.0.2.1:1"
			// Refusals by every earlier check are not counted.
			for range 5 {
				requireProblemCode(t, getVia(h, route+"/tekenradar/responses?surveyKey=s1", f.key, "127.0.0.1:1"), http.StatusForbidden, "ip_not_allowed")
				requireProblemCode(t, getVia(h, route+"/tekenradar/responses?surveyKey=s3", f.key, from), http.StatusForbidden, "forbidden")
				requireProblemCode(t, getVia(h, route+"/other/responses?surveyKey=s1", f.key, from), http.StatusForbidden, "outside_key_scope")
			}
			for i := range 3 {
				w := getVia(h, route+"/tekenradar/responses?surveyKey=s1", f.key, from)
				require.Equal(t, http.StatusOK, w.Code, "request %d: %s", i, w.Body)
			}
			w := getVia(h, route+"/tekenradar/responses?surveyKey=s1", f.key, from)
			requireProblemCode(t, w, http.StatusTooManyRequests, "rate_limited")
			require.Equal(t, "20", w.Header().Get("Retry-After"))
			require.Equal(t, `"default";q=3;w=60`, w.Header().Get("RateLimit-Policy"))
			require.Equal(t, `"default";r=0;t=20`, w.Header().Get("RateLimit"))
			// The budget refills one request per 20 s.
			f.clock.Advance(19 * time.Second)
			requireProblemCode(t, getVia(h, route+"/tekenradar/responses?surveyKey=s1", f.key, from), http.StatusTooManyRequests, "rate_limited")
			f.clock.Advance(time.Second)
			require.Equal(t, http.StatusOK, getVia(h, route+"/tekenradar/responses?surveyKey=s1", f.key, from).Code)
			requireProblemCode(t, getVia(h, route+"/tekenradar/responses?surveyKey=s1", f.key, from), http.StatusTooManyRequests, "rate_limited")
			// Authenticate alone charges it too (a route without a
			// permission), after the network.
			requireProblemCode(t, getVia(h, "/whoami", f.key, from), http.StatusTooManyRequests, "rate_limited")
		})
	}
}

func TestRestrictionsRateLimitOnRoutesWithoutAPermissionAndOutsideHTTP(t *testing.T) {
	f := newFixture(t)
	f.restrictKey(func(k *apikey.Key) { k.RateLimit = &apikey.RateLimit{Limit: 2, Period: 10 * time.Second} })
	h := f.routes()
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	_, err := f.mw.Verify(context.Background(), f.key)
	require.NoError(t, err)
	_, err = f.mw.Verify(context.Background(), f.key)
	var rl *middleware.RateLimitedError
	require.ErrorAs(t, err, &rl)
	require.ErrorIs(t, err, middleware.ErrRateLimited)
	require.Equal(t, 5*time.Second, rl.Decision.RetryAfter)
	require.Equal(t, http.StatusTooManyRequests, middleware.StatusOf(err))
	require.Equal(t, "rate_limited", middleware.CodeOf(err))
	w := get(h, "/whoami", f.key)
	requireProblemCode(t, w, http.StatusTooManyRequests, "rate_limited")
	require.Equal(t, "5", w.Header().Get("Retry-After"))

	// Authenticate in front of a whole mux charges before the routes'
	// Requires, and only once per request.
	f.clock.Advance(10 * time.Second)
	wrapped := f.handler()
	require.Equal(t, http.StatusOK, get(wrapped, "/studies/tekenradar/responses?surveyKey=s1", f.key).Code)
	require.Equal(t, http.StatusOK, get(wrapped, "/studies/tekenradar/responses?surveyKey=s1", f.key).Code)
	requireProblemCode(t, get(wrapped, "/studies/tekenradar/responses?surveyKey=s1", f.key), http.StatusTooManyRequests, "rate_limited")
}

// countingLimiter counts the calls a Config.RateLimiter gets and can fail
// them.
type countingLimiter struct {
	calls atomic.Int64
	keys  chan ratelimit.Key
	err   error
}

func (l *countingLimiter) Allow(ctx context.Context, key ratelimit.Key, limit ratelimit.Limit, now time.Time) (ratelimit.Decision, error) {
	l.calls.Add(1)
	select {
	case l.keys <- key:
	default:
	}
	if l.err != nil {
		return ratelimit.Decision{}, l.err
	}
	return ratelimit.NewDecision(limit, true, limit.Interval()), nil
}

func TestRestrictionsUseTheConfiguredLimiterByKeyID(t *testing.T) {
	lim := &countingLimiter{keys: make(chan ratelimit.Key, 10)}
	f := newFixture(t, func(c *middleware.Config) { c.RateLimiter = lim })
	h := f.routes()
	// A key without a rate limit never reaches the limiter.
	require.Equal(t, http.StatusOK, get(h, "/protected/tekenradar/responses?surveyKey=s1", f.key).Code)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	require.Zero(t, lim.calls.Load())

	other := f.createKey(f.account, nil)
	f.store.decorate = func(c *serviceaccount.Credential) {
		c.Key.RateLimit = &apikey.RateLimit{Limit: 1, Period: time.Hour}
	}
	require.Equal(t, http.StatusOK, get(h, "/whoami", other.Plaintext).Code)
	require.Equal(t, ratelimit.Key(other.Key.ID), <-lim.keys)

	// A limiter that fails refuses: fail closed.
	lim.err = errors.New("redis: connection refused")
	f.clock.Advance(time.Hour) // past the cache's TTL: the entry is looked up again
	w := get(h, "/protected/tekenradar/responses?surveyKey=s1", f.key)
	requireProblemCode(t, w, http.StatusServiceUnavailable, "unavailable")
	require.NotContains(t, w.Body.String(), "redis")
}

func TestRestrictionsANewKeyStartsWithAFullBudget(t *testing.T) {
	f := newFixture(t)
	second := f.createKey(f.account, nil)
	f.store.decorate = func(c *serviceaccount.Credential) {
		c.Key.RateLimit = &apikey.RateLimit{Limit: 1, Period: time.Hour}
	}
	h := f.routes()
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	requireProblemCode(t, get(h, "/whoami", f.key), http.StatusTooManyRequests, "rate_limited")
	require.Equal(t, http.StatusOK, get(h, "/whoami", second.Plaintext).Code)
}

func TestPrincipalCarriesTenantAndMetadata(t *testing.T) {
	f := newFixture(t)
	f.store.decorate = func(c *serviceaccount.Credential) {
		c.Key.Metadata = metadata.Map{"environment": "production"}
		c.Account.Metadata = metadata.Map{"team": "data"}
		c.Account.Tenant = "acme"
	}
	p, err := f.mw.Verify(context.Background(), f.key)
	require.NoError(t, err)
	require.Equal(t, "production", p.Metadata["environment"])
	require.Equal(t, "data", p.AccountMetadata["team"])
	require.Equal(t, "acme", p.Tenant)
	require.False(t, p.Restricted(), "metadata is no restriction")
	require.NotEqual(t, uuid.Nil, p.KeyID)
}
