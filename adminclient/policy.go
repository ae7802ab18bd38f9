package adminclient

import (
	"context"
	"net/http"
)

// StoredPolicy is the answer of Policy and SetPolicy: the policy that
// governs the tenant, and whether it is the tenant's own (Stored) or the
// database-wide default.
type StoredPolicy struct {
	Policy
	Stored bool `json:"stored"`
}

// PolicyInput is the body of SetPolicy and SetDefaultPolicy. The four
// limits are always sent (0 means none); LeakedKeyAction ("" for the
// API's default, "disable") and UnusedKeyDays (nil for the API's default,
// 90) are optional.
type PolicyInput struct {
	MaxKeysPerAccount         int    `json:"maxKeysPerAccount"`
	MaxKeyLifetimeSeconds     int64  `json:"maxKeyLifetimeSeconds"`
	DefaultKeyLifetimeSeconds int64  `json:"defaultKeyLifetimeSeconds"`
	MaxRotationGraceSeconds   int64  `json:"maxRotationGraceSeconds"`
	LeakedKeyAction           string `json:"leakedKeyAction,omitempty"`
	UnusedKeyDays             *int   `json:"unusedKeyDays,omitempty"`
}

// SetPolicy stores the tenant's own key policy (the client's tenant, see
// Tenant) and returns it as stored. Every instance of the application
// enforces it from the next key it issues.
func (c *Client) SetPolicy(ctx context.Context, in PolicyInput) (StoredPolicy, error) {
	var out StoredPolicy
	_, err := c.do(ctx, http.MethodPut, "/policy", nil, in, &out, nil)
	return out, err
}

// DefaultPolicy returns the database-wide default policy, which governs
// every tenant without a policy of its own.
func (c *Client) DefaultPolicy(ctx context.Context) (Policy, error) {
	var out Policy
	_, err := c.do(ctx, http.MethodGet, "/policy/defaults", nil, nil, &out, nil)
	return out, err
}

// SetDefaultPolicy stores the database-wide default policy and returns it
// as stored. The API allows it only to an administrator of the default
// tenant.
func (c *Client) SetDefaultPolicy(ctx context.Context, in PolicyInput) (Policy, error) {
	var out Policy
	_, err := c.do(ctx, http.MethodPut, "/policy/defaults", nil, in, &out, nil)
	return out, err
}
