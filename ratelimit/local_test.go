package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/ratelimit"
)

var t0 = time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)

func newLocal(t *testing.T, cfg ratelimit.LocalConfig) *ratelimit.Local {
	t.Helper()
	l, err := ratelimit.NewLocal(cfg)
	require.NoError(t, err)
	return l
}

func key(b byte) ratelimit.Key { return ratelimit.Key{0: b, 15: b} }

func allow(t *testing.T, l ratelimit.Limiter, k ratelimit.Key, limit ratelimit.Limit, now time.Time) ratelimit.Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), k, limit, now)
	require.NoError(t, err)
	return d
}

// spend charges k's budget until it is refused, and checks that exactly
// limit.Count requests passed.
func spend(t *testing.T, l ratelimit.Limiter, k ratelimit.Key, limit ratelimit.Limit, now time.Time) {
	t.Helper()
	for i := range limit.Count {
		require.True(t, allow(t, l, k, limit, now).Allowed, "request %d", i+1)
	}
	require.False(t, allow(t, l, k, limit, now).Allowed, "request %d", limit.Count+1)
}

func TestLocalPassesExactlyTheLimitInABurstThenRefillsOneIntervalAtATime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		limit    ratelimit.Limit
		interval time.Duration
	}{
		{ratelimit.Limit{Count: 1, Period: time.Second}, time.Second},
		{ratelimit.Limit{Count: 10, Period: time.Minute}, 6 * time.Second},
		// 60 s / 7 is not a whole number of microseconds: rounded up.
		{ratelimit.Limit{Count: 7, Period: time.Minute}, 8_571_429 * time.Microsecond},
		{ratelimit.Limit{Count: 100, Period: time.Second}, 10 * time.Millisecond},
		{ratelimit.Limit{Count: 3, Period: 86_400 * time.Second}, 8 * time.Hour},
		{ratelimit.Limit{Count: 50_000, Period: time.Hour}, 72 * time.Millisecond},
		// The largest count, 1,000,000 a second, has the smallest interval,
		// 1 µs (asserted below); this one keeps the test quick under -race.
		{ratelimit.Limit{Count: 200_000, Period: time.Second}, 5 * time.Microsecond},
	}
	require.Equal(t, time.Microsecond, ratelimit.Limit{Count: ratelimit.MaxCount, Period: time.Second}.Interval())
	for _, tc := range tests {
		t.Run(tc.limit.String(), func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.interval, tc.limit.Interval())
			clock := clockwork.NewFakeClockAt(t0)
			l := newLocal(t, ratelimit.LocalConfig{})
			k := key(1)

			for i := 1; i <= tc.limit.Count; i++ {
				// Not the allow helper: its t.Helper costs more than Allow.
				d, err := l.Allow(context.Background(), k, tc.limit, clock.Now())
				if err != nil || !d.Allowed || d.Remaining != tc.limit.Count-i {
					require.Failf(t, "burst", "request %d: %+v, %v", i, d, err)
				}
			}
			d := allow(t, l, k, tc.limit, clock.Now())
			require.False(t, d.Allowed, "request %d of a burst", tc.limit.Count+1)
			assert.Equal(t, 0, d.Remaining)
			assert.Equal(t, tc.interval, d.RetryAfter)
			assert.Equal(t, time.Duration(tc.limit.Count)*tc.interval, d.Reset)

			// Waiting less than the retry-after is refused with the rest of
			// the wait; waiting it out lets exactly one through, every time.
			clock.Advance(tc.interval - time.Microsecond)
			d = allow(t, l, k, tc.limit, clock.Now())
			require.False(t, d.Allowed)
			assert.Equal(t, time.Microsecond, d.RetryAfter)
			clock.Advance(time.Microsecond)
			for step := range 5 {
				d = allow(t, l, k, tc.limit, clock.Now())
				require.True(t, d.Allowed, "refill step %d", step)
				assert.Equal(t, 0, d.Remaining)
				assert.Equal(t, tc.interval, d.RetryAfter)
				d = allow(t, l, k, tc.limit, clock.Now())
				require.False(t, d.Allowed, "refill step %d, second request", step)
				clock.Advance(tc.interval)
			}

			// A budget left alone for a period is full again.
			clock.Advance(tc.limit.Period)
			passed := 0
			for range tc.limit.Count + 1 {
				if d, err := l.Allow(context.Background(), k, tc.limit, clock.Now()); err == nil && d.Allowed {
					passed++
				}
			}
			assert.Equal(t, tc.limit.Count, passed)
		})
	}
}

func TestLocalLastRequestOfABurstSaysWhenTheNextPasses(t *testing.T) {
	t.Parallel()
	l := newLocal(t, ratelimit.LocalConfig{})
	limit := ratelimit.Limit{Count: 2, Period: 10 * time.Second}
	d := allow(t, l, key(1), limit, t0)
	assert.Equal(t, ratelimit.Decision{Allowed: true, Limit: limit, Remaining: 1, Reset: 5 * time.Second}, d)
	d = allow(t, l, key(1), limit, t0)
	assert.Equal(t, ratelimit.Decision{Allowed: true, Limit: limit, Remaining: 0, RetryAfter: 5 * time.Second, Reset: 10 * time.Second}, d)
	d = allow(t, l, key(1), limit, t0.Add(2*time.Second))
	assert.Equal(t, ratelimit.Decision{Allowed: false, Limit: limit, Remaining: 0, RetryAfter: 3 * time.Second, Reset: 8 * time.Second}, d)
}

func TestLocalKeepsBudgetsApart(t *testing.T) {
	t.Parallel()
	l := newLocal(t, ratelimit.LocalConfig{})
	limit := ratelimit.Limit{Count: 2, Period: time.Minute}
	spend(t, l, key(1), limit, t0)
	d := allow(t, l, key(2), limit, t0)
	assert.True(t, d.Allowed)
	assert.Equal(t, 1, d.Remaining)
}

func TestLocalAppliesAChangedLimitToTheSameBudget(t *testing.T) {
	t.Parallel()
	l := newLocal(t, ratelimit.LocalConfig{})
	small := ratelimit.Limit{Count: 2, Period: time.Minute}
	spend(t, l, key(1), small, t0)
	// The two requests left a backlog of 60 s, the whole period of the new
	// limit too: it refuses until one of its one-second intervals passes.
	large := ratelimit.Limit{Count: 60, Period: time.Minute}
	d := allow(t, l, key(1), large, t0)
	require.False(t, d.Allowed)
	assert.Equal(t, time.Second, d.RetryAfter)
	assert.True(t, allow(t, l, key(1), large, t0.Add(time.Second)).Allowed)
}

func TestLocalRefusesAnInvalidLimit(t *testing.T) {
	t.Parallel()
	l := newLocal(t, ratelimit.LocalConfig{})
	for _, limit := range []ratelimit.Limit{
		{},
		{Count: 0, Period: time.Second},
		{Count: -1, Period: time.Second},
		{Count: 1_000_001, Period: time.Second},
		{Count: 1, Period: 999 * time.Millisecond},
		{Count: 1, Period: 1500 * time.Millisecond},
		{Count: 1, Period: 86_401 * time.Second},
		{Count: 1, Period: -time.Second},
	} {
		d, err := l.Allow(context.Background(), key(1), limit, t0)
		require.ErrorIs(t, err, ratelimit.ErrInvalidLimit, "%+v", limit)
		assert.False(t, d.Allowed)
	}
	assert.Zero(t, l.Len(), "an invalid limit charges nothing")
	assert.NoError(t, ratelimit.Limit{Count: 1_000_000, Period: 86_400 * time.Second}.Validate())
	assert.NoError(t, ratelimit.Limit{Count: 1, Period: time.Second}.Validate())
}

func TestNewLocalRefusesABadMaxKeys(t *testing.T) {
	t.Parallel()
	for _, n := range []int{-1, 100_000_001} {
		_, err := ratelimit.NewLocal(ratelimit.LocalConfig{MaxKeys: n})
		require.ErrorContains(t, err, "MaxKeys")
	}
}

func TestLocalDropsFullBudgetsFirstWhenTheTableIsFull(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(t0)
	l := newLocal(t, ratelimit.LocalConfig{MaxKeys: 3})
	limit := ratelimit.Limit{Count: 10, Period: time.Minute}
	for b := range byte(3) {
		allow(t, l, key(b), limit, clock.Now())
	}
	require.Equal(t, 3, l.Len())
	// One request's backlog (6 s) has passed for all three: they carry no
	// state, and the next new key sweeps them all away.
	clock.Advance(6 * time.Second)
	allow(t, l, key(9), limit, clock.Now())
	assert.Equal(t, 1, l.Len())
}

func TestLocalEvictsTheBudgetNearestToFullWhenNoneIsFull(t *testing.T) {
	t.Parallel()
	l := newLocal(t, ratelimit.LocalConfig{MaxKeys: 3})
	limit := ratelimit.Limit{Count: 10, Period: time.Minute}
	// Key 1 has used 1 request, key 2 two, key 3 three.
	for b := byte(1); b <= 3; b++ {
		for range b {
			allow(t, l, key(b), limit, t0)
		}
	}
	d := allow(t, l, key(4), limit, t0)
	require.True(t, d.Allowed)
	assert.Equal(t, 3, l.Len(), "the table never exceeds MaxKeys")
	// Key 1 lost its state (a full budget again); keys 2 and 3 kept theirs.
	assert.Equal(t, 7, allow(t, l, key(2), limit, t0).Remaining)
	assert.Equal(t, 6, allow(t, l, key(3), limit, t0).Remaining)
	assert.Equal(t, 9, allow(t, l, key(1), limit, t0).Remaining)
	assert.Equal(t, 3, l.Len())
}

func TestLocalTableStaysBoundedUnderManyKeys(t *testing.T) {
	t.Parallel()
	const maxKeys = 32 * 64 * 2 // large enough to be sharded
	l := newLocal(t, ratelimit.LocalConfig{MaxKeys: maxKeys})
	limit := ratelimit.Limit{Count: 5, Period: time.Hour}
	for i := range 3 * maxKeys {
		var k ratelimit.Key
		k[0], k[1], k[2] = byte(i), byte(i>>8), byte(i>>16)
		require.True(t, allow(t, l, k, limit, t0.Add(time.Duration(i)*time.Millisecond)).Allowed)
	}
	assert.LessOrEqual(t, l.Len(), maxKeys)
	assert.Greater(t, l.Len(), maxKeys/2)
}

func TestLocalPassesExactlyTheLimitUnderConcurrentRequests(t *testing.T) {
	t.Parallel()
	l := newLocal(t, ratelimit.LocalConfig{})
	limit := ratelimit.Limit{Count: 100, Period: time.Minute}
	const workers, perWorker = 8, 50
	var passed [4]atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				k := byte((w + i) % 4)
				d, err := l.Allow(context.Background(), key(k), limit, t0)
				if err == nil && d.Allowed {
					passed[k].Add(1)
				}
			}
		})
	}
	wg.Wait()
	for k := range passed {
		assert.Equal(t, int64(limit.Count), passed[k].Load(), "key %d", k)
	}
}

func TestLocalChargesATrackedKeyWithoutAllocating(t *testing.T) {
	l := newLocal(t, ratelimit.LocalConfig{})
	limit := ratelimit.Limit{Count: 1_000_000, Period: time.Second}
	k := key(7)
	now := t0
	allow(t, l, k, limit, now)
	allocs := testing.AllocsPerRun(1000, func() {
		now = now.Add(time.Millisecond)
		_, _ = l.Allow(context.Background(), k, limit, now)
	})
	assert.Zero(t, allocs)
}
