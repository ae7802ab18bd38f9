package ratelimit_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/ratelimit"
)

// A key allowed 3 requests a minute gets 3 at once, then one every 20 s.
func ExampleLocal() {
	l, err := ratelimit.NewLocal(ratelimit.LocalConfig{})
	if err != nil {
		panic(err)
	}
	clock := clockwork.NewFakeClockAt(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	keyID := ratelimit.Key{0x4f, 0x1c} // a key's UUID, for example
	limit := ratelimit.Limit{Count: 3, Period: time.Minute}
	for range 4 {
		d, _ := l.Allow(context.Background(), keyID, limit, clock.Now())
		fmt.Printf("allowed=%v remaining=%d retryAfter=%s\n", d.Allowed, d.Remaining, d.RetryAfter)
	}
	clock.Advance(20 * time.Second)
	d, _ := l.Allow(context.Background(), keyID, limit, clock.Now())
	fmt.Printf("after 20s: allowed=%v\n", d.Allowed)
	// Output:
	// allowed=true remaining=2 retryAfter=0s
	// allowed=true remaining=1 retryAfter=0s
	// allowed=true remaining=0 retryAfter=20s
	// allowed=false remaining=0 retryAfter=20s
	// after 20s: allowed=true
}

// A refusal carries everything a 429 response needs.
func ExampleWriteHeaders() {
	rec := httptest.NewRecorder()
	ratelimit.WriteHeaders(rec, ratelimit.Decision{
		Allowed:    false,
		Limit:      ratelimit.Limit{Count: 10, Period: time.Minute},
		RetryAfter: 5500 * time.Millisecond,
	})
	for _, name := range []string{"RateLimit-Policy", "RateLimit", "Retry-After"} {
		fmt.Printf("%s: %s\n", name, rec.Header().Get(name))
	}
	// Output:
	// RateLimit-Policy: "default";q=10;w=60
	// RateLimit: "default";r=0;t=6
	// Retry-After: 6
}

// A caller that charges the same key on every request keeps its budget
// and the compiled limit: each request is then one compare-and-swap.
// Charge shares the budget with Allow while the table tracks the key.
func ExampleLocal_Budget() {
	l, err := ratelimit.NewLocal(ratelimit.LocalConfig{})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	keyID := ratelimit.Key{0x4f, 0x1c}
	rate, err := ratelimit.Limit{Count: 2, Period: time.Minute}.Rate()
	if err != nil {
		panic(err)
	}
	b := l.Budget(keyID, now)
	for range 2 {
		ok, _ := b.Charge(rate, now.UnixNano())
		fmt.Println("allowed:", ok)
	}
	d, _ := l.Allow(context.Background(), keyID, rate.Limit(), now)
	fmt.Printf("Allow after two charges: allowed=%v retryAfter=%s\n", d.Allowed, d.RetryAfter)
	// Output:
	// allowed: true
	// allowed: true
	// Allow after two charges: allowed=false retryAfter=30s
}
