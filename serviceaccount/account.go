package serviceaccount

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// AccountInput is what an administrator types for an account. Label and
// description are trimmed of surrounding spaces before validation. The
// max= tags repeat MaxLabelLength and MaxDescriptionLength (struct tags
// must be literals); the tests check the two agree. Both must be valid
// UTF-8 without control or bidirectional formatting characters; the label
// must also fit on one line and hold a visible character, so that no label
// looks blank or like another one in a list.
type AccountInput struct {
	Label       string `json:"label" validate:"required,max=100,singleline,visible"`
	Description string `json:"description" validate:"max=1000,multiline"`
	// Metadata is the application's own data about the account (see
	// package metadata). CreateAccount: nil, or a pointer to nil, is
	// none. UpdateAccount: nil keeps the account's, a pointer to nil
	// removes it.
	Metadata *metadata.Map `json:"metadata"`
}

// checkedMetadata validates the metadata a pointer gives: set reports
// whether it gives any (a pointer to nil gives "none").
func checkedMetadata(p *metadata.Map) (m metadata.Map, set bool, err error) {
	if p == nil {
		return nil, false, nil
	}
	m, err = checkMetadata("metadata", *p)
	return m, true, err
}

func (in *AccountInput) normalize() {
	in.Label = strings.TrimSpace(in.Label)
	in.Description = strings.TrimSpace(in.Description)
}

// CreateAccount creates a service account.
func (m *Manager) CreateAccount(ctx context.Context, in AccountInput) (Account, error) {
	in.normalize()
	if err := validateStruct(m.validate, in); err != nil {
		return Account{}, err
	}
	meta, _, err := checkedMetadata(in.Metadata)
	if err != nil {
		return Account{}, err
	}
	now := m.now()
	a := Account{ID: newID(), Tenant: m.tenant, Label: in.Label, Description: in.Description, CreatedAt: now, UpdatedAt: now, Metadata: meta}
	err = m.write(ctx, func(ctx context.Context, u *unit) error {
		if err := u.AccountCreate(ctx, m.tenant, a); err != nil {
			return err
		}
		u.audited(store.ActionAccountCreate, a.ID, nil, nil, auditAccount(a))
		u.changed(Change{Kind: AccountCreated, AccountID: a.ID})
		return nil
	})
	if err != nil {
		return Account{}, fmt.Errorf("create account: %w", err)
	}
	return a, nil
}

// Account returns the account with id; store.ErrNotFound if there is none.
func (m *Manager) Account(ctx context.Context, id uuid.UUID) (Account, error) {
	a, err := m.store.AccountGet(ctx, m.tenant, id)
	if err != nil {
		return Account{}, fmt.Errorf("get account %s: %w", id, err)
	}
	return a, nil
}

// UpdateAccount replaces the label and description of account id, and
// its metadata when in gives it; whether it is disabled stays as it is
// (PatchAccount changes that).
func (m *Manager) UpdateAccount(ctx context.Context, id uuid.UUID, in AccountInput) (Account, error) {
	in.normalize()
	if err := validateStruct(m.validate, in); err != nil {
		return Account{}, err
	}
	meta, setMeta, err := checkedMetadata(in.Metadata)
	if err != nil {
		return Account{}, err
	}
	var a Account
	err = m.write(ctx, func(ctx context.Context, u *unit) error {
		before, err := u.AccountGet(ctx, m.tenant, id)
		if err != nil {
			return err
		}
		if err := checkRevision(ctx, AccountRevision(before)); err != nil {
			return err
		}
		if !setMeta {
			meta = before.Metadata
		}
		a, err = u.AccountUpdate(ctx, m.tenant, store.AccountUpdateParams{ID: id, Label: in.Label, Description: in.Description, DisabledAt: before.DisabledAt, UpdatedAt: m.now(), Metadata: meta})
		if err != nil {
			return err
		}
		u.audited(store.ActionAccountUpdate, id, nil, auditAccount(before), auditAccount(a))
		u.changed(Change{Kind: AccountUpdated, AccountID: id})
		return nil
	})
	if err != nil {
		return Account{}, fmt.Errorf("update account %s: %w", id, err)
	}
	return a, nil
}

// DeleteAccount deletes account id with all its keys and permissions, in
// one transaction. Its keys stop authenticating at once in every
// middleware subscribed to this Manager.
func (m *Manager) DeleteAccount(ctx context.Context, id uuid.UUID) error {
	err := m.write(ctx, func(ctx context.Context, u *unit) error {
		before, err := u.accountWithEverything(ctx, id)
		if err != nil {
			return err
		}
		if err := u.AccountDelete(ctx, m.tenant, id); err != nil {
			return err
		}
		u.audited(store.ActionAccountDelete, id, nil, before, nil)
		u.changed(Change{Kind: AccountDeleted, AccountID: id})
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete account %s: %w", id, err)
	}
	return nil
}

// ListAccountsParams selects one page of accounts.
type ListAccountsParams struct {
	// Limit is the page size, 1 to MaxPageSize; 0 means DefaultPageSize.
	Limit int
	// Cursor is the NextCursor of the previous page; "" for the first.
	Cursor string
	// Label, when not empty after trimming, keeps the accounts whose
	// label holds it, ignoring case (a substring, wildcards taken
	// literally); at most MaxLabelLength characters. The store filters,
	// so every page but the last is full; a cursor belongs to its search.
	Label string
}

// AccountPage is one page of accounts in creation order.
type AccountPage struct {
	Items []Account
	// NextCursor fetches the next page; "" on the last page.
	NextCursor string
}

// ListAccounts returns one page of accounts in creation order. The cursor
// is opaque and URL-safe; an invalid one or a limit out of range is a
// *ValidationError.
func (m *Manager) ListAccounts(ctx context.Context, p ListAccountsParams) (AccountPage, error) {
	limit, after, err := pageOf(p.Limit, p.Cursor)
	if err != nil {
		return AccountPage{}, err
	}
	label := strings.TrimSpace(p.Label)
	if utf8.RuneCountInString(label) > store.MaxLabelLength {
		return AccountPage{}, invalid("label", fmt.Sprintf("must be at most %d characters", store.MaxLabelLength))
	}
	// One extra row tells whether another page follows, so the last page
	// says so without a further round trip.
	var items []Account
	if label == "" {
		items, err = m.store.AccountList(ctx, m.tenant, after, limit+1)
	} else {
		items, err = m.store.AccountSearch(ctx, m.tenant, label, after, limit+1)
	}
	if err != nil {
		return AccountPage{}, fmt.Errorf("list accounts: %w", err)
	}
	page := AccountPage{}
	page.Items, page.NextCursor = trimPage(items, limit, func(a Account) uuid.UUID { return a.ID })
	return page, nil
}

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
	// Metadata replaces the account's metadata whole; a pointer to nil
	// removes it.
	Metadata *metadata.Map `json:"metadata"`
}

// PatchAccount changes the fields p sets, in one transaction, and returns
// the account as stored. A patch that changes nothing (disabling a
// disabled account) writes nothing and announces nothing. Disabling is
// announced to subscribers, so the middleware refuses the account's keys
// from the next request on.
func (m *Manager) PatchAccount(ctx context.Context, id uuid.UUID, p AccountPatch) (Account, error) {
	if p.Label == nil && p.Description == nil && p.Disabled == nil && p.Metadata == nil {
		return Account{}, invalid("", "set at least one of label, description, disabled, metadata")
	}
	meta, setMeta, err := checkedMetadata(p.Metadata)
	if err != nil {
		return Account{}, err
	}
	var a Account
	err = m.write(ctx, func(ctx context.Context, u *unit) error {
		current, err := u.AccountGet(ctx, m.tenant, id)
		if err != nil {
			return err
		}
		if err := checkRevision(ctx, AccountRevision(current)); err != nil {
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
		if !setMeta {
			meta = current.Metadata
		}
		relabeled := in.Label != current.Label || in.Description != current.Description || !metadata.Equal(meta, current.Metadata)
		if !relabeled && kind == 0 {
			a = current
			return nil
		}
		a, err = u.AccountUpdate(ctx, m.tenant, store.AccountUpdateParams{ID: id, Label: in.Label, Description: in.Description, DisabledAt: disabledAt, UpdatedAt: now, Metadata: meta})
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
