package apikey

import (
	"time"

	"github.com/google/uuid"
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
}

// Disabled reports whether the key was disabled (and not enabled again).
func (k Key) Disabled() bool { return k.DisabledAt != nil }

// Expired reports whether the key no longer authenticates at now. The
// expiry instant itself counts as expired, so a key never works past the
// time its owner was shown.
func (k Key) Expired(now time.Time) bool {
	return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)
}
