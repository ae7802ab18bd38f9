package redisrate_test

import (
	"context"
	"testing"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/ratelimit"
	"github.com/seed-c7fc2061/serviceaccounts/ratelimit/redisrate"
)

// BenchmarkRedisAllow is one request's cost with a shared limit: one
// EVALSHA round trip to the test Redis.
func BenchmarkRedisAllow(b *testing.B) {
	client := testRedis(b)
	l, err := redisrate.New(client, redisrate.Config{Namespace: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	k := randomKey()
	b.Cleanup(func() { _ = client.Del(context.Background(), redisKey("bench", k)).Err() })
	limit := ratelimit.Limit{Count: 1_000_000, Period: time.Second}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = l.Allow(ctx, k, limit, time.Time{})
	}
	if l.Failures() != 0 {
		b.Fatalf("%d Redis failures", l.Failures())
	}
}
