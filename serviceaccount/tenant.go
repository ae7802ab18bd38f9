package serviceaccount

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// TenantSummary is one tenant of ListTenants: its id and how many
// accounts it holds, disabled ones included.
type TenantSummary struct {
	ID           string
	AccountCount int
}

// ListTenantsParams selects one page of tenants.
type ListTenantsParams struct {
	// Limit is the page size, 1 to MaxPageSize; 0 means DefaultPageSize.
	Limit int
	// Cursor is the NextCursor of the previous page; "" for the first.
	Cursor string
}

// TenantPage is one page of tenants, ordered by id.
type TenantPage struct {
	Items []TenantSummary
	// NextCursor fetches the next page; "" on the last page.
	NextCursor string
}

// ListTenants returns one page of the tenants that hold accounts or a
// stored policy, ordered by id: store.DefaultTenant among them only when
// it holds either. It lists every tenant of the database, whichever view
// m is: which tenants an administrator may see is the application's
// decision, made before it calls. A limit out of range or a cursor this
// API did not make is a *ValidationError.
func (m *Manager) ListTenants(ctx context.Context, p ListTenantsParams) (TenantPage, error) {
	limit := p.Limit
	if limit == 0 {
		limit = DefaultPageSize
	}
	if limit < 1 || limit > MaxPageSize {
		return TenantPage{}, invalid("limit", fmt.Sprintf("must be between 1 and %d", MaxPageSize))
	}
	after := ""
	if p.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err != nil || store.CheckTenant(string(b)) != nil {
			return TenantPage{}, invalid("cursor", "is not a cursor returned by this API")
		}
		after = string(b)
	}
	items, err := m.store.TenantList(ctx, after, limit+1)
	if err != nil {
		return TenantPage{}, fmt.Errorf("list tenants: %w", err)
	}
	page := TenantPage{Items: make([]TenantSummary, 0, min(len(items), limit))}
	for i, t := range items {
		if i == limit {
			page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(items[limit-1].ID))
			break
		}
		page.Items = append(page.Items, TenantSummary(t))
	}
	return page, nil
}
