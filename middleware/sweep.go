package middleware

import (
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/maypok86/otter/v2"
)

// maxSweepInterval bounds how long an entry outlives its TTL in memory
// with a long TTL. A sweep walks the whole cache (about a millisecond for
// 10,000 entries), so once a second costs nothing measurable.
const maxSweepInterval = time.Second

// minSweepInterval keeps a tiny TTL from waking the sweeper constantly.
const minSweepInterval = 10 * time.Millisecond

// sweepInterval is how long the sweeper waits between sweeps for a cache
// TTL: a quarter of it, so that an entry leaves memory at most a quarter
// of the TTL (and at most a second) after it stops being served.
func sweepInterval(ttl time.Duration) time.Duration {
	return max(min(ttl/4, maxSweepInterval), minSweepInterval)
}

// sweepEvery runs sweep every interval of the Manager's clock until Close.
// The cache itself has no expiry (see New): the hit path judges the TTL
// with the clock reading it takes anyway, and this removes what the TTL
// has outdated, so that no key stays in memory long after it stopped
// being served. A timer re-armed after each sweep rather than a ticker:
// a fake clock advanced by years fires it once, where it would run a
// ticker's every tick under its lock.
func (m *Middleware) sweepEvery(timer clockwork.Timer) {
	defer close(m.sweeperStopped)
	defer timer.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-timer.Chan():
			m.sweep()
			// Re-armed before the test hook runs, so that a test which
			// advances its fake clock as soon as it hears of a sweep
			// never advances it before the timer is armed again.
			timer.Reset(m.sweepInterval)
			if m.swept != nil {
				m.swept()
			}
		}
	}
}

// sweep removes every entry that may no longer be served: older than the
// TTL, or outdated by a change.
func (m *Middleware) sweep() {
	at := reading{mono: m.sinceEpoch()}
	for id, e := range m.cache.All() {
		if !m.fresh(e, at.age(e)) {
			m.remove(id, e)
		}
	}
	// Run the cache's pending maintenance now, so that its buffers do not
	// keep the removed entries reachable until the next write.
	m.cache.CleanUp()
}

// dropOutdated removes the entries that changes have outdated, at once:
// the change that outdated them has already raised its stripe, so no
// request would be served from them again, and their keys need not wait
// for the sweeper to leave memory.
func (m *Middleware) dropOutdated() {
	if m.cache == nil {
		return
	}
	for id, e := range m.cache.All() {
		if !m.invalid.current(e.generation, e.stripe) {
			m.remove(id, e)
		}
	}
	m.cache.CleanUp()
}

// remove removes e from the cache under id, unless id holds another entry
// by now (a newer lookup's).
func (m *Middleware) remove(id uint64, e *entry) {
	m.cache.ComputeIfPresent(id, func(old *entry) (*entry, otter.ComputeOp) {
		if old != e {
			return old, otter.CancelOp
		}
		return nil, otter.InvalidateOp
	})
}
