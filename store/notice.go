package store

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// The kinds of notice, named as their webhook event types.
const (
	NoticeKeyExpiring = "key.expiring"
	NoticeKeyUnused   = "key.unused"
)

// NoticeThresholds are the days before a key's expiry at which it gets a
// key.expiring notice, smallest first.
var NoticeThresholds = []int{1, 7, 14}

// DefaultUnusedKeyDays is the unused-key threshold the scan assumes when
// no default policy is stored yet (a Manager stores one when it starts).
const DefaultUnusedKeyDays = 90

// Notice is the record that a key got a notice. A key gets each
// (Kind, WithinDays) once: the record's uniqueness is what makes a notice
// exactly once across instances and restarts.
type Notice struct {
	Tenant    string
	AccountID uuid.UUID
	KeyID     uuid.UUID
	Kind      string // NoticeKeyExpiring or NoticeKeyUnused
	// WithinDays is the threshold (1, 7 or 14) of a key.expiring notice; 0
	// for key.unused.
	WithinDays int
	CreatedAt  time.Time
}

// NoticeCandidate is a key that needs a notice now, as NoticeScan finds
// it, with the notice it needs.
type NoticeCandidate struct {
	Notice
	CreatedAt  time.Time // the key's creation
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	// UnusedKeyDays is the key's tenant's threshold (key.unused only).
	UnusedKeyDays int
}

// NoticeScanParams are the inputs of NoticeScan.
type NoticeScanParams struct {
	Now   time.Time
	Limit int // per kind; at least 1
}

// NoticeScanner finds the keys that need a notice. It is part of every
// [Store], and takes no tenant: keys of every tenant are scanned, each
// candidate names its own.
type NoticeScanner interface {
	// NoticeScan returns up to p.Limit keys of each kind that need a
	// notice at p.Now and have not had it:
	//
	//   - key.expiring: enabled, not replaced, of an enabled account,
	//     expiring after p.Now and within 14 days, and not yet noticed for
	//     the smallest threshold (1, 7, 14 days) it has reached or a smaller
	//     one. WithinDays is that threshold, so a key that jumps past
	//     several gets one notice, for the smallest.
	//   - key.unused: enabled, not replaced, not expired, of an enabled
	//     account whose tenant's UnusedKeyDays (its stored policy, else the
	//     database-wide default, else DefaultUnusedKeyDays) is above 0, last
	//     used (or, never used, created) that many days or more before
	//     p.Now, and never noticed as unused.
	//
	// SQL backends answer from indexes on the keys' expiry, last use and
	// creation, so the keys read are those in the notice windows, not all.
	NoticeScan(ctx context.Context, p NoticeScanParams) ([]NoticeCandidate, error)
}

// NoticeWriter records notices, inside a [Tx].
type NoticeWriter interface {
	// NoticeRecord records n. ErrConflict if the key already has a record
	// of that kind and threshold: another instance sent the notice, and
	// the caller's transaction must roll back so that it sends nothing.
	NoticeRecord(ctx context.Context, n Notice) error
}
