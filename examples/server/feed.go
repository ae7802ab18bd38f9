package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/metric"

	"github.com/seed-c7fc2061/serviceaccounts/changefeed"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// newFeed returns the change feed for a database that other instances may
// share (PostgreSQL, MySQL, an SQLite file), so that their changes reach
// this instance's cache within -poll-interval (at once on PostgreSQL,
// unless -poll-only); nil for memory: and sqlite::memory:, which no other
// process can reach. The caller starts and closes it.
func newFeed(cfg config, st store.Store, mp metric.MeterProvider, log *slog.Logger, stdout io.Writer) (*changefeed.Feed, error) {
	if cfg.db == "memory:" || strings.EqualFold(cfg.db, "sqlite::memory:") {
		return nil, nil
	}
	feed, err := changefeed.New(changefeed.Config{
		Store:        st,
		PollInterval: cfg.pollInterval,
		PollOnly:     cfg.pollOnly,
		Logger:       log,
		// serviceaccounts.feed.changes, .lag and .failures, on /metrics.
		MeterProvider: mp,
	})
	if err != nil {
		return nil, err
	}
	how := fmt.Sprintf("polling every %s", cfg.pollInterval)
	if feed.Stats().ListenSupported {
		how += " and listening (PostgreSQL LISTEN/NOTIFY)"
	}
	fmt.Fprintf(stdout, "following changes made by other instances: %s\n", how)
	return feed, nil
}
