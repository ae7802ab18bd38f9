package adminclient

import (
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
)

// Response types: aliases of the representations the admin API marshals
// (see the package documentation for why).
type (
	// Account is a service account.
	Account = apijson.Account
	// AccountPage is one page of ListAccounts.
	AccountPage = apijson.AccountPage
	// Key is an API key, without its plaintext or hash.
	Key = apijson.APIKey
	// CreatedKey is a new key with its plaintext (Key), shown this once.
	CreatedKey = apijson.CreatedKey
	// KeyPage is one page of ListKeys or ListAllKeys.
	KeyPage = apijson.KeyPage
	// RotatedKey is the answer of RotateKey: the new key with its
	// plaintext and the old key as now stored.
	RotatedKey = apijson.RotatedKey
	// Permission is a grant of an action on a resource, with its limiter.
	Permission = apijson.Permission
	// PermissionPage is one page of ListPermissions.
	PermissionPage = apijson.PermissionPage
	// Catalog lists the resource types a permission may name.
	Catalog = apijson.Catalog
	// Policy is the effective key policy, durations in seconds, 0 for
	// none.
	Policy = apijson.Policy
	// AuditEvent is one change recorded in the audit log.
	AuditEvent = apijson.AuditEvent
	// AuditActor is who made an audited change.
	AuditActor = apijson.Actor
	// AuditPage is one page of ListAuditEvents.
	AuditPage = apijson.AuditPage
)

// ParseTime reads a time of a response (RFC 3339).
func ParseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

// AccountInput is the body of CreateAccount and UpdateAccount (PUT, which
// replaces both fields: an empty description clears it).
type AccountInput struct {
	Label       string `json:"label"`
	Description string `json:"description"`
}

// AccountPatch changes the fields that are not nil; at least one must be
// set. Disabled true disables the account (its keys stop working),
// false enables it.
type AccountPatch struct {
	Label       *string `json:"label,omitempty"`
	Description *string `json:"description,omitempty"`
	Disabled    *bool   `json:"disabled,omitempty"`
}

// KeyInput is the body of CreateKey. A nil ExpiresAt means the policy's
// default lifetime, if any.
type KeyInput struct {
	Name      string     `json:"name,omitempty"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// KeyPatch changes the fields that are not nil; at least one must be set.
type KeyPatch struct {
	Name     *string `json:"name,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// RotateInput is the body of RotateKey, every field optional: nil Name
// keeps the old key's name, nil ExpiresAt counts the old lifetime from
// now, nil GracePeriodSeconds lets the old key work for a day.
type RotateInput struct {
	Name               *string    `json:"name,omitempty"`
	ExpiresAt          *time.Time `json:"expiresAt,omitempty"`
	GracePeriodSeconds *int64     `json:"gracePeriodSeconds,omitempty"`
}

// PermissionInput is the body of GrantPermission. Limiter nil grants
// without a limiter; build one with limiter.Parse or limiter.MustParse.
type PermissionInput struct {
	ResourceType string           `json:"resourceType"`
	ResourceKey  string           `json:"resourceKey"`
	Action       string           `json:"action"`
	Limiter      *limiter.Limiter `json:"limiter,omitempty"`
}

// ListParams pages a list: Limit 1–200 (0: the API's default, 50), Cursor
// the NextCursor of the previous page ("" for the first).
type ListParams struct {
	Limit  int
	Cursor string
}

// AllKeysParams filters ListAllKeys: keys expiring within so many days,
// keys unused (or never used) for so many days; nil does not filter.
type AllKeysParams struct {
	ExpiresWithinDays *int
	UnusedForDays     *int
	ListParams
}

// AuditParams filters ListAuditEvents; zero values do not filter.
type AuditParams struct {
	ServiceAccountID string
	// Action is an audit action such as account.create or key.rotate.
	Action  string
	ActorID string
	// Since and Until bound OccurredAt (inclusive since, exclusive until).
	Since, Until *time.Time
	ListParams
}
