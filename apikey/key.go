package apikey

import (
	"net/netip"
	"time"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/metadata"
)

// Key is the stored record of an API key. It never holds the key itself: the
// plaintext exists only in the response that created it.
type Key struct {
	ID         uuid.UUID // UUIDv7, so ids sort by creation time
	AccountID  uuid.UUID
	Hash       Hash
	Hint       string
	CreatedAt  time.Time
	LastUsedAt *time.Time // nil = never used
	ExpiresAt  *time.Time // nil = never expires

	// Name says which integration uses the key ("GitHub Actions deploy");
	// "" when unset. At most 100 characters, one line.
	Name string
	// DisabledAt is when the key was disabled; nil while it is enabled. A
	// disabled key does not authenticate, can be enabled again, and still
	// counts as a key of its account.
	DisabledAt *time.Time
	// ReplacedBy is the id of the key that replaced this one by rotation;
	// nil if it was not rotated. It may name a key deleted since.
	ReplacedBy *uuid.UUID

	// The restrictions below make a key narrower than its account. Each is
	// optional: nil means no restriction. They are checked only after the
	// key authenticates, in this order: AllowedCIDRs, the account's
	// permissions, Scopes, and RateLimit last.

	// Scopes, when not nil, are 1 to MaxScopes patterns with the
	// permissions' wildcard rules; a request must match one of them as
	// well as the account's permissions. A scope can only narrow.
	Scopes []Scope
	// AllowedCIDRs, when not nil, are 1 to MaxAllowedCIDRs networks in
	// canonical form (no host bits set); a request from elsewhere is
	// refused.
	AllowedCIDRs []netip.Prefix
	// RateLimit, when not nil, caps the requests the key may make.
	RateLimit *RateLimit
	// Metadata is the application's own data about the key.
	Metadata metadata.Map
}

// Scope is one pattern of a key's scopes: a resource type, a resource key
// and an action, each possibly "*", matched as permissions are.
type Scope struct {
	ResourceType string
	ResourceKey  string
	Action       string
}

// RateLimit allows Limit requests per Period, with a burst of Limit (the
// budget starts full).
type RateLimit struct {
	Limit  int           // 1 to MaxRateLimit
	Period time.Duration // whole seconds, 1 s to MaxRateLimitPeriod
}

// Bounds of the restrictions.
const (
	MaxScopes          = 20
	MaxAllowedCIDRs    = 32
	MaxRateLimit       = 1_000_000
	MaxRateLimitPeriod = 24 * time.Hour
)

// Disabled reports whether the key was disabled (and not enabled again).
func (k Key) Disabled() bool { return k.DisabledAt != nil }

// Expired reports whether the key no longer authenticates at now. The
// expiry instant itself counts as expired, so a key never works past the
// time its owner was shown.
func (k Key) Expired(now time.Time) bool {
	return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)
}
