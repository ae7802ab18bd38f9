package serviceaccount

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
)

// A key's restrictions (apikey.Key: Scopes, AllowedCIDRs, RateLimit,
// Metadata) and an account's metadata are validated here, for every
// method that sets them, so that creation, a patch and a rotation obey
// the same rules and name the same fields.

// checkScopes validates scopes given for field ("scopes"): nil is no
// restriction; otherwise 1 to apikey.MaxScopes patterns, each a grant the
// catalog accepts (with its wildcard rules, and without a limiter: a scope
// narrows by resource, and the account's limiters keep applying). An
// empty, non-nil slice is refused: it would be a key that can do nothing,
// which is more likely a client's mistake for null than a wish.
func (m *Manager) checkScopes(field string, scopes []apikey.Scope) ([]apikey.Scope, error) {
	if scopes == nil {
		return nil, nil
	}
	if len(scopes) == 0 || len(scopes) > apikey.MaxScopes {
		return nil, invalid(field, fmt.Sprintf("must hold 1 to %d scopes, or be null for none", apikey.MaxScopes))
	}
	out := make([]apikey.Scope, len(scopes))
	errs := &ValidationError{}
	for i, s := range scopes {
		prefix := fmt.Sprintf("%s[%d].", field, i)
		in := PermissionInput{ResourceType: s.ResourceType, ResourceKey: s.ResourceKey, Action: s.Action}
		err := validateStruct(m.validate, in)
		if err == nil {
			err = m.checkCatalog(in.ResourceType, in.ResourceKey, in.Action, nil)
		}
		var verr *ValidationError
		if errors.As(err, &verr) {
			for _, f := range verr.Fields {
				errs.Fields = append(errs.Fields, FieldError{Field: prefix + f.Field, Message: f.Message})
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	if len(errs.Fields) > 0 {
		return nil, errs
	}
	return out, nil
}

// checkCIDRs parses the networks given for field ("allowedCidrs"): nil is
// no restriction; otherwise 1 to apikey.MaxAllowedCIDRs of them, each a
// CIDR ("10.0.0.0/8", "2001:db8::/32") or a bare address, which means
// that host alone. A CIDR with host bits set ("10.0.0.1/8") is refused
// rather than masked: the client meant either the host or the network,
// and guessing wrong would open or close more than intended. They are
// stored in canonical form, IPv4-mapped IPv6 addresses unmapped, so that
// a key shows exactly what it allows.
func checkCIDRs(field string, cidrs []string) ([]netip.Prefix, error) {
	if cidrs == nil {
		return nil, nil
	}
	if len(cidrs) == 0 || len(cidrs) > apikey.MaxAllowedCIDRs {
		return nil, invalid(field, fmt.Sprintf("must hold 1 to %d CIDRs, or be null for none", apikey.MaxAllowedCIDRs))
	}
	out := make([]netip.Prefix, len(cidrs))
	errs := &ValidationError{}
	for i, s := range cidrs {
		p, msg := parseCIDR(s)
		if msg != "" {
			errs.Fields = append(errs.Fields, FieldError{Field: fmt.Sprintf("%s[%d]", field, i), Message: msg})
			continue
		}
		out[i] = p
	}
	if len(errs.Fields) > 0 {
		return nil, errs
	}
	return out, nil
}

func parseCIDR(s string) (netip.Prefix, string) {
	const msg = "must be a CIDR such as 10.0.0.0/8 or 2001:db8::/32, or a single address"
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, msg
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), ""
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, msg
	}
	if p.Addr().Is4In6() {
		// ::ffff:10.0.0.0/104 is 10.0.0.0/8: requests arrive unmapped.
		if p.Bits() < 96 {
			return netip.Prefix{}, "an IPv4-mapped network must have a prefix length of at least 96"
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Sprintf("has host bits set; the network is %s, the single host %s/%d", p.Masked(), p.Addr(), p.Addr().BitLen())
	}
	return p, ""
}

// checkRateLimit validates a rate limit given for field ("rateLimit"):
// nil is none; otherwise a limit of 1 to apikey.MaxRateLimit requests per
// a period of whole seconds, 1 s to apikey.MaxRateLimitPeriod. The errors
// name the JSON members, limit and periodSeconds.
func checkRateLimit(field string, r *apikey.RateLimit) (*apikey.RateLimit, error) {
	if r == nil {
		return nil, nil
	}
	errs := &ValidationError{}
	if r.Limit < 1 || r.Limit > apikey.MaxRateLimit {
		errs.Fields = append(errs.Fields, FieldError{Field: field + ".limit", Message: fmt.Sprintf("must be an integer from 1 to %d", apikey.MaxRateLimit)})
	}
	maxSeconds := int64(apikey.MaxRateLimitPeriod / time.Second)
	if r.Period%time.Second != 0 || r.Period < time.Second || r.Period > apikey.MaxRateLimitPeriod {
		errs.Fields = append(errs.Fields, FieldError{Field: field + ".periodSeconds", Message: fmt.Sprintf("must be a whole number of seconds from 1 to %d", maxSeconds)})
	}
	if len(errs.Fields) > 0 {
		return nil, errs
	}
	c := *r
	return &c, nil
}

// checkMetadata validates metadata given for field ("metadata") and
// returns a copy with float64 numbers, as stores give it back; the error
// names the member ("metadata.environment") when one is at fault.
func checkMetadata(field string, m metadata.Map) (metadata.Map, error) {
	if err := metadata.Validate(m); err != nil {
		var me *metadata.Error
		if errors.As(err, &me) {
			if me.Member != "" {
				return nil, invalid(field+"."+me.Member, me.Message)
			}
			return nil, invalid(field, me.Message)
		}
		return nil, invalid(field, err.Error())
	}
	return metadata.Normalize(m), nil
}

// keyRestrictions are the restrictions of a key, validated.
type keyRestrictions struct {
	scopes    []apikey.Scope
	cidrs     []netip.Prefix
	rateLimit *apikey.RateLimit
	metadata  metadata.Map
}

// restrictionChanges are the restrictions a patch or a rotation gives:
// a nil pointer keeps the key's own, a pointer to nil removes it.
type restrictionChanges struct {
	scopes    *[]apikey.Scope
	cidrs     *[]string
	rateLimit **apikey.RateLimit
	metadata  *metadata.Map
}

func (c restrictionChanges) any() bool {
	return c.scopes != nil || c.cidrs != nil || c.rateLimit != nil || c.metadata != nil
}

// checkedChanges validates the restrictions c sets. set reports, for each,
// whether c gives it.
type checkedChanges struct {
	keyRestrictions
	setScopes, setCIDRs, setRateLimit, setMetadata bool
}

func (m *Manager) checkChanges(c restrictionChanges) (checkedChanges, error) {
	var out checkedChanges
	errs := &ValidationError{}
	collect := func(err error) error {
		var verr *ValidationError
		if errors.As(err, &verr) {
			errs.Fields = append(errs.Fields, verr.Fields...)
			return nil
		}
		return err
	}
	var err error
	if c.scopes != nil {
		out.setScopes = true
		if out.scopes, err = m.checkScopes("scopes", *c.scopes); collect(err) != nil {
			return out, err
		}
	}
	if c.cidrs != nil {
		out.setCIDRs = true
		if out.cidrs, err = checkCIDRs("allowedCidrs", *c.cidrs); collect(err) != nil {
			return out, err
		}
	}
	if c.rateLimit != nil {
		out.setRateLimit = true
		if out.rateLimit, err = checkRateLimit("rateLimit", *c.rateLimit); collect(err) != nil {
			return out, err
		}
	}
	if c.metadata != nil {
		out.setMetadata = true
		if out.metadata, err = checkMetadata("metadata", *c.metadata); collect(err) != nil {
			return out, err
		}
	}
	if len(errs.Fields) > 0 {
		return out, errs
	}
	return out, nil
}

// apply returns k's restrictions with the changes c sets.
func (c checkedChanges) apply(k apikey.Key) keyRestrictions {
	r := keyRestrictions{scopes: k.Scopes, cidrs: k.AllowedCIDRs, rateLimit: k.RateLimit, metadata: k.Metadata}
	if c.setScopes {
		r.scopes = c.scopes
	}
	if c.setCIDRs {
		r.cidrs = c.cidrs
	}
	if c.setRateLimit {
		r.rateLimit = c.rateLimit
	}
	if c.setMetadata {
		r.metadata = c.metadata
	}
	return r
}

// set writes r into k.
func (r keyRestrictions) set(k *apikey.Key) {
	k.Scopes, k.AllowedCIDRs, k.RateLimit, k.Metadata = r.scopes, r.cidrs, r.rateLimit, r.metadata
}

// auditRestrictions adds a key's restrictions to its audit view (and so
// to its revision) in the admin API's shapes. Only those the key has
// appear: an event's before and after then show a restriction added,
// changed or removed, and events of keys without any stay as they were.
func auditRestrictions(k apikey.Key, out map[string]any) {
	if k.Scopes != nil {
		s := make([]map[string]string, len(k.Scopes))
		for i, sc := range k.Scopes {
			s[i] = map[string]string{"resourceType": sc.ResourceType, "resourceKey": sc.ResourceKey, "action": sc.Action}
		}
		out["scopes"] = s
	}
	if k.AllowedCIDRs != nil {
		c := make([]string, len(k.AllowedCIDRs))
		for i, p := range k.AllowedCIDRs {
			c[i] = p.String()
		}
		out["allowedCidrs"] = c
	}
	if k.RateLimit != nil {
		out["rateLimit"] = map[string]int64{"limit": int64(k.RateLimit.Limit), "periodSeconds": int64(k.RateLimit.Period / time.Second)}
	}
	auditMetadata(k.Metadata, out)
}

// auditMetadata adds m to an audit view when there is any: see
// auditRestrictions.
func auditMetadata(m metadata.Map, out map[string]any) {
	if m != nil {
		out["metadata"] = map[string]any(m)
	}
}

// equal reports whether k already has restrictions r.
func (r keyRestrictions) equal(k apikey.Key) bool {
	return slices.Equal(r.scopes, k.Scopes) && (r.scopes == nil) == (k.Scopes == nil) &&
		slices.Equal(r.cidrs, k.AllowedCIDRs) && (r.cidrs == nil) == (k.AllowedCIDRs == nil) &&
		((r.rateLimit == nil && k.RateLimit == nil) || (r.rateLimit != nil && k.RateLimit != nil && *r.rateLimit == *k.RateLimit)) &&
		metadata.Equal(r.metadata, k.Metadata)
}
