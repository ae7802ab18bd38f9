package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"

	"github.com/seed-c7fc2061/serviceaccounts/clientaddr"
)

// Verify checks a key presented outside HTTP, as Authenticate checks the
// key of a request: for a gRPC interceptor, a queue consumer, a WebSocket
// message. It shares everything with Authenticate: the cache (a key
// verified here is warm for HTTP requests and the other way round), the
// format and expiry checks, the record of the key's last use, the
// serviceaccounts.authentications and cache metrics, and the refusals,
// which are the same errors: errors.Is(err, ErrUnknownKey),
// ErrExpiredKey, ErrDisabledKey, ErrDisabledAccount, ErrMalformedKey,
// ErrNoCredentials (an empty key), ErrStoreUnavailable (wrapping the store
// error: fail closed), ErrTooManyAttempts and ErrClosed once Close has
// begun. StatusOf and CodeOf map them as for HTTP; a gRPC server would
// answer Unauthenticated or Unavailable. No error holds the key.
//
// key is the key itself, without a "Bearer " scheme. ctx bounds the wait
// for a store lookup, as a request's context does. With
// Config.UnknownKeyLimit, the lookups of unknown keys that Verify causes
// are counted as one client, whichever caller presents them (it cannot
// tell them apart): use VerifyFrom to count them by the caller's address.
//
// It returns a copy of the principal: changing it changes nothing for
// later calls.
func (m *Middleware) Verify(ctx context.Context, key string) (Principal, error) {
	return m.VerifyFrom(ctx, key, netip.Addr{})
}

// VerifyFrom is Verify for a caller whose address is known (a gRPC peer),
// by which Config.UnknownKeyLimit counts the lookups of unknown keys.
// The zero Addr is one client of its own, shared by every caller that
// gives it.
//
// A key with restrictions is then checked as a route without a permission
// checks it: its allowed networks against client (the zero Addr is outside
// every network, so a key with allowed networks needs VerifyFrom:
// ErrIPNotAllowed), and one request charged to its rate limit
// (ErrRateLimited, a *RateLimitedError). Its scopes apply in Authorize and
// Principal.Allows.
func (m *Middleware) VerifyFrom(ctx context.Context, key string, client netip.Addr) (Principal, error) {
	e, cr, err := m.verifyCall(ctx, key, client)
	m.metrics.authenticated(cr, err)
	if err != nil {
		return Principal{}, err
	}
	if s := e.principal.restrict; s != nil {
		if err := m.verifyRestricted(ctx, s, client); err != nil {
			m.metrics.authorized(err)
			return Principal{}, err
		}
	}
	return e.principal, nil
}

// verifyRestricted is VerifyFrom's check of a key's restrictions: the
// network, then the rate limit.
func (m *Middleware) verifyRestricted(ctx context.Context, s *restrictions, client netip.Addr) error {
	if !s.allowsFrom(client) {
		return ErrIPNotAllowed
	}
	return m.charge(ctx, s, m.sinceEpoch())
}

func (m *Middleware) verifyCall(ctx context.Context, key string, client netip.Addr) (*entry, cacheResult, error) {
	if ctx == nil {
		return nil, cacheNone, errors.New("middleware: Verify with a nil context")
	}
	if m.closing.Load() {
		return nil, cacheNone, ErrClosed
	}
	if key == "" {
		return nil, cacheNone, ErrNoCredentials
	}
	e, _, cr, err := m.verify(key, nil, &caller{ctx: ctx, client: client})
	return e, cr, err
}

// verify judges a presented key: Authenticate's and Verify's one check.
// r is the HTTP request that presented it, or nil outside HTTP, when c
// gives the context and the client instead. It returns the key's entry
// and the clock reading that judged it, or why there is none, and what
// the cache did, for the metrics; it records the use of a key it accepts.
//
// The cache finds an entry by a per-process seeded hash of the key and
// confirms it against the key itself in constant time (entry.confirms), so
// a hit costs no SHA-256: the key is hashed with SHA-256 only on a miss,
// to ask the store, which holds only hashes. An entry is served when it is
// younger than the TTL and no change has outdated it; otherwise one lookup
// is shared by all the callers missing the same key. A store error is
// returned, never cached. One clock reading judges the TTL, the key's
// expiry and its use (monotonic alone for a cached refusal, which needs
// only its age, and for a key that never expires: see readClock).
//
// The length and prefix are checked before any hashing: a string of the
// wrong shape (up to the server's header limit) costs a comparison, not a
// SHA-256. The rest of the format (apikey.Parse: alphabet, checksum) is
// checked only on a miss, before any store work: a hit proves the format
// already, since only well-formed keys are ever cached. Junk of the right
// shape therefore costs a seeded hash, a cache miss and a Parse, and never
// reaches the store nor the cache.
func (m *Middleware) verify(key string, r *http.Request, c *caller) (*entry, reading, cacheResult, error) {
	if !m.keyShaped(key) {
		return nil, reading{}, cacheNone, ErrMalformedKey
	}
	var (
		e  *entry
		cr cacheResult
		at reading
		id uint64
	)
	if m.cache != nil {
		id = m.cacheID(key)
		if ce, ok := m.cache.GetIfPresent(id); ok && ce.confirms(key) {
			if ce.unknown {
				// A refused key needs only the entry's age.
				if at = (reading{mono: m.sinceEpoch()}); m.fresh(ce, at.age(ce)) {
					return nil, at, cacheNegativeHit, ErrUnknownKey
				}
			} else if at = m.readClock(ce); m.fresh(ce, at.age(ce)) {
				e, cr = ce, cacheHit
			}
		}
	}
	if e == nil {
		at = m.fullReading()
		var err error
		if e, cr, err = m.lookupMiss(r, c, key, id); err != nil {
			if err == ErrMalformedKey || errors.Is(err, ErrTooManyAttempts) {
				return nil, at, cr, err
			}
			m.logStoreError(c.contextOf(r), r, err)
			return nil, at, cr, fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
		}
		if e.unknown {
			return nil, at, cr, ErrUnknownKey
		}
	}
	// The account first: disabling an account is the broader decision,
	// and its code tells the caller that no key of it will work.
	if e.accountDisabled {
		return nil, at, cr, ErrDisabledAccount
	}
	if e.keyDisabled {
		return nil, at, cr, ErrDisabledKey
	}
	// Expiry is judged on every request, cached or not, as
	// apikey.Key.Expired judges it: the expiry instant itself is expired.
	if at.expired(e) {
		return nil, at, cr, ErrExpiredKey
	}
	m.uses.touch(e, at.unixMicro(e))
	return e, at, cr, nil
}

// caller is who presented a key outside HTTP (Verify): the context that
// bounds its wait and the address UnknownKeyLimit counts it by. A nil
// *caller stands for the HTTP request itself, so that Authenticate's hot
// path builds nothing.
type caller struct {
	ctx    context.Context
	client netip.Addr
}

// contextOf is the context of the key's check: the request's, or the
// caller's outside HTTP.
func (c *caller) contextOf(r *http.Request) context.Context {
	if c != nil {
		return c.ctx
	}
	return r.Context()
}

// clientOf is the address of the client that presented the key: from the
// request by addr (Config.ClientAddr), or the caller's outside HTTP.
func (c *caller) clientOf(r *http.Request, addr clientaddr.Func) netip.Addr {
	if c != nil {
		return c.client
	}
	return addr(r)
}
