package adminclient

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Catalog returns the permission catalog: the resource types, keys and
// actions a permission may name.
func (c *Client) Catalog(ctx context.Context) (Catalog, error) {
	var out Catalog
	_, err := c.do(ctx, http.MethodGet, "/catalog", nil, nil, &out, nil)
	return out, err
}

// Policy returns the key policy that governs the client's tenant (see
// Tenant): its own (Stored) or the database-wide default, so that a
// caller can tell a refusal before it asks.
func (c *Client) Policy(ctx context.Context) (StoredPolicy, error) {
	var out StoredPolicy
	_, err := c.do(ctx, http.MethodGet, "/policy", nil, nil, &out, nil)
	return out, err
}

// OpenAPIDocument returns the API's OpenAPI 3.1 document as served.
func (c *Client) OpenAPIDocument(ctx context.Context) (json.RawMessage, error) {
	var out json.RawMessage
	_, err := c.do(ctx, http.MethodGet, "/openapi.json", nil, nil, &out, nil)
	return out, err
}

// ListAuditEvents returns one page of audit events matching p.
func (c *Client) ListAuditEvents(ctx context.Context, p AuditParams) (AuditPage, error) {
	q := pageQuery(p.ListParams)
	set := func(name, v string) {
		if v != "" {
			q.Set(name, v)
		}
	}
	set("serviceAccountId", p.ServiceAccountID)
	set("action", p.Action)
	set("actorId", p.ActorID)
	if p.Since != nil {
		set("since", p.Since.UTC().Format(time.RFC3339Nano))
	}
	if p.Until != nil {
		set("until", p.Until.UTC().Format(time.RFC3339Nano))
	}
	var out AuditPage
	_, err := c.do(ctx, http.MethodGet, "/audit-events", q, nil, &out, nil)
	return out, err
}
