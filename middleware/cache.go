package middleware

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// maxSharedAttempts bounds how often a request joins a lookup that turns
// out older than a change it must see; after that it looks up on its own.
const maxSharedAttempts = 3

// lookupMiss is verify's lookup without a fresh cached entry. r is the
// request that presented key, or nil outside HTTP, when c says whose key
// it is. With Config.UnknownKeyLimit, the store is asked only when the
// client has lookups of unknown keys left (see unknownKeyLimiter); only
// this path consults it, never a cached key.
func (m *Middleware) lookupMiss(r *http.Request, c *caller, key string, id uint64) (e *entry, cr cacheResult, err error) {
	cr = cacheMiss
	if m.cache == nil {
		cr = cacheNone
	}
	if apikey.Parse(key, m.keyPrefix) != nil {
		return nil, cr, ErrMalformedKey
	}
	if m.unknownKeys != nil {
		client, err := m.unknownKeys.reserve(c.clientOf(r, m.unknownKeys.clientAddr))
		if err != nil {
			return nil, cr, err
		}
		defer func() { m.unknownKeys.settle(client, e != nil && !e.unknown) }()
	}
	ctx := c.contextOf(r)
	h := apikey.HashKey(key)
	if m.cache == nil {
		ctx, cancel := context.WithTimeout(ctx, m.lookupTimeout)
		defer cancel()
		e, err := m.load(ctx, h)
		return e, cr, err
	}
	e, err = m.lookupShared(ctx, h, cachedKey{key: key, id: id})
	return e, cr, err
}

// fresh reports whether a cached entry of the given age may serve a
// request: no change to its account (or, for a negative entry, no change
// that may have created a key) has been announced since its lookup began,
// and it is younger than the TTL.
//
// The age is a difference of monotonic readings on the real clock (see
// reading), so stepping the wall clock back (NTP, an operator) cannot
// keep an entry, perhaps of a key another process revoked, beyond the TTL.
// A clock without monotonic readings (a fake one) can go back: a negative
// age is then taken as stale too.
func (m *Middleware) fresh(e *entry, age time.Duration) bool {
	return m.invalid.current(e.generation, e.stripe) && age >= 0 && age < m.cacheTTL
}

// lookupShared is the miss path, kept out of lookup so that the hot path
// does not pay for the closure and the flight key.
func (m *Middleware) lookupShared(ctx context.Context, h apikey.Hash, ck cachedKey) (*entry, error) {
	// Every change announced before this point must be seen: a lookup
	// that began after it has, and so has one whose account no change
	// has outdated since it began.
	seq := m.invalid.seq.Load()
	flightKey := string(h[:])
	for range m.sharedAttempts {
		ch := m.flights.DoChan(flightKey, func() (any, error) {
			return m.loadShared(ctx, h, ck)
		})
		select {
		case res := <-ch:
			if res.Err != nil {
				return nil, res.Err
			}
			if e := res.Val.(*entry); e.generation >= seq || m.invalid.current(e.generation, e.stripe) {
				return e, nil
			}
			// Joined a lookup that started before a change to its
			// account that this request must see; join or start the
			// next one.
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	// Reached only while changes to the key's account keep coming faster
	// than lookups end; bounded all the same, and this lookup's result
	// is served even if outdated again, as any lookup racing a change
	// may be.
	ctx, cancel := context.WithTimeout(ctx, m.lookupTimeout)
	defer cancel()
	return m.load(ctx, h)
}

// loadShared runs once per key for all waiting requests. It keeps running
// when the request that started it goes away (the others still wait for
// it), bounded by LookupTimeout instead.
func (m *Middleware) loadShared(ctx context.Context, h apikey.Hash, ck cachedKey) (*entry, error) {
	// A request that missed the cache just before the previous lookup of
	// this key stored its result starts a new flight; it finds that result
	// here instead of looking the key up again.
	if e, ok := m.cache.GetIfPresent(ck.id); ok && e.confirms(ck.key) && m.fresh(e, reading{mono: m.sinceEpoch()}.age(e)) {
		return e, nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.lookupTimeout)
	defer cancel()
	e, err := m.load(ctx, h)
	if err != nil {
		return nil, err
	}
	if !e.unknown {
		e.held.Store(newHeldKey(ck.key))
	}
	m.cache.Set(ck.id, e)
	// A change announced while the lookup ran outdates the entry. The
	// change's removal (dropOutdated) may have passed before the entry was
	// stored: the entry, and its key, must not wait for the sweeper. The
	// change raises its stripe before it removes, so either that removal
	// sees the entry or this check sees the change.
	if !m.invalid.current(e.generation, e.stripe) {
		m.remove(ck.id, e)
	}
	return e, nil
}

// cachedKey is a presented key with its cache id (see cacheID).
type cachedKey struct {
	key string
	id  uint64
}

// load asks the store. Not found becomes a negative entry; any other error
// is a store failure. The entry's age counts from before the lookup, so
// the TTL bounds how old the data can be, not how long it has been cached;
// and its sequence number is read before the lookup too, so that a change
// announced while it ran outdates it.
func (m *Middleware) load(ctx context.Context, h apikey.Hash) (*entry, error) {
	seq := m.invalid.seq.Load()
	loadedAt := m.clock.Now()
	c, err := m.mgr.LookupKey(ctx, h)
	took := m.clock.Since(loadedAt)
	if errors.Is(err, store.ErrNotFound) {
		m.metrics.lookedUp(took, lookupNotFound)
		e := &entry{mw: m, generation: seq, stripe: &m.invalid.unknown, unknown: true}
		e.setLoadedAt(loadedAt)
		return e, nil
	}
	if err != nil {
		m.metrics.lookedUp(took, lookupError)
		return nil, err
	}
	m.metrics.lookedUp(took, lookupFound)
	return m.newEntry(seq, loadedAt, c), nil
}
