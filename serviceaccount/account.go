package serviceaccount

import (
	"time"

	"github.com/google/uuid"
)

// Limits on account fields, counted in characters after trimming spaces.
const (
	MaxLabelLength       = 100
	MaxDescriptionLength = 1000
)

// Account is a service account: an identity not tied to a person.
type Account struct {
	ID          uuid.UUID
	Label       string
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}
