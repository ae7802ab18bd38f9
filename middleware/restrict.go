package middleware

import (
	"context"
	"fmt"
	"hash/maphash"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/clientaddr"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/ratelimit"
)

// restrictions are a key's restrictions (apikey.Key's AllowedCIDRs,
// Scopes and RateLimit), compiled once when its entry is built, so that a
// request pays no parsing. A key without any has none at all (a nil
// pointer in its Principal): the request path of such a key pays one nil
// check, and nothing else, for the feature.
type restrictions struct {
	// cidrs are the networks the key may be used from, when hasCIDRs. A
	// key whose list is empty (which the Manager refuses to store) is
	// allowed from nowhere: fail closed.
	// IPv4 networks are compiled to a masked address and a mask, so that
	// a request from IPv4 (the usual) compares integers; IPv6 ones stay
	// netip.Prefixes.
	cidrs4   []cidr4
	cidrs6   []netip.Prefix
	hasCIDRs bool
	// lastPeer remembers the verdict for the last r.RemoteAddr judged
	// with the default client address (see allowsClient).
	lastPeer peerMemo
	// scopes are the key's scopes compiled as permissions without
	// limiters, when hasScopes: a request must be held by one of them
	// (permission.Set.Holds applies the permissions' wildcard rules).
	scopes    *permission.Set
	hasScopes bool
	// routeScopes are the same scopes for a route's check (inRouteScope),
	// each with the seeded hashes of its type and action that
	// requirement.check computes for the route: a scope of another type
	// or action is passed over with an integer comparison, and strings
	// are compared only to confirm the match.
	routeScopes []routeScope
	// limit is the key's rate limit, charged to budget; Count 0 when the
	// key has none.
	limit  ratelimit.Limit
	budget ratelimit.Key
	// cell is the key's budget in the Middleware's in-process limiter,
	// when that is a *ratelimit.Local and the limit is valid: a request
	// charges it with one compare-and-swap, at rate, where the Limiter
	// interface would find it in the limiter's map under a lock and
	// validate the limit again. It leaves with the entry (see
	// ratelimit.Local.Budget). nil means m.rateLimiter.Allow.
	cell *ratelimit.Budget
	rate ratelimit.Rate
}

// compileRestrictions returns k's restrictions, or nil when it has none.
// local, when set, is the Middleware's in-process limiter, whose budget
// of the key the restrictions keep (see restrictions.cell); now is the
// Manager's clock.
func compileRestrictions(k *apikey.Key, local *ratelimit.Local, now time.Time) *restrictions {
	if k.AllowedCIDRs == nil && k.Scopes == nil && k.RateLimit == nil {
		return nil
	}
	s := &restrictions{
		hasCIDRs: k.AllowedCIDRs != nil,
		// The budget is named by the key's id, so that a new key (a
		// rotation's included) starts with a full budget of its own.
		budget: ratelimit.Key(k.ID),
	}
	for _, p := range k.AllowedCIDRs {
		if p.Addr().Is4() {
			mask := ^uint32(0) << (32 - p.Bits())
			if p.Bits() == 0 {
				mask = 0
			}
			s.cidrs4 = append(s.cidrs4, cidr4{net: ipv4(p.Addr()) & mask, mask: mask})
		} else {
			s.cidrs6 = append(s.cidrs6, p)
		}
	}
	if k.Scopes != nil {
		perms := make([]permission.Permission, len(k.Scopes))
		for i, sc := range k.Scopes {
			perms[i] = permission.Permission{ResourceType: sc.ResourceType, ResourceKey: sc.ResourceKey, Action: sc.Action}
		}
		s.scopes, s.hasScopes = permission.NewSet(perms), true
		s.routeScopes = make([]routeScope, len(k.Scopes))
		for i, sc := range k.Scopes {
			s.routeScopes[i] = routeScope{
				resourceType: sc.ResourceType, resourceKey: sc.ResourceKey, action: sc.Action,
				typeHash: scopeHash(sc.ResourceType), actionHash: scopeHash(sc.Action),
				anyKey: sc.ResourceKey == permission.Any, anyAction: sc.Action == permission.Any,
			}
		}
	}
	if k.RateLimit != nil {
		s.limit = ratelimit.Limit{Count: k.RateLimit.Limit, Period: k.RateLimit.Period}
		// An invalid limit keeps cell nil: Allow then refuses every
		// request with its error (fail closed).
		if rate, err := s.limit.Rate(); err == nil && local != nil {
			s.rate, s.cell = rate, local.Budget(s.budget, now)
		}
	}
	return s
}

// allowsFrom reports whether the key may be used from addr. The zero Addr
// (an address the client-address hook could not read) is outside every
// network.
func (s *restrictions) allowsFrom(addr netip.Addr) bool {
	if !s.hasCIDRs {
		return true
	}
	if !addr.IsValid() {
		return false
	}
	if addr = addr.Unmap(); addr.Is4() {
		a := ipv4(addr)
		for _, c := range s.cidrs4 {
			if a&c.mask == c.net {
				return true
			}
		}
		return false
	}
	for _, p := range s.cidrs6 {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// allowsFromIPv4 is allowsFrom for an IPv4 address as an integer (the
// first octet in the high byte).
func (s *restrictions) allowsFromIPv4(a uint32) bool {
	if !s.hasCIDRs {
		return true
	}
	for _, c := range s.cidrs4 {
		if a&c.mask == c.net {
			return true
		}
	}
	return false
}

// cidr4 is an IPv4 network: addr is in it when addr&mask == net.
type cidr4 struct{ net, mask uint32 }

func ipv4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// inScope reports whether the key's scopes cover the resource and action;
// nil when they do, else ErrOutsideKeyScope.
func (s *restrictions) inScope(resourceType, resourceKey, action string) error {
	if !s.hasScopes || (resourceKey != "" && s.scopes.Holds(resourceType, resourceKey, action)) {
		return nil
	}
	return ErrOutsideKeyScope
}

// routeScope is one of a key's scopes, compiled for inRouteScope.
type routeScope struct {
	resourceType, resourceKey, action string
	typeHash, actionHash              uint64
	anyKey, anyAction                 bool
}

// scopeSeed seeds the hashes of routeScope and requirement: one per
// process, so that the hashes of a route and of a scope compare.
var scopeSeed = maphash.MakeSeed()

func scopeHash(s string) uint64 { return maphash.String(scopeSeed, s) }

// inRouteScope is inScope for the route rq: it decides as
// permission.Set.Holds does (a scope's key and action may be Any, its
// type is exact), nil or ErrOutsideKeyScope.
func (s *restrictions) inRouteScope(rq *requirement, resourceKey string) error {
	if !s.hasScopes {
		return nil
	}
	if resourceKey == "" {
		return ErrOutsideKeyScope
	}
	for i := range s.routeScopes {
		sc := &s.routeScopes[i]
		if sc.typeHash != rq.typeHash || (!sc.anyAction && sc.actionHash != rq.actionHash) {
			continue
		}
		if (sc.anyKey || sc.resourceKey == resourceKey) && sc.resourceType == rq.resourceType &&
			(sc.anyAction || sc.action == rq.action) {
			return nil
		}
	}
	return ErrOutsideKeyScope
}

// RateLimitedError is the ErrRateLimited of one request: the limiter's
// decision, which says how long to wait. errors.Is(err, ErrRateLimited)
// holds for it.
type RateLimitedError struct {
	Decision ratelimit.Decision
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("%s (%s); retry after %s", ErrRateLimited, e.Decision.Limit, e.Decision.RetryAfter)
}

func (e *RateLimitedError) Is(target error) bool { return target == ErrRateLimited }

// charge charges one request to the key's rate limit, if it has one: nil,
// a *RateLimitedError, or, when the limiter fails (a shared limiter's
// context ended, a limit outside the bounds), ErrStoreUnavailable wrapping
// why: fail closed.
// mono is the request's clock reading (reading.mono), which the
// in-process budget counts with instead of reading the clock again.
func (m *Middleware) charge(ctx context.Context, s *restrictions, mono time.Duration) error {
	if s.limit.Count == 0 {
		return nil
	}
	if s.cell != nil {
		ok, backlog := s.cell.Charge(s.rate, m.epochNano+int64(mono))
		if !ok {
			return &RateLimitedError{Decision: ratelimit.NewDecision(s.limit, false, backlog)}
		}
		return nil
	}
	d, err := m.rateLimiter.Allow(ctx, s.budget, s.limit, m.clock.Now())
	if err != nil {
		return fmt.Errorf("%w: rate limiter: %w", ErrStoreUnavailable, err)
	}
	if !d.Allowed {
		return &RateLimitedError{Decision: d}
	}
	return nil
}

// allowsClient reports whether s lets the key be used from r's client
// address as Config.ClientAddr reads it. With the default hook, an IPv4
// peer's address is read as an integer (clientaddr.RemoteIPv4): no
// netip.Addr to build and take apart again.
func (m *Middleware) allowsClient(r *http.Request, s *restrictions) bool {
	if !s.hasCIDRs {
		return true
	}
	if !m.remoteAddrClient {
		return s.allowsFrom(m.clientAddr(r))
	}
	peer := r.RemoteAddr
	if allowed, ok := s.lastPeer.lookup(peer); ok {
		return allowed
	}
	var allowed bool
	if a, ok := clientaddr.RemoteIPv4(peer); ok {
		allowed = s.allowsFromIPv4(a)
	} else {
		allowed = s.allowsFrom(m.clientAddr(r))
	}
	s.lastPeer.store(peer, allowed)
	return allowed
}

// peerMemo is the verdict of a key's allowed networks on one
// r.RemoteAddr string. net/http's server sets r.RemoteAddr once per
// connection, to the same string for each of its requests, so a key used
// over a kept-alive connection finds its verdict by comparing that
// string's pointer and length, where parsing it costs more than the rest
// of the check. The same pointer and length mean the same bytes: strings
// are immutable, and the memo holds the pointer, so the memory cannot be
// reused for another string while it is remembered.
//
// It is a sequence lock of atomics, so that it takes no lock and
// allocates nothing: a reader that sees the sequence odd, or changed
// across its reads, judges the address itself; a writer that finds
// another writing skips the update.
type peerMemo struct {
	seq     atomic.Uint64
	data    atomic.Pointer[byte]
	n       atomic.Int64
	allowed atomic.Bool
}

// lookup returns the remembered verdict for peer, if it is peer's.
func (c *peerMemo) lookup(peer string) (allowed, ok bool) {
	q := c.seq.Load()
	if q&1 != 0 || len(peer) == 0 {
		return false, false
	}
	p, n, a := c.data.Load(), c.n.Load(), c.allowed.Load()
	if c.seq.Load() != q || p != unsafe.StringData(peer) || n != int64(len(peer)) {
		return false, false
	}
	return a, true
}

// store remembers the verdict for peer, unless another store is under
// way.
func (c *peerMemo) store(peer string, allowed bool) {
	q := c.seq.Load()
	if q&1 != 0 || len(peer) == 0 || !c.seq.CompareAndSwap(q, q+1) {
		return
	}
	c.data.Store(unsafe.StringData(peer))
	c.n.Store(int64(len(peer)))
	c.allowed.Store(allowed)
	c.seq.Store(q + 2)
}

// admit checks what a restricted key's request must pass before its
// permission: the network. When charge is set (no Require follows to
// charge after its own checks), the rate limit too.
func (m *Middleware) admit(r *http.Request, s *restrictions, charge bool, mono time.Duration) error {
	if !m.allowsClient(r, s) {
		return ErrIPNotAllowed
	}
	if charge {
		return m.charge(r.Context(), s, mono)
	}
	return nil
}

// authenticateRestricted is Authenticate for a key with restrictions: the
// network check, and the rate limit unless a Require directly behind
// charges it after its own checks (see Authenticate).
func (m *Middleware) authenticateRestricted(w http.ResponseWriter, r *http.Request, e *entry, at reading, required bool, next http.Handler) {
	s := e.principal.restrict
	if err := m.admit(r, s, !required, at.mono); err != nil {
		m.refuse(w, r, err)
		return
	}
	next.ServeHTTP(w, r.WithContext(&authContext{Context: r.Context(), e: e, mono: at.mono, chargeLater: required && s.limit.Count > 0}))
}

// protectRestricted is Protect for a key with restrictions: the network,
// the permission and the scopes, then the rate limit.
func (m *Middleware) protectRestricted(w http.ResponseWriter, r *http.Request, e *entry, at reading, rq *requirement, h func(http.ResponseWriter, *http.Request, Principal)) {
	s := e.principal.restrict
	if !m.allowsClient(r, s) {
		m.refuse(w, r, ErrIPNotAllowed)
		return
	}
	key, err := rq.authorize(e, at.mono, r)
	if err == nil {
		err = m.scoped(r, rq, s, key, true, at.mono)
	}
	if err != nil {
		m.refuse(w, r, err)
		return
	}
	m.metrics.authorized(nil)
	h(w, r, e.principal)
}

// scoped is what a restricted key's request must pass once the account's
// permission allowed it: the key's scopes on the route's resource key,
// then, when charge is set, the rate limit.
func (m *Middleware) scoped(r *http.Request, rq *requirement, s *restrictions, key string, charge bool, mono time.Duration) error {
	if err := s.inRouteScope(rq, key); err != nil {
		return err
	}
	if charge {
		return m.charge(r.Context(), s, mono)
	}
	return nil
}

// chargeLater reports whether Authenticate left the rate limit of r's key
// to Require (see Authenticate).
func chargeLater(r *http.Request) bool {
	if c, ok := r.Context().(*authContext); ok {
		return c.chargeLater
	}
	c, _ := r.Context().Value(authContextKey{}).(*authContext)
	return c != nil && c.chargeLater
}
