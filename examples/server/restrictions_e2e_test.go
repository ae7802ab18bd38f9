package main_test

import (
	"context"
	"net/http"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/ratelimit/redisrate"
)

// Two example-server processes on one database and one Redis let exactly
// a key's rate limit through between them; the key and its limit are
// set through the admin API.
func TestRateLimitSharedByTwoProcessesThroughRedis(t *testing.T) {
	redisURL := os.Getenv("SA_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	opts, err := redis.ParseURL(redisURL)
	require.NoError(t, err)
	rc := redis.NewClient(opts)
	t.Cleanup(func() { _ = rc.Close() })
	if err := rc.Ping(t.Context()).Err(); err != nil {
		msg := "no Redis at " + redisrate.RedactURL(redisURL) + ": start redis-server or set SA_TEST_REDIS_URL; SA_TEST_REQUIRE_REDIS=1 makes this a failure"
		if os.Getenv("SA_TEST_REQUIRE_REDIS") == "1" || os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	db := "sqlite:" + t.TempDir() + "/shared.db"
	a := start(t, db, "-redis", redisURL)
	b := start(t, db, "-redis", redisURL)
	admin := client{t: t, base: a.url}
	id := admin.do("POST", "/admin/service-accounts", adminToken, `{"label":"limited"}`, http.StatusCreated)["id"].(string)
	admin.do("POST", "/admin/service-accounts/"+id+"/permissions", adminToken,
		`{"resourceType":"study","resourceKey":"tekenradar","action":"get-responses"}`, http.StatusCreated)
	created := admin.do("POST", "/admin/service-accounts/"+id+"/api-keys", adminToken,
		`{"rateLimit":{"limit":10,"periodSeconds":60},"metadata":{"environment":"e2e"}}`, http.StatusCreated)
	key, keyID := created["key"].(string), created["id"].(string)
	// The budget is the key's own: delete it afterwards, and nothing else.
	t.Cleanup(func() {
		hexID := ""
		for _, c := range keyID {
			if c != '-' {
				hexID += string(c)
			}
		}
		_ = rc.Del(context.Background(), redisrate.KeyPrefix+redisrate.DefaultNamespace+":"+hexID).Err()
	})
	who := (&client{t: t, base: b.url}).do("GET", "/v1/whoami", key, "", http.StatusOK)
	require.Equal(t, map[string]any{"environment": "e2e"}, who["metadata"])
	passed := 1 // whoami
	for i := range 30 {
		base := a.url
		if i%2 == 1 {
			base = b.url
		}
		req, err := http.NewRequestWithContext(t.Context(), "GET", base+"/v1/studies/tekenradar/responses", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusOK:
			passed++
		case http.StatusTooManyRequests:
			require.Equal(t, `"default";q=10;w=60`, res.Header.Get("RateLimit-Policy"))
			require.NotEmpty(t, res.Header.Get("Retry-After"))
		default:
			t.Fatalf("request %d: status %d", i, res.StatusCode)
		}
	}
	require.Equal(t, 10, passed, "the two processes let exactly the key's limit through")
}
