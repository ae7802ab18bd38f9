package redisrate_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/ratelimit"
	"github.com/seed-c7fc2061/serviceaccounts/ratelimit/redisrate"
)

var t0 = time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)

// Two limiters on two clients stand for two server processes sharing one
// Redis. Their own clocks disagree by an hour, and it does not matter.
func TestTwoInstancesSharingRedisPassExactlyTheLimit(t *testing.T) {
	t.Parallel()
	clientA, clientB := testRedis(t), testRedis(t)
	ns := namespace(t, clientA)
	a := newLimiter(t, clientA, redisrate.Config{Namespace: ns})
	b := newLimiter(t, clientB, redisrate.Config{Namespace: ns})
	limit := ratelimit.Limit{Count: 10, Period: time.Minute}
	k := randomKey()

	start := time.Now()
	var passed atomic.Int64
	var wg sync.WaitGroup
	for i, l := range []*redisrate.Limiter{a, b} {
		now := t0.Add(time.Duration(i) * time.Hour)
		wg.Go(func() {
			for range 15 {
				d, err := l.Allow(context.Background(), k, limit, now)
				if err == nil && d.Allowed {
					passed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(10), passed.Load())

	d, err := b.Allow(context.Background(), k, limit, t0)
	require.NoError(t, err)
	assert.False(t, d.Allowed)
	assert.Equal(t, 0, d.Remaining)
	// One interval is 6 s, less what has passed since the burst began.
	assert.LessOrEqual(t, d.RetryAfter, 6*time.Second)
	assert.GreaterOrEqual(t, d.RetryAfter, 6*time.Second-time.Since(start))
	assert.Zero(t, a.Failures()+b.Failures())
}

func TestRedisPassesExactlyTheLimitInABurst(t *testing.T) {
	t.Parallel()
	client := testRedis(t)
	ns := namespace(t, client)
	l := newLimiter(t, client, redisrate.Config{Namespace: ns})
	// Intervals of a second or more: the test's own duration must not
	// refill a budget on the server's real clock.
	for _, limit := range []ratelimit.Limit{
		{Count: 1, Period: time.Second},
		{Count: 5, Period: time.Minute},
		{Count: 7, Period: time.Minute},
		{Count: 50, Period: time.Hour},
		{Count: 1000, Period: 86_400 * time.Second},
	} {
		t.Run(limit.String(), func(t *testing.T) {
			t.Parallel()
			k := randomKey()
			start := time.Now()
			for i := 1; i <= limit.Count; i++ {
				d, err := l.Allow(context.Background(), k, limit, t0)
				if err != nil || !d.Allowed || d.Remaining != limit.Count-i {
					require.Failf(t, "burst", "request %d: %+v, %v", i, d, err)
				}
			}
			d, err := l.Allow(context.Background(), k, limit, t0)
			require.NoError(t, err)
			require.False(t, d.Allowed)
			// One interval, less what the server's clock saw pass since the
			// burst began.
			assert.LessOrEqual(t, d.RetryAfter, limit.Interval())
			assert.GreaterOrEqual(t, d.RetryAfter, limit.Interval()-time.Since(start))
			assert.LessOrEqual(t, d.Reset, time.Duration(limit.Count)*limit.Interval())
			assert.Zero(t, l.Failures())
		})
	}
}

// Moving the stored TAT back by one interval is what the server's clock
// does in one interval: exactly one more request passes.
func TestRedisRefillsOneIntervalAtATime(t *testing.T) {
	t.Parallel()
	client := testRedis(t)
	ns := namespace(t, client)
	l := newLimiter(t, client, redisrate.Config{Namespace: ns})
	limit := ratelimit.Limit{Count: 3, Period: time.Hour}
	k := randomKey()
	ctx := context.Background()
	for range 3 {
		d, err := l.Allow(ctx, k, limit, t0)
		require.NoError(t, err)
		require.True(t, d.Allowed)
	}
	for step := range 3 {
		tat, err := client.Get(ctx, redisKey(ns, k)).Int64()
		require.NoError(t, err)
		require.NoError(t, client.Set(ctx, redisKey(ns, k), tat-limit.Interval().Microseconds(), time.Hour).Err())
		d, err := l.Allow(ctx, k, limit, t0)
		require.NoError(t, err)
		require.True(t, d.Allowed, "step %d", step)
		assert.Equal(t, 0, d.Remaining)
		d, err = l.Allow(ctx, k, limit, t0)
		require.NoError(t, err)
		require.False(t, d.Allowed, "step %d, second request", step)
	}
}

func TestRedisKeysLiveUnderThePrefixWithATTL(t *testing.T) {
	t.Parallel()
	client := testRedis(t)
	ns := namespace(t, client)
	l := newLimiter(t, client, redisrate.Config{Namespace: ns})
	limit := ratelimit.Limit{Count: 4, Period: 10 * time.Second}
	k := randomKey()
	ctx := context.Background()
	for range 2 {
		_, err := l.Allow(ctx, k, limit, t0)
		require.NoError(t, err)
	}
	keys, err := client.Keys(ctx, redisrate.KeyPrefix+ns+":*").Result()
	require.NoError(t, err)
	require.Equal(t, []string{redisKey(ns, k)}, keys)
	// Two requests of 2.5 s each: the key expires when the budget is full.
	ttl, err := client.PTTL(ctx, redisKey(ns, k)).Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, 4*time.Second)
	assert.LessOrEqual(t, ttl, 5*time.Second)
	val, err := client.Get(ctx, redisKey(ns, k)).Result()
	require.NoError(t, err)
	_, err = strconv.ParseInt(val, 10, 64)
	assert.NoError(t, err, "the TAT is stored as integer microseconds, not %q", val)
}

func TestRedisUnreachableFallsBackInProcessAndCountsTheFailure(t *testing.T) {
	t.Parallel()
	const password = "s3cret-redis-pass"
	var seen []string
	var mu sync.Mutex
	clock := clockwork.NewFakeClockAt(t0)
	l, err := redisrate.NewFromURL("redis://app:"+password+"@"+closedPort(t)+"/0?max_retries=-1", redisrate.Config{
		Clock:    clock,
		Cooldown: 10 * time.Second,
		Timeout:  50 * time.Millisecond, // go-redis retries a refused dial until then
		OnError: func(err error) {
			mu.Lock()
			seen = append(seen, err.Error())
			mu.Unlock()
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	limit := ratelimit.Limit{Count: 5, Period: time.Minute}
	k := randomKey()

	passed := 0
	var d ratelimit.Decision
	for range 6 {
		d, err = l.Allow(context.Background(), k, limit, clock.Now())
		require.NoError(t, err)
		if d.Allowed {
			passed++
		}
	}
	assert.Equal(t, 5, passed, "the fallback still limits")
	assert.False(t, d.Allowed)
	assert.Equal(t, 12*time.Second, d.RetryAfter)
	clock.Advance(12 * time.Second)
	d, err = l.Allow(context.Background(), k, limit, clock.Now())
	require.NoError(t, err)
	assert.True(t, d.Allowed, "and refills by the caller's clock")

	// The first request found Redis failing; the next five came within the
	// cooldown and did not wait for it; the last asked again, and failed.
	assert.Equal(t, uint64(2), l.Failures())
	assert.Equal(t, uint64(7), l.Fallbacks())
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, 2)
	for _, msg := range seen {
		assert.NotContains(t, msg, password)
		assert.Contains(t, msg, "deciding in process")
	}
}

// A Redis that fails after it has answered: the budget charged so far stays
// in Redis, and the fallback takes over with its own.
func TestRedisFailingMidwayFallsBack(t *testing.T) {
	t.Parallel()
	shared := testRedis(t)
	ns := namespace(t, shared)
	opts, err := redis.ParseURL(redisURL())
	require.NoError(t, err)
	client := redis.NewClient(opts)
	clock := clockwork.NewFakeClockAt(t0)
	l := newLimiter(t, client, redisrate.Config{Namespace: ns, Clock: clock})
	limit := ratelimit.Limit{Count: 2, Period: time.Minute}
	k := randomKey()
	d, err := l.Allow(context.Background(), k, limit, t0)
	require.NoError(t, err)
	require.True(t, d.Allowed)
	require.Zero(t, l.Failures())

	require.NoError(t, client.Close())
	passed := 0
	for range 3 {
		d, err := l.Allow(context.Background(), k, limit, t0)
		require.NoError(t, err)
		if d.Allowed {
			passed++
		}
	}
	assert.Equal(t, 2, passed, "the fallback has a budget of its own")
	assert.Equal(t, uint64(1), l.Failures())
	assert.Equal(t, uint64(3), l.Fallbacks())
	n, err := shared.Exists(context.Background(), redisKey(ns, k)).Result()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
}

// A value that is not ours under our key is an error of the script: the
// request is decided in process and the failure counted.
func TestRedisCorruptValueFallsBack(t *testing.T) {
	t.Parallel()
	client := testRedis(t)
	ns := namespace(t, client)
	var hooked atomic.Int64
	clock := clockwork.NewFakeClockAt(t0)
	l := newLimiter(t, client, redisrate.Config{Namespace: ns, Clock: clock, OnError: func(error) { hooked.Add(1) }})
	k := randomKey()
	require.NoError(t, client.Set(context.Background(), redisKey(ns, k), "not a number", time.Minute).Err())
	d, err := l.Allow(context.Background(), k, ratelimit.Limit{Count: 1, Period: time.Minute}, t0)
	require.NoError(t, err)
	assert.True(t, d.Allowed)
	assert.Equal(t, uint64(1), l.Failures())
	assert.Equal(t, int64(1), hooked.Load())

	// Once the cooldown has passed Redis is asked again, and answers.
	clock.Advance(redisrate.DefaultCooldown)
	require.NoError(t, client.Del(context.Background(), redisKey(ns, k)).Err())
	d, err = l.Allow(context.Background(), k, ratelimit.Limit{Count: 1, Period: time.Minute}, t0)
	require.NoError(t, err)
	assert.True(t, d.Allowed)
	assert.Equal(t, uint64(1), l.Failures())
	assert.Equal(t, uint64(1), l.Fallbacks())
	n, err := client.Exists(context.Background(), redisKey(ns, k)).Result()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "Redis decided and holds the budget")
}

func TestRedisCanceledRequestIsRefusedAndNotCounted(t *testing.T) {
	t.Parallel()
	client := testRedis(t)
	l := newLimiter(t, client, redisrate.Config{Namespace: namespace(t, client)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d, err := l.Allow(ctx, randomKey(), ratelimit.Limit{Count: 1, Period: time.Second}, t0)
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, d.Allowed)
	assert.Zero(t, l.Failures())
}

func TestRedisRefusesAnInvalidLimitWithoutCallingRedis(t *testing.T) {
	t.Parallel()
	// A client on a closed port: a call would count a failure.
	l := newLimiter(t, redis.NewClient(&redis.Options{Addr: closedPort(t), MaxRetries: -1}), redisrate.Config{})
	d, err := l.Allow(context.Background(), randomKey(), ratelimit.Limit{Count: 0, Period: time.Second}, t0)
	require.ErrorIs(t, err, ratelimit.ErrInvalidLimit)
	assert.False(t, d.Allowed)
	assert.Zero(t, l.Failures())
}

// A Redis that accepts connections and never answers delays a request by
// the Timeout at most; the fallback decides.
func TestRedisThatHangsFallsBackAfterTheTimeout(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = conn.Close() })
		}
	}()
	l, err := redisrate.NewFromURL("redis://"+ln.Addr().String()+"/0?max_retries=-1", redisrate.Config{Timeout: 50 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	start := time.Now()
	d, err := l.Allow(context.Background(), randomKey(), ratelimit.Limit{Count: 1, Period: time.Minute}, t0)
	elapsed := time.Since(start)
	require.NoError(t, err)
	assert.True(t, d.Allowed)
	assert.Equal(t, uint64(1), l.Failures())
	assert.Less(t, elapsed, 2*time.Second, "the request waited for the timeout, not for Redis")
}

func TestNewRefusesABadConfig(t *testing.T) {
	t.Parallel()
	client := redis.NewClient(&redis.Options{Addr: closedPort(t)})
	t.Cleanup(func() { _ = client.Close() })
	tests := []struct {
		name string
		cfg  redisrate.Config
		want string
	}{
		{"NamespaceWithAColon", redisrate.Config{Namespace: "a:b"}, "Namespace"},
		{"NamespaceTooLong", redisrate.Config{Namespace: strings.Repeat("n", 65)}, "Namespace"},
		{"NamespaceWithAWildcard", redisrate.Config{Namespace: "*"}, "Namespace"},
		{"TimeoutNegative", redisrate.Config{Timeout: -time.Second}, "Timeout"},
		{"TimeoutTooLong", redisrate.Config{Timeout: time.Minute}, "Timeout"},
		{"CooldownTooShort", redisrate.Config{Cooldown: time.Microsecond}, "Cooldown"},
		{"CooldownTooLong", redisrate.Config{Cooldown: time.Hour}, "Cooldown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := redisrate.New(client, tc.cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := redisrate.New(nil, redisrate.Config{})
	require.ErrorContains(t, err, "no Redis client")
	_, err = redisrate.New(client, redisrate.Config{Namespace: "admin-auth.v1", Timeout: time.Second, Cooldown: time.Minute})
	require.NoError(t, err)
}
