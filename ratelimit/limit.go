package ratelimit

import (
	"errors"
	"fmt"
	"time"
)

// Bounds of a [Limit], as the key's "rateLimit" field allows them.
const (
	MinCount  = 1
	MaxCount  = 1_000_000
	MinPeriod = time.Second
	MaxPeriod = 86_400 * time.Second
)

// ErrInvalidLimit is wrapped by every error of [Limit.Validate], so that a
// caller can tell bad input from a failing limiter with errors.Is.
var ErrInvalidLimit = errors.New("invalid rate limit")

// Limit allows Count requests per Period, with a burst of Count: a budget
// that has not been used for a Period lets Count requests through at once.
type Limit struct {
	Count  int
	Period time.Duration
}

// Validate reports whether l is within the bounds a key may carry: a Count
// of 1 to 1,000,000 and a Period of whole seconds from 1 s to 86,400 s.
// Whole seconds because the RateLimit-Policy field states the window in
// seconds, and a window that the headers cannot state would mislead
// clients.
func (l Limit) Validate() error {
	if l.Count < MinCount || l.Count > MaxCount {
		return fmt.Errorf("%w: limit %d is outside %d…%d", ErrInvalidLimit, l.Count, MinCount, MaxCount)
	}
	if l.Period < MinPeriod || l.Period > MaxPeriod || l.Period%time.Second != 0 {
		return fmt.Errorf("%w: period %s is not a whole number of seconds from 1 to 86400", ErrInvalidLimit, l.Period)
	}
	return nil
}

// Interval is the time one request costs: Period/Count rounded up to a
// whole microsecond. Every implementation uses this value so that their
// decisions agree exactly. It is meaningful only for a valid Limit.
func (l Limit) Interval() time.Duration {
	perUS := int64(l.Period / time.Microsecond)
	us := (perUS + int64(l.Count) - 1) / int64(l.Count)
	return time.Duration(us) * time.Microsecond
}

// capacity is how far ahead of now the TAT may run: Count intervals, so
// that a fresh budget admits exactly Count requests.
func (l Limit) capacity() time.Duration {
	return time.Duration(l.Count) * l.Interval()
}

// String is "10 per 1m0s", for logs and error messages.
func (l Limit) String() string {
	return fmt.Sprintf("%d per %s", l.Count, l.Period)
}
