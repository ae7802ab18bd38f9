package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
)

// shutdownTimeout bounds how long in-flight requests and the final
// last-used flush may take once a signal arrived.
const shutdownTimeout = 15 * time.Second

func serve(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))

	st, closeStore, err := openStore(ctx, cfg.db)
	if err != nil {
		return err
	}
	defer closeStore()

	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: st})
	if err != nil {
		return err
	}
	mw, err := middleware.New(middleware.Config{
		Manager:       mgr,
		CacheTTL:      cfg.cacheTTL,
		FlushInterval: cfg.flushInterval,
		Logger:        log,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		_ = mw.Close(ctx)
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	srv := &http.Server{
		Handler:           accessLog(log, routes(mgr, mw, cfg.adminToken, log)),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	fmt.Fprintf(stdout, "serviceaccounts example server listening on http://%s (database %s)\n", ln.Addr(), sqlstore.RedactURL(cfg.db))
	if cfg.tokenGenerated {
		fmt.Fprintf(stdout, "admin token (generated, shown once; set -admin-token or ADMIN_TOKEN to choose one): %s\n", cfg.adminToken)
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		_ = mw.Close(context.Background())
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	fmt.Fprintln(stdout, "shutting down: finishing requests and writing last-used times")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	shutdownErr := srv.Shutdown(shutdownCtx)
	// Close after Shutdown: every request that was served has recorded its use.
	closeErr := mw.Close(shutdownCtx)
	if err := errors.Join(shutdownErr, closeErr); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	fmt.Fprintln(stdout, "stopped")
	return nil
}

// openStore opens the store the -db flag names and migrates SQL schemas.
func openStore(ctx context.Context, db string) (serviceaccount.Store, func(), error) {
	if db == "memory:" {
		return memstore.New(), func() {}, nil
	}
	sqlDB, err := sqlstore.OpenDB(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	closeDB := func() { _ = sqlDB.Close() }
	if err := sqlstore.Migrate(ctx, sqlDB); err != nil {
		closeDB()
		return nil, nil, err
	}
	st, err := sqlstore.New(sqlDB)
	if err != nil {
		closeDB()
		return nil, nil, err
	}
	return st, closeDB, nil
}

// accessLog logs one line per request: never headers, so never a key or
// the admin token.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(rec, r)
		log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
