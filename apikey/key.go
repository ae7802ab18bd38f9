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
}

// Expired reports whether the key no longer authenticates at now. The
// expiry instant itself counts as expired, so a key never works past the
// time its owner was shown.
func (k Key) Expired(now time.Time) bool {
	return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)
}
