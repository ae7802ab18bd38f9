package auththrottle

import (
	"cmp"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/internal/addrtable"
)

// Defaults for the zero values of Config: 10 failures a minute, as the
// hardening rules ask, for up to 10,000 clients (about 2 MB).
const (
	DefaultMaxFailures = 10
	DefaultWindow      = time.Minute
	DefaultMaxClients  = 10_000
)

// Config configures a Throttle; every zero value means its default.
type Config struct {
	// MaxFailures is how many failures within Window a client may have
	// before its attempts are refused.
	MaxFailures int
	// Window is how long a failure counts.
	Window time.Duration
	// MaxClients bounds the clients remembered (see the package
	// documentation, Bounded memory).
	MaxClients int
	// Clock measures the window; nil means the real clock.
	Clock clockwork.Clock
}

// Throttle counts authentication failures per client. It is safe for
// concurrent use.
type Throttle struct {
	maxFailures int
	window      time.Duration
	clock       clockwork.Clock
	epoch       time.Time // failures are kept as durations since epoch: monotonic on the real clock

	mu      sync.Mutex
	clients *addrtable.Table[client]
}

// client is one client's record: its latest failures, in a ring of
// MaxFailures, and its attempts in flight.
type client struct {
	failures []time.Duration // since epoch; len is MaxFailures once any is recorded
	next     int             // where the next failure goes: the oldest recorded one
	pending  int
}

// New checks cfg and returns a Throttle.
func New(cfg Config) (*Throttle, error) {
	if cfg.MaxFailures < 0 || cfg.Window < 0 || cfg.MaxClients < 0 {
		return nil, errors.New("auththrottle: MaxFailures, Window and MaxClients must be positive, or 0 for their defaults")
	}
	// 0 means the default (cmp.Or takes the first non-zero value).
	cfg.MaxFailures = cmp.Or(cfg.MaxFailures, DefaultMaxFailures)
	cfg.Window = cmp.Or(cfg.Window, DefaultWindow)
	cfg.MaxClients = cmp.Or(cfg.MaxClients, DefaultMaxClients)
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	return &Throttle{
		maxFailures: cfg.MaxFailures,
		window:      cfg.Window,
		clock:       cfg.Clock,
		epoch:       cfg.Clock.Now(),
		clients:     addrtable.New[client](cfg.MaxClients),
	}, nil
}

// Attempt is one admitted attempt; report its outcome with Done.
type Attempt struct {
	t   *Throttle
	key netip.Addr
}

// Begin admits an attempt from the client at addr, or refuses it (ok
// false) with how long the client must wait: whole seconds, at least one.
// An admitted attempt must be ended with Done, exactly once, whatever the
// credentials turn out to be.
func (t *Throttle) Begin(addr netip.Addr) (a Attempt, retryAfter time.Duration, ok bool) {
	key := addrtable.Key(addr)
	now := t.clock.Since(t.epoch)
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.clients.Use(key)
	recent, oldest := c.recent(now, t.window)
	if recent+c.pending >= t.maxFailures {
		wait := time.Second // blocked by attempts in flight: they end soon
		if recent >= t.maxFailures {
			wait = oldest + t.window - now
		}
		return Attempt{}, wholeSeconds(wait), false
	}
	c.pending++
	return Attempt{t: t, key: key}, 0, true
}

// Done records the attempt's outcome: failed is true for wrong
// credentials.
func (a Attempt) Done(failed bool) {
	t := a.t
	if t == nil {
		return
	}
	now := t.clock.Since(t.epoch)
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.clients.Peek(a.key)
	if c == nil {
		// Evicted while the attempt ran: a failure starts a new record.
		if !failed {
			return
		}
		c = t.clients.Use(a.key)
	} else if c.pending > 0 {
		c.pending--
	}
	if failed {
		if c.failures == nil {
			c.failures = make([]time.Duration, t.maxFailures)
			for i := range c.failures {
				c.failures[i] = -t.window // long past
			}
		}
		c.failures[c.next] = now
		c.next = (c.next + 1) % len(c.failures)
		t.clients.Use(a.key)
		return
	}
	if recent, _ := c.recent(now, t.window); recent == 0 && c.pending == 0 {
		t.clients.Delete(a.key) // nothing left to remember
	}
}

// recent counts the failures younger than window and returns the oldest
// of them when there are MaxFailures (the ring is full of recent ones).
func (c *client) recent(now, window time.Duration) (n int, oldest time.Duration) {
	for _, f := range c.failures {
		if now-f < window {
			n++
		}
	}
	if n > 0 && n == len(c.failures) {
		oldest = c.failures[c.next]
	}
	return n, oldest
}

// wholeSeconds rounds d up to whole seconds, at least one, as Retry-After
// needs.
func wholeSeconds(d time.Duration) time.Duration {
	if d < time.Second {
		return time.Second
	}
	return (d + time.Second - 1).Truncate(time.Second)
}

// Clients is the number of clients remembered, at most MaxClients.
func (t *Throttle) Clients() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.clients.Len()
}
