// Package apijson holds the JSON representations of the admin API, shared
// by the API (package admin) and the command-line tool's -o json, so that
// a script reads the same JSON whether it called the API or ran the tool,
// and the CLI need not import the HTTP handlers. Each New… function turns
// a record into the value encoding/json marshals to the API's body; it
// never includes a key's hash, and only CreatedKey carries a plaintext.
package apijson

import (
	"cmp"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// timeFormat is RFC 3339 in UTC with exactly six fractional digits: the
// stores keep microseconds, and a fixed width keeps times sortable as text.
const timeFormat = "2006-01-02T15:04:05.000000Z07:00"

// FormatTime writes t as every representation does: RFC 3339, UTC, six
// fractional digits.
func FormatTime(t time.Time) string {
	return t.UTC().Format(timeFormat)
}

// FormatOptionalTime is FormatTime of *t, or nil (a JSON null).
func FormatOptionalTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := FormatTime(*t)
	return &s
}

// Account is the representation of a service account.
type Account struct {
	ID          string  `json:"id"`
	Tenant      string  `json:"tenant"`
	Label       string  `json:"label"`
	Description string  `json:"description"`
	CreatedAt   string  `json:"createdAt"`
	UpdatedAt   string  `json:"updatedAt"`
	DisabledAt  *string `json:"disabledAt"`
	// Metadata is null when the account has none.
	Metadata metadata.Map `json:"metadata"`
}

// NewAccount is the representation of an account.
func NewAccount(a serviceaccount.Account) Account {
	return Account{
		ID:          a.ID.String(),
		Tenant:      cmp.Or(a.Tenant, store.DefaultTenant),
		Label:       a.Label,
		Description: a.Description,
		CreatedAt:   FormatTime(a.CreatedAt),
		UpdatedAt:   FormatTime(a.UpdatedAt),
		DisabledAt:  FormatOptionalTime(a.DisabledAt),
		Metadata:    a.Metadata,
	}
}

// AccountPage is the body of GET /service-accounts.
type AccountPage = Page[Account]

// NewAccountPage represents one page of accounts.
func NewAccountPage(page serviceaccount.AccountPage) AccountPage {
	return newPage(page.Items, page.NextCursor, NewAccount)
}

// APIKey lists every field of apikey.Key that may be shown; the hash is
// deliberately not one of them.
type APIKey struct {
	ID               string  `json:"id"`
	Tenant           string  `json:"tenant"`
	ServiceAccountID string  `json:"serviceAccountId"`
	Name             string  `json:"name"`
	Hint             string  `json:"hint"`
	CreatedAt        string  `json:"createdAt"`
	LastUsedAt       *string `json:"lastUsedAt"`
	ExpiresAt        *string `json:"expiresAt"`
	DisabledAt       *string `json:"disabledAt"`
	ReplacedBy       *string `json:"replacedBy"`
	// The restrictions, each null when the key has none.
	Scopes       []Scope      `json:"scopes"`
	AllowedCIDRs []string     `json:"allowedCidrs"`
	RateLimit    *RateLimit   `json:"rateLimit"`
	Metadata     metadata.Map `json:"metadata"`
}

// Scope is one of a key's scopes.
type Scope struct {
	ResourceType string `json:"resourceType"`
	ResourceKey  string `json:"resourceKey"`
	Action       string `json:"action"`
}

// RateLimit is a key's rate limit: limit requests per periodSeconds.
type RateLimit struct {
	Limit         int   `json:"limit"`
	PeriodSeconds int64 `json:"periodSeconds"`
}

// NewAPIKey is the representation of a key of tenant (its account's),
// without its plaintext.
func NewAPIKey(tenant string, k apikey.Key) APIKey {
	out := APIKey{
		ID:               k.ID.String(),
		Tenant:           tenant,
		ServiceAccountID: k.AccountID.String(),
		Name:             k.Name,
		Hint:             k.Hint,
		CreatedAt:        FormatTime(k.CreatedAt),
		LastUsedAt:       FormatOptionalTime(k.LastUsedAt),
		ExpiresAt:        FormatOptionalTime(k.ExpiresAt),
		DisabledAt:       FormatOptionalTime(k.DisabledAt),
		Metadata:         k.Metadata,
	}
	if k.ReplacedBy != nil {
		id := k.ReplacedBy.String()
		out.ReplacedBy = &id
	}
	if k.Scopes != nil {
		out.Scopes = make([]Scope, len(k.Scopes))
		for i, s := range k.Scopes {
			out.Scopes[i] = Scope(s)
		}
	}
	if k.AllowedCIDRs != nil {
		out.AllowedCIDRs = make([]string, len(k.AllowedCIDRs))
		for i, p := range k.AllowedCIDRs {
			out.AllowedCIDRs[i] = p.String()
		}
	}
	if k.RateLimit != nil {
		out.RateLimit = &RateLimit{Limit: k.RateLimit.Limit, PeriodSeconds: int64(k.RateLimit.Period / time.Second)}
	}
	return out
}

// CreatedKey is the one representation that carries the plaintext key.
type CreatedKey struct {
	APIKey
	Key string `json:"key"`
}

// NewCreatedKey is the body of a key's creation.
func NewCreatedKey(tenant string, k serviceaccount.CreatedKey) CreatedKey {
	return CreatedKey{APIKey: NewAPIKey(tenant, k.Key), Key: k.Plaintext}
}

// KeyPage is one page of keys: the body of GET /api-keys (the keys of all
// accounts) and of GET /service-accounts/{id}/api-keys.
type KeyPage = Page[APIKey]

// RotatedKey is the body of a rotation: the new key with its plaintext,
// and the old key as now stored.
type RotatedKey struct {
	Created  CreatedKey `json:"created"`
	Previous APIKey     `json:"previous"`
}

// NewRotatedKey represents a rotation.
func NewRotatedKey(tenant string, r serviceaccount.RotatedKey) RotatedKey {
	return RotatedKey{Created: NewCreatedKey(tenant, r.Created), Previous: NewAPIKey(tenant, r.Previous)}
}

// Policy is a stored key policy, durations in seconds; 0 means none (no
// limit, no default lifetime, no grace allowed, no key.unused notices).
type Policy struct {
	MaxKeysPerAccount         int    `json:"maxKeysPerAccount"`
	MaxKeyLifetimeSeconds     int64  `json:"maxKeyLifetimeSeconds"`
	DefaultKeyLifetimeSeconds int64  `json:"defaultKeyLifetimeSeconds"`
	MaxRotationGraceSeconds   int64  `json:"maxRotationGraceSeconds"`
	LeakedKeyAction           string `json:"leakedKeyAction"`
	UnusedKeyDays             int    `json:"unusedKeyDays"`
}

// NewKeyList represents keys that all fit one page (nextCursor null).
func NewKeyList(tenant string, keys []apikey.Key) KeyPage {
	return NewKeyPage(tenant, serviceaccount.KeyPage{Items: keys})
}

// NewKeyPage represents one page of keys.
func NewKeyPage(tenant string, page serviceaccount.KeyPage) KeyPage {
	return newPage(page.Items, page.NextCursor, func(k apikey.Key) APIKey { return NewAPIKey(tenant, k) })
}

// Permission is the representation of a permission.
type Permission struct {
	ID               string           `json:"id"`
	ServiceAccountID string           `json:"serviceAccountId"`
	ResourceType     string           `json:"resourceType"`
	ResourceKey      string           `json:"resourceKey"`
	Action           string           `json:"action"`
	Limiter          *limiter.Limiter `json:"limiter"` // canonical array, or null
	CreatedAt        string           `json:"createdAt"`
}

// NewPermission is the representation of a permission.
func NewPermission(p permission.Permission) Permission {
	return Permission{
		ID:               p.ID.String(),
		ServiceAccountID: p.AccountID.String(),
		ResourceType:     p.ResourceType,
		ResourceKey:      p.ResourceKey,
		Action:           p.Action,
		Limiter:          p.Limiter,
		CreatedAt:        FormatTime(p.CreatedAt),
	}
}

// PermissionPage is one page of an account's permissions, the body of
// GET /service-accounts/{id}/permissions.
type PermissionPage = Page[Permission]

// NewPermissionPage represents one page of an account's permissions.
func NewPermissionPage(page serviceaccount.PermissionPage) PermissionPage {
	return newPage(page.Items, page.NextCursor, NewPermission)
}

// NewPermissionList represents permissions that all fit one page
// (nextCursor null).
func NewPermissionList(perms []permission.Permission) PermissionPage {
	return NewPermissionPage(serviceaccount.PermissionPage{Items: perms})
}

// Catalog is the body of GET /catalog.
type Catalog struct {
	ResourceTypes []permission.ResourceType `json:"resourceTypes"`
}

// NewCatalog lists the catalog's types; ResourceTypes gives [] rather
// than null for empty lists, which a form builder can iterate.
func NewCatalog(c *permission.Catalog) Catalog {
	return Catalog{ResourceTypes: c.ResourceTypes()}
}

// each represents every item of in with f. The result is never nil, so an
// empty list is [] in JSON, never null.
// Page is one page of a list: its items and the cursor of the next page,
// null on the last. Every list of the API has this shape.
type Page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"nextCursor"`
}

// newPage represents a page of the Manager's: its items through f, and
// its cursor.
func newPage[T, U any](items []T, cursor string, f func(T) U) Page[U] {
	return Page[U]{Items: each(items, f), NextCursor: nextCursor(cursor)}
}

func each[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// nextCursor is a page's cursor as the API writes it: null on the last
// page.
func nextCursor(c string) *string {
	if c == "" {
		return nil
	}
	return &c
}
