package store

import (
	"time"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/metadata"
)

// Limits on text fields, counted in characters after trimming spaces.
const (
	MaxLabelLength       = 100
	MaxDescriptionLength = 1000
	// MaxKeyNameLength limits an API key's name.
	MaxKeyNameLength = 100
)

// Account is a service account: an identity not tied to a person.
type Account struct {
	ID uuid.UUID
	// Tenant is the tenant the account belongs to, fixed at creation
	// (DefaultTenant unless the application names another). Its keys,
	// permissions and audit events belong to the same tenant.
	Tenant      string
	Label       string
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// DisabledAt is when the account was disabled; nil while it is
	// enabled. None of a disabled account's keys authenticates; enabling
	// it restores them (those that are themselves enabled and unexpired).
	DisabledAt *time.Time
	// Metadata is the application's own data about the account; nil when
	// it has none.
	Metadata metadata.Map
}

// Disabled reports whether the account was disabled (and not enabled
// again).
func (a Account) Disabled() bool { return a.DisabledAt != nil }
