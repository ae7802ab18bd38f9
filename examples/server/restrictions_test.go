package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/ratelimit/redisrate"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

const restrictToken = "restrict-admin-token-0123456789"

// restrictInstance is one example server over real HTTP on st, with the
// flags given; several may share st, as instances share a database.
func restrictInstance(t *testing.T, st store.Store, flags ...string) *httptest.Server {
	t.Helper()
	args := append([]string{"-db", "memory:", "-admin-token", restrictToken}, flags...)
	cfg, err := parseFlags(args, func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if cfg.redis != "" {
		l, err := newRedisLimiter(cfg.redis, log)
		require.NoError(t, err)
		t.Cleanup(func() { _ = l.Close() })
		cfg.rateLimiter = l
	}
	a, err := newApp(st, cfg, nil, nil, log, operations{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.mw.Close(context.Background()) })
	srv := httptest.NewServer(a.handler)
	t.Cleanup(srv.Close)
	return srv
}

// call sends a request to srv and returns the response and its body.
func call(t *testing.T, srv *httptest.Server, method, path, token, body string, header http.Header) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out), "%s", raw)
	}
	return res, out
}

// restrictedKey creates an account through the admin API with study
// tekenradar's get-responses limited to survey s1 and study other's
// unlimited, and a key of it, then gives the key restrictions by writing
// them into the store, as the admin API will. It returns the key and its
// id.
func restrictedKey(t *testing.T, srv *httptest.Server, st store.Store, restrict func(*apikey.Key)) (string, uuid.UUID) {
	t.Helper()
	res, account := call(t, srv, "POST", "/admin/service-accounts", restrictToken, `{"label":"restricted"}`, nil)
	require.Equal(t, http.StatusCreated, res.StatusCode)
	id := account["id"].(string)
	for _, p := range []string{
		`{"resourceType":"study","resourceKey":"tekenradar","action":"get-responses","limiter":[{"surveyKey":"s1"}]}`,
		`{"resourceType":"study","resourceKey":"other","action":"get-responses"}`,
	} {
		res, _ = call(t, srv, "POST", "/admin/service-accounts/"+id+"/permissions", restrictToken, p, nil)
		require.Equal(t, http.StatusCreated, res.StatusCode)
	}
	res, created := call(t, srv, "POST", "/admin/service-accounts/"+id+"/api-keys", restrictToken, "", nil)
	require.Equal(t, http.StatusCreated, res.StatusCode)
	keyID := uuid.MustParse(created["id"].(string))
	accountID := uuid.MustParse(id)
	require.NoError(t, st.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		k, err := tx.KeyGet(ctx, store.DefaultTenant, accountID, keyID)
		if err != nil {
			return err
		}
		restrict(&k)
		if err := tx.KeyDelete(ctx, store.DefaultTenant, accountID, keyID); err != nil {
			return err
		}
		return tx.KeyCreate(ctx, store.DefaultTenant, k)
	}))
	return created["key"].(string), keyID
}

func requireRefusal(t *testing.T, res *http.Response, body map[string]any, status int, code string) {
	t.Helper()
	require.Equal(t, status, res.StatusCode, "%v", body)
	require.Equal(t, code, body["code"])
	require.Equal(t, "urn:serviceaccounts:problem:"+code, body["type"])
}

func TestRestrictedKeyScopesOverHTTP(t *testing.T) {
	st := memstore.New()
	srv := restrictInstance(t, st)
	key, _ := restrictedKey(t, srv, st, func(k *apikey.Key) {
		k.Scopes = []apikey.Scope{{ResourceType: "study", ResourceKey: "tekenradar", Action: "*"}}
	})
	res, _ := call(t, srv, "GET", "/v1/studies/tekenradar/responses?surveyKey=s1", key, "", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	// Inside the scope, the account's limiter still applies.
	res, body := call(t, srv, "GET", "/v1/studies/tekenradar/responses?surveyKey=s2", key, "", nil)
	requireRefusal(t, res, body, http.StatusForbidden, "forbidden")
	// The account may read study other; the key may not.
	res, body = call(t, srv, "GET", "/v1/studies/other/responses", key, "", nil)
	requireRefusal(t, res, body, http.StatusForbidden, "outside_key_scope")
	res, body = call(t, srv, "GET", "/v1/studies/elsewhere/responses", key, "", nil)
	requireRefusal(t, res, body, http.StatusForbidden, "forbidden")
	res, body = call(t, srv, "GET", "/v1/whoami", key, "", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, body, "metadata")
	require.Contains(t, body, "accountMetadata")
}

func TestWhoamiReturnsTheMetadata(t *testing.T) {
	st := memstore.New()
	srv := restrictInstance(t, st)
	key, _ := restrictedKey(t, srv, st, func(k *apikey.Key) { k.Metadata = map[string]any{"environment": "staging"} })
	res, body := call(t, srv, "GET", "/v1/whoami", key, "", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, map[string]any{"environment": "staging"}, body["metadata"])
	require.Nil(t, body["accountMetadata"])
}

func TestRestrictedKeyNetworksOverHTTP(t *testing.T) {
	cidrs := func(k *apikey.Key) { k.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} }
	spoofed := http.Header{"X-Forwarded-For": {"10.1.2.3"}}
	t.Run("NoTrustedProxy", func(t *testing.T) {
		st := memstore.New()
		srv := restrictInstance(t, st)
		key, _ := restrictedKey(t, srv, st, cidrs)
		for _, h := range []http.Header{nil, spoofed} {
			res, body := call(t, srv, "GET", "/v1/whoami", key, "", h)
			requireRefusal(t, res, body, http.StatusForbidden, "ip_not_allowed")
			res, body = call(t, srv, "GET", "/v1/studies/tekenradar/responses?surveyKey=s1", key, "", h)
			requireRefusal(t, res, body, http.StatusForbidden, "ip_not_allowed")
		}
	})
	t.Run("UntrustedClientSpoofing", func(t *testing.T) {
		// The proxy is trusted, but the test's connection (127.0.0.1) is
		// not that proxy: its X-Forwarded-For changes nothing.
		st := memstore.New()
		srv := restrictInstance(t, st, "-trusted-proxies", "192.0.2.0/24")
		key, _ := restrictedKey(t, srv, st, cidrs)
		res, body := call(t, srv, "GET", "/v1/whoami", key, "", spoofed)
		requireRefusal(t, res, body, http.StatusForbidden, "ip_not_allowed")
	})
	t.Run("ThroughATrustedProxy", func(t *testing.T) {
		st := memstore.New()
		srv := restrictInstance(t, st, "-trusted-proxies", "127.0.0.1/32")
		key, _ := restrictedKey(t, srv, st, cidrs)
		res, _ := call(t, srv, "GET", "/v1/whoami", key, "", spoofed)
		require.Equal(t, http.StatusOK, res.StatusCode)
		res, _ = call(t, srv, "GET", "/v1/studies/tekenradar/responses?surveyKey=s1", key, "", spoofed)
		require.Equal(t, http.StatusOK, res.StatusCode)
		// The proxy's own address is not the client's.
		res, body := call(t, srv, "GET", "/v1/whoami", key, "", nil)
		requireRefusal(t, res, body, http.StatusForbidden, "ip_not_allowed")
		res, body = call(t, srv, "GET", "/v1/whoami", key, "", http.Header{"X-Forwarded-For": {"11.0.0.1"}})
		requireRefusal(t, res, body, http.StatusForbidden, "ip_not_allowed")
	})
}

func TestRestrictedKeyRateLimitInProcess(t *testing.T) {
	st := memstore.New()
	srv := restrictInstance(t, st)
	key, _ := restrictedKey(t, srv, st, func(k *apikey.Key) { k.RateLimit = &apikey.RateLimit{Limit: 10, Period: time.Minute} })
	// Refused requests do not count.
	for range 5 {
		res, body := call(t, srv, "GET", "/v1/studies/tekenradar/responses?surveyKey=s2", key, "", nil)
		requireRefusal(t, res, body, http.StatusForbidden, "forbidden")
	}
	for i := range 10 {
		res, _ := call(t, srv, "GET", "/v1/studies/tekenradar/responses?surveyKey=s1", key, "", nil)
		require.Equal(t, http.StatusOK, res.StatusCode, "request %d", i)
	}
	res, body := call(t, srv, "GET", "/v1/whoami", key, "", nil)
	requireRefusal(t, res, body, http.StatusTooManyRequests, "rate_limited")
	require.Equal(t, `"default";q=10;w=60`, res.Header.Get("RateLimit-Policy"))
	require.Regexp(t, `^"default";r=0;t=[1-6]$`, res.Header.Get("RateLimit"))
	require.Regexp(t, `^[1-6]$`, res.Header.Get("Retry-After"))
}

// testRedisURL is the Redis of the shared-limiter tests: SA_TEST_REDIS_URL,
// else the local default. Without a reachable one the test skips, unless
// SA_TEST_REQUIRE_REDIS=1 or CI=true, where it fails.
func testRedisURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("SA_TEST_REDIS_URL")
	if u == "" {
		u = "redis://127.0.0.1:6379/0"
	}
	opts, err := redis.ParseURL(u)
	require.NoError(t, err)
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		msg := "no Redis at " + redisrate.RedactURL(u) + ": start redis-server or set SA_TEST_REDIS_URL; SA_TEST_REQUIRE_REDIS=1 makes this a failure"
		if os.Getenv("SA_TEST_REQUIRE_REDIS") == "1" || os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return u
}

func TestRestrictedKeyRateLimitSharedThroughRedis(t *testing.T) {
	u := testRedisURL(t)
	st := memstore.New() // the instances share the store, as they would a database
	a := restrictInstance(t, st, "-redis", u)
	b := restrictInstance(t, st, "-redis", u)
	key, keyID := restrictedKey(t, a, st, func(k *apikey.Key) { k.RateLimit = &apikey.RateLimit{Limit: 10, Period: time.Minute} })
	// The budget is the key's own (its id): delete it afterwards, and
	// nothing else.
	t.Cleanup(func() {
		opts, _ := redis.ParseURL(u)
		c := redis.NewClient(opts)
		defer c.Close()
		_ = c.Del(context.Background(), redisrate.KeyPrefix+redisrate.DefaultNamespace+":"+hex.EncodeToString(keyID[:])).Err()
	})
	passed := 0
	for i := range 30 {
		srv := a
		if i%2 == 1 {
			srv = b
		}
		res, body := call(t, srv, "GET", "/v1/studies/tekenradar/responses?surveyKey=s1", key, "", nil)
		switch res.StatusCode {
		case http.StatusOK:
			passed++
		default:
			requireRefusal(t, res, body, http.StatusTooManyRequests, "rate_limited")
		}
	}
	require.Equal(t, 10, passed, "the two instances let exactly the key's limit through")
}

func TestRedisFlagMasksThePassword(t *testing.T) {
	_, err := newRedisLimiter("redis://user:s3cretpass@127.0.0.1:notaport/0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cretpass")
	require.Contains(t, err.Error(), "-redis")
	_, err = newRedisLimiter("http://user:s3cretpass@127.0.0.1/0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cretpass")
}
