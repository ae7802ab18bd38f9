package middleware

import (
	"reflect"
	"time"

	"github.com/jonboulle/clockwork"
)

// realClockType is the type of clockwork's real clock, whose Now and
// Since read the wall clock as well as the monotonic one.
var realClockType = reflect.TypeOf(clockwork.NewRealClock())

// reading is a request's one clock reading, in the forms the request path
// uses.
type reading struct {
	// mono is the time since the Middleware's epoch by its clock: the
	// monotonic clock alone on the real clock. A cache entry's age is the
	// difference of two of them, which stepping the wall clock (NTP, an
	// operator) cannot change.
	mono time.Duration
	// now is the full reading, which judges a key's expiry. It is zero
	// when a key that never expires took the monotonic reading alone
	// (see readClock). (A flag saying so would cost more than its
	// byte: it takes lookup's results past the registers Go returns them
	// in. A fake clock set to the zero time therefore reads as no wall
	// clock at all, and expiring keys are refused: closed.)
	now time.Time
}

// sinceEpoch is the time since m.epoch by m's clock. On the real clock it
// is time.Since, which reads the monotonic clock alone, where
// clockwork's Since calls time.Now and reads the wall clock too.
func (m *Middleware) sinceEpoch() time.Duration {
	if m.realClock {
		return time.Since(m.epoch)
	}
	return m.clock.Since(m.epoch)
}

// readClock reads the clock for a request served from e. A key that
// expires is judged against the Manager's clock itself (time.Now on the
// real clock), so that a wall clock set forward (NTP correcting a clock
// that was behind, a machine resumed from suspend, which the monotonic
// clock does not count) cannot keep an expired key working. A key that
// never expires needs the reading only for the cache's age and the use
// record, so on the real clock it takes the monotonic clock alone: one
// reading (38 ns on the benchmark machine) instead of time.Now's two
// (70 ns), and integer arithmetic where time.Time's methods would decode
// both of its encodings.
func (m *Middleware) readClock(e *entry) reading {
	if m.realClock && e.principal.ExpiresAt.IsZero() {
		return reading{mono: time.Since(m.epoch)}
	}
	return m.fullReading()
}

// fullReading reads the Manager's clock, wall and monotonic.
func (m *Middleware) fullReading() reading {
	now := m.clock.Now()
	return reading{mono: now.Sub(m.epoch), now: now}
}

// age is how long before r the lookup of e began: negative, and so stale
// (see fresh), when it cannot be told. That is when either reading lies
// beyond what a Duration holds from the epoch (a fake clock moved
// centuries), where Sub saturates and two readings would compare equal
// however far apart, or when their difference overflows.
func (r reading) age(e *entry) time.Duration {
	if r.mono == maxDuration || e.loadedMono == maxDuration || r.mono == minDuration || e.loadedMono == minDuration {
		return -1
	}
	age := r.mono - e.loadedMono
	if (r.mono^e.loadedMono) < 0 && (age^r.mono) < 0 {
		return -1 // operands of opposite signs, and the result's sign wrong
	}
	return age
}

// The bounds at which time.Time.Sub saturates.
const (
	maxDuration time.Duration = 1<<63 - 1
	minDuration time.Duration = -1 << 63
)

// unixMicro is the time of the use read at r, in Unix microseconds: the
// wall clock, or for a monotonic reading alone, the lookup's wall time
// moved on by the monotonic time since. The latter lags a step of the
// wall clock made since the lookup (which is younger than the TTL) in the
// use record only. A monotonic reading alone serves only a cached entry
// that lookup found fresh, whose age is therefore known to be between 0
// and the TTL: it is not checked again here.
func (r reading) unixMicro(e *entry) int64 {
	if !r.now.IsZero() {
		return r.now.UnixMicro()
	}
	return e.loadedMicro + int64((r.mono-e.loadedMono)/time.Microsecond)
}

// expired reports whether e's key has expired at r: as apikey.Key.Expired
// judges it, the expiry instant itself is expired. A reading without the
// wall clock cannot tell, so it counts as expired (readClock never gives
// one for a key that expires; this keeps a mistake closed).
func (r reading) expired(e *entry) bool {
	exp := e.principal.ExpiresAt
	return !exp.IsZero() && (r.now.IsZero() || !r.now.Before(exp))
}
