package redisrate_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/ratelimit"
	"github.com/seed-c7fc2061/serviceaccounts/ratelimit/redisrate"
)

// A key allowed 3 requests a minute gets 3, then a refusal that says when
// to retry. Every process that runs this limiter on the same Redis shares
// the budget; were Redis down, each would decide alike in process.
func ExampleNewFromURL() {
	l, err := redisrate.NewFromURL(redisURL(), redisrate.Config{}) // e.g. redis://:password@host:6379/0
	if err != nil {
		panic(err) // the message shows the URL with its password masked
	}
	defer l.Close()

	var keyID ratelimit.Key // a key's UUID
	_, _ = rand.Read(keyID[:])
	limit := ratelimit.Limit{Count: 3, Period: time.Minute}
	for i := range 4 {
		d, err := l.Allow(context.Background(), keyID, limit, time.Now())
		if err != nil {
			panic(err)
		}
		rec := httptest.NewRecorder()
		ratelimit.WriteHeaders(rec, d)
		fmt.Printf("request %d: allowed=%v RateLimit: %s Retry-After: %q\n",
			i+1, d.Allowed, rec.Header().Get("RateLimit"), rec.Header().Get("Retry-After"))
	}
	// Output:
	// request 1: allowed=true RateLimit: "default";r=2;t=0 Retry-After: ""
	// request 2: allowed=true RateLimit: "default";r=1;t=0 Retry-After: ""
	// request 3: allowed=true RateLimit: "default";r=0;t=20 Retry-After: ""
	// request 4: allowed=false RateLimit: "default";r=0;t=20 Retry-After: "20"
}

// Messages and logs show a Redis URL without its password.
func ExampleRedactURL() {
	fmt.Println(redisrate.RedactURL("redis://app:s3cret@redis.internal:6379/2"))
	// Output:
	// redis://app:xxxxx@redis.internal:6379/2
}
