package secretscan

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Defaults of RemoteKeysConfig.
const (
	DefaultMaxAge     = time.Hour
	DefaultRetryAfter = time.Minute
	maxKeysBody       = 1 << 20
)

// RemoteKeysConfig configures RemoteKeys.
type RemoteKeysConfig struct {
	// URL serves keys in GitHub's public_keys shape, for example
	// GitHubKeysURL. Required; https or http.
	URL string
	// Client fetches them (default: a client with a 10-second timeout).
	Client *http.Client
	// Clock decides when the cache is stale (default: the real clock).
	Clock clockwork.Clock
	// MaxAge is how long fetched keys are used before they are fetched
	// again (default DefaultMaxAge).
	MaxAge time.Duration
	// RetryAfter is the least time between two fetches after a failed one
	// or for an unknown identifier (default DefaultRetryAfter), so that
	// reports naming made-up identifiers cannot make us hammer the URL.
	RetryAfter time.Duration
	// Initial keys are used until the first fetch succeeds, for example
	// from a file, so that the URL being down at start loses nothing.
	Initial []PublicKey
	// Logger records failed fetches (default: slog.Default()).
	Logger *slog.Logger
}

// RemoteKeys is a KeySource that fetches the keys from a URL and caches
// them. The keys are fetched when first needed, again when older than
// MaxAge, and early when a report names an identifier the cache lacks
// (GitHub has rotated). A failed fetch keeps the keys already held.
type RemoteKeys struct {
	url        string
	shownURL   string // url without user information or query, for logs and errors
	client     *http.Client
	clock      clockwork.Clock
	maxAge     time.Duration
	retryAfter time.Duration
	log        *slog.Logger

	// mu also serializes fetches: reports are rare, and one fetch serves
	// every report waiting on it.
	mu          sync.Mutex
	keys        map[string]*ecdsa.PublicKey
	fetchedAt   time.Time // last successful fetch; zero: none yet
	attemptedAt time.Time // last fetch, successful or not
	attempted   bool
	lastErr     error
}

// NewRemoteKeys checks cfg and fills in its defaults. It fetches nothing.
func NewRemoteKeys(cfg RemoteKeysConfig) (*RemoteKeys, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("secretscan: the public keys URL must be an absolute http or https URL")
	}
	if cfg.MaxAge < 0 || cfg.RetryAfter < 0 {
		return nil, errors.New("secretscan: MaxAge and RetryAfter must not be negative")
	}
	r := &RemoteKeys{
		url: cfg.URL, shownURL: u.Scheme + "://" + u.Host + u.EscapedPath(), client: cfg.Client, clock: cfg.Clock, log: cfg.Logger,
		maxAge: cfg.MaxAge, retryAfter: cfg.RetryAfter,
	}
	if r.client == nil {
		r.client = &http.Client{Timeout: 10 * time.Second}
	}
	if r.clock == nil {
		r.clock = clockwork.NewRealClock()
	}
	if r.maxAge == 0 {
		r.maxAge = DefaultMaxAge
	}
	if r.retryAfter == 0 {
		r.retryAfter = DefaultRetryAfter
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if len(cfg.Initial) > 0 {
		r.keys = StaticKeys(cfg.Initial).(staticKeys)
	}
	return r, nil
}

// PublicKey implements KeySource.
func (r *RemoteKeys) PublicKey(ctx context.Context, id string) (*ecdsa.PublicKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clock.Now()
	_, known := r.keys[id]
	stale := r.fetchedAt.IsZero() || now.Sub(r.fetchedAt) >= r.maxAge
	mayFetch := !r.attempted || now.Sub(r.attemptedAt) >= r.retryAfter
	if (stale || !known) && mayFetch {
		r.refreshLocked(ctx, now)
	}
	if k, ok := r.keys[id]; ok {
		return k, nil
	}
	if r.keys == nil {
		return nil, fmt.Errorf("%w: %v", ErrKeysUnavailable, r.lastErr)
	}
	return nil, ErrUnknownKey
}

// Refresh fetches the keys now, whatever the cache's age, and reports the
// fetch's error; the keys held are kept if it fails.
func (r *RemoteKeys) Refresh(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refreshLocked(ctx, r.clock.Now())
}

func (r *RemoteKeys) refreshLocked(ctx context.Context, now time.Time) error {
	r.attempted, r.attemptedAt = true, now
	// A report whose sender hung up must not count as a failed fetch and
	// hold every later report back for RetryAfter; the client's own
	// timeout bounds the fetch.
	keys, err := r.fetch(context.WithoutCancel(ctx))
	if err != nil {
		r.lastErr = err
		r.log.WarnContext(ctx, "secret scanning: fetching public keys failed; keeping the keys held",
			"url", r.shownURL, "keys_held", len(r.keys), "error", err)
		return err
	}
	r.keys, r.fetchedAt, r.lastErr = StaticKeys(keys).(staticKeys), now, nil
	return nil
}

func (r *RemoteKeys) fetch(ctx context.Context) ([]PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, fmt.Errorf("secretscan: fetch public keys: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		// net/http's *url.Error quotes the whole URL, whose query may
		// hold a token; name the server without it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("secretscan: fetch public keys from %s: %w", r.shownURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("secretscan: fetch public keys: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKeysBody+1))
	if err != nil {
		return nil, fmt.Errorf("secretscan: fetch public keys: %w", err)
	}
	if len(body) > maxKeysBody {
		return nil, fmt.Errorf("secretscan: fetch public keys: the answer is over %d bytes", maxKeysBody)
	}
	return ParsePublicKeys(body)
}
