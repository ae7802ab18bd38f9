package serviceaccount

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/go-playground/validator/v10"
	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// Page sizes of ListAccounts.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// Config configures a Manager. Only Store is required.
type Config struct {
	Store store.Store
	// Catalog validates permissions; nil means permission.DefaultCatalog().
	Catalog *permission.Catalog
	// Clock stamps every time and judges expiry; nil means the real clock.
	Clock clockwork.Clock
	// KeyPrefix starts every generated key; "" means apikey.DefaultPrefix.
	KeyPrefix string
	// Policy limits the keys issued; the zero value is the defaults (see
	// Policy).
	Policy Policy
}

// Manager is the one entry point for every change to service accounts, keys
// and permissions. It is safe for concurrent use.
type Manager struct {
	store     store.Store
	catalog   *permission.Catalog
	clock     clockwork.Clock
	keyPrefix string
	policy    Policy
	validate  *validator.Validate
	changes   subscribers
}

// NewManager checks cfg and fills in its defaults.
func NewManager(cfg Config) (*Manager, error) {
	if cfg.Store == nil {
		return nil, errors.New("serviceaccount: Config.Store is required")
	}
	if cfg.Catalog == nil {
		cfg.Catalog = permission.DefaultCatalog()
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = apikey.DefaultPrefix
	}
	if err := apikey.ValidatePrefix(cfg.KeyPrefix); err != nil {
		return nil, fmt.Errorf("serviceaccount: Config.KeyPrefix: %w", err)
	}
	policy, err := cfg.Policy.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("serviceaccount: Config.Policy: %w", err)
	}
	return &Manager{
		store:     cfg.Store,
		catalog:   cfg.Catalog,
		clock:     cfg.Clock,
		keyPrefix: cfg.KeyPrefix,
		policy:    policy,
		validate:  newValidator(),
	}, nil
}

// Catalog is the catalog permissions are validated against.
func (m *Manager) Catalog() *permission.Catalog { return m.catalog }

// Clock is the clock the Manager stamps times with; the middleware judges
// expiry with the same one.
func (m *Manager) Clock() clockwork.Clock { return m.clock }

// KeyPrefix is the prefix of the keys this Manager issues.
func (m *Manager) KeyPrefix() string { return m.keyPrefix }

// now is the clock's time as the stores keep it: UTC, microseconds.
func (m *Manager) now() time.Time {
	return m.clock.Now().UTC().Truncate(time.Microsecond)
}

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
	now := m.now()
	a := Account{ID: newID(), Label: in.Label, Description: in.Description, CreatedAt: now, UpdatedAt: now}
	err := m.write(ctx, func(ctx context.Context, u *unit) error {
		if err := u.AccountCreate(ctx, a); err != nil {
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
	a, err := m.store.AccountGet(ctx, id)
	if err != nil {
		return Account{}, fmt.Errorf("get account %s: %w", id, err)
	}
	return a, nil
}

// UpdateAccount replaces the label and description of account id; whether
// it is disabled stays as it is (PatchAccount changes that).
func (m *Manager) UpdateAccount(ctx context.Context, id uuid.UUID, in AccountInput) (Account, error) {
	in.normalize()
	if err := validateStruct(m.validate, in); err != nil {
		return Account{}, err
	}
	var a Account
	err := m.write(ctx, func(ctx context.Context, u *unit) error {
		before, err := u.AccountGet(ctx, id)
		if err != nil {
			return err
		}
		a, err = u.AccountUpdate(ctx, store.AccountUpdateParams{ID: id, Label: in.Label, Description: in.Description, DisabledAt: before.DisabledAt, UpdatedAt: m.now()})
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
		if err := u.AccountDelete(ctx, id); err != nil {
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
	// One extra row tells whether another page follows, so the last page
	// says so without a further round trip.
	items, err := m.store.AccountList(ctx, after, limit+1)
	if err != nil {
		return AccountPage{}, fmt.Errorf("list accounts: %w", err)
	}
	page := AccountPage{}
	page.Items, page.NextCursor = trimPage(items, limit, func(a Account) uuid.UUID { return a.ID })
	return page, nil
}

// trimPage cuts the one extra item a list asked for, which tells that
// another page follows, and makes the cursor of that next page ("" on
// the last page).
func trimPage[T any](items []T, limit int, id func(T) uuid.UUID) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	return items[:limit], encodeCursor(id(items[limit-1]))
}

// pageOf checks a page size (0: DefaultPageSize) and decodes a cursor.
func pageOf(limit int, cursor string) (int, uuid.UUID, error) {
	if limit == 0 {
		limit = DefaultPageSize
	}
	if limit < 1 || limit > MaxPageSize {
		return 0, uuid.Nil, invalid("limit", fmt.Sprintf("must be between 1 and %d", MaxPageSize))
	}
	after, err := decodeCursor(cursor)
	if err != nil {
		return 0, uuid.Nil, err
	}
	return limit, after, nil
}

func encodeCursor(id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString(id[:])
}

func decodeCursor(cursor string) (uuid.UUID, error) {
	if cursor == "" {
		return uuid.Nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) != len(uuid.UUID{}) {
		return uuid.Nil, invalid("cursor", "is not a cursor returned by this API")
	}
	return uuid.UUID(b), nil
}

// CreateKeyInput describes a new API key. Both fields are optional.
type CreateKeyInput struct {
	// Name says which integration uses the key; trimmed, at most 100
	// characters (MaxKeyNameLength), one line.
	Name string `json:"name" validate:"omitempty,max=100,singleline,visible"`
	// ExpiresAt, when set, must lie in the future by the Manager's clock,
	// within MinTime and MaxTime, and within the policy's MaxKeyLifetime.
	// When nil, the policy's DefaultKeyLifetime applies (none by default).
	ExpiresAt *time.Time `json:"expiresAt"`
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
	if err := validateStruct(m.validate, in); err != nil {
		return CreatedKey{}, err
	}
	now := m.now()
	expiresAt, err := m.expiryOfNewKey("expiresAt", in.ExpiresAt, now)
	if err != nil {
		return CreatedKey{}, err
	}
	created, err := m.newKey(accountID, in.Name, now, expiresAt)
	if err != nil {
		return CreatedKey{}, fmt.Errorf("create key for account %s: %w", accountID, err)
	}
	err = m.write(ctx, func(ctx context.Context, u *unit) error {
		if _, err := u.AccountGet(ctx, accountID); err != nil { // locks the account for the count
			return err
		}
		keys, err := u.KeyList(ctx, accountID)
		if err != nil {
			return err
		}
		if err := m.checkKeyCount(keys, now); err != nil {
			return err
		}
		if err := u.KeyCreate(ctx, created.Key); err != nil {
			return err
		}
		u.audited(store.ActionKeyCreate, accountID, &created.Key.ID, nil, auditKey(created.Key))
		u.changed(Change{Kind: KeyCreated, AccountID: accountID, KeyID: created.Key.ID})
		return nil
	})
	if err != nil {
		return CreatedKey{}, fmt.Errorf("create key for account %s: %w", accountID, err)
	}
	return created, nil
}

// expiryOfNewKey is the expiry of a key created at now that asked for
// given (nil: none), within the policy.
func (m *Manager) expiryOfNewKey(field string, given *time.Time, now time.Time) (*time.Time, error) {
	if given == nil {
		return m.defaultExpiry(field, now)
	}
	t := given.UTC().Truncate(time.Microsecond)
	if err := m.checkNewExpiry(field, t, now); err != nil {
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
	keys, err := m.store.KeyList(ctx, accountID)
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
		before, err := u.KeyGet(ctx, accountID, keyID)
		if err != nil {
			return err
		}
		if err := u.KeyDelete(ctx, accountID, keyID); err != nil {
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

// PermissionInput describes a grant. Limiter is JSON (see package
// limiter); empty or null means none.
type PermissionInput struct {
	ResourceType string          `json:"resourceType" validate:"required,singleline"`
	ResourceKey  string          `json:"resourceKey" validate:"required,singleline"`
	Action       string          `json:"action" validate:"required,singleline"`
	Limiter      json.RawMessage `json:"limiter"`
}

// AddPermission grants a permission to account accountID after validating
// it against the catalog. An identical grant already held (same type, key,
// action and limiter grant form, so "x" and ["x"] are one grant) is a
// *ConflictError, which is also a store.ErrConflict, rather than a silent
// duplicate that would have to be deleted twice. The store's uniqueness
// rule decides it, so two identical concurrent grants cannot both succeed.
func (m *Manager) AddPermission(ctx context.Context, accountID uuid.UUID, in PermissionInput) (permission.Permission, error) {
	l, err := m.checkPermission(in)
	if err != nil {
		return permission.Permission{}, err
	}
	p := permission.Permission{
		ID:           newID(),
		AccountID:    accountID,
		ResourceType: in.ResourceType,
		ResourceKey:  in.ResourceKey,
		Action:       in.Action,
		Limiter:      l,
		CreatedAt:    m.now(),
	}
	err = m.write(ctx, func(ctx context.Context, u *unit) error {
		if err := u.PermissionCreate(ctx, p); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errPermissionHeld
			}
			return err
		}
		u.audited(store.ActionPermissionCreate, accountID, &p.ID, nil, auditPermission(p))
		u.changed(Change{Kind: PermissionCreated, AccountID: accountID, PermissionID: p.ID})
		return nil
	})
	if err != nil {
		return permission.Permission{}, fmt.Errorf("add permission to account %s: %w", accountID, err)
	}
	return p, nil
}

func (m *Manager) checkPermission(in PermissionInput) (*limiter.Limiter, error) {
	if err := validateStruct(m.validate, in); err != nil {
		return nil, err
	}
	l, err := parseLimiter(in.Limiter)
	if err != nil {
		return nil, err
	}
	if err := m.checkCatalog(in.ResourceType, in.ResourceKey, in.Action, l); err != nil {
		return nil, err
	}
	return l, nil
}

// checkCatalog turns the catalog's findings into a *ValidationError.
func (m *Manager) checkCatalog(resourceType, resourceKey, action string, l *limiter.Limiter) error {
	errs := m.catalog.Validate(resourceType, resourceKey, action, l)
	if len(errs) == 0 {
		return nil
	}
	out := &ValidationError{}
	for _, e := range errs {
		out.Fields = append(out.Fields, FieldError{Field: e.Field, Message: e.Message})
	}
	return out
}

func parseLimiter(raw json.RawMessage) (*limiter.Limiter, error) {
	l, err := limiter.Parse(raw)
	if err != nil {
		var le *limiter.Error
		if errors.As(err, &le) {
			return nil, invalid("limiter"+le.Path, le.Message)
		}
		return nil, invalid("limiter", err.Error())
	}
	if l != nil {
		// No request attribute a limiter should match holds a control
		// character, and PostgreSQL refuses NUL. Checked here rather than
		// in limiter.Parse, which also reads the limiters stored before.
		for path, s := range l.Strings() {
			if strings.IndexFunc(s, unicode.IsControl) >= 0 {
				return nil, invalid("limiter"+path, "must not hold control characters")
			}
		}
	}
	return l, nil
}

// Permissions lists the permissions of account accountID in creation order.
func (m *Manager) Permissions(ctx context.Context, accountID uuid.UUID) ([]permission.Permission, error) {
	perms, err := m.store.PermissionList(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("list permissions of account %s: %w", accountID, err)
	}
	return perms, nil
}

// SetLimiter replaces the limiter of permission permissionID of account
// accountID; raw null or empty removes it. The new limiter is validated
// against the catalog for the permission's action.
func (m *Manager) SetLimiter(ctx context.Context, accountID, permissionID uuid.UUID, raw json.RawMessage) (permission.Permission, error) {
	l, err := parseLimiter(raw)
	if err != nil {
		return permission.Permission{}, err
	}
	var p permission.Permission
	err = m.write(ctx, func(ctx context.Context, u *unit) error {
		current, err := u.PermissionGet(ctx, accountID, permissionID)
		if err != nil {
			return err
		}
		if err := m.checkCatalog(current.ResourceType, current.ResourceKey, current.Action, l); err != nil {
			return err
		}
		p, err = u.PermissionUpdateLimiter(ctx, store.PermissionUpdateLimiterParams{AccountID: accountID, PermissionID: permissionID, Limiter: l})
		if errors.Is(err, store.ErrConflict) {
			return errPermissionHeld
		}
		if err != nil {
			return err
		}
		u.audited(store.ActionPermissionUpdate, accountID, &permissionID, auditPermission(current), auditPermission(p))
		u.changed(Change{Kind: PermissionUpdated, AccountID: accountID, PermissionID: permissionID})
		return nil
	})
	var verr *ValidationError
	if errors.As(err, &verr) {
		return permission.Permission{}, err
	}
	if err != nil {
		return permission.Permission{}, fmt.Errorf("set limiter of permission %s: %w", permissionID, err)
	}
	return p, nil
}

// DeletePermission deletes permission permissionID of account accountID;
// store.ErrNotFound if it belongs to another account.
func (m *Manager) DeletePermission(ctx context.Context, accountID, permissionID uuid.UUID) error {
	err := m.write(ctx, func(ctx context.Context, u *unit) error {
		before, err := u.PermissionGet(ctx, accountID, permissionID)
		if err != nil {
			return err
		}
		if err := u.PermissionDelete(ctx, accountID, permissionID); err != nil {
			return err
		}
		u.audited(store.ActionPermissionDelete, accountID, &permissionID, auditPermission(before), nil)
		u.changed(Change{Kind: PermissionDeleted, AccountID: accountID, PermissionID: permissionID})
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete permission %s of account %s: %w", permissionID, accountID, err)
	}
	return nil
}

// newID returns a UUIDv7: time-ordered, so creation order is id order.
func newID() uuid.UUID {
	return uuid.Must(uuid.NewV7())
}
