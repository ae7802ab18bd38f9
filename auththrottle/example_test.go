package auththrottle_test

import (
	"fmt"
	"net/netip"

	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/auththrottle"
)

// A check of a secret brackets the comparison with Begin and Done.
func Example() {
	th, err := auththrottle.New(auththrottle.Config{Clock: clockwork.NewFakeClock()})
	if err != nil {
		panic(err)
	}
	check := func(client netip.Addr, secret string) string {
		attempt, retryAfter, ok := th.Begin(client)
		if !ok {
			return fmt.Sprintf("429, Retry-After: %.0f", retryAfter.Seconds())
		}
		right := secret == "open sesame" // use crypto/subtle in real code
		attempt.Done(!right)
		if !right {
			return "401"
		}
		return "200"
	}
	guesser := netip.MustParseAddr("198.51.100.7")
	for range 10 {
		check(guesser, "guess")
	}
	fmt.Println(check(guesser, "open sesame"))
	fmt.Println(check(netip.MustParseAddr("198.51.100.8"), "open sesame"))
	// Output:
	// 429, Retry-After: 60
	// 200
}
