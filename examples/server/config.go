package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/changefeed"
	"github.com/seed-c7fc2061/serviceaccounts/clientaddr"
	"github.com/seed-c7fc2061/serviceaccounts/ratelimit"
	"github.com/seed-c7fc2061/serviceaccounts/secretscan"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

type config struct {
	addr           string
	db             string
	adminToken     string
	tokenGenerated bool
	flushInterval  time.Duration
	cacheTTL       time.Duration
	accessLog      bool
	pollInterval   time.Duration
	pollOnly       bool
	timeouts       timeouts
	maxKeys        int
	maxKeyLifetime time.Duration
	auditRetention time.Duration
	// trustedProxies is -trusted-proxies as given; clientAddr reads the
	// client address through those proxies (the connection's without).
	trustedProxies string
	clientAddr     clientaddr.Func
	// unknownKeyLookups is -unknown-key-limit: the store lookups of
	// unknown keys one client may cause per minute (0: no bound).
	unknownKeyLookups int
	// gcPercent is -gc-percent: the GC target unless GOGC or GOMEMLIMIT is set.
	gcPercent int
	// redis is -redis: the Redis URL of the shared rate limiter ("" keeps
	// the keys' rate limits in process, per instance). rateLimiter is the
	// limiter serve builds from it, nil for the middleware's own.
	redis       string
	rateLimiter ratelimit.Limiter
	// serviceName is -service-name: the service.name of the metrics'
	// resource (target_info on /metrics).
	serviceName string
	// secretScanningKeysFile and secretScanningKeysURL are
	// -secret-scanning-keys and -secret-scanning-keys-url; with either,
	// POST /secret-scanning answers leak reports signed by one of the
	// keys read from the file (secretScanningKeys) or fetched from the URL.
	secretScanningKeysFile string
	secretScanningKeysURL  string
	secretScanningKeys     []secretscan.PublicKey
	// webhooksAllowPrivate is -webhooks-allow-private.
	webhooksAllowPrivate bool
}

// timeouts bound how long a client may hold a connection; see the flags.
type timeouts struct {
	readHeader, read, write, idle, shutdown time.Duration
}

// minAdminTokenLength keeps a guessable token from guarding the admin API.
const minAdminTokenLength = 16

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "listen `address`")
	fs.StringVar(&cfg.db, "db", "sqlite:serviceaccounts.db", "database: memory:, sqlite:PATH, postgres://…, mysql://user:pass@host:port/db")
	fs.StringVar(&cfg.adminToken, "admin-token", "", "bearer `token` for /admin (default $ADMIN_TOKEN; if both are empty, a random token is generated and printed)")
	fs.DurationVar(&cfg.flushInterval, "flush-interval", time.Minute, "how often last-used times are written")
	fs.BoolVar(&cfg.accessLog, "access-log", true, "log one line per request to standard error (written in batches, off the request's path)")
	fs.DurationVar(&cfg.cacheTTL, "cache-ttl", 10*time.Second, "how long a key lookup is reused (changes made by other processes take this long to be seen)")
	fs.IntVar(&cfg.maxKeys, "max-keys", serviceaccount.DefaultMaxKeysPerAccount, "most unexpired keys an account may hold (0: no limit); a rotation with a grace period may go one key over it")
	fs.DurationVar(&cfg.maxKeyLifetime, "max-key-lifetime", 0, "longest a new key may live, such as 2160h (0: unlimited); when set, every new key needs an expiry within it")
	fs.DurationVar(&cfg.timeouts.readHeader, "read-header-timeout", 10*time.Second, "how long a client may take to send a request's headers")
	fs.DurationVar(&cfg.timeouts.read, "read-timeout", 30*time.Second, "how long a client may take to send a whole request, body included (a 1 MiB body at 35 KiB/s)")
	fs.DurationVar(&cfg.timeouts.write, "write-timeout", 30*time.Second, "how long a request may take from the end of its headers to the end of its response")
	fs.DurationVar(&cfg.timeouts.idle, "idle-timeout", 60*time.Second, "how long an idle keep-alive connection stays open")
	fs.DurationVar(&cfg.timeouts.shutdown, "shutdown-timeout", 15*time.Second, "how long shutdown waits for requests in flight before closing their connections")
	fs.DurationVar(&cfg.auditRetention, "audit-retention", 0, "how long audit events are kept, pruned hourly (0 keeps them forever)")
	fs.DurationVar(&cfg.pollInterval, "poll-interval", changefeed.DefaultPollInterval, "how often the change log is read for changes made by other instances sharing the database")
	fs.StringVar(&cfg.trustedProxies, "trusted-proxies", "", "`CIDR,…` of the reverse proxies in front: from them, the client address is read from X-Forwarded-For (from the right, skipping these ranges); used by the admin throttle, -unknown-key-limit and the keys' allowed networks")
	fs.IntVar(&cfg.unknownKeyLookups, "unknown-key-limit", 0, "store lookups of unknown API keys one client address may cause per minute; beyond it, 429 with Retry-After (0: no bound)")
	fs.BoolVar(&cfg.pollOnly, "poll-only", false, "never LISTEN on PostgreSQL, only poll (for PgBouncer in transaction mode)")
	fs.IntVar(&cfg.gcPercent, "gc-percent", defaultGCPercent, "garbage-collection target, as GOGC (Go's default is 100; a server with a small live heap spends less CPU at 400); ignored when the GOGC or GOMEMLIMIT environment variable is set")
	fs.StringVar(&cfg.secretScanningKeysFile, "secret-scanning-keys", "", "`FILE` of the public keys that sign leak reports, in GitHub's public_keys JSON shape; with it, POST /secret-scanning disables each reported key")
	fs.StringVar(&cfg.secretScanningKeysURL, "secret-scanning-keys-url", "", "`URL` to fetch (hourly, and early for an unknown key identifier) the public keys that sign leak reports, such as "+secretscan.GitHubKeysURL+"; the keys of -secret-scanning-keys serve until the first fetch succeeds")
	fs.BoolVar(&cfg.webhooksAllowPrivate, "webhooks-allow-private", false, "let webhooks point at loopback, private, link-local and CGNAT addresses (refused by default, at creation and at every delivery)")
	fs.StringVar(&cfg.redis, "redis", "", "`URL` of a Redis (redis://[user:password@]host[:port][/db]) that shares the API keys' rate limits between instances (default: each instance limits on its own)")
	fs.StringVar(&cfg.serviceName, "service-name", defaultServiceName, "the service.name of the metrics (target_info on /metrics), to tell this deployment's series from others'")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, errUsage
		}
		return config{}, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return config{}, errUsage
	}
	if err := cfg.complete(getenv); err != nil {
		fmt.Fprintln(stderr, err)
		fs.Usage()
		return config{}, errUsage
	}
	return cfg, nil
}

func (cfg *config) complete(getenv func(string) string) error {
	if _, _, err := net.SplitHostPort(cfg.addr); err != nil {
		return fmt.Errorf("-addr %q: want host:port, like 127.0.0.1:8080", cfg.addr)
	}
	if cfg.flushInterval <= 0 {
		return fmt.Errorf("-flush-interval %s: must be positive", cfg.flushInterval)
	}
	if cfg.cacheTTL <= 0 {
		return fmt.Errorf("-cache-ttl %s: must be positive", cfg.cacheTTL)
	}
	if strings.TrimSpace(cfg.serviceName) == "" {
		return errors.New("-service-name: must not be empty")
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{
		{"read-header-timeout", cfg.timeouts.readHeader}, {"read-timeout", cfg.timeouts.read},
		{"write-timeout", cfg.timeouts.write}, {"idle-timeout", cfg.timeouts.idle},
		{"shutdown-timeout", cfg.timeouts.shutdown},
	} {
		if d.v <= 0 {
			return fmt.Errorf("-%s %s: must be positive", d.flag, d.v)
		}
	}
	if cfg.maxKeys < 0 {
		return fmt.Errorf("-max-keys %d: must be 0 (no limit) or positive", cfg.maxKeys)
	}
	if _, err := cfg.policy(); err != nil {
		return fmt.Errorf("-max-key-lifetime %s: %w", cfg.maxKeyLifetime, err)
	}
	if cfg.auditRetention < 0 {
		return fmt.Errorf("-audit-retention %s: must be 0 (keep forever) or positive", cfg.auditRetention)
	}
	if cfg.pollInterval <= 0 {
		return fmt.Errorf("-poll-interval %s: must be positive", cfg.pollInterval)
	}
	if 10*cfg.pollInterval > changefeed.DefaultRetention {
		return fmt.Errorf("-poll-interval %s: must be at most a tenth of the change log's retention (%s)", cfg.pollInterval, changefeed.DefaultRetention)
	}
	cfg.clientAddr = clientaddr.RemoteAddr
	if cfg.trustedProxies != "" {
		ranges, err := clientaddr.ParseRanges(cfg.trustedProxies)
		if err != nil {
			return fmt.Errorf("-trusted-proxies: %w", err)
		}
		proxies, err := clientaddr.NewTrustedProxies(ranges)
		if err != nil {
			return fmt.Errorf("-trusted-proxies: %w", err)
		}
		cfg.clientAddr = proxies.ClientAddr
	}
	if cfg.unknownKeyLookups < 0 {
		return fmt.Errorf("-unknown-key-limit %d: must be 0 (no bound) or positive", cfg.unknownKeyLookups)
	}
	if cfg.gcPercent <= 0 {
		return fmt.Errorf("-gc-percent %d: must be positive (set GOGC=off in the environment to turn the collector off)", cfg.gcPercent)
	}
	if err := cfg.readSecretScanningKeys(); err != nil {
		return err
	}
	if cfg.db == "" {
		return errors.New("-db: must not be empty (use memory: for an in-memory store)")
	}
	if cfg.adminToken == "" {
		cfg.adminToken = getenv("ADMIN_TOKEN")
	}
	if cfg.adminToken == "" {
		cfg.adminToken = "adm_" + rand.Text()
		cfg.tokenGenerated = true
	}
	if len(cfg.adminToken) < minAdminTokenLength {
		// Never echo the token: say only what is wrong with it.
		return fmt.Errorf("admin token: must be at least %d characters", minAdminTokenLength)
	}
	return nil
}

// policy is the key policy the flags ask for, checked as NewManager will
// check it.
func (cfg *config) policy() (serviceaccount.Policy, error) {
	p := serviceaccount.Policy{MaxKeysPerAccount: cfg.maxKeys, MaxKeyLifetime: cfg.maxKeyLifetime}
	if cfg.maxKeys == 0 {
		p.MaxKeysPerAccount = serviceaccount.NoKeyLimit
	}
	if err := serviceaccount.CheckPolicy(p); err != nil {
		var verr *serviceaccount.ValidationError
		if errors.As(err, &verr) && len(verr.Fields) > 0 {
			return p, errors.New(verr.Fields[0].Message)
		}
		return p, err
	}
	return p, nil
}

// readSecretScanningKeys reads -secret-scanning-keys and checks
// -secret-scanning-keys-url, so that a bad file or URL stops the server
// at start rather than failing every report.
func (cfg *config) readSecretScanningKeys() error {
	if cfg.secretScanningKeysFile != "" {
		data, err := os.ReadFile(cfg.secretScanningKeysFile)
		if err != nil {
			return fmt.Errorf("-secret-scanning-keys: %w", err)
		}
		if cfg.secretScanningKeys, err = secretscan.ParsePublicKeys(data); err != nil {
			return fmt.Errorf("-secret-scanning-keys %s: %w", cfg.secretScanningKeysFile, err)
		}
	}
	if cfg.secretScanningKeysURL != "" {
		if _, err := secretscan.NewRemoteKeys(secretscan.RemoteKeysConfig{URL: cfg.secretScanningKeysURL}); err != nil {
			return fmt.Errorf("-secret-scanning-keys-url: %w", err)
		}
	}
	return nil
}
