package store

import (
	"context"
	"time"
)

// Policy limits the keys issued in a tenant. It is stored in the database,
// per tenant and once as the database-wide default, so that every
// instance and the CLI enforce the same limits. The zero value of each
// limit means "none" (see each field).
type Policy struct {
	// MaxKeysPerAccount caps an account's unexpired keys; 0 = no limit.
	MaxKeysPerAccount int
	// MaxKeyLifetime is the longest a new key may live; 0 = no limit.
	MaxKeyLifetime time.Duration
	// DefaultKeyLifetime is the expiry of a key created without one;
	// 0 = none.
	DefaultKeyLifetime time.Duration
	// MaxRotationGrace is the longest grace period a rotation may give
	// the old key; 0 = no grace allowed.
	MaxRotationGrace time.Duration
	// LeakedKeyAction is what a leak report does to the key: "disable"
	// (the default) or "delete".
	LeakedKeyAction string
	// UnusedKeyDays is after how many days without use a key gets a
	// key.unused notice; 0 = no such notices.
	UnusedKeyDays int
}

// The leaked-key actions.
const (
	LeakedKeyDisable = "disable"
	LeakedKeyDelete  = "delete"
)

// PolicyStore reads and writes the stored policies, inside a [Tx]: a key
// creation reads its tenant's policy in its own transaction, so that a
// policy change and a creation never interleave, and a policy change is
// committed with its audit event and change row.
type PolicyStore interface {
	// PolicyGet returns the policy stored for tenant; ErrNotFound if the
	// tenant has none (it then uses the default policy).
	PolicyGet(ctx context.Context, tenant string) (Policy, error)
	// PolicyPut stores p as tenant's policy, replacing any.
	PolicyPut(ctx context.Context, tenant string, p Policy) error
	// PolicyDefaultGet returns the database-wide default policy;
	// ErrNotFound if none was stored yet.
	PolicyDefaultGet(ctx context.Context) (Policy, error)
	// PolicyDefaultPut stores p as the default policy, replacing any.
	PolicyDefaultPut(ctx context.Context, p Policy) error
	// PolicyDefaultInit stores p as the default policy only if none is
	// stored, and returns the default policy as stored afterwards. It is
	// safe against other instances doing the same at once: one insert
	// wins, and every caller gets the winner's policy.
	PolicyDefaultInit(ctx context.Context, p Policy) (Policy, error)
}

// TenantSummary is one tenant as TenantList lists it.
type TenantSummary struct {
	ID string
	// AccountCount counts the tenant's accounts, disabled ones included.
	AccountCount int
}

// TenantLister lists tenants; it is part of every [Store].
type TenantLister interface {
	// TenantList returns up to limit tenants that hold accounts or a
	// stored policy, ordered by id, starting after after ("" from the
	// first). An empty slice past the end; a limit below 1 is an error.
	TenantList(ctx context.Context, after string, limit int) ([]TenantSummary, error)
}
