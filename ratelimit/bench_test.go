package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/ratelimit"
)

// BenchmarkLocalAllowTracked charges a key the table already tracks: the
// cost every request of a limited key pays. Run with -benchmem: it must
// report 0 allocs/op.
func BenchmarkLocalAllowTracked(b *testing.B) {
	l, err := ratelimit.NewLocal(ratelimit.LocalConfig{})
	if err != nil {
		b.Fatal(err)
	}
	limit := ratelimit.Limit{Count: 1_000_000, Period: time.Second}
	ctx := context.Background()
	k := ratelimit.Key{1, 2, 3}
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Microsecond)
		_, _ = l.Allow(ctx, k, limit, now)
	}
}

// BenchmarkLocalAllowParallel charges many keys from every processor, as
// concurrent requests of different keys do.
func BenchmarkLocalAllowParallel(b *testing.B) {
	l, err := ratelimit.NewLocal(ratelimit.LocalConfig{})
	if err != nil {
		b.Fatal(err)
	}
	limit := ratelimit.Limit{Count: 1_000_000, Period: time.Second}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var k ratelimit.Key
		i := 0
		for pb.Next() {
			i++
			k[0], k[1] = byte(i), byte(i>>8)
			_, _ = l.Allow(ctx, k, limit, t0.Add(time.Duration(i)))
		}
	})
}
