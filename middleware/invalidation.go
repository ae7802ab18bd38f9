package middleware

import (
	"encoding/binary"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// invalidationStripes is how many stripes accounts are spread over. An
// invalidation drops the entries of its account and of the accounts that
// share its stripe (one in 4,096 of them): a false drop costs one lookup,
// and a fixed array needs no map of accounts to keep in step with the
// cache's evictions, no lock and no allocation on the request path.
const invalidationStripes = 4096

// invalidations decides which cached entries are outdated. Every
// invalidation takes the next sequence number and raises its stripe (or
// all, or unknown) to it. An entry remembers the sequence number read
// before its lookup began and is current while neither its stripe nor all
// has passed it: a lookup that raced with a change to its account is never
// served, whatever else changed meanwhile.
type invalidations struct {
	seq atomic.Uint64
	// all is raised when every entry is outdated: the feed may have
	// missed changes.
	all atomic.Uint64
	// unknown is the stripe of negative entries (keys the store did not
	// hold), which belong to no account: raised by every change but an
	// account's creation, since a change may create a key.
	unknown atomic.Uint64
	stripes [invalidationStripes]atomic.Uint64
}

// stripe returns the stripe of account id: bits of the random part of a
// UUIDv7 (or v4).
func (inv *invalidations) stripe(id uuid.UUID) *atomic.Uint64 {
	return &inv.stripes[binary.LittleEndian.Uint64(id[8:])%invalidationStripes]
}

// current reports whether an entry loaded at sequence number seq may still
// be served. Two atomic loads; no allocation.
func (inv *invalidations) current(seq uint64, stripe *atomic.Uint64) bool {
	return inv.all.Load() <= seq && stripe.Load() <= seq
}

// account outdates the entries of account id, and the negative ones.
func (inv *invalidations) account(id uuid.UUID) {
	n := inv.seq.Add(1)
	raise(inv.stripe(id), n)
	raise(&inv.unknown, n)
}

// everything outdates every entry.
func (inv *invalidations) everything() {
	raise(&inv.all, inv.seq.Add(1))
}

// raise sets v to n unless it holds a later number already: two
// invalidations of one stripe may store in either order.
func raise(v *atomic.Uint64, n uint64) {
	for {
		old := v.Load()
		if old >= n || v.CompareAndSwap(old, n) {
			return
		}
	}
}

// ChangeSource delivers change notices, in the one shape a cache needs
// (store.ChangeSubscriber): a *changefeed.Feed is one, for the changes of
// other instances sharing the database. The Manager's own changes reach
// the middleware in the same shape (see managerChanges).
type ChangeSource interface {
	Subscribe(s store.ChangeSubscriber) (unsubscribe func())
}

// managerChanges is the Manager as a ChangeSource. Its notices arrive in
// the goroutine of the Manager call that made the change, before that call
// returns, so the next request already misses the cache for that account.
// An account's creation is not passed on: a new account has no keys yet,
// so nothing cached can depend on it.
type managerChanges struct{ mgr *serviceaccount.Manager }

func (c managerChanges) Subscribe(s store.ChangeSubscriber) (unsubscribe func()) {
	return c.mgr.Subscribe(func(ch serviceaccount.Change) {
		switch ch.Kind {
		case serviceaccount.AccountCreated:
		case serviceaccount.PolicyUpdated:
			if ps, ok := s.(store.PolicySubscriber); ok {
				ps.PolicyChanged(ch.Tenant)
			}
		default:
			s.AccountChanged(ch.AccountID)
		}
	})
}

// cacheSubscriber hands change notices, from the Manager or a
// ChangeSource such as the change feed, to the cache.
type cacheSubscriber struct{ m *Middleware }

var _ store.ChangeSubscriber = cacheSubscriber{}

// Both drop the outdated entries at once, after the invalidation stripes
// are raised, so that a deleted or disabled key's plaintext leaves memory
// with the change, not when its TTL passes.
func (s cacheSubscriber) AccountChanged(id uuid.UUID) {
	s.m.invalid.account(id)
	s.m.dropOutdated()
}

func (s cacheSubscriber) AllChanged() {
	s.m.invalid.everything()
	s.m.dropOutdated()
}
