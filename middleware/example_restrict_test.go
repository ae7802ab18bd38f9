package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// A key limited to two requests a minute: the third is refused with
// ErrRateLimited, whose decision says when to retry. Config.RateLimiter
// is left nil, so the limit holds in this process; a
// ratelimit/redisrate.Limiter there makes it hold across instances.
func ExampleRateLimitedError() {
	ctx := context.Background()
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	if err != nil {
		log.Fatal(err)
	}
	acct, err := mgr.CreateAccount(ctx, serviceaccount.AccountInput{Label: "nightly export"})
	if err != nil {
		log.Fatal(err)
	}
	key, err := mgr.CreateKey(ctx, acct.ID, serviceaccount.CreateKeyInput{
		RateLimit: &apikey.RateLimit{Limit: 2, Period: time.Minute},
	})
	if err != nil {
		log.Fatal(err)
	}
	mw, err := middleware.New(middleware.Config{Manager: mgr})
	if err != nil {
		log.Fatal(err)
	}
	defer mw.Close(ctx)

	for range 3 {
		_, err := mw.Verify(ctx, key.Plaintext)
		var rl *middleware.RateLimitedError
		switch {
		case err == nil:
			fmt.Println("allowed")
		case errors.As(err, &rl):
			fmt.Println(middleware.CodeOf(err), "retry after about", rl.Decision.RetryAfter.Round(time.Second))
		default:
			log.Fatal(err)
		}
	}
	// Output:
	// allowed
	// allowed
	// rate_limited retry after about 30s
}
