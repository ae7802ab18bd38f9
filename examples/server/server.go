package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/changefeed"
	"github.com/seed-c7fc2061/serviceaccounts/internal/connstr"
	"github.com/seed-c7fc2061/serviceaccounts/internal/lograte"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/ratelimit/redisrate"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	_ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/mysql"    // mysql:// URLs
	_ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/postgres" // postgres:// URLs
	_ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqlite"   // sqlite: URLs
)

// flushTimeout bounds the final last-used flush. It has its own context,
// started after the connections are gone, so that a client stalling
// shutdown can never cost the last uses.
const flushTimeout = 15 * time.Second

// maxHeaderBytes bounds the request line and headers. Keys and tokens are
// short; bodies (up to 1 MiB, admin.MaxBodyBytes and the middleware's
// MaxBodyBytes) are bounded separately and by the read timeout.
const maxHeaderBytes = 64 << 10

func serve(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))

	st, ping, closeStore, err := openStore(ctx, cfg.db)
	if err != nil {
		return err
	}
	defer closeStore()

	mp, metricsHandler, err := newMetrics(cfg.serviceName)
	if err != nil {
		return err
	}
	defer func() { _ = mp.Shutdown(context.Background()) }()

	feed, err := newFeed(cfg, st, mp, log, stdout)
	if err != nil {
		return err
	}
	if cfg.redis != "" {
		limiter, err := newRedisLimiter(cfg.redis, log)
		if err != nil {
			return err
		}
		defer limiter.Close()
		cfg.rateLimiter = limiter
		fmt.Fprintf(stdout, "rate limits: shared through Redis %s\n", connstr.Redact(cfg.redis))
	}
	a, err := newApp(st, cfg, nil, feed, log, operations{metrics: metricsHandler, ping: ping, meterProvider: mp})
	if err != nil {
		return err
	}
	mw := a.mw
	handler := a.handler
	var accessLines *accessLog
	if cfg.accessLog {
		accessLines = newAccessLog(stderr)
		defer accessLines.Close() // on the early returns; after Shutdown otherwise
		if err := countDrops(mp, accessLines); err != nil {
			_ = mw.Close(ctx)
			return err
		}
		handler = accessLines.wrap(handler)
	}
	if feed != nil {
		feed.Start()
		defer feed.Close() // after the middleware's Close: its cache follows the feed to the end
	}
	stopSender, err := startSender(st, a.mgr, log)
	if err != nil {
		_ = mw.Close(ctx)
		return err
	}
	defer stopSender() // before the store closes: sends in flight are recorded

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		_ = mw.Close(ctx)
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	// Every connection is bounded in time, so that slow or idle clients
	// cannot hold file descriptors until the server stops answering.
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.timeouts.readHeader,
		ReadTimeout:       cfg.timeouts.read,
		WriteTimeout:      cfg.timeouts.write,
		IdleTimeout:       cfg.timeouts.idle,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	fmt.Fprintf(stdout, "serviceaccounts example server listening on http://%s (database %s)\n", ln.Addr(), sqlstore.RedactURL(cfg.db))
	fmt.Fprintf(stdout, "admin page: http://%s%s/ (log in with the admin token)\n", ln.Addr(), uiPrefix)
	if cfg.tokenGenerated {
		fmt.Fprintf(stdout, "admin token (generated, shown once; set -admin-token or ADMIN_TOKEN to choose one): %s\n", cfg.adminToken)
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if cfg.auditRetention > 0 {
		pruneCtx, stopPruning := context.WithCancel(ctx)
		pruned := make(chan struct{})
		go func() {
			defer close(pruned)
			pruneAuditEvents(pruneCtx, a.mgr, clockwork.NewRealClock(), cfg.auditRetention, auditPruneInterval, log)
		}()
		// Before the store closes: a prune in progress ends first.
		defer func() { stopPruning(); <-pruned }()
	}

	select {
	case err := <-served:
		_ = mw.Close(context.Background())
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	fmt.Fprintln(stdout, "shutting down: finishing requests and writing last-used times")
	shutdown(srv, cfg.timeouts.shutdown, log)
	// Every request has queued its access log line: write them.
	if accessLines != nil {
		accessLines.Close()
	}
	// Close after the connections are gone: every request that was served
	// has recorded its use. Its context is its own, never one a stalled
	// client has used up.
	flushCtx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	if err := mw.Close(flushCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	fmt.Fprintln(stdout, "stopped")
	return nil
}

// newApp wires a Manager (on clock; nil means the real one), its
// middleware (following feed when not nil, recording into
// ops.meterProvider) and the routes over st, with the operations
// endpoints. The caller closes the middleware.
func newApp(st store.Store, cfg config, clock clockwork.Clock, feed *changefeed.Feed, log *slog.Logger, ops operations) (app, error) {
	policy, err := cfg.policy()
	if err != nil {
		return app{}, err
	}
	hooks, err := webhookClient(cfg)
	if err != nil {
		return app{}, err
	}
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: st, Clock: clock, Policy: policy, WebhookClient: hooks})
	if err != nil {
		return app{}, err
	}
	mw, err := middleware.New(middleware.Config{
		Manager:       mgr,
		CacheTTL:      cfg.cacheTTL,
		FlushInterval: cfg.flushInterval,
		Feed:          feed,
		Logger:        log,
		MeterProvider: ops.meterProvider,
		// Off unless -unknown-key-limit is set.
		UnknownKeyLimit: middleware.UnknownKeyLimit{Lookups: cfg.unknownKeyLookups},
		ClientAddr:      cfg.clientAddr,
		// A protected route's X-Tenant header, when present and not
		// empty, must name the key's tenant (400 invalid_tenant, 403
		// wrong_tenant).
		TenantFrom: middleware.TenantHeader("X-Tenant"),
		// nil (no -redis): each instance limits keys on its own.
		RateLimiter: cfg.rateLimiter,
	})
	if err != nil {
		return app{}, err
	}
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	handler, err := routes(mgr, mw, cfg, clock, log, ops)
	if err != nil {
		_ = mw.Close(context.Background())
		return app{}, err
	}
	return app{handler: handler, mw: mw, mgr: mgr}, nil
}

// redisLogInterval spaces the log lines of Redis failures: during an
// outage every rate-limited request fails over to the in-process limiter.
const redisLogInterval = 10 * time.Second

// newRedisLimiter is the shared rate limiter of -redis. Its errors and log
// lines show the URL with the password masked.
func newRedisLimiter(url string, log *slog.Logger) (*redisrate.Limiter, error) {
	var failures lograte.Limiter // safe for concurrent use
	l, err := redisrate.NewFromURL(url, redisrate.Config{
		OnError: func(err error) {
			suppressed, ok := failures.Allow(time.Now(), redisLogInterval)
			if ok {
				log.Warn("rate limits: Redis failed; limiting in process until it answers",
					"redis", connstr.Redact(url), "err", connstr.Hide(err.Error(), url), "similarFailuresNotLogged", suppressed)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("-redis: %s", connstr.Hide(err.Error(), url))
	}
	return l, nil
}

// app is the server's parts that serve needs after building them.
type app struct {
	handler http.Handler
	mw      *middleware.Middleware // closed at shutdown, writing the last uses
	mgr     *serviceaccount.Manager
}

// shutdown lets the requests in flight finish for up to timeout, then
// closes the connections that are still open (a client sending its body a
// byte at a time, a response nobody reads). A stalled client is not the
// server's failure, so it is logged, not returned.
func shutdown(srv *http.Server, timeout time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	if err == nil {
		return
	}
	log.Warn("shutdown: closing the connections that did not finish in time", "timeout", timeout, "err", err)
	if err := srv.Close(); err != nil {
		log.Warn("shutdown: closing connections", "err", err)
	}
}

// openStore opens the store the -db flag names and migrates SQL schemas.
// ping checks that the store answers, for /readyz.
func openStore(ctx context.Context, db string) (st store.Store, ping func(context.Context) error, closeStore func(), err error) {
	if db == "memory:" {
		return memstore.New(), func(context.Context) error { return nil }, func() {}, nil
	}
	sqlDB, err := sqlstore.OpenDB(ctx, db)
	if err != nil {
		return nil, nil, nil, err
	}
	closeDB := func() { _ = sqlDB.Close() }
	if err := sqlstore.Migrate(ctx, sqlDB); err != nil {
		closeDB()
		return nil, nil, nil, err
	}
	st, err = sqlstore.New(sqlDB)
	if err != nil {
		closeDB()
		return nil, nil, nil, err
	}
	return st, sqlDB.PingContext, closeDB, nil
}

// maxLoggedField bounds each request-supplied field of an access log line:
// a path may be as long as maxHeaderBytes, and twenty of them must not
// grow the log by megabytes.
const maxLoggedField = 256

// clipField cuts s to maxLoggedField bytes, on a character boundary, and
// marks the cut.
func clipField(s string) string {
	if len(s) <= maxLoggedField {
		return s
	}
	cut := maxLoggedField
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
