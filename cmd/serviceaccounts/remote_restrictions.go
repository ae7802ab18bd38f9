package main

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/adminclient"
	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// The conversions of a key's restrictions between the Manager's types and
// the admin API's, both ways, so that --server sends every restriction a
// command was given (a key created narrow through the API must not come
// out unrestricted) and prints what the server stored as --db would.

func apiScopes(scopes []apikey.Scope) []adminclient.Scope {
	if scopes == nil {
		return nil
	}
	out := make([]adminclient.Scope, len(scopes))
	for i, s := range scopes {
		out[i] = adminclient.Scope{ResourceType: s.ResourceType, ResourceKey: s.ResourceKey, Action: s.Action}
	}
	return out
}

func apiRateLimit(l *apikey.RateLimit) *adminclient.RateLimit {
	if l == nil {
		return nil
	}
	return &adminclient.RateLimit{Limit: l.Limit, PeriodSeconds: int64(l.Period / time.Second)}
}

// apiRestrictions converts the pointer-to-change form of KeyPatch and
// RotateKeyInput: nil keeps, a pointer to nil removes.
func apiRestrictions(scopes *[]apikey.Scope, cidrs *[]string, limit **apikey.RateLimit, meta *metadata.Map) adminclient.Restrictions {
	var r adminclient.Restrictions
	if scopes != nil {
		s := apiScopes(*scopes)
		r.Scopes = &s
	}
	r.AllowedCIDRs = cidrs
	if limit != nil {
		l := apiRateLimit(*limit)
		r.RateLimit = &l
	}
	r.Metadata = meta
	return r
}

func keyInput(in serviceaccount.CreateKeyInput) adminclient.KeyInput {
	return adminclient.KeyInput{Name: in.Name, ExpiresAt: in.ExpiresAt,
		Scopes: apiScopes(in.Scopes), AllowedCIDRs: in.AllowedCIDRs, RateLimit: apiRateLimit(in.RateLimit), Metadata: in.Metadata}
}

// keyRestrictions copies the restrictions of the server's key into k.
func keyRestrictions(k *apikey.Key, from adminclient.Key) error {
	if from.Scopes != nil {
		k.Scopes = make([]apikey.Scope, len(from.Scopes))
		for i, s := range from.Scopes {
			k.Scopes[i] = apikey.Scope{ResourceType: s.ResourceType, ResourceKey: s.ResourceKey, Action: s.Action}
		}
	}
	if from.AllowedCIDRs != nil {
		k.AllowedCIDRs = make([]netip.Prefix, len(from.AllowedCIDRs))
		for i, c := range from.AllowedCIDRs {
			p, err := netip.ParsePrefix(c)
			if err != nil {
				return fmt.Errorf("the server answered an allowed network that is not a CIDR: %q", c)
			}
			k.AllowedCIDRs[i] = p
		}
	}
	if from.RateLimit != nil {
		k.RateLimit = &apikey.RateLimit{Limit: from.RateLimit.Limit, Period: time.Duration(from.RateLimit.PeriodSeconds) * time.Second}
	}
	k.Metadata = from.Metadata
	return nil
}
