package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// recordsTo is a slog.Handler that hands every record to a channel, so a
// test can wait for what a goroutine logged instead of sleeping.
type recordsTo chan slog.Record

func (h recordsTo) Enabled(context.Context, slog.Level) bool { return true }
func (h recordsTo) Handle(_ context.Context, r slog.Record) error {
	h <- r
	return nil
}
func (h recordsTo) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordsTo) WithGroup(string) slog.Handler      { return h }

func TestAuditRetentionPrunesAtStartAndThenEveryInterval(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New(), Clock: clock})
	require.NoError(t, err)
	// One event per hour, the last one now: at 06:00, 07:00, 08:00, 09:00.
	clock.Advance(-3 * time.Hour)
	a, err := mgr.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "a"})
	require.NoError(t, err)
	for range 3 {
		clock.Advance(time.Hour)
		_, err = mgr.UpdateAccount(t.Context(), a.ID, serviceaccount.AccountInput{Label: "a"})
		require.NoError(t, err)
	}
	count := func() int {
		page, err := mgr.ListAuditEvents(t.Context(), serviceaccount.ListAuditEventsParams{})
		require.NoError(t, err)
		return len(page.Items)
	}
	require.Equal(t, 4, count())

	records := make(recordsTo, 10)
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		pruneAuditEvents(ctx, mgr, clock, 90*time.Minute, time.Hour, slog.New(records))
	}()
	defer func() { cancel(); <-stopped }()

	pruned := func() int64 {
		t.Helper()
		select {
		case r := <-records:
			require.Equal(t, "audit: pruned events", r.Message)
			var n int64
			r.Attrs(func(a slog.Attr) bool {
				if a.Key == "count" {
					n = a.Value.Int64()
				}
				return true
			})
			return n
		case <-t.Context().Done():
			t.Fatal("no prune was logged")
			return 0
		}
	}
	require.EqualValues(t, 2, pruned(), "at start: the events of 06:00 and 07:00 are older than 90 minutes")
	require.Equal(t, 2, count())

	require.NoError(t, clock.BlockUntilContext(t.Context(), 1))
	clock.Advance(time.Hour) // 10:00: the 08:00 event is now too old
	require.EqualValues(t, 1, pruned())
	require.Equal(t, 1, count())
}
