package middleware

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/maypok86/otter/v2"
	"go.opentelemetry.io/otel/metric"
	"golang.org/x/sync/singleflight"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/clientaddr"
	"github.com/seed-c7fc2061/serviceaccounts/ratelimit"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// Defaults for the zero values of Config.
const (
	DefaultCacheTTL      = 10 * time.Second
	DefaultCacheSize     = 10_000
	DefaultFlushInterval = time.Minute
	DefaultMaxBodyBytes  = 1 << 20
	DefaultLookupTimeout = 5 * time.Second
)

// Config configures a Middleware. Only Manager is required; every zero
// value means the default.
type Config struct {
	// Manager looks keys up, records their last use and reports changes.
	// Its clock judges expiry, cache age and flush times.
	Manager *serviceaccount.Manager

	// CacheTTL bounds how long a lookup (found or not found) is reused:
	// the longest a change made by another process (another Manager on the
	// same database) takes to be seen here, when no Feed is set or the
	// Feed fails. Changes made through Manager are seen at once whatever
	// the TTL. 0 means DefaultCacheTTL.
	CacheTTL time.Duration
	// CacheSize bounds the number of cached lookups. 0 means
	// DefaultCacheSize.
	CacheSize int
	// DisableCache looks every request's key up in the store. It is for
	// comparison and debugging; CacheTTL and CacheSize must then be zero.
	DisableCache bool
	// LookupTimeout bounds one store lookup. A lookup is shared by all the
	// requests waiting for the same key, so it does not end when the
	// request that started it does; each request still stops waiting when
	// its own context ends. 0 means DefaultLookupTimeout.
	LookupTimeout time.Duration

	// Feed, when set, reports the changes made by other instances sharing
	// the database, usually a *changefeed.Feed: the entries of a changed
	// account are dropped within the Feed's poll interval and the poll
	// itself (at once on PostgreSQL), whatever CacheTTL. The application
	// starts and closes the Feed, which may serve several middlewares; it
	// is unused with DisableCache.
	Feed ChangeSource

	// FlushInterval is how often last-use times are written, in one batch.
	// 0 means DefaultFlushInterval.
	FlushInterval time.Duration

	// MaxBodyBytes caps the request body that Require reads for JSONBody
	// attributes; a longer body is answered 413. 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// ErrorHandler writes the response for every rejected request, of
	// Authenticate and of every Require behind it. nil means WriteProblem.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// Logger receives store failures and failed flushes. nil means
	// slog.Default().
	Logger *slog.Logger
	// UnknownKeyLimit, when its Lookups is positive, bounds the store
	// lookups that unknown keys cause per client address: beyond it, a
	// key that is not in the cache is answered 429 (ErrTooManyAttempts,
	// with Retry-After) without asking the store. Off by default; a key
	// found in the cache never consults it. See the package documentation,
	// section Unknown keys.
	UnknownKeyLimit UnknownKeyLimit
	// ClientAddr says which client a request comes from, for
	// UnknownKeyLimit and for the allowed networks of keys that have them
	// (an address it cannot read, the zero Addr, is outside every
	// network); nil means the connection's address
	// (clientaddr.RemoteAddr). Behind a reverse proxy, pass a
	// clientaddr.TrustedProxies' ClientAddr.
	ClientAddr clientaddr.Func

	// RateLimiter enforces the rate limits of keys that have one, by key
	// id (a new key, a rotation's included, starts with a full budget).
	// nil means an in-process ratelimit.Local with its default bounds:
	// limits then hold per process. A shared limiter
	// (ratelimit/redisrate) makes them hold across instances. Keys
	// without a rate limit never reach it.
	RateLimiter ratelimit.Limiter

	// PathValue reads a route's path variable for the PathValue sources of
	// Require and Need, for routers that do not fill r.PathValue
	// (gorilla/mux: mux.Vars(r)[name]; gin and echo keep their own). nil
	// means r.PathValue(name), which net/http's ServeMux (Go 1.22 and
	// later) and chi (v5.0.12 and later) fill. An empty value is a missing
	// resource key, answered 403: a router that fills nothing denies every
	// such route, and the first such denial is logged with a pointer to
	// this field.
	PathValue func(r *http.Request, name string) string

	// TenantFrom, when set, reads the tenant a request is for (see
	// TenantHeader), and every request through Authenticate or Protect
	// is checked right after authentication, before any permission: a
	// malformed id is answered 400 (ErrInvalidTenant), a tenant other
	// than the key's 403 (ErrWrongTenant). ok false (the request names no
	// tenant) means no check: keys are global, and the principal carries
	// the key's tenant for the handler to act in. nil means no request is
	// checked, at the cost of one comparison per request.
	TenantFrom func(r *http.Request) (tenant string, ok bool)

	// MeterProvider receives the middleware's metrics (see the package
	// documentation, section Metrics). nil means the global provider,
	// otel.GetMeterProvider(), which records nothing until the
	// application installs one.
	MeterProvider metric.MeterProvider

	// swept is called after every timed sweep of the cache: a test hook.
	swept func()
}

// Middleware authenticates API keys and carries what Require needs. Build
// it once with New, wrap handlers with Authenticate, and Close it on
// shutdown, after the HTTP server has stopped, so the last uses are
// written.
type Middleware struct {
	mgr       *serviceaccount.Manager
	clock     clockwork.Clock
	realClock bool      // clock is clockwork's real clock: see sinceEpoch
	epoch     time.Time // a reading of clock at New, which reading.mono counts from
	keyPrefix string
	keyLen    int // the length of every key with keyPrefix
	// cache finds entries by the seeded hash of the presented key (see
	// cacheID): nil with DisableCache.
	cache         *otter.Cache[uint64, *entry]
	seed          maphash.Seed
	cacheTTL      time.Duration
	sweepInterval time.Duration
	// swept, when set (by tests), is called after every timed sweep.
	swept         func()
	flights       singleflight.Group
	lookupTimeout time.Duration
	// sharedAttempts is maxSharedAttempts; a field so that a test can
	// reach the fallback lookup it bounds.
	sharedAttempts int
	maxBodyBytes   int64
	onError        func(http.ResponseWriter, *http.Request, error)
	log            *slog.Logger
	storeErrors    storeErrorLog
	metrics        *metrics
	// queryLimit is the query parameter limit Require last read from
	// GODEBUG, and when (see smallQueryLimit).
	queryLimit atomic.Pointer[paramLimit]

	// invalid decides which cached entries changes have outdated: those
	// of the changed account only (see invalidations).
	invalid invalidations

	// closing is set when Close begins: from then on Authenticate answers
	// ErrClosed instead of serving from a cache that soon stops following
	// the Manager's changes.
	closing atomic.Bool

	unknownKeys *unknownKeyLimiter // nil: UnknownKeyLimit is off

	// tenantFrom is Config.TenantFrom: nil for no tenant check.
	tenantFrom func(r *http.Request) (string, bool)
	// clientAddr is Config.ClientAddr, or clientaddr.RemoteAddr.
	clientAddr clientaddr.Func
	// rateLimiter is Config.RateLimiter, or an in-process one.
	rateLimiter ratelimit.Limiter
	// localLimiter is rateLimiter when it is a *ratelimit.Local, whose
	// budgets entries keep (see restrictions.cell); else nil.
	localLimiter *ratelimit.Local
	// epochNano is epoch in Unix nanoseconds: with a request's
	// reading.mono, the time an in-process budget is charged at.
	epochNano int64
	// remoteAddrClient is set when clientAddr is clientaddr.RemoteAddr
	// (Config.ClientAddr nil), whose IPv4 fast path allowsClient takes.
	remoteAddrClient bool

	// pathValue is Config.PathValue: nil for r.PathValue.
	pathValue func(r *http.Request, name string) string
	// emptyPathValueWarned is set once an empty PathValue resource key
	// has been logged (see warnEmptyPathValue).
	emptyPathValueWarned atomic.Bool

	uses            usageRecorder
	unsubscribe     func()
	unsubscribeFeed func()
	stop            chan struct{}
	stopped         chan struct{}
	sweeperStopped  chan struct{}
	closeOnce       sync.Once
	closeErr        error
}

// New checks cfg, fills in its defaults, subscribes to the Manager's
// changes and starts the last-use flusher. Call Close when done.
func New(cfg Config) (*Middleware, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	if cfg.LookupTimeout == 0 {
		cfg.LookupTimeout = DefaultLookupTimeout
	}
	if cfg.FlushInterval == 0 {
		cfg.FlushInterval = DefaultFlushInterval
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.ErrorHandler == nil {
		cfg.ErrorHandler = WriteProblem
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// The length of a key is fixed by its prefix. It is taken from a key
	// of the format rather than written here, so that it follows package
	// apikey.
	sample, err := apikey.Generate(cfg.Manager.KeyPrefix())
	if err != nil {
		return nil, fmt.Errorf("middleware: the Manager's key prefix: %w", err)
	}
	mt, err := newMetrics(cfg.MeterProvider)
	if err != nil {
		return nil, err
	}
	m := &Middleware{
		metrics:        mt,
		mgr:            cfg.Manager,
		clock:          cfg.Manager.Clock(),
		realClock:      reflect.TypeOf(cfg.Manager.Clock()) == realClockType,
		epoch:          cfg.Manager.Clock().Now(),
		keyPrefix:      cfg.Manager.KeyPrefix(),
		keyLen:         len(sample),
		cacheTTL:       cfg.CacheTTL,
		sweepInterval:  sweepInterval(cfg.CacheTTL),
		seed:           maphash.MakeSeed(),
		swept:          cfg.swept,
		lookupTimeout:  cfg.LookupTimeout,
		sharedAttempts: maxSharedAttempts,
		maxBodyBytes:   cfg.MaxBodyBytes,
		onError:        cfg.ErrorHandler,
		pathValue:      cfg.PathValue,
		tenantFrom:     cfg.TenantFrom,
		log:            cfg.Logger,
		stop:           make(chan struct{}),
		stopped:        make(chan struct{}),
		sweeperStopped: make(chan struct{}),
	}
	m.epochNano = m.epoch.UnixNano()
	if m.clientAddr = cfg.ClientAddr; m.clientAddr == nil {
		m.clientAddr, m.remoteAddrClient = clientaddr.RemoteAddr, true
	}
	if m.rateLimiter = cfg.RateLimiter; m.rateLimiter == nil {
		// Its shards' maps are empty until a key with a rate limit
		// arrives.
		local, err := ratelimit.NewLocal(ratelimit.LocalConfig{})
		if err != nil {
			mt.close()
			return nil, fmt.Errorf("middleware: rate limiter: %w", err)
		}
		m.rateLimiter = local
	}
	m.localLimiter, _ = m.rateLimiter.(*ratelimit.Local)
	if cfg.UnknownKeyLimit.Lookups > 0 {
		m.unknownKeys = newUnknownKeyLimiter(cfg.UnknownKeyLimit, cfg.ClientAddr, m.clock)
	}
	if !cfg.DisableCache {
		c, err := otter.New(&otter.Options[uint64, *entry]{
			MaximumSize: cfg.CacheSize,
			// The TTL is checked by fresh, against the clock reading the
			// request takes anyway for expiry: a cache with its own expiry
			// reads the clock again on every hit. So the cache has no
			// expiry, and its clock is never read; the sweeper removes
			// what the TTL outdates (see sweep).
			Clock: stoppedClock{},
			// Whatever removes an entry (the sweeper, an invalidation, the
			// size bound, a replacement, Close), its key leaves with it.
			OnAtomicDeletion: func(d otter.DeletionEvent[uint64, *entry]) { d.Value.forget() },
		})
		if err != nil {
			mt.close()
			return nil, fmt.Errorf("middleware: build cache: %w", err)
		}
		m.cache = c
		m.unsubscribe = managerChanges{cfg.Manager}.Subscribe(cacheSubscriber{m})
		if cfg.Feed != nil {
			m.unsubscribeFeed = cfg.Feed.Subscribe(cacheSubscriber{m})
		}
	}
	// The ticker exists before New returns, so a test that advances a fake
	// clock right after New cannot miss the first flush.
	ticker := m.clock.NewTicker(cfg.FlushInterval)
	go m.flushEvery(ticker, cfg.FlushInterval)
	if m.cache != nil {
		go m.sweepEvery(m.clock.NewTimer(m.sweepInterval))
	} else {
		close(m.sweeperStopped)
	}
	return m, nil
}

func (cfg *Config) validate() error {
	var errs []string
	if cfg.Manager == nil {
		errs = append(errs, "Manager is required")
	}
	if cfg.CacheTTL < 0 {
		errs = append(errs, fmt.Sprintf("CacheTTL is %s; it must be positive, or 0 for the default %s (set DisableCache to turn the cache off)", cfg.CacheTTL, DefaultCacheTTL))
	}
	if cfg.CacheSize < 0 {
		errs = append(errs, fmt.Sprintf("CacheSize is %d; it must be positive, or 0 for the default %d", cfg.CacheSize, DefaultCacheSize))
	}
	if cfg.DisableCache && (cfg.CacheTTL != 0 || cfg.CacheSize != 0) {
		errs = append(errs, "CacheTTL and CacheSize must be 0 when DisableCache is set")
	}
	if cfg.LookupTimeout < 0 {
		errs = append(errs, fmt.Sprintf("LookupTimeout is %s; it must be positive, or 0 for the default %s", cfg.LookupTimeout, DefaultLookupTimeout))
	}
	if cfg.FlushInterval < 0 {
		errs = append(errs, fmt.Sprintf("FlushInterval is %s; it must be positive, or 0 for the default %s", cfg.FlushInterval, DefaultFlushInterval))
	}
	if cfg.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Sprintf("MaxBodyBytes is %d; it must be positive, or 0 for the default %d", cfg.MaxBodyBytes, DefaultMaxBodyBytes))
	}
	errs = append(errs, cfg.UnknownKeyLimit.check()...)
	if len(errs) > 0 {
		return errors.New("middleware: invalid Config: " + strings.Join(errs, "; "))
	}
	return nil
}

// Authenticate is the net/http middleware: mw.Authenticate has the type
// func(http.Handler) http.Handler. It takes the key from
// "Authorization: Bearer <key>" or "X-API-Key: <key>", checks its format,
// looks its hash up (cache first), rejects unknown, deleted and expired
// keys with 401, a store failure with 503, records the use, and calls next
// with the principal in the request context (see FromContext). With
// Config.TenantFrom set, a request naming a malformed tenant or another
// tenant than the key's is refused before next runs. Once Close
// has begun it answers every request 503 (ErrClosed).
//
// A key with restrictions is then checked for its allowed networks (403
// ErrIPNotAllowed). Its rate limit is charged last, after every other
// check of the route: by the Require that next is (write
// mw.Authenticate(mw.Require(…)(h)) per route, or use Protect), after the
// permission and the scopes; when next is anything else (a handler, or a
// mux whose routes may hold Requires), here, after the network check, so
// that a request a Require behind a mux then refuses has been counted.
func (m *Middleware) Authenticate(next http.Handler) http.Handler {
	_, required := next.(*requireHandler)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, at, cr, err := m.authenticate(r)
		m.metrics.authenticated(cr, err)
		if err != nil {
			m.fail(w, r, err)
			return
		}
		if !e.plain {
			if m.tenantFrom != nil {
				if err := m.checkTenant(r, e); err != nil {
					m.refuse(w, r, err)
					return
				}
			}
			if e.principal.restrict != nil {
				m.authenticateRestricted(w, r, e, at, required, next)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(&authContext{Context: r.Context(), e: e, mono: at.mono}))
	})
}

// authenticate returns the entry of the request's key and the clock
// reading that judged it, or why there is none, and what the cache did,
// for the metrics. The key itself is judged by verify, which Verify shares.
func (m *Middleware) authenticate(r *http.Request) (*entry, reading, cacheResult, error) {
	if m.closing.Load() {
		return nil, reading{}, cacheNone, ErrClosed
	}
	key, err := presentedKey(r.Header)
	if err != nil {
		return nil, reading{}, cacheNone, err
	}
	return m.verify(key, r, nil)
}

// keyShaped reports whether key has the length and the prefix of this
// application's keys: what apikey.Parse checks first, without its
// alphabet and checksum checks.
func (m *Middleware) keyShaped(key string) bool {
	n := len(m.keyPrefix)
	return len(key) == m.keyLen && key[n] == '_' && key[:n] == m.keyPrefix
}

// presentedKey returns the key from the Authorization (Bearer scheme) or
// X-API-Key header. A request with both must present the same key in
// each, and neither header may be repeated (ErrAmbiguousCredentials): a
// proxy in front that checks another value than the one used here must
// not be fooled. The headers are read by their canonical names from the
// map, which net/http's server has canonicalised already.
func presentedKey(h http.Header) (string, error) {
	auth, apiKey := h["Authorization"], h["X-Api-Key"]
	if len(auth) > 1 || len(apiKey) > 1 {
		return "", ErrAmbiguousCredentials
	}
	var bearer string
	if len(auth) == 1 {
		const scheme = "Bearer "
		a := auth[0]
		if len(a) > len(scheme) && (a[:len(scheme)] == scheme || strings.EqualFold(a[:len(scheme)], scheme)) {
			if bearer = trimSpace(a[len(scheme):]); bearer == "" {
				return "", ErrMalformedKey
			}
		}
	}
	var header string
	if len(apiKey) == 1 {
		if header = trimSpace(apiKey[0]); header == "" {
			return "", ErrMalformedKey
		}
	}
	switch {
	case bearer != "" && header != "" && bearer != header:
		return "", errTwoKeys
	case bearer != "":
		return bearer, nil
	case header != "":
		return header, nil
	}
	return "", ErrNoCredentials
}

// trimSpace is strings.TrimSpace with a fast path for the usual value,
// which has no surrounding space.
func trimSpace(s string) string {
	if s != "" && s[0] > ' ' && s[len(s)-1] > ' ' {
		return s
	}
	return strings.TrimSpace(s)
}

// Close stops the flusher, writes the last uses recorded so far with ctx,
// and unsubscribes from the Manager. Call it after the HTTP server has shut
// down: from the moment Close begins, Authenticate answers every request
// 503 (ErrClosed), so that no request is served from a cache that no
// longer follows the Manager's changes; the subscription itself ends only
// as Close returns. Later calls return the first call's result.
func (m *Middleware) Close(ctx context.Context) error {
	m.closeOnce.Do(func() {
		m.closing.Store(true)
		defer func() {
			// Last, so that the cache follows the changes for as long as
			// anything may still read it.
			if m.unsubscribe != nil {
				m.unsubscribe()
			}
			if m.unsubscribeFeed != nil {
				m.unsubscribeFeed()
			}
			if m.cache != nil {
				// No request is served any more: the keys leave memory.
				m.cache.InvalidateAll()
				m.cache.StopAllGoroutines()
			}
			m.metrics.close()
		}()
		close(m.stop)
		// A sweep is bounded work in memory, never a store call: no
		// need to stop waiting for it when ctx ends.
		<-m.sweeperStopped
		select {
		case <-m.stopped:
		case <-ctx.Done():
			m.closeErr = fmt.Errorf("middleware: close: waiting for a running flush: %w", ctx.Err())
			return
		}
		if err := m.flush(ctx); err != nil {
			m.closeErr = fmt.Errorf("middleware: close: %w", err)
		}
	})
	return m.closeErr
}

// stoppedClock is the clock of a cache without expiry, which has no use
// for the time. Its nil ticks also mean no clean-up goroutine.
type stoppedClock struct{}

func (stoppedClock) NowNano() int64                      { return 0 }
func (stoppedClock) Tick(time.Duration) <-chan time.Time { return nil }
