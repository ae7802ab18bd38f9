package store

import (
	"time"

	"github.com/google/uuid"
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
	ID          uuid.UUID
	Label       string
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// DisabledAt is when the account was disabled; nil while it is
	// enabled. None of a disabled account's keys authenticates; enabling
	// it restores them (those that are themselves enabled and unexpired).
	DisabledAt *time.Time
}

// Disabled reports whether the account was disabled (and not enabled
// again).
func (a Account) Disabled() bool { return a.DisabledAt != nil }
