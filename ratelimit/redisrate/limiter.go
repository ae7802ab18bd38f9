package redisrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/redis/go-redis/v9"

	"github.com/seed-c7fc2061/serviceaccounts/ratelimit"
)

// KeyPrefix starts the name of every Redis key this package writes.
const KeyPrefix = "serviceaccounts:rl:"

// Defaults of [Config].
const (
	DefaultNamespace = "key"
	DefaultTimeout   = 200 * time.Millisecond
	DefaultCooldown  = time.Second
)

// Bounds of Config.Timeout: a request waits at most this long for Redis
// before the fallback decides.
const (
	minTimeout  = time.Millisecond
	maxTimeout  = 10 * time.Second
	minCooldown = time.Millisecond
	maxCooldown = time.Minute
)

var namespacePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Config configures a [Limiter]. The zero value is valid.
type Config struct {
	// Namespace separates budgets of different purposes that share a Redis:
	// a key's budget is stored under KeyPrefix + Namespace + ":" + the key
	// in hex. 1 to 64 characters of [A-Za-z0-9_.-]; default "key".
	Namespace string
	// Timeout bounds each Redis call, so that a hung Redis delays requests
	// by at most this much before the fallback decides. From 1 ms to 10 s;
	// default 200 ms. go-redis honours it only on a client whose options
	// set ContextTimeoutEnabled (NewFromURL's does); on another client its
	// own ReadTimeout and DialTimeout (3 s and 5 s by default) bound the
	// wait instead.
	Timeout time.Duration
	// Cooldown is how long after a Redis failure requests are decided by
	// the fallback without asking Redis, so that an outage does not cost
	// every request a Timeout (go-redis retries a refused dial for longer).
	// From 1 ms to 1 min; default 1 s.
	Cooldown time.Duration
	// Clock times the cooldown; default the real clock.
	Clock clockwork.Clock
	// Fallback decides while Redis fails. Default: a new ratelimit.Local
	// with its default configuration.
	Fallback *ratelimit.Local
	// OnError, if set, is called with every Redis failure, after it is
	// counted and before the fallback decides, for logging or metrics. The
	// error names neither the key nor a password. It must be safe for
	// concurrent use and should return quickly: the request waits for it.
	OnError func(error)
}

// Limiter is a [ratelimit.Limiter] shared through Redis. It is safe for
// concurrent use.
type Limiter struct {
	client   redis.Scripter
	prefix   string
	timeout  time.Duration
	fallback *ratelimit.Local
	onError  func(error)
	clock    clockwork.Clock
	cooldown time.Duration
	// askAt is when, in Unix nanoseconds of clock, Redis may be asked again
	// after a failure.
	askAt     atomic.Int64
	failures  atomic.Uint64
	fallbacks atomic.Uint64
	owned     io.Closer // the client NewFromURL made, closed by Close
}

var _ ratelimit.Limiter = (*Limiter)(nil)

// New returns a limiter on client (a *redis.Client, *redis.ClusterClient,
// *redis.Ring or any other redis.Scripter), or an error naming a bad
// configuration value. It does not contact Redis: a Redis that is down at
// start is one that fails, and the fallback decides until it answers.
func New(client redis.Scripter, cfg Config) (*Limiter, error) {
	if client == nil {
		return nil, errors.New("redisrate: no Redis client")
	}
	ns := cfg.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	if !namespacePattern.MatchString(ns) {
		return nil, fmt.Errorf("redisrate: Namespace %q is not 1 to 64 characters of [A-Za-z0-9_.-]", cfg.Namespace)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if timeout < minTimeout || timeout > maxTimeout {
		return nil, fmt.Errorf("redisrate: Timeout %s is outside %s…%s", cfg.Timeout, minTimeout, maxTimeout)
	}
	cooldown := cfg.Cooldown
	if cooldown == 0 {
		cooldown = DefaultCooldown
	}
	if cooldown < minCooldown || cooldown > maxCooldown {
		return nil, fmt.Errorf("redisrate: Cooldown %s is outside %s…%s", cfg.Cooldown, minCooldown, maxCooldown)
	}
	clock := cfg.Clock
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	fallback := cfg.Fallback
	if fallback == nil {
		var err error
		if fallback, err = ratelimit.NewLocal(ratelimit.LocalConfig{}); err != nil {
			return nil, fmt.Errorf("redisrate: fallback limiter: %w", err)
		}
	}
	return &Limiter{
		client:   client,
		prefix:   KeyPrefix + ns + ":",
		timeout:  timeout,
		cooldown: cooldown,
		clock:    clock,
		fallback: fallback,
		onError:  cfg.OnError,
	}, nil
}

// Allow charges one request to key's budget in Redis; see
// [ratelimit.Limiter]. now is used only by the fallback: Redis decides by
// its own clock.
func (l *Limiter) Allow(ctx context.Context, key ratelimit.Key, limit ratelimit.Limit, now time.Time) (ratelimit.Decision, error) {
	if err := limit.Validate(); err != nil {
		return ratelimit.Decision{}, err
	}
	if err := ctx.Err(); err != nil {
		return ratelimit.Decision{}, fmt.Errorf("redisrate: %w", err)
	}
	if l.askAt.Load() > l.clock.Now().UnixNano() {
		l.fallbacks.Add(1)
		return l.fallback.Allow(ctx, key, limit, now)
	}
	interval := int64(limit.Interval() / time.Microsecond)
	capacity := int64(limit.Count) * interval
	callCtx, cancel := context.WithTimeout(ctx, l.timeout)
	reply, err := gcra.Run(callCtx, l.client, []string{l.keyName(key)}, interval, capacity).Int64Slice()
	cancel()
	if err == nil && (len(reply) != 2 || reply[0] < 0 || reply[0] > 1 || reply[1] < 0) {
		err = fmt.Errorf("unexpected reply %v from the rate-limit script", reply)
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			// The caller gave up; Redis did not fail.
			return ratelimit.Decision{}, fmt.Errorf("redisrate: %w", ctxErr)
		}
		l.askAt.Store(l.clock.Now().Add(l.cooldown).UnixNano())
		l.failures.Add(1)
		l.fallbacks.Add(1)
		if l.onError != nil {
			l.onError(fmt.Errorf("redisrate: Redis failed, deciding in process: %w", err))
		}
		return l.fallback.Allow(ctx, key, limit, now)
	}
	return ratelimit.NewDecision(limit, reply[0] == 1, time.Duration(reply[1])*time.Microsecond), nil
}

// keyName is the Redis key of a budget.
func (l *Limiter) keyName(key ratelimit.Key) string {
	var buf [96]byte
	return string(key.AppendHex(append(buf[:0], l.prefix...)))
}

// Failures reports how many Redis calls failed since the limiter was made.
func (l *Limiter) Failures() uint64 {
	return l.failures.Load()
}

// Fallbacks reports how many requests the fallback decided: those whose
// Redis call failed and those that came within a cooldown after one.
func (l *Limiter) Fallbacks() uint64 {
	return l.fallbacks.Load()
}

// Close closes the Redis client if [NewFromURL] made it; a client given
// to [New] belongs to the caller and is left open.
func (l *Limiter) Close() error {
	if l.owned == nil {
		return nil
	}
	return l.owned.Close()
}
