package middleware

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// usageRecorder coalesces last-use times. A request updates its cached
// entry with atomics and, the first time in an interval, queues the entry;
// the flusher writes all queued keys in one TouchKeys call per interval.
type usageRecorder struct {
	mu     sync.Mutex
	queued []*entry
	// carried holds times not yet written: a failed batch, kept for the
	// next interval, and the uses of uncached (DisableCache) entries. Unix
	// microseconds by key id.
	carried map[uuid.UUID]int64
}

// touch records that e was used at t, in Unix microseconds. On the hot
// path (a cached key already queued in this interval) it costs an atomic
// load, at most one compare-and-swap, and another atomic load.
func (u *usageRecorder) touch(e *entry, t int64) {
	if !e.cached {
		u.mu.Lock()
		u.carryLocked(e.principal.KeyID, t)
		u.mu.Unlock()
		return
	}
	for {
		old := e.lastUsed.Load()
		if t <= old || e.lastUsed.CompareAndSwap(old, t) {
			break // never moves backwards
		}
	}
	if !e.queued.Load() && e.queued.CompareAndSwap(false, true) {
		u.mu.Lock()
		u.queued = append(u.queued, e)
		u.mu.Unlock()
	}
}

func (u *usageRecorder) carryLocked(keyID uuid.UUID, t int64) {
	if u.carried == nil {
		u.carried = map[uuid.UUID]int64{}
	}
	if t > u.carried[keyID] {
		u.carried[keyID] = t
	}
}

// take empties the recorder into one batch: the latest time per key,
// ordered by key id so that concurrent batches of several processes lock
// rows in the same order.
func (u *usageRecorder) take() []serviceaccount.KeyTouch {
	u.mu.Lock()
	queued, latest := u.queued, u.carried
	u.queued, u.carried = nil, nil
	u.mu.Unlock()
	if latest == nil {
		latest = make(map[uuid.UUID]int64, len(queued))
	}
	for _, e := range queued {
		// Clear the flag before reading the time: a use that lands after
		// the read queues the entry again, so none is lost.
		e.queued.Store(false)
		if t := e.lastUsed.Load(); t > latest[e.principal.KeyID] {
			latest[e.principal.KeyID] = t
		}
	}
	batch := make([]serviceaccount.KeyTouch, 0, len(latest))
	for id, t := range latest {
		batch = append(batch, serviceaccount.KeyTouch{KeyID: id, UsedAt: time.UnixMicro(t).UTC()})
	}
	slices.SortFunc(batch, func(a, b serviceaccount.KeyTouch) int { return bytes.Compare(a.KeyID[:], b.KeyID[:]) })
	return batch
}

// giveBack keeps a batch that could not be written for the next interval,
// merged with the uses recorded meanwhile (the later time wins).
func (u *usageRecorder) giveBack(batch []serviceaccount.KeyTouch) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, t := range batch {
		u.carryLocked(t.KeyID, t.UsedAt.UnixMicro())
	}
}

// flush writes everything recorded so far in one batch. On failure the
// batch is kept for the next flush, not retried here.
func (m *Middleware) flush(ctx context.Context) error {
	batch := m.uses.take()
	if len(batch) == 0 {
		return nil
	}
	err := m.mgr.TouchKeys(ctx, batch)
	m.metrics.flushed(len(batch), err)
	if err != nil {
		m.uses.giveBack(batch)
		return err
	}
	return nil
}

// flushEvery flushes on each tick until Close. A tick that arrives while a
// flush is running is dropped by the ticker, so a slow store never makes
// flushes pile up; a failed flush waits for the next tick.
func (m *Middleware) flushEvery(ticker clockwork.Ticker, interval time.Duration) {
	defer close(m.stopped)
	defer ticker.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-ticker.Chan():
			ctx, cancel := context.WithTimeout(context.Background(), interval)
			err := m.flush(ctx)
			cancel()
			if err != nil {
				m.log.Warn("middleware: writing last-use times failed; keeping them for the next interval",
					"interval", interval, "err", err)
			}
		}
	}
}
