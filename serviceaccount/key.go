package serviceaccount

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// KeyPatch changes some fields of a key: nil leaves a field as it is, and
// at least one must be set.
type KeyPatch struct {
	// Name is trimmed and validated as in CreateKeyInput; "" removes it.
	Name *string `json:"name"`
	// Disabled true disables the key (it stops authenticating and still
	// counts as a key of the account); false enables it again.
	Disabled *bool `json:"disabled"`

	// The restrictions, validated as in CreateKeyInput, each replaced
	// whole: nil leaves it as it is, a pointer to nil removes it.
	Scopes       *[]apikey.Scope    `json:"scopes"`
	AllowedCIDRs *[]string          `json:"allowedCidrs"`
	RateLimit    **apikey.RateLimit `json:"rateLimit"`
	Metadata     *metadata.Map      `json:"metadata"`
}

func (p KeyPatch) restrictions() restrictionChanges {
	return restrictionChanges{scopes: p.Scopes, cidrs: p.AllowedCIDRs, rateLimit: p.RateLimit, metadata: p.Metadata}
}

// PatchKey changes the fields p sets on key keyID of account accountID
// (store.ErrNotFound if the key belongs to another account), in one
// transaction, and returns the key as stored. A patch that changes
// nothing writes and announces nothing. Disabling is announced, and so is
// a change of restrictions, so the middleware applies it from the next
// request on.
func (m *Manager) PatchKey(ctx context.Context, accountID, keyID uuid.UUID, p KeyPatch) (apikey.Key, error) {
	if p.Name == nil && p.Disabled == nil && !p.restrictions().any() {
		return apikey.Key{}, invalid("", "set at least one of name, disabled, scopes, allowedCidrs, rateLimit, metadata")
	}
	changes, err := m.checkChanges(p.restrictions())
	if err != nil {
		return apikey.Key{}, err
	}
	if p.Name != nil {
		name := strings.TrimSpace(*p.Name)
		if err := validateStruct(m.validate, CreateKeyInput{Name: name}); err != nil {
			return apikey.Key{}, err
		}
		p.Name = &name
	}
	var k apikey.Key
	err = m.write(ctx, func(ctx context.Context, u *unit) error {
		current, err := u.KeyGet(ctx, m.tenant, accountID, keyID)
		if err != nil {
			return err
		}
		if err := checkRevision(ctx, KeyRevision(current)); err != nil {
			return err
		}
		name := current.Name
		if p.Name != nil {
			name = *p.Name
		}
		disabledAt, kind := toggle(current.DisabledAt, p.Disabled, m.now(), KeyDisabled, KeyEnabled)
		restrictions := changes.apply(current)
		edited := name != current.Name || !restrictions.equal(current)
		if !edited && kind == 0 {
			k = current
			return nil
		}
		k, err = u.KeyUpdate(ctx, m.tenant, store.KeyUpdateParams{AccountID: accountID, KeyID: keyID, Name: name,
			ExpiresAt: current.ExpiresAt, DisabledAt: disabledAt, ReplacedBy: current.ReplacedBy,
			Scopes: restrictions.scopes, AllowedCIDRs: restrictions.cidrs, RateLimit: restrictions.rateLimit, Metadata: restrictions.metadata})
		if err != nil {
			return err
		}
		action := store.ActionKeyUpdate
		if edited {
			u.changed(Change{Kind: KeyUpdated, AccountID: accountID, KeyID: keyID})
		}
		if kind != 0 {
			u.changed(Change{Kind: kind, AccountID: accountID, KeyID: keyID})
			action = toggleAction(kind)
		}
		u.audited(action, accountID, &keyID, auditKey(current), auditKey(k))
		return nil
	})
	if err != nil {
		return apikey.Key{}, fmt.Errorf("patch key %s of account %s: %w", keyID, accountID, err)
	}
	return k, nil
}

// RotateKeyInput describes a rotation. Every field is optional.
type RotateKeyInput struct {
	// Name of the new key; nil keeps the old key's name.
	Name *string `json:"name"`
	// ExpiresAt of the new key, within the policy; nil gives it the
	// lifetime the old key was created with, counted from now (capped at
	// the policy's MaxKeyLifetime), or, if the old key had none, the
	// policy's DefaultKeyLifetime or none.
	ExpiresAt *time.Time `json:"expiresAt"`
	// GracePeriodSeconds is how long the old key keeps working: 0 to the
	// policy's MaxRotationGrace; 0 ends it at once; nil means
	// DefaultRotationGrace (24 h). The old key's expiry only ever moves
	// earlier: it becomes min(its expiry, now + grace).
	GracePeriodSeconds *int64 `json:"gracePeriodSeconds"`

	// The new key's restrictions: nil copies the old key's, a pointer to
	// nil gives the new key none, anything else replaces it (validated as
	// in CreateKeyInput). The new key's rate budget starts full.
	Scopes       *[]apikey.Scope    `json:"scopes"`
	AllowedCIDRs *[]string          `json:"allowedCidrs"`
	RateLimit    **apikey.RateLimit `json:"rateLimit"`
	Metadata     *metadata.Map      `json:"metadata"`
}

// RotatedKey is the result of a rotation: the new key with its plaintext
// (shown this once) and the old key as it is now stored (its shortened
// expiry and ReplacedBy).
type RotatedKey struct {
	Created  CreatedKey
	Previous apikey.Key
}

// RotateKey replaces key keyID of account accountID by a new key of the
// same account, in one transaction: the new key is created and the old
// one's expiry shortened to the grace period, with ReplacedBy naming the
// new key, so a crash leaves both changes or neither. The account's
// permissions apply to the new key as they did to the old one (they belong
// to the account). A disabled, expired or already replaced key is a
// *ConflictError, and so is a rotation with a grace period that would take
// the account more than one key over the policy's key cap (see
// Policy.MaxKeysPerAccount); one without (GracePeriodSeconds 0) replaces
// the key at once and is never refused for the cap. Both keys are
// announced (KeyCreated, KeyRotated).
func (m *Manager) RotateKey(ctx context.Context, accountID, keyID uuid.UUID, in RotateKeyInput) (RotatedKey, error) {
	now := m.now()
	if s := in.GracePeriodSeconds; s != nil && *s < 0 {
		return RotatedKey{}, invalid("gracePeriodSeconds", "must not be negative")
	}
	var name *string
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if err := validateStruct(m.validate, CreateKeyInput{Name: n}); err != nil {
			return RotatedKey{}, err
		}
		name = &n
	}
	var given *time.Time
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC().Truncate(time.Microsecond)
		if err := checkTime("expiresAt", t); err != nil {
			return RotatedKey{}, err
		}
		given = &t
	}
	changes, err := m.checkChanges(restrictionChanges{scopes: in.Scopes, cidrs: in.AllowedCIDRs, rateLimit: in.RateLimit, metadata: in.Metadata})
	if err != nil {
		return RotatedKey{}, err
	}

	var out RotatedKey
	err = m.write(ctx, func(ctx context.Context, u *unit) error {
		// The account first, as CreateKey and DeleteAccount lock it, so
		// that the key count below cannot race a creation or another
		// rotation; then the key: one rotation of it at a time.
		if _, err := u.AccountGet(ctx, m.tenant, accountID); err != nil {
			return err
		}
		// The tenant's policy as stored now, read in this transaction.
		pol, _, err := m.effectivePolicy(ctx, u)
		if err != nil {
			return err
		}
		grace := min(DefaultRotationGrace, pol.MaxRotationGrace)
		if s := in.GracePeriodSeconds; s != nil {
			maxSeconds := int64(pol.MaxRotationGrace / time.Second)
			if *s > maxSeconds {
				return invalid("gracePeriodSeconds", fmt.Sprintf("must be between 0 and %d (the policy's maximum rotation grace, %s)", maxSeconds, pol.MaxRotationGrace))
			}
			grace = time.Duration(*s) * time.Second
		}
		if given != nil {
			if err := checkNewExpiry(pol, "expiresAt", *given, now); err != nil {
				return err
			}
		}
		old, err := u.KeyGet(ctx, m.tenant, accountID, keyID)
		if err != nil {
			return err
		}
		switch {
		case old.ReplacedBy != nil:
			return &ConflictError{Reason: fmt.Sprintf("the key was already replaced by rotation (by key %s)", *old.ReplacedBy)}
		case old.Disabled():
			return &ConflictError{Reason: "the key is disabled; enable it to rotate it, or create a new key"}
		case old.Expired(now):
			return &ConflictError{Reason: "the key has expired; create a new key instead"}
		}
		// The old key lives on for the grace period, never longer than
		// it would have.
		oldExpiry := now.Add(grace)
		if old.ExpiresAt != nil && old.ExpiresAt.Before(oldExpiry) {
			oldExpiry = *old.ExpiresAt
		}
		if oldExpiry.After(now) {
			keys, err := u.KeyList(ctx, m.tenant, accountID)
			if err != nil {
				return err
			}
			if err := checkRotationKeyCount(pol, keys, keyID, now); err != nil {
				return err
			}
		}
		newName := old.Name
		if name != nil {
			newName = *name
		}
		expiresAt := given
		if expiresAt == nil {
			if expiresAt, err = rotatedExpiry(pol, old, now); err != nil {
				return err
			}
		}
		created, err := m.newKey(accountID, newName, now, expiresAt)
		if err != nil {
			return err
		}
		changes.apply(old).set(&created.Key)
		if err := u.KeyCreate(ctx, m.tenant, created.Key); err != nil {
			return err
		}
		previous, err := u.KeyUpdate(ctx, m.tenant, store.KeyUpdateParams{AccountID: accountID, KeyID: keyID, Name: old.Name,
			ExpiresAt: &oldExpiry, DisabledAt: old.DisabledAt, ReplacedBy: &created.Key.ID,
			Scopes: old.Scopes, AllowedCIDRs: old.AllowedCIDRs, RateLimit: old.RateLimit, Metadata: old.Metadata})
		if err != nil {
			return err
		}
		u.auditedDetails(store.ActionKeyRotate, accountID, &keyID, AuditDetails{
			Before: auditKey(old), After: auditKey(previous), Created: auditKey(created.Key),
		})
		u.changed(Change{Kind: KeyCreated, AccountID: accountID, KeyID: created.Key.ID})
		u.changed(Change{Kind: KeyRotated, AccountID: accountID, KeyID: keyID})
		out = RotatedKey{Created: created, Previous: previous}
		return nil
	})
	if verr := (*ValidationError)(nil); errors.As(err, &verr) {
		return RotatedKey{}, err // as before the policy was read in the transaction: unwrapped
	}
	if err != nil {
		return RotatedKey{}, fmt.Errorf("rotate key %s of account %s: %w", keyID, accountID, err)
	}
	return out, nil
}

// rotatedExpiry is the expiry of a key that replaces old at now when the
// caller chose none: old's lifetime again, capped at the policy's
// maximum; for a key that never expired, the policy's default.
func rotatedExpiry(pol TenantPolicy, old apikey.Key, now time.Time) (*time.Time, error) {
	if old.ExpiresAt == nil {
		return defaultExpiry(pol, "expiresAt", now)
	}
	life := old.ExpiresAt.Sub(old.CreatedAt)
	if maxLife := pol.MaxKeyLifetime; maxLife > 0 && life > maxLife {
		life = maxLife
	}
	t := now.Add(life)
	return &t, nil
}

// ListAllKeysParams selects one page of the keys of all accounts: the
// hygiene list. The filters are optional and ANDed.
type ListAllKeysParams struct {
	// ExpiresWithinDays, when set, keeps keys not yet expired whose expiry
	// is within that many days (0 to MaxFilterDays).
	ExpiresWithinDays *int
	// UnusedForDays, when set, keeps keys last used more than that many
	// days ago, and keys never used that were created more than that
	// many days ago (0 to MaxFilterDays).
	UnusedForDays *int
	// Limit is the page size, 1 to MaxPageSize; 0 means DefaultPageSize.
	Limit int
	// Cursor is the NextCursor of the previous page; "" for the first.
	Cursor string
}

// MaxFilterDays bounds the day counts of ListAllKeys (about 100 years),
// so that the times they make stay within what every store holds.
const MaxFilterDays = 36500

// KeyPage is one page of keys in id (creation) order.
type KeyPage struct {
	Items []apikey.Key
	// NextCursor fetches the next page; "" on the last page.
	NextCursor string
}

// ListAllKeys returns one page of the keys of all accounts, in id order
// (creation order, stable across pages), that pass p's filters: keys to
// rotate (expiring soon) or remove (unused). Disabled, replaced and
// expired keys are listed like the others unless a filter leaves them
// out. Bad days, limits or cursors are a *ValidationError naming the
// parameter.
func (m *Manager) ListAllKeys(ctx context.Context, p ListAllKeysParams) (KeyPage, error) {
	limit, after, err := pageOf(p.Limit, p.Cursor)
	if err != nil {
		return KeyPage{}, err
	}
	now := m.now()
	var f store.KeyFilter
	if p.ExpiresWithinDays != nil {
		days, err := checkDays("expiresWithinDays", *p.ExpiresWithinDays)
		if err != nil {
			return KeyPage{}, err
		}
		by := now.Add(days)
		f.ExpiresAfter, f.ExpiresBy = &now, &by
	}
	if p.UnusedForDays != nil {
		days, err := checkDays("unusedForDays", *p.UnusedForDays)
		if err != nil {
			return KeyPage{}, err
		}
		since := now.Add(-days)
		f.UnusedSince = &since
	}
	items, err := m.store.KeyListAll(ctx, m.tenant, after, limit+1, f)
	if err != nil {
		return KeyPage{}, fmt.Errorf("list all keys: %w", err)
	}
	page := KeyPage{}
	page.Items, page.NextCursor = trimPage(items, limit, func(k apikey.Key) uuid.UUID { return k.ID })
	return page, nil
}

func checkDays(field string, days int) (time.Duration, error) {
	if days < 0 || days > MaxFilterDays {
		return 0, invalid(field, fmt.Sprintf("must be between 0 and %d", MaxFilterDays))
	}
	return time.Duration(days) * 24 * time.Hour, nil
}

// CreateKeyInput describes a new API key. Every field is optional.
type CreateKeyInput struct {
	// Name says which integration uses the key; trimmed, at most 100
	// characters (MaxKeyNameLength), one line.
	Name string `json:"name" validate:"omitempty,max=100,singleline,visible"`
	// ExpiresAt, when set, must lie in the future by the Manager's clock,
	// within MinTime and MaxTime, and within the policy's MaxKeyLifetime.
	// When nil, the policy's DefaultKeyLifetime applies (none by default).
	ExpiresAt *time.Time `json:"expiresAt"`

	// The restrictions, each nil for none (see apikey.Key). Scopes: 1 to
	// apikey.MaxScopes patterns the catalog accepts, with the
	// permissions' wildcard rules; an empty slice is refused.
	// AllowedCIDRs: 1 to apikey.MaxAllowedCIDRs CIDRs or bare addresses
	// (a single host), without host bits set; an empty slice is refused.
	// RateLimit: 1 to apikey.MaxRateLimit requests per 1 s to
	// apikey.MaxRateLimitPeriod, in whole seconds. Metadata: see package
	// metadata. Errors name the JSON field at fault (scopes[2].action,
	// allowedCidrs[0], rateLimit.periodSeconds, metadata.environment).
	Scopes       []apikey.Scope    `json:"scopes"`
	AllowedCIDRs []string          `json:"allowedCidrs"`
	RateLimit    *apikey.RateLimit `json:"rateLimit"`
	Metadata     metadata.Map      `json:"metadata"`
}

// CreatedKey is a new key with its plaintext. The plaintext is never
// stored and cannot be shown again: hand it to the user now.
type CreatedKey struct {
	Key       apikey.Key
	Plaintext string
}

// CreateKey issues a new API key for account accountID, within the
// policy: a *ValidationError on expiresAt (past, beyond MaxKeyLifetime, or
// missing when a maximum lifetime is set without a default), a
// *ConflictError when the account holds MaxKeysPerAccount unexpired keys.
// A disabled account may be given keys; they work once it is enabled.
func (m *Manager) CreateKey(ctx context.Context, accountID uuid.UUID, in CreateKeyInput) (CreatedKey, error) {
	in.Name = strings.TrimSpace(in.Name)
	if err := validateStruct(m.validate, CreateKeyInput{Name: in.Name}); err != nil {
		return CreatedKey{}, err
	}
	// Every restriction is set: nil ones set "none".
	changes, err := m.checkChanges(restrictionChanges{scopes: &in.Scopes, cidrs: &in.AllowedCIDRs, rateLimit: &in.RateLimit, metadata: &in.Metadata})
	if err != nil {
		return CreatedKey{}, err
	}
	now := m.now()
	if in.ExpiresAt != nil {
		if err := checkTime("expiresAt", in.ExpiresAt.UTC().Truncate(time.Microsecond)); err != nil {
			return CreatedKey{}, err
		}
	}
	created, err := m.newKey(accountID, in.Name, now, nil)
	if err != nil {
		return CreatedKey{}, fmt.Errorf("create key for account %s: %w", accountID, err)
	}
	changes.keyRestrictions.set(&created.Key)
	err = m.write(ctx, func(ctx context.Context, u *unit) error {
		if _, err := u.AccountGet(ctx, m.tenant, accountID); err != nil { // locks the account for the count
			return err
		}
		// The tenant's policy as stored now, read in this transaction, so
		// that every instance and the CLI enforce the same one.
		pol, _, err := m.effectivePolicy(ctx, u)
		if err != nil {
			return err
		}
		if created.Key.ExpiresAt, err = expiryOfNewKey(pol, "expiresAt", in.ExpiresAt, now); err != nil {
			return err
		}
		keys, err := u.KeyList(ctx, m.tenant, accountID)
		if err != nil {
			return err
		}
		if err := checkKeyCount(pol, keys, now); err != nil {
			return err
		}
		if err := u.KeyCreate(ctx, m.tenant, created.Key); err != nil {
			return err
		}
		u.audited(store.ActionKeyCreate, accountID, &created.Key.ID, nil, auditKey(created.Key))
		u.changed(Change{Kind: KeyCreated, AccountID: accountID, KeyID: created.Key.ID})
		return nil
	})
	if verr := (*ValidationError)(nil); errors.As(err, &verr) {
		return CreatedKey{}, err // as before the policy was read in the transaction: unwrapped
	}
	if err != nil {
		return CreatedKey{}, fmt.Errorf("create key for account %s: %w", accountID, err)
	}
	return created, nil
}

// expiryOfNewKey is the expiry of a key created at now that asked for
// given (nil: none), within the policy.
func expiryOfNewKey(pol TenantPolicy, field string, given *time.Time, now time.Time) (*time.Time, error) {
	if given == nil {
		return defaultExpiry(pol, field, now)
	}
	t := given.UTC().Truncate(time.Microsecond)
	if err := checkNewExpiry(pol, field, t, now); err != nil {
		return nil, err
	}
	return &t, nil
}

// newKey generates a key and its record; nothing is stored.
func (m *Manager) newKey(accountID uuid.UUID, name string, now time.Time, expiresAt *time.Time) (CreatedKey, error) {
	plaintext, err := apikey.Generate(m.keyPrefix)
	if err != nil {
		return CreatedKey{}, err
	}
	return CreatedKey{
		Key: apikey.Key{
			ID:        newID(),
			AccountID: accountID,
			Hash:      apikey.HashKey(plaintext),
			Hint:      apikey.Hint(plaintext),
			CreatedAt: now,
			ExpiresAt: expiresAt,
			Name:      name,
		},
		Plaintext: plaintext,
	}, nil
}

// Keys lists the keys of account accountID in creation order; never their
// plaintext, which is not stored.
func (m *Manager) Keys(ctx context.Context, accountID uuid.UUID) ([]apikey.Key, error) {
	keys, err := m.store.KeyList(ctx, m.tenant, accountID)
	if err != nil {
		return nil, fmt.Errorf("list keys of account %s: %w", accountID, err)
	}
	return keys, nil
}

// DeleteKey deletes key keyID of account accountID; store.ErrNotFound if
// the key belongs to another account. The key stops authenticating at once
// in every middleware subscribed to this Manager.
func (m *Manager) DeleteKey(ctx context.Context, accountID, keyID uuid.UUID) error {
	err := m.write(ctx, func(ctx context.Context, u *unit) error {
		before, err := u.KeyGet(ctx, m.tenant, accountID, keyID)
		if err != nil {
			return err
		}
		if err := checkRevision(ctx, KeyRevision(before)); err != nil {
			return err
		}
		if err := u.KeyDelete(ctx, m.tenant, accountID, keyID); err != nil {
			return err
		}
		u.audited(store.ActionKeyDelete, accountID, &keyID, auditKey(before), nil)
		u.changed(Change{Kind: KeyDeleted, AccountID: accountID, KeyID: keyID})
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete key %s of account %s: %w", keyID, accountID, err)
	}
	return nil
}

// LookupKey loads what authenticating the key with hash h needs. It does
// not check expiry: the caller does, with Clock, on every request.
func (m *Manager) LookupKey(ctx context.Context, h apikey.Hash) (Credential, error) {
	c, err := m.store.KeyByHash(ctx, h)
	if err != nil {
		return Credential{}, fmt.Errorf("look up key: %w", err)
	}
	return c, nil
}

// TouchKeys records last use of keys in one batch; times only move forward.
func (m *Manager) TouchKeys(ctx context.Context, touches []KeyTouch) error {
	if len(touches) == 0 {
		return nil
	}
	if err := m.store.KeysTouch(ctx, touches); err != nil {
		return fmt.Errorf("record last use of %d keys: %w", len(touches), err)
	}
	return nil
}
