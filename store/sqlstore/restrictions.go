package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
)

// A key's restrictions and an account's metadata are stored in nullable
// columns (NULL: no restriction), added by the migration
// 20261206000006_key_restrictions:
//
//	scopes             text (JSON)  [{"resourceType","resourceKey","action"}]
//	allowed_cidrs      text (JSON)  ["10.0.0.0/8"], canonical form
//	rate_limit         integer      requests per period
//	rate_limit_period  integer      the period in whole seconds
//	metadata           text (JSON)  metadata.Encode's form
//
// JSON in text columns rather than each database's JSON type: the store
// never queries inside them, and text reads back byte for byte on all
// three (PostgreSQL's jsonb reorders members and refuses \u0000).

// keyRestrictionColumns are a key's restriction columns, in the order of
// restrictionArgs and restrictionColumns.dest.
const keyRestrictionColumns = "scopes, allowed_cidrs, rate_limit, rate_limit_period, metadata"

// scopeJSON is a scope as stored: the admin API's names.
type scopeJSON struct {
	ResourceType string `json:"resourceType"`
	ResourceKey  string `json:"resourceKey"`
	Action       string `json:"action"`
}

func scopesArg(scopes []apikey.Scope) (any, error) {
	if scopes == nil {
		return nil, nil
	}
	out := make([]scopeJSON, len(scopes))
	for i, s := range scopes {
		out[i] = scopeJSON(s)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode scopes: %w", err)
	}
	return string(b), nil
}

func cidrsArg(cidrs []netip.Prefix) (any, error) {
	if cidrs == nil {
		return nil, nil
	}
	b, err := json.Marshal(cidrs) // netip.Prefix marshals as its text form
	if err != nil {
		return nil, fmt.Errorf("encode allowed CIDRs: %w", err)
	}
	return string(b), nil
}

// rateLimitArgs are the two columns of a rate limit: the limit, and the
// period in whole seconds (the Manager refuses fractions).
func rateLimitArgs(r *apikey.RateLimit) (limit, period any) {
	if r == nil {
		return nil, nil
	}
	return int64(r.Limit), int64(r.Period / time.Second)
}

func metadataArg(m metadata.Map) (any, error) {
	if m == nil {
		return nil, nil
	}
	b, err := metadata.Encode(m)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// restrictionArgs are k's restriction columns, in the order of
// keyRestrictionColumns.
func restrictionArgs(k apikey.Key) ([]any, error) {
	scopes, err := scopesArg(k.Scopes)
	if err != nil {
		return nil, err
	}
	cidrs, err := cidrsArg(k.AllowedCIDRs)
	if err != nil {
		return nil, err
	}
	limit, period := rateLimitArgs(k.RateLimit)
	meta, err := metadataArg(k.Metadata)
	if err != nil {
		return nil, err
	}
	return []any{scopes, cidrs, limit, period, meta}, nil
}

// textOf returns a text column's bytes; ok is false for NULL.
func textOf(src any) (b []byte, ok bool, err error) {
	switch v := src.(type) {
	case nil:
		return nil, false, nil
	case []byte:
		return v, true, nil
	case string:
		return []byte(v), true, nil
	}
	return nil, false, fmt.Errorf("unsupported type %T", src)
}

// scopesColumn scans the scopes column; NULL is nil.
type scopesColumn struct{ Scopes []apikey.Scope }

func (c *scopesColumn) Scan(src any) error {
	c.Scopes = nil
	b, ok, err := textOf(src)
	if err != nil || !ok {
		return err
	}
	var in []scopeJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("scan scopes: %w", err)
	}
	c.Scopes = make([]apikey.Scope, len(in))
	for i, s := range in {
		c.Scopes[i] = apikey.Scope(s)
	}
	return nil
}

// cidrsColumn scans the allowed_cidrs column; NULL is nil.
type cidrsColumn struct{ CIDRs []netip.Prefix }

func (c *cidrsColumn) Scan(src any) error {
	c.CIDRs = nil
	b, ok, err := textOf(src)
	if err != nil || !ok {
		return err
	}
	c.CIDRs = []netip.Prefix{}
	if err := json.Unmarshal(b, &c.CIDRs); err != nil {
		return fmt.Errorf("scan allowed CIDRs: %w", err)
	}
	return nil
}

// metadataColumn scans a metadata column; NULL is nil.
type metadataColumn struct{ Map metadata.Map }

func (c *metadataColumn) Scan(src any) error {
	c.Map = nil
	b, ok, err := textOf(src)
	if err != nil || !ok {
		return err
	}
	m, err := metadata.Decode(b)
	if err != nil {
		return fmt.Errorf("scan metadata: %w", err)
	}
	c.Map = m
	return nil
}

// restrictionColumns receive a key's restriction columns.
type restrictionColumns struct {
	scopes            scopesColumn
	cidrs             cidrsColumn
	limit, periodSecs sql.NullInt64
	metadata          metadataColumn
}

func (r *restrictionColumns) dest() []any {
	return []any{&r.scopes, &r.cidrs, &r.limit, &r.periodSecs, &r.metadata}
}

// apply sets k's restrictions from the scanned columns. The scanned
// slices and maps are fresh on every Scan, so k shares them with no one.
func (r *restrictionColumns) apply(k *apikey.Key) {
	k.Scopes, k.AllowedCIDRs, k.Metadata = r.scopes.Scopes, r.cidrs.CIDRs, r.metadata.Map
	k.RateLimit = nil
	if r.limit.Valid && r.periodSecs.Valid {
		k.RateLimit = &apikey.RateLimit{Limit: int(r.limit.Int64), Period: time.Duration(r.periodSecs.Int64) * time.Second}
	}
}
