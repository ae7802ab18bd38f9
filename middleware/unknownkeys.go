package middleware

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/clientaddr"
	"github.com/seed-c7fc2061/serviceaccounts/internal/addrtable"
)

// Defaults for the zero values of UnknownKeyLimit.
const (
	DefaultUnknownKeyPeriod     = time.Minute
	DefaultUnknownKeyMaxClients = 10_000
)

// UnknownKeyLimit bounds the store lookups that keys unknown to the store
// cause, per client. A well-formed key with a valid checksum that the
// cache does not hold costs one store lookup, so without a bound a client
// can make the store answer as fast as it sends random keys. The zero
// value (Lookups 0) sets no bound.
type UnknownKeyLimit struct {
	// Lookups is how many lookups of unknown keys a client may cause per
	// Period, all at once if it likes (the budget starts full). 0: no bound.
	Lookups int
	// Period is the window of Lookups; 0 means DefaultUnknownKeyPeriod.
	Period time.Duration
	// MaxClients bounds the clients remembered; when the table is full, the
	// client that missed the cache least recently is forgotten. 0 means
	// DefaultUnknownKeyMaxClients (about 1 MB).
	MaxClients int
}

func (l UnknownKeyLimit) check() []string {
	var errs []string
	if l.Lookups < 0 {
		errs = append(errs, fmt.Sprintf("UnknownKeyLimit.Lookups is %d; it must be positive, or 0 for no bound", l.Lookups))
	}
	if l.Period < 0 {
		errs = append(errs, fmt.Sprintf("UnknownKeyLimit.Period is %s; it must be positive, or 0 for the default %s", l.Period, DefaultUnknownKeyPeriod))
	}
	if l.MaxClients < 0 {
		errs = append(errs, fmt.Sprintf("UnknownKeyLimit.MaxClients is %d; it must be positive, or 0 for the default %d", l.MaxClients, DefaultUnknownKeyMaxClients))
	}
	if l.Lookups > 0 && l.Period > 0 && l.Period/time.Duration(l.Lookups) == 0 {
		errs = append(errs, "UnknownKeyLimit allows more than one lookup a nanosecond")
	}
	return errs
}

// unknownKeyLimiter is UnknownKeyLimit at work: a GCRA (generic cell rate
// algorithm, as redis_rate and throttled implement it) per client, whose
// state is one time, in a bounded table. Every miss reserves a lookup
// before the store is asked, so that concurrent misses cannot all pass;
// settle gives it back when the key turned out to exist.
type unknownKeyLimiter struct {
	clientAddr clientaddr.Func
	clock      clockwork.Clock
	epoch      time.Time
	interval   time.Duration // Period / Lookups: the cost of one lookup
	burst      time.Duration // Period - interval: how far ahead the budget may be spent

	mu sync.Mutex
	// Each client's theoretical arrival time, as a duration since epoch:
	// its budget is full when that is not after now.
	clients *addrtable.Table[time.Duration]
}

func newUnknownKeyLimiter(l UnknownKeyLimit, clientAddr clientaddr.Func, clock clockwork.Clock) *unknownKeyLimiter {
	if l.Period == 0 {
		l.Period = DefaultUnknownKeyPeriod
	}
	if l.MaxClients == 0 {
		l.MaxClients = DefaultUnknownKeyMaxClients
	}
	if clientAddr == nil {
		clientAddr = clientaddr.RemoteAddr
	}
	interval := l.Period / time.Duration(l.Lookups)
	return &unknownKeyLimiter{
		clientAddr: clientAddr,
		clock:      clock,
		epoch:      clock.Now(),
		interval:   interval,
		burst:      l.Period - interval,
		clients:    addrtable.New[time.Duration](l.MaxClients),
	}
}

// reserve takes one lookup from the budget of addr's client, or returns a
// *TooManyAttemptsError saying when one will be free.
func (u *unknownKeyLimiter) reserve(addr netip.Addr) (netip.Addr, error) {
	client := addrtable.Key(addr)
	now := u.clock.Since(u.epoch)
	u.mu.Lock()
	defer u.mu.Unlock()
	tat := u.clients.Use(client)
	start := max(*tat, now)
	if wait := start - u.burst - now; wait > 0 {
		return client, &TooManyAttemptsError{RetryAfter: wholeSeconds(wait)}
	}
	*tat = start + u.interval
	return client, nil
}

// settle gives the reserved lookup back when the key turned out to exist:
// the bound is on unknown keys, and a known key's lookup (after the
// cache's TTL) costs its client nothing. A lookup that failed, or that the
// client abandoned while it ran on for others, showed no such thing and
// keeps its cost, so that neither an overloaded store nor a client
// hanging up lifts the bound.
func (u *unknownKeyLimiter) settle(client netip.Addr, found bool) {
	if !found {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if tat := u.clients.Peek(client); tat != nil {
		*tat -= u.interval
	}
}

// wholeSeconds rounds d up to whole seconds, at least one, as Retry-After
// needs.
func wholeSeconds(d time.Duration) time.Duration {
	if d < time.Second {
		return time.Second
	}
	return (d + time.Second - 1).Truncate(time.Second)
}
