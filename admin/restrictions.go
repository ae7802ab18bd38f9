package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// The members of a key's restrictions and of metadata. Each decoder checks
// only the JSON shape; the Manager applies the rules (catalog, bounds,
// CIDR syntax, metadata limits) and names the member at fault
// (scopes[2].action, rateLimit.periodSeconds, metadata.environment).
//
// Each writes a patch member: absent leaves *dst nil, null makes it a
// pointer to nil (no restriction), a value a pointer to it.

func scopesField(name string, dst **[]apikey.Scope) field {
	return nullableField(name, dst, func(raw json.RawMessage) ([]apikey.Scope, string) {
		const msg = `must be an array of {"resourceType","resourceKey","action"} objects with string values, or null`
		var items []map[string]json.RawMessage
		if raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
			return nil, msg
		}
		out := make([]apikey.Scope, len(items))
		for i, item := range items {
			s := &out[i]
			for k, v := range item {
				var dst *string
				switch k { // exact names: encoding/json would take "Action" too
				case "resourceType":
					dst = &s.ResourceType
				case "resourceKey":
					dst = &s.ResourceKey
				case "action":
					dst = &s.Action
				}
				if dst == nil || v[0] != '"' || json.Unmarshal(v, dst) != nil {
					return nil, fmt.Sprintf("%s; item %d is not", msg, i)
				}
			}
		}
		return out, ""
	})
}

func cidrsField(name string, dst **[]string) field {
	return nullableField(name, dst, func(raw json.RawMessage) ([]string, string) {
		var out []string
		if raw[0] != '[' || json.Unmarshal(raw, &out) != nil {
			return nil, `must be an array of CIDR strings such as "10.0.0.0/8", or null`
		}
		// A null item decodes as "", which the Manager refuses as not a
		// CIDR, naming it.
		return out, ""
	})
}

func rateLimitField(name string, dst ***apikey.RateLimit) field {
	return nullableField(name, dst, func(raw json.RawMessage) (*apikey.RateLimit, string) {
		const msg = `must be an object {"limit","periodSeconds"} of two integers, or null`
		var in map[string]json.RawMessage
		if raw[0] != '{' || json.Unmarshal(raw, &in) != nil || len(in) != 2 {
			return nil, msg
		}
		limit, ok1 := boundedInteger(in["limit"], apikey.MaxRateLimit)
		period, ok2 := boundedInteger(in["periodSeconds"], int64(apikey.MaxRateLimitPeriod/time.Second))
		if !ok1 || !ok2 {
			return nil, msg
		}
		return &apikey.RateLimit{Limit: int(limit), Period: time.Duration(period) * time.Second}, ""
	})
}

// boundedInteger parses a JSON integer (no fraction, no exponent). A value
// beyond ±(bound+1) becomes bound+1 (or -1), out of range for the Manager,
// which then names the member with its own message.
func boundedInteger(raw json.RawMessage, bound int64) (int64, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			if raw[0] == '-' {
				return -1, true
			}
			return bound + 1, true
		}
		return 0, false
	}
	return max(-1, min(n, bound+1)), true
}

// metadataField takes any JSON object; numbers become float64, and the
// Manager refuses what metadata may not hold (nested values, long
// strings), naming the member.
func metadataField(name string, dst **metadata.Map) field {
	return nullableField(name, dst, func(raw json.RawMessage) (metadata.Map, string) {
		var m metadata.Map
		if raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
			return nil, "must be a JSON object of strings, numbers and booleans, or null"
		}
		return m, ""
	})
}

// nullableField decodes a member with parse, null as a pointer to T's
// zero value (nil: none).
func nullableField[T any](name string, dst **T, parse func(json.RawMessage) (T, string)) field {
	return field{name, func(raw json.RawMessage) string {
		if string(raw) == "null" {
			*dst = new(T)
			return ""
		}
		v, msg := parse(raw)
		if msg != "" {
			return msg
		}
		*dst = &v
		return ""
	}}
}

// deref is a patch member's value for a creation, where absent and null
// both mean none.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// restrictionFields are a key's restriction members, written into p.
func restrictionFields(p *serviceaccount.KeyPatch) []field {
	return []field{
		scopesField("scopes", &p.Scopes),
		cidrsField("allowedCidrs", &p.AllowedCIDRs),
		rateLimitField("rateLimit", &p.RateLimit),
		metadataField("metadata", &p.Metadata),
	}
}
