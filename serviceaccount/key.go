package serviceaccount

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// AccountPatch changes some fields of an account: nil leaves a field as
// it is, and at least one must be set. Label and Description are trimmed
// and validated as in AccountInput.
type AccountPatch struct {
	Label       *string `json:"label"`
	Description *string `json:"description"`
	// Disabled true disables the account (none of its keys authenticates
	// until it is enabled); false enables it. Disabling a disabled
	// account keeps the time it was first disabled.
	Disabled *bool `json:"disabled"`
}

// PatchAccount changes the fields p sets, in one transaction, and returns
// the account as stored. A patch that changes nothing (disabling a
// disabled account) writes nothing and announces nothing. Disabling is
// announced to subscribers, so the middleware refuses the account's keys
// from the next request on.
func (m *Manager) PatchAccount(ctx context.Context, id uuid.UUID, p AccountPatch) (Account, error) {
	if p.Label == nil && p.Description == nil && p.Disabled == nil {
		return Account{}, invalid("", "set at least one of label, description, disabled")
	}
	var a Account
	err := m.write(ctx, func(ctx context.Context, u *unit) error {
		current, err := u.AccountGet(ctx, id)
		if err != nil {
			return err
		}
		in := AccountInput{Label: current.Label, Description: current.Description}
		if p.Label != nil {
			in.Label = *p.Label
		}
		if p.Description != nil {
			in.Description = *p.Description
		}
		in.normalize()
		if err := validateStruct(m.validate, in); err != nil {
			return err
		}
		now := m.now()
		disabledAt, kind := toggle(current.DisabledAt, p.Disabled, now, AccountDisabled, AccountEnabled)
		relabeled := in.Label != current.Label || in.Description != current.Description
		if !relabeled && kind == 0 {
			a = current
			return nil
		}
		a, err = u.AccountUpdate(ctx, store.AccountUpdateParams{ID: id, Label: in.Label, Description: in.Description, DisabledAt: disabledAt, UpdatedAt: now})
		if err != nil {
			return err
		}
		action := store.ActionAccountUpdate
		if relabeled {
			u.changed(Change{Kind: AccountUpdated, AccountID: id})
		}
		if kind != 0 {
			u.changed(Change{Kind: kind, AccountID: id})
			action = toggleAction(kind)
		}
		u.audited(action, id, nil, auditAccount(current), auditAccount(a))
		return nil
	})
	if err != nil {
		return Account{}, fmt.Errorf("patch account %s: %w", id, err)
	}
	return a, nil
}

// toggle applies a requested disabled state to the current DisabledAt: it
// returns the new DisabledAt and the kind of change (0 for none).
func toggle(current *time.Time, disabled *bool, now time.Time, onDisable, onEnable ChangeKind) (*time.Time, ChangeKind) {
	switch {
	case disabled == nil:
		return current, 0
	case *disabled && current == nil:
		return &now, onDisable
	case !*disabled && current != nil:
		return nil, onEnable
	default:
		return current, 0 // already as asked: the first disable time stays
	}
}

// KeyPatch changes some fields of a key: nil leaves a field as it is, and
// at least one must be set.
type KeyPatch struct {
	// Name is trimmed and validated as in CreateKeyInput; "" removes it.
	Name *string `json:"name"`
	// Disabled true disables the key (it stops authenticating and still
	// counts as a key of the account); false enables it again.
	Disabled *bool `json:"disabled"`
}

// PatchKey changes the fields p sets on key keyID of account accountID
// (store.ErrNotFound if the key belongs to another account), in one
// transaction, and returns the key as stored. A patch that changes
// nothing writes and announces nothing. Disabling is announced, so the
// middleware refuses the key from the next request on.
func (m *Manager) PatchKey(ctx context.Context, accountID, keyID uuid.UUID, p KeyPatch) (apikey.Key, error) {
	if p.Name == nil && p.Disabled == nil {
		return apikey.Key{}, invalid("", "set at least one of name, disabled")
	}
	if p.Name != nil {
		name := strings.TrimSpace(*p.Name)
		if err := validateStruct(m.validate, CreateKeyInput{Name: name}); err != nil {
			return apikey.Key{}, err
		}
		p.Name = &name
	}
	var k apikey.Key
	err := m.write(ctx, func(ctx context.Context, u *unit) error {
		current, err := u.KeyGet(ctx, accountID, keyID)
		if err != nil {
			return err
		}
		name := current.Name
		if p.Name != nil {
			name = *p.Name
		}
		disabledAt, kind := toggle(current.DisabledAt, p.Disabled, m.now(), KeyDisabled, KeyEnabled)
		renamed := name != current.Name
		if !renamed && kind == 0 {
			k = current
			return nil
		}
		k, err = u.KeyUpdate(ctx, store.KeyUpdateParams{AccountID: accountID, KeyID: keyID, Name: name,
			ExpiresAt: current.ExpiresAt, DisabledAt: disabledAt, ReplacedBy: current.ReplacedBy})
		if err != nil {
			return err
		}
		action := store.ActionKeyUpdate
		if renamed {
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
	grace := DefaultRotationGrace
	if in.GracePeriodSeconds != nil {
		s := *in.GracePeriodSeconds
		maxSeconds := int64(m.policy.MaxRotationGrace / time.Second)
		if s < 0 || s > maxSeconds {
			return RotatedKey{}, invalid("gracePeriodSeconds", fmt.Sprintf("must be between 0 and %d (the policy's maximum rotation grace, %s)", maxSeconds, m.policy.MaxRotationGrace))
		}
		grace = time.Duration(s) * time.Second
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
		if err := m.checkNewExpiry("expiresAt", t, now); err != nil {
			return RotatedKey{}, err
		}
		given = &t
	}

	var out RotatedKey
	err := m.write(ctx, func(ctx context.Context, u *unit) error {
		// The account first, as CreateKey and DeleteAccount lock it, so
		// that the key count below cannot race a creation or another
		// rotation; then the key: one rotation of it at a time.
		if _, err := u.AccountGet(ctx, accountID); err != nil {
			return err
		}
		old, err := u.KeyGet(ctx, accountID, keyID)
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
			keys, err := u.KeyList(ctx, accountID)
			if err != nil {
				return err
			}
			if err := m.checkRotationKeyCount(keys, keyID, now); err != nil {
				return err
			}
		}
		newName := old.Name
		if name != nil {
			newName = *name
		}
		expiresAt := given
		if expiresAt == nil {
			if expiresAt, err = m.rotatedExpiry(old, now); err != nil {
				return err
			}
		}
		created, err := m.newKey(accountID, newName, now, expiresAt)
		if err != nil {
			return err
		}
		if err := u.KeyCreate(ctx, created.Key); err != nil {
			return err
		}
		previous, err := u.KeyUpdate(ctx, store.KeyUpdateParams{AccountID: accountID, KeyID: keyID, Name: old.Name,
			ExpiresAt: &oldExpiry, DisabledAt: old.DisabledAt, ReplacedBy: &created.Key.ID})
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
	if err != nil {
		return RotatedKey{}, fmt.Errorf("rotate key %s of account %s: %w", keyID, accountID, err)
	}
	return out, nil
}

// rotatedExpiry is the expiry of a key that replaces old at now when the
// caller chose none: old's lifetime again, capped at the policy's
// maximum; for a key that never expired, the policy's default.
func (m *Manager) rotatedExpiry(old apikey.Key, now time.Time) (*time.Time, error) {
	if old.ExpiresAt == nil {
		return m.defaultExpiry("expiresAt", now)
	}
	life := old.ExpiresAt.Sub(old.CreatedAt)
	if maxLife := m.policy.MaxKeyLifetime; maxLife > 0 && life > maxLife {
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
	items, err := m.store.KeyListAll(ctx, after, limit+1, f)
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
