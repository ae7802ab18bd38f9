package permission

import (
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
