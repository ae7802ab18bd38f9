package serviceaccount

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
)

// Policy limits the keys a Manager issues. It is checked when a key is
// created and when one is rotated. The zero value is the defaults below.
type Policy struct {
	// MaxKeysPerAccount caps an account's keys that have not expired
	// (disabled keys count: they can be enabled again). 0 means
	// DefaultMaxKeysPerAccount (GCP's limit); NoKeyLimit lifts the cap. A
	// rotation with a grace period may take an account one key over the
	// cap, since the key it replaces expires with the grace period, but
	// never more: it is refused while the account's other unexpired keys
	// (a key still in the grace period of an earlier rotation among them)
	// number MaxKeysPerAccount, so chained rotations cannot pile keys up.
	// A rotation without a grace period replaces the key at once and is
	// never refused for the cap.
	MaxKeysPerAccount int
	// MaxKeyLifetime, when positive, is the longest a key may live: every
	// new key needs an expiry at most this far from its creation. 0 means
	// unlimited.
	MaxKeyLifetime time.Duration
	// DefaultKeyLifetime, when positive, is the expiry given to a key
	// created without one. At most MaxKeyLifetime when that is set.
	DefaultKeyLifetime time.Duration
	// MaxRotationGrace is the longest grace period a rotation may give the
	// old key. 0 means DefaultMaxRotationGrace (7 days, Stripe's limit).
	MaxRotationGrace time.Duration
}

// Policy defaults and the value that lifts the key cap.
const (
	DefaultMaxKeysPerAccount = 10
	DefaultMaxRotationGrace  = 7 * 24 * time.Hour
	// DefaultRotationGrace is the grace period of a rotation that asks
	// for none: a day, long enough for a deployment to pick up a key.
	DefaultRotationGrace = 24 * time.Hour
	// NoKeyLimit as MaxKeysPerAccount lets accounts hold any number of
	// keys.
	NoKeyLimit = -1
)

// maxPolicyDuration keeps policy times far inside what every store holds
// (years 1 to 9999), so now plus any of them is a valid expiry.
const maxPolicyDuration = 100 * 365 * 24 * time.Hour

// withDefaults checks p and fills in its zero fields. Errors name the
// field.
func (p Policy) withDefaults() (Policy, error) {
	var errs []FieldError
	fail := func(field, msg string) { errs = append(errs, FieldError{Field: field, Message: msg}) }
	if p.MaxKeysPerAccount < NoKeyLimit {
		fail("MaxKeysPerAccount", fmt.Sprintf("must be positive, 0 (the default, %d) or NoKeyLimit (-1)", DefaultMaxKeysPerAccount))
	}
	for _, d := range []struct {
		field string
		value time.Duration
	}{{"MaxKeyLifetime", p.MaxKeyLifetime}, {"DefaultKeyLifetime", p.DefaultKeyLifetime}, {"MaxRotationGrace", p.MaxRotationGrace}} {
		switch {
		case d.value < 0:
			fail(d.field, "must not be negative")
		case d.value > maxPolicyDuration:
			fail(d.field, fmt.Sprintf("must be at most %s", maxPolicyDuration))
		case d.value%time.Second != 0:
			fail(d.field, "must be a whole number of seconds")
		}
	}
	if p.MaxKeyLifetime > 0 && p.DefaultKeyLifetime > p.MaxKeyLifetime {
		fail("DefaultKeyLifetime", fmt.Sprintf("must not exceed MaxKeyLifetime (%s)", p.MaxKeyLifetime))
	}
	if len(errs) > 0 {
		return Policy{}, &ValidationError{Fields: errs}
	}
	if p.MaxKeysPerAccount == 0 {
		p.MaxKeysPerAccount = DefaultMaxKeysPerAccount
	}
	if p.MaxRotationGrace == 0 {
		p.MaxRotationGrace = DefaultMaxRotationGrace
	}
	return p, nil
}

// Policy is the effective policy: Config.Policy with its defaults filled
// in (MaxKeysPerAccount is NoKeyLimit when there is no cap).
func (m *Manager) Policy() Policy { return m.policy }

// checkNewExpiry judges an expiry that the caller chose for a key created
// at now: in the future, and within the maximum lifetime. field names the
// input for errors.
func (m *Manager) checkNewExpiry(field string, at, now time.Time) error {
	if err := checkTime(field, at); err != nil {
		return err
	}
	if !at.After(now) {
		return invalid(field, "must be in the future")
	}
	if maxLife := m.policy.MaxKeyLifetime; maxLife > 0 && at.After(now.Add(maxLife)) {
		return invalid(field, fmt.Sprintf("must be at most %s after now (%s), the policy's maximum key lifetime",
			maxLife, now.Add(maxLife).Format(time.RFC3339)))
	}
	return nil
}

// defaultExpiry is the expiry of a key created at now without one: the
// policy's default lifetime, or none. With a maximum lifetime and no
// default, the caller must choose: an error naming field.
func (m *Manager) defaultExpiry(field string, now time.Time) (*time.Time, error) {
	if d := m.policy.DefaultKeyLifetime; d > 0 {
		t := now.Add(d)
		return &t, nil
	}
	if maxLife := m.policy.MaxKeyLifetime; maxLife > 0 {
		return nil, invalid(field, fmt.Sprintf("is required: the policy's maximum key lifetime is %s", maxLife))
	}
	return nil, nil
}

// checkKeyCount refuses a new key of an account that holds the policy's
// maximum of unexpired keys. It runs in the transaction that adds the key,
// after the account row was locked (Tx.AccountGet), so two concurrent
// creations cannot both pass at the limit.
func (m *Manager) checkKeyCount(keys []apikey.Key, now time.Time) error {
	limit := m.policy.MaxKeysPerAccount
	if limit == NoKeyLimit {
		return nil
	}
	if n, _ := unexpiredKeys(keys, uuid.Nil, now); n >= limit {
		return &ConflictError{Reason: fmt.Sprintf("the account has %s and MaxKeysPerAccount is %d; delete one or let one expire", countOf(n, "unexpired key"), limit)}
	}
	return nil
}

// checkRotationKeyCount refuses the rotation of key old, which keeps old
// for a grace period, when the account's other unexpired keys already
// number the policy's maximum: the rotation may take the account one key
// over the cap (old leaves with its grace period), never more. Like
// checkKeyCount it runs after the account row was locked.
func (m *Manager) checkRotationKeyCount(keys []apikey.Key, old uuid.UUID, now time.Time) error {
	limit := m.policy.MaxKeysPerAccount
	if limit == NoKeyLimit {
		return nil
	}
	if others, graced := unexpiredKeys(keys, old, now); others >= limit {
		inGrace := ""
		if graced > 0 {
			inGrace = fmt.Sprintf(" (%d in the grace period of an earlier rotation)", graced)
		}
		return &ConflictError{Reason: fmt.Sprintf("the account has %s besides this one%s and MaxKeysPerAccount is %d: a rotation that keeps the old key for a grace period may take the account one key over the limit, not more; rotate with no grace period, delete a key or let one expire", countOf(others, "unexpired key"), inGrace, limit)}
	}
	return nil
}

// unexpiredKeys counts the keys, but the one with id except, that have
// not expired at now, and of those the ones in the grace period of a
// rotation.
func unexpiredKeys(keys []apikey.Key, except uuid.UUID, now time.Time) (n, graced int) {
	for _, k := range keys {
		if k.ID == except || k.Expired(now) {
			continue
		}
		n++
		if k.ReplacedBy != nil {
			graced++
		}
	}
	return n, graced
}

// countOf is n and noun, in the plural unless n is 1.
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// CheckPolicy reports what NewManager would refuse in p, as a
// *ValidationError naming the fields, so that a program can check its
// flags before it opens a database.
func CheckPolicy(p Policy) error {
	_, err := p.withDefaults()
	return err
}
