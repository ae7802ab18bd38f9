package middleware

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// Principal is the authenticated caller: a service account acting through
// one of its keys. It never holds the key or its hash.
type Principal struct {
	// Tenant is the tenant of the key's account.
	Tenant    string
	AccountID uuid.UUID
	KeyID     uuid.UUID
	// Label is the account's label, for "who am I" answers and logs.
	Label string
	// KeyHint is the key's non-secret hint, like "sa_AbCd…wxyz".
	KeyHint string
	// ExpiresAt is when the key stops working; zero if it never expires.
	ExpiresAt time.Time
	// Permissions are the account's permissions, compiled. The set is
	// immutable and shared by every request of the key.
	Permissions *permission.Set
	// Metadata and AccountMetadata are the key's and its account's
	// metadata (nil when none), shared by every request of the key: read
	// them, never modify them.
	Metadata        metadata.Map
	AccountMetadata metadata.Map

	// restrict is the key's restrictions, compiled; nil when it has none.
	// Allows and Middleware.Authorize apply its scopes.
	restrict *restrictions
}

// Allows reports whether the principal may act on the resource with the
// given attributes, for handlers that check more than their route's
// Require does: the account's permissions must allow it and, when the key
// has scopes, one of them must cover it.
func (p *Principal) Allows(resourceType, resourceKey, action string, attrs limiter.Attributes) bool {
	return p.Permissions.Allows(resourceType, resourceKey, action, attrs) &&
		(p.restrict == nil || p.restrict.inScope(resourceType, resourceKey, action) == nil)
}

// Restricted reports whether the key has any restriction (allowed
// networks, scopes or a rate limit).
func (p *Principal) Restricted() bool { return p.restrict != nil }

type ctxKey struct{}

// authContextKey finds the *authContext itself in a context derived from
// it (see chargeLater).
type authContextKey struct{}

// authContext is the context Authenticate hands on: the request's context,
// the entry of its key and the monotonic clock reading that judged the
// key. It is the one allocation context.WithValue would make, of the same
// size, and it lets Require (directly behind Authenticate, as usual) take
// both with a type assertion: no walk of the context chain, and no second
// clock reading. Value answers ctxKey{} as context.WithValue would, so
// FromContext works on any context derived from it.
type authContext struct {
	context.Context
	e    *entry
	mono time.Duration
	// chargeLater is set when the key has a rate limit to charge and a
	// Require directly behind Authenticate charges it, after its own
	// checks.
	chargeLater bool
}

func (c *authContext) Value(key any) any {
	switch key {
	case ctxKey{}:
		return c.e
	case authContextKey{}:
		return c
	}
	return c.Context.Value(key)
}

func (c *authContext) String() string {
	return fmt.Sprint(c.Context) + ".WithValue(middleware principal)"
}

// requestEntry returns the entry Authenticate put in r's context, and the
// monotonic clock reading that judged it (reading.mono): read again when
// a handler between Authenticate and Require replaced the context.
func requestEntry(r *http.Request) (*entry, time.Duration, bool) {
	if c, ok := r.Context().(*authContext); ok {
		return c.e, c.mono, true
	}
	e, ok := r.Context().Value(ctxKey{}).(*entry)
	if !ok {
		return nil, 0, false
	}
	return e, e.mw.sinceEpoch(), true
}

// FromContext returns the principal that Authenticate put in ctx. It
// returns a copy, so a handler cannot change what later requests of the
// same key see.
func FromContext(ctx context.Context) (Principal, bool) {
	e, ok := ctx.Value(ctxKey{}).(*entry)
	if !ok {
		return Principal{}, false
	}
	return e.principal, true
}

// entry is one lookup's result: a principal or, for a key the store does
// not hold, a negative entry. Cached entries are shared by every request of
// their key and never change after they are built, except for the use
// record.
type entry struct {
	mw         *Middleware    // for Require: error handler, logger, body cap
	generation uint64         // the invalidation sequence number read before the lookup
	stripe     *atomic.Uint64 // the invalidation stripe of the entry's account
	// loadedMono and loadedMicro are the Manager's clock before the
	// lookup: its time since the Middleware's epoch (see reading.mono),
	// which the entry's age counts from, and its wall time in Unix
	// microseconds, which the use record counts from (see
	// reading.unixMicro).
	loadedMono  time.Duration
	loadedMicro int64
	unknown     bool // a negative entry
	// held is the key a cached positive entry was looked up for, which
	// confirms its hits (see confirms); nil once the entry has left the
	// cache (forget), and always for negative and uncached entries.
	held atomic.Pointer[heldKey]
	// keyDisabled and accountDisabled refuse the key while they hold; a
	// change through the Manager drops the entry, so enabling takes
	// effect on the next request too.
	keyDisabled, accountDisabled bool
	principal                    Principal
	// plain is set when a request of the key needs neither a tenant check
	// (the Middleware has no Config.TenantFrom) nor a check of
	// restrictions (the key has none): Authenticate and Protect then test
	// this one flag, where they would test both.
	plain bool

	// cached is false for the per-request entries of DisableCache; their
	// uses go through the recorder's map instead of the flags below.
	cached bool
	// lastUsed is the latest use, in Unix microseconds; it only grows.
	lastUsed atomic.Int64
	// queued is set when the entry joins the recorder's queue and cleared
	// when a flush takes it: one queue slot per key per interval.
	queued atomic.Bool
}

func (m *Middleware) newEntry(generation uint64, loadedAt time.Time, c serviceaccount.Credential) *entry {
	if c.Key.Expired(loadedAt) || c.Key.Disabled() || c.Account.Disabled() {
		// A key refused anyway gets no compiled permissions: it never
		// reaches Require, and skipping the work keeps the refusal of an
		// expired key close in time to that of an unknown one. Expired
		// stays expired (the clock only moves on); a disabled entry is
		// dropped when it is enabled, like every cached entry.
		e := &entry{
			mw: m, generation: generation, stripe: m.invalid.stripe(c.Account.ID), cached: m.cache != nil,
			keyDisabled: c.Key.Disabled(), accountDisabled: c.Account.Disabled(),
			principal: Principal{ExpiresAt: *cmp.Or(c.Key.ExpiresAt, &time.Time{})},
		}
		e.setLoadedAt(loadedAt)
		return e
	}
	e := &entry{
		mw:              m,
		generation:      generation,
		stripe:          m.invalid.stripe(c.Account.ID),
		cached:          m.cache != nil,
		keyDisabled:     c.Key.Disabled(),
		accountDisabled: c.Account.Disabled(),
		principal: Principal{
			// A store that predates tenants leaves the tenant empty:
			// all its accounts are in the default tenant.
			Tenant:          cmp.Or(c.Account.Tenant, store.DefaultTenant),
			AccountID:       c.Account.ID,
			KeyID:           c.Key.ID,
			Label:           c.Account.Label,
			KeyHint:         c.Key.Hint,
			Permissions:     permission.NewSet(c.Permissions),
			Metadata:        c.Key.Metadata,
			AccountMetadata: c.Account.Metadata,
			restrict:        compileRestrictions(&c.Key, m.localLimiter, loadedAt),
		},
	}
	e.plain = m.tenantFrom == nil && e.principal.restrict == nil
	if c.Key.ExpiresAt != nil {
		e.principal.ExpiresAt = *c.Key.ExpiresAt
	}
	e.setLoadedAt(loadedAt)
	return e
}

// setLoadedAt records that e's lookup began at t, a reading of the
// Manager's clock.
func (e *entry) setLoadedAt(t time.Time) {
	e.loadedMono = t.Sub(e.mw.epoch)
	e.loadedMicro = t.UnixMicro()
}
