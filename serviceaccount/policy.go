package serviceaccount

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/store"
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

// Policy is Config.Policy with its defaults filled in (MaxKeysPerAccount
// is NoKeyLimit when there is no cap): the configured limits, which are
// not necessarily the ones enforced. The policy enforced is the one
// stored in the database, per tenant (EffectivePolicy); Config.Policy only
// seeds the database-wide default when none is stored. New code should
// call EffectivePolicy; Policy stays for the callers that show the
// configuration.
func (m *Manager) Policy() Policy { return m.policy }

// TenantPolicy limits the keys issued in one tenant; see store.Policy for
// each field. 0 means no limit, no default lifetime, or no grace allowed.
// It is stored in the database, so that every instance and the CLI
// enforce the same limits.
type TenantPolicy = store.Policy

// DefaultUnusedKeyDays is TenantPolicy.UnusedKeyDays in the default policy
// seeded from Config.Policy.
const DefaultUnusedKeyDays = 90

// tenantPolicy is the stored form of a configured (v2) policy that
// withDefaults filled in: the seed of the database-wide default.
func (p Policy) tenantPolicy() TenantPolicy {
	limit := p.MaxKeysPerAccount
	if limit == NoKeyLimit {
		limit = 0
	}
	return TenantPolicy{
		MaxKeysPerAccount:  limit,
		MaxKeyLifetime:     p.MaxKeyLifetime,
		DefaultKeyLifetime: p.DefaultKeyLifetime,
		MaxRotationGrace:   p.MaxRotationGrace,
		LeakedKeyAction:    string(LeakedKeyDisable),
		UnusedKeyDays:      DefaultUnusedKeyDays,
	}
}

// checkTenantPolicy validates p, naming fields as the admin API's JSON
// does, and fills in LeakedKeyAction ("" is LeakedKeyDisable).
func checkTenantPolicy(p TenantPolicy) (TenantPolicy, error) {
	var errs []FieldError
	fail := func(field, msg string) { errs = append(errs, FieldError{Field: field, Message: msg}) }
	if p.MaxKeysPerAccount < 0 {
		fail("maxKeysPerAccount", "must not be negative (0 means no limit)")
	}
	for _, d := range []struct {
		field string
		value time.Duration
	}{
		{"maxKeyLifetimeSeconds", p.MaxKeyLifetime},
		{"defaultKeyLifetimeSeconds", p.DefaultKeyLifetime},
		{"maxRotationGraceSeconds", p.MaxRotationGrace},
	} {
		switch {
		case d.value < 0:
			fail(d.field, "must not be negative")
		case d.value > maxPolicyDuration:
			fail(d.field, fmt.Sprintf("must be at most %d", int64(maxPolicyDuration/time.Second)))
		case d.value%time.Second != 0:
			fail(d.field, "must be a whole number of seconds")
		}
	}
	if p.MaxKeyLifetime > 0 && p.DefaultKeyLifetime > p.MaxKeyLifetime {
		fail("defaultKeyLifetimeSeconds", fmt.Sprintf("must not exceed maxKeyLifetimeSeconds (%d)", int64(p.MaxKeyLifetime/time.Second)))
	}
	switch LeakedKeyAction(p.LeakedKeyAction) {
	case "":
		p.LeakedKeyAction = string(LeakedKeyDisable)
	case LeakedKeyDisable, LeakedKeyDelete:
	default:
		fail("leakedKeyAction", fmt.Sprintf("must be %q or %q", LeakedKeyDisable, LeakedKeyDelete))
	}
	if p.UnusedKeyDays < 0 || p.UnusedKeyDays > MaxFilterDays {
		fail("unusedKeyDays", fmt.Sprintf("must be between 0 (no key.unused notices) and %d", MaxFilterDays))
	}
	if len(errs) > 0 {
		return TenantPolicy{}, &ValidationError{Fields: errs}
	}
	return p, nil
}

// EffectivePolicy returns the policy that governs m's tenant: its stored
// policy (stored true), or else the database-wide default (stored false),
// which is written from Config.Policy first if the database has none.
func (m *Manager) EffectivePolicy(ctx context.Context) (p TenantPolicy, stored bool, err error) {
	err = m.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		p, stored, err = m.effectivePolicy(ctx, tx)
		return err
	})
	if err != nil {
		return TenantPolicy{}, false, fmt.Errorf("read the policy of tenant %s: %w", m.tenant, err)
	}
	return p, stored, nil
}

// effectivePolicy reads m's tenant's policy in tx: key creation and
// rotation call it inside their own transaction, so that every instance
// and the CLI enforce the policy as stored at that moment.
func (m *Manager) effectivePolicy(ctx context.Context, tx store.Tx) (TenantPolicy, bool, error) {
	p, err := tx.PolicyGet(ctx, m.tenant)
	if err == nil {
		return p, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return TenantPolicy{}, false, err
	}
	p, err = m.defaultPolicy(ctx, tx)
	return p, false, err
}

// defaultPolicy reads the database-wide default in tx, storing the seed
// from Config.Policy when there is none yet: insert-if-absent, so that
// instances starting together agree on the first one stored.
func (m *Manager) defaultPolicy(ctx context.Context, tx store.Tx) (TenantPolicy, error) {
	p, err := tx.PolicyDefaultGet(ctx)
	if errors.Is(err, store.ErrNotFound) {
		p, err = tx.PolicyDefaultInit(ctx, m.policy.tenantPolicy())
	}
	return p, err
}

// SetPolicy stores p as the policy of m's tenant and returns it as stored
// (LeakedKeyAction filled in). It is audited (policy.update), and other
// instances hear of it through the change log. Invalid fields are a
// *ValidationError naming them; nothing is written then.
func (m *Manager) SetPolicy(ctx context.Context, p TenantPolicy) (TenantPolicy, error) {
	p, err := checkTenantPolicy(p)
	if err != nil {
		return TenantPolicy{}, err
	}
	err = m.write(ctx, func(ctx context.Context, u *unit) error {
		var before map[string]any
		old, err := u.PolicyGet(ctx, u.tenant)
		switch {
		case err == nil:
			before = auditPolicy(old)
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		if err := u.PolicyPut(ctx, u.tenant, p); err != nil {
			return err
		}
		u.audited(store.ActionPolicyUpdate, uuid.Nil, nil, before, auditPolicy(p))
		u.changed(Change{Kind: PolicyUpdated, Tenant: u.tenant})
		return nil
	})
	if err != nil {
		return TenantPolicy{}, fmt.Errorf("set the policy of tenant %s: %w", m.tenant, err)
	}
	return p, nil
}

// DefaultPolicy returns the database-wide default policy, which governs
// every tenant without a stored policy, writing it from Config.Policy
// first if the database has none.
func (m *Manager) DefaultPolicy(ctx context.Context) (TenantPolicy, error) {
	var p TenantPolicy
	err := m.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		p, err = m.defaultPolicy(ctx, tx)
		return err
	})
	if err != nil {
		return TenantPolicy{}, fmt.Errorf("read the default policy: %w", err)
	}
	return p, nil
}

// SetDefaultPolicy stores p as the database-wide default policy and
// returns it as stored. It is audited (policy.update with "defaults":
// true) in m's tenant's log, and other instances hear of it through the
// change log. Invalid fields are a *ValidationError naming them.
func (m *Manager) SetDefaultPolicy(ctx context.Context, p TenantPolicy) (TenantPolicy, error) {
	p, err := checkTenantPolicy(p)
	if err != nil {
		return TenantPolicy{}, err
	}
	err = m.write(ctx, func(ctx context.Context, u *unit) error {
		var before map[string]any
		old, err := u.PolicyDefaultGet(ctx)
		switch {
		case err == nil:
			before = auditPolicy(old)
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		if err := u.PolicyDefaultPut(ctx, p); err != nil {
			return err
		}
		u.auditedDetails(store.ActionPolicyUpdate, uuid.Nil, nil, AuditDetails{Before: before, After: auditPolicy(p), Defaults: true})
		u.changed(Change{Kind: PolicyUpdated})
		return nil
	})
	if err != nil {
		return TenantPolicy{}, fmt.Errorf("set the default policy: %w", err)
	}
	return p, nil
}

// auditPolicy shows a policy as the admin API's JSON does.
func auditPolicy(p TenantPolicy) map[string]any {
	return map[string]any{
		"maxKeysPerAccount":         p.MaxKeysPerAccount,
		"maxKeyLifetimeSeconds":     int64(p.MaxKeyLifetime / time.Second),
		"defaultKeyLifetimeSeconds": int64(p.DefaultKeyLifetime / time.Second),
		"maxRotationGraceSeconds":   int64(p.MaxRotationGrace / time.Second),
		"leakedKeyAction":           p.LeakedKeyAction,
		"unusedKeyDays":             p.UnusedKeyDays,
	}
}

// checkNewExpiry judges an expiry that the caller chose for a key created
// at now: in the future, and within pol's maximum lifetime. field names
// the input for errors.
func checkNewExpiry(pol TenantPolicy, field string, at, now time.Time) error {
	if err := checkTime(field, at); err != nil {
		return err
	}
	if !at.After(now) {
		return invalid(field, "must be in the future")
	}
	if maxLife := pol.MaxKeyLifetime; maxLife > 0 && at.After(now.Add(maxLife)) {
		return invalid(field, fmt.Sprintf("must be at most %s after now (%s), the policy's maximum key lifetime",
			maxLife, now.Add(maxLife).Format(time.RFC3339)))
	}
	return nil
}

// defaultExpiry is the expiry of a key created at now without one: pol's
// default lifetime, or none. With a maximum lifetime and no default, the
// caller must choose: an error naming field.
func defaultExpiry(pol TenantPolicy, field string, now time.Time) (*time.Time, error) {
	if d := pol.DefaultKeyLifetime; d > 0 {
		t := now.Add(d)
		return &t, nil
	}
	if maxLife := pol.MaxKeyLifetime; maxLife > 0 {
		return nil, invalid(field, fmt.Sprintf("is required: the policy's maximum key lifetime is %s", maxLife))
	}
	return nil, nil
}

// checkKeyCount refuses a new key of an account that holds pol's maximum
// of unexpired keys (0: no maximum). It runs in the transaction that adds
// the key, after the account row was locked (Tx.AccountGet), so two
// concurrent creations cannot both pass at the limit.
func checkKeyCount(pol TenantPolicy, keys []apikey.Key, now time.Time) error {
	limit := pol.MaxKeysPerAccount
	if limit == 0 {
		return nil
	}
	if n, _ := unexpiredKeys(keys, uuid.Nil, now); n >= limit {
		return &ConflictError{Reason: fmt.Sprintf("the account has %s and MaxKeysPerAccount is %d; delete one or let one expire", countOf(n, "unexpired key"), limit)}
	}
	return nil
}

// checkRotationKeyCount refuses the rotation of key old, which keeps old
// for a grace period, when the account's other unexpired keys already
// number pol's maximum: the rotation may take the account one key over
// the cap (old leaves with its grace period), never more. Like
// checkKeyCount it runs after the account row was locked.
func checkRotationKeyCount(pol TenantPolicy, keys []apikey.Key, old uuid.UUID, now time.Time) error {
	limit := pol.MaxKeysPerAccount
	if limit == 0 {
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
