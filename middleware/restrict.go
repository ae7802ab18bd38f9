package middleware

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"time"

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
	// scopes are the key's scopes compiled as permissions without
	// limiters, when hasScopes: a request must be held by one of them
	// (permission.Set.Holds applies the permissions' wildcard rules).
	scopes    *permission.Set
	hasScopes bool
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
	if m.remoteAddrClient {
		if a, ok := clientaddr.RemoteIPv4(r.RemoteAddr); ok {
			return s.allowsFromIPv4(a)
		}
	}
	return s.allowsFrom(m.clientAddr(r))
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
	if err := s.inScope(rq.resourceType, key, rq.action); err != nil {
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
