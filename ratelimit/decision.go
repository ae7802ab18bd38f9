package ratelimit

import "time"

// Decision is a limiter's answer for one request.
type Decision struct {
	// Allowed reports whether the request passes; it was charged only if so.
	Allowed bool
	// Limit is the limit the decision was taken under.
	Limit Limit
	// Remaining is how many more requests would pass right now.
	Remaining int
	// RetryAfter is how long until the next request would pass: zero while
	// Remaining is positive, and positive on a refusal.
	RetryAfter time.Duration
	// Reset is how long until the budget is full again.
	Reset time.Duration
}

// NewDecision builds the decision for a request under limit, given whether
// it passed and backlog: how far the budget's theoretical arrival time is
// ahead of now once the request is charged (or, on a refusal, as it stands).
// It is exported for implementations of [Limiter] that keep the TAT
// elsewhere, such as redisrate, so that every implementation derives the
// same numbers from the same state.
func NewDecision(limit Limit, allowed bool, backlog time.Duration) Decision {
	if backlog < 0 {
		backlog = 0
	}
	interval := limit.Interval()
	free := limit.capacity() - backlog
	remaining := 0
	if free > 0 {
		remaining = int(free / interval)
	}
	// The next request would push the TAT one more interval ahead; it passes
	// once that fits within the capacity again.
	wait := interval - free
	if wait < 0 {
		wait = 0
	}
	return Decision{Allowed: allowed, Limit: limit, Remaining: remaining, RetryAfter: wait, Reset: backlog}
}
