package store

import (
	"errors"
	"fmt"
)

// DefaultTenant holds everything created without naming a tenant, so a
// single-tenant application never meets the concept, and every row of a
// database from version 1 or 2 lands in it on upgrade.
const DefaultTenant = "default"

// MaxTenantLength is the longest tenant id: 63 characters, a DNS label's
// limit, so a tenant id can also name a host or a schema.
const MaxTenantLength = 63

// ErrInvalidTenant is wrapped by CheckTenant's errors: the HTTP layers map
// it to 400 with code invalid_tenant.
var ErrInvalidTenant = errors.New("invalid tenant")

// CheckTenant reports whether id is a well-formed tenant id: 1 to 63
// characters of [a-z0-9-], starting and ending with a letter or digit.
// The error says what is wrong, quoting at most the id's first 63 bytes.
func CheckTenant(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: the tenant id is empty", ErrInvalidTenant)
	case len(id) > MaxTenantLength:
		return fmt.Errorf("%w: a tenant id has at most %d characters", ErrInvalidTenant, MaxTenantLength)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		if alnum || c == '-' && i > 0 && i < len(id)-1 {
			continue
		}
		return fmt.Errorf("%w: %q: a tenant id is 1 to %d characters of a-z, 0-9 and '-', starting and ending with a letter or digit",
			ErrInvalidTenant, id, MaxTenantLength)
	}
	return nil
}

// CheckRecordTenant is how a backend checks the tenant a record carries
// (an account's or an audit event's) against the tenant a write names:
// empty, or the same. Anything else is a caller's bug, refused rather than
// guessed at. what names the record for the error.
func CheckRecordTenant(what, tenant, recordTenant string) error {
	if err := CheckTenant(tenant); err != nil {
		return err
	}
	if recordTenant != "" && recordTenant != tenant {
		return fmt.Errorf("the %s's Tenant %q is not the tenant %q it is written in", what, recordTenant, tenant)
	}
	return nil
}
