package adminclient

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
)

// Tenant returns a view of the client whose calls act in tenant id, through
// the API's /tenants/{tenant}/… routes: its accounts, keys, permissions,
// audit log and policy. The view shares the client's connection and token;
// it is cheap, so make one per tenant as needed. The calls that are not a
// tenant's (Catalog, OpenAPIDocument, ListTenants, DefaultPolicy,
// SetDefaultPolicy) act as the client's. A malformed id is an error here,
// before any request.
func (c *Client) Tenant(id string) (*Client, error) {
	if !validTenant(id) {
		return nil, fmt.Errorf("%w: %q: a tenant id is 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit", ErrInvalidTenant, id)
	}
	v := *c
	v.tenant = id
	return &v, nil
}

// ErrInvalidTenant is wrapped by Tenant's error for a malformed id. The
// rule is the API's (store.CheckTenant), written again here so that the
// client does not link the store's contract.
var ErrInvalidTenant = errors.New("adminclient: invalid tenant")

// validTenant reports whether id is 1 to 63 characters of [a-z0-9-],
// starting and ending with a letter or digit.
func validTenant(id string) bool {
	if id == "" || len(id) > 63 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' && i > 0 && i < len(id)-1 {
			continue
		}
		return false
	}
	return true
}

// TenantID is the tenant of a view made by Tenant; "" for a client made
// by New, whose calls act in the tenant the API resolves for them (the
// default tenant, unless the application's admin.Config says otherwise).
func (c *Client) TenantID() string { return c.tenant }

// tenantPrefix is the path prefix of path in this view: /tenants/{id} for
// a tenant's route, nothing for the others.
func (c *Client) tenantPrefix(path string) string {
	if c.tenant == "" || !tenantRoute(path) {
		return ""
	}
	return "/tenants/" + c.tenant
}

// tenantRoute reports whether path is a route of one tenant, served under
// /tenants/{tenant} too.
func tenantRoute(path string) bool {
	switch {
	case path == "/catalog", path == "/openapi.json", path == "/policy/defaults",
		path == "/tenants", strings.HasPrefix(path, "/tenants/"):
		return false
	}
	return true
}

// ListTenants returns one page of the tenants that hold accounts or a
// stored policy, ordered by id, each with its number of accounts
// (disabled ones included). The API lists only the tenants the
// administrator may see.
func (c *Client) ListTenants(ctx context.Context, p ListParams) (TenantPage, error) {
	var out TenantPage
	_, err := c.do(ctx, http.MethodGet, "/tenants", pageQuery(p), nil, &out, nil)
	return out, err
}

// Tenants yields every tenant ListTenants would list, page by page.
func (c *Client) Tenants(ctx context.Context, limit int) iter.Seq2[TenantSummary, error] {
	return pages("", func(cursor string) ([]TenantSummary, *string, error) {
		p, err := c.ListTenants(ctx, ListParams{Limit: limit, Cursor: cursor})
		return p.Items, p.NextCursor, err
	})
}
