package redisrate_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/ratelimit"
	"github.com/seed-c7fc2061/serviceaccounts/ratelimit/redisrate"
)

// Environment of the Redis tests. Without a reachable Redis they skip,
// saying why, unless SA_TEST_REQUIRE_REDIS=1 (or CI=true), where they fail.
const (
	envRedisURL     = "SA_TEST_REDIS_URL"
	envRequireRedis = "SA_TEST_REQUIRE_REDIS"
	defaultRedisURL = "redis://127.0.0.1:6379/0"
)

func redisURL() string {
	if u := os.Getenv(envRedisURL); u != "" {
		return u
	}
	return defaultRedisURL
}

// testRedis returns a new client on the test Redis, closed when t ends.
func testRedis(t testing.TB) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(redisURL())
	require.NoError(t, err, "%s=%s", envRedisURL, redisrate.RedactURL(redisURL()))
	opts.DialerRetries = 1 // a missing Redis is told at once
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		msg := "no Redis at " + redisrate.RedactURL(redisURL()) + " (" + err.Error() + "): start redis-server or set " +
			envRedisURL + "; " + envRequireRedis + "=1 makes this a failure"
		if os.Getenv(envRequireRedis) == "1" || os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return client
}

// namespace returns a namespace no other test uses, whose keys are deleted
// when t ends.
func namespace(t *testing.T, client *redis.Client) string {
	t.Helper()
	ns := "test-" + rand.Text()[:12]
	t.Cleanup(func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, redisrate.KeyPrefix+ns+":*", 100).Iterator()
		for iter.Next(ctx) {
			_ = client.Del(ctx, iter.Val()).Err()
		}
	})
	return ns
}

func newLimiter(t *testing.T, client redis.Scripter, cfg redisrate.Config) *redisrate.Limiter {
	t.Helper()
	l, err := redisrate.New(client, cfg)
	require.NoError(t, err)
	return l
}

func randomKey() ratelimit.Key {
	var k ratelimit.Key
	_, _ = rand.Read(k[:])
	return k
}

func redisKey(ns string, k ratelimit.Key) string {
	return redisrate.KeyPrefix + ns + ":" + hex.EncodeToString(k[:])
}

// closedPort returns a loopback address where nothing listens: connections
// to it are refused at once.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}
