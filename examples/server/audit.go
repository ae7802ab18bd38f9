package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// auditPruneInterval is how often -audit-retention is applied.
const auditPruneInterval = time.Hour

// pruneAuditEvents deletes the audit events older than retention, at once
// and then every interval, until ctx ends. A failed prune is logged and
// tried again at the next tick: keeping events too long is the safe side.
func pruneAuditEvents(ctx context.Context, mgr *serviceaccount.Manager, clock clockwork.Clock, retention, interval time.Duration, log *slog.Logger) {
	ticker := clock.NewTicker(interval)
	defer ticker.Stop()
	for {
		before := clock.Now().Add(-retention)
		n, err := mgr.PruneAuditEvents(ctx, before)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("audit: prune failed; retrying at the next interval", "error", err)
		case n > 0:
			log.Info("audit: pruned events", "count", n, "before", before.UTC().Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.Chan():
		}
	}
}
