package permission

import (
	"crypto/sha256"
	"encoding/binary"
	"time"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
)

// Any is the wildcard resource key or action: all keys of the type, or all
// actions on the resource.
const Any = "*"

// Permission is one grant held by a service account.
type Permission struct {
	ID           uuid.UUID
	AccountID    uuid.UUID
	ResourceType string
	ResourceKey  string           // a key, or Any
	Action       string           // an action, or Any
	Limiter      *limiter.Limiter // nil: no further constraint
	CreatedAt    time.Time
}

// Grants reports whether p allows the request on its own.
func (p *Permission) Grants(resourceType, resourceKey, action string, attrs limiter.Attributes) bool {
	return p.ResourceType == resourceType &&
		(p.ResourceKey == Any || p.ResourceKey == resourceKey) &&
		(p.Action == Any || p.Action == action) &&
		p.Limiter.Match(attrs)
}

// GrantKey identifies the grant p makes, whatever its id: two permissions
// of one account with the same GrantKey are the same grant (same type,
// resource key, action and limiter [limiter.Limiter.GrantForm]). Stores
// keep it under a unique index, so that a duplicate grant is refused by
// the database rather than by a read before the write. It is SHA-256 over
// the length-prefixed parts, so no choice of values can make two different
// grants collide by concatenation.
func (p *Permission) GrantKey() [32]byte {
	h := sha256.New()
	var n [8]byte
	for _, part := range [...]string{p.ResourceType, p.ResourceKey, p.Action, p.Limiter.GrantForm()} {
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write([]byte(part))
	}
	var key [32]byte
	h.Sum(key[:0])
	return key
}
