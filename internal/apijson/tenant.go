package apijson

import (
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// StoredPolicy is the body of GET /policy: the policy that governs the
// tenant, and whether it is the tenant's own (stored true) or the
// database-wide default (stored false).
type StoredPolicy struct {
	Policy
	Stored bool `json:"stored"`
}

// NewTenantPolicy is the representation of a stored policy: durations in
// whole seconds, 0 for none.
func NewTenantPolicy(p serviceaccount.TenantPolicy) Policy {
	return Policy{
		MaxKeysPerAccount:         p.MaxKeysPerAccount,
		MaxKeyLifetimeSeconds:     int64(p.MaxKeyLifetime / time.Second),
		DefaultKeyLifetimeSeconds: int64(p.DefaultKeyLifetime / time.Second),
		MaxRotationGraceSeconds:   int64(p.MaxRotationGrace / time.Second),
		LeakedKeyAction:           p.LeakedKeyAction,
		UnusedKeyDays:             p.UnusedKeyDays,
	}
}

// NewStoredPolicy is the body of GET /policy.
func NewStoredPolicy(p serviceaccount.TenantPolicy, stored bool) StoredPolicy {
	return StoredPolicy{Policy: NewTenantPolicy(p), Stored: stored}
}

// Tenant is one tenant of GET /tenants.
type Tenant struct {
	ID           string `json:"id"`
	AccountCount int    `json:"accountCount"`
}

// TenantPage is the body of GET /tenants.
type TenantPage = Page[Tenant]

// NewTenantPage represents one page of tenants, keeping only those keep
// allows (nil: all).
func NewTenantPage(page serviceaccount.TenantPage, keep func(id string) bool) TenantPage {
	items := make([]serviceaccount.TenantSummary, 0, len(page.Items))
	for _, t := range page.Items {
		if keep == nil || keep(t.ID) {
			items = append(items, t)
		}
	}
	return newPage(items, page.NextCursor, func(t serviceaccount.TenantSummary) Tenant {
		return Tenant{ID: t.ID, AccountCount: t.AccountCount}
	})
}
