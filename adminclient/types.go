package adminclient

import (
	"encoding/json"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
)

// Response types. They are defined here rather than aliased to the
// representations the admin API marshals (internal/apijson), because
// those live next to constructors that import the Manager, and a client
// should not link the Manager, its validator and its clock. A test
// checks that each type here has exactly the JSON members of the API's,
// so the two cannot drift apart. Times are time.Time (the API writes RFC
// 3339 in UTC with microseconds); a nil pointer is the API's null.

// Account is a service account.
type Account struct {
	ID string `json:"id"`
	// Tenant is the tenant the account belongs to, fixed at creation.
	Tenant      string     `json:"tenant"`
	Label       string     `json:"label"`
	Description string     `json:"description"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	DisabledAt  *time.Time `json:"disabledAt"`
	// Metadata is the application's own data about the account; nil when
	// it has none.
	Metadata metadata.Map `json:"metadata"`
}

// AccountPage is one page of ListAccounts; NextCursor is nil on the last.
type AccountPage struct {
	Items      []Account `json:"items"`
	NextCursor *string   `json:"nextCursor"`
}

// Key is an API key, without its plaintext (or hash, which the API never
// shows). Hint is the key's end, to recognise it.
type Key struct {
	ID string `json:"id"`
	// Tenant is the tenant of the key's account.
	Tenant           string     `json:"tenant"`
	ServiceAccountID string     `json:"serviceAccountId"`
	Name             string     `json:"name"`
	Hint             string     `json:"hint"`
	CreatedAt        time.Time  `json:"createdAt"`
	LastUsedAt       *time.Time `json:"lastUsedAt"`
	ExpiresAt        *time.Time `json:"expiresAt"`
	DisabledAt       *time.Time `json:"disabledAt"`
	// ReplacedBy is the id of the key that replaced this one by rotation.
	ReplacedBy *string `json:"replacedBy"`
	// The key's restrictions, each nil when it has none: the key works
	// only within one of its Scopes, from its AllowedCIDRs, and within
	// its RateLimit. Metadata is the application's own data about it.
	Scopes       []Scope      `json:"scopes"`
	AllowedCIDRs []string     `json:"allowedCidrs"`
	RateLimit    *RateLimit   `json:"rateLimit"`
	Metadata     metadata.Map `json:"metadata"`
}

// Scope is one of a key's scopes: a resource type, key and action, each
// possibly "*" where the catalog allows it.
type Scope struct {
	ResourceType string `json:"resourceType"`
	ResourceKey  string `json:"resourceKey"`
	Action       string `json:"action"`
}

// RateLimit allows Limit requests per PeriodSeconds.
type RateLimit struct {
	Limit         int   `json:"limit"`
	PeriodSeconds int64 `json:"periodSeconds"`
}

// CreatedKey is a new key with its plaintext, which the API shows this
// once.
type CreatedKey struct {
	Key
	// Plaintext is the key itself (the API's "key" member): store it, it
	// cannot be read again.
	Plaintext string `json:"key"`
}

// KeyPage is one page of ListKeys or ListAllKeys.
type KeyPage struct {
	Items      []Key   `json:"items"`
	NextCursor *string `json:"nextCursor"`
}

// RotatedKey is the answer of RotateKey: the new key with its plaintext,
// and the old key as now stored (expiring at the end of the grace).
type RotatedKey struct {
	Created  CreatedKey `json:"created"`
	Previous Key        `json:"previous"`
}

// Permission is a grant of an action on a resource, with its limiter
// (nil: none) in canonical form.
type Permission struct {
	ID               string           `json:"id"`
	ServiceAccountID string           `json:"serviceAccountId"`
	ResourceType     string           `json:"resourceType"`
	ResourceKey      string           `json:"resourceKey"`
	Action           string           `json:"action"`
	Limiter          *limiter.Limiter `json:"limiter"`
	CreatedAt        time.Time        `json:"createdAt"`
}

// PermissionPage is one page of ListPermissions.
type PermissionPage struct {
	Items      []Permission `json:"items"`
	NextCursor *string      `json:"nextCursor"`
}

// Catalog lists the resource types, keys and actions a permission may
// name.
type Catalog struct {
	ResourceTypes []permission.ResourceType `json:"resourceTypes"`
}

// Policy is a key policy stored in the database, durations in seconds;
// 0 means none (no limit, no default lifetime, no grace allowed, no
// key.unused notices). LeakedKeyAction is "disable" or "delete".
type Policy struct {
	MaxKeysPerAccount         int    `json:"maxKeysPerAccount"`
	MaxKeyLifetimeSeconds     int64  `json:"maxKeyLifetimeSeconds"`
	DefaultKeyLifetimeSeconds int64  `json:"defaultKeyLifetimeSeconds"`
	MaxRotationGraceSeconds   int64  `json:"maxRotationGraceSeconds"`
	LeakedKeyAction           string `json:"leakedKeyAction"`
	UnusedKeyDays             int    `json:"unusedKeyDays"`
}

// AuditActor is who made an audited change, as the application's
// admin.Config.Actor said.
type AuditActor struct {
	ID        string `json:"id"`
	Address   string `json:"address"`
	UserAgent string `json:"userAgent"`
}

// AuditEvent is one change recorded in the audit log. Details are the
// action's own JSON (what changed), null when there are none.
type AuditEvent struct {
	ID string `json:"id"`
	// Tenant is the tenant whose audit log holds the event.
	Tenant           string          `json:"tenant"`
	OccurredAt       time.Time       `json:"occurredAt"`
	Actor            *AuditActor     `json:"actor"`
	Action           string          `json:"action"`
	ServiceAccountID string          `json:"serviceAccountId"`
	TargetID         *string         `json:"targetId"`
	Details          json.RawMessage `json:"details"`
}

// AuditPage is one page of ListAuditEvents, newest first.
type AuditPage struct {
	Items      []AuditEvent `json:"items"`
	NextCursor *string      `json:"nextCursor"`
}

// AccountInput is the body of CreateAccount and UpdateAccount (PUT, which
// replaces both fields: an empty description clears it). Metadata nil
// sends none: CreateAccount creates the account without, UpdateAccount
// keeps what it has; a pointer to nil (sent as null) makes UpdateAccount
// remove it.
type AccountInput struct {
	Label       string        `json:"label"`
	Description string        `json:"description"`
	Metadata    *metadata.Map `json:"metadata,omitempty"`
}

// AccountPatch changes the fields that are not nil; at least one must be
// set. Disabled true disables the account (its keys stop working),
// false enables it.
type AccountPatch struct {
	Label       *string `json:"label,omitempty"`
	Description *string `json:"description,omitempty"`
	Disabled    *bool   `json:"disabled,omitempty"`
	// Metadata, when not nil, replaces the account's metadata whole; a
	// pointer to nil (sent as null) removes it.
	Metadata *metadata.Map `json:"metadata,omitempty"`
}

// KeyInput is the body of CreateKey. A nil ExpiresAt means the policy's
// default lifetime, if any.
type KeyInput struct {
	Name      string     `json:"name,omitempty"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	// The key's restrictions; nil: none. AllowedCIDRs holds CIDRs or
	// single addresses.
	Scopes       []Scope      `json:"scopes,omitempty"`
	AllowedCIDRs []string     `json:"allowedCidrs,omitempty"`
	RateLimit    *RateLimit   `json:"rateLimit,omitempty"`
	Metadata     metadata.Map `json:"metadata,omitempty"`
}

// Restrictions change a key's restrictions in KeyPatch and RotateInput:
// a nil field leaves (or, in a rotation, copies) the key's own; a
// pointer to nil removes it (encoding/json sends it as null, which
// omitempty keeps); anything else replaces it whole.
type Restrictions struct {
	Scopes       *[]Scope      `json:"scopes,omitempty"`
	AllowedCIDRs *[]string     `json:"allowedCidrs,omitempty"`
	RateLimit    **RateLimit   `json:"rateLimit,omitempty"`
	Metadata     *metadata.Map `json:"metadata,omitempty"`
}

// KeyPatch changes the fields that are not nil; at least one must be set.
type KeyPatch struct {
	Name     *string `json:"name,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
	Restrictions
}

// RotateInput is the body of RotateKey, every field optional: nil Name
// keeps the old key's name, nil ExpiresAt counts the old lifetime from
// now, nil GracePeriodSeconds lets the old key work for a day.
type RotateInput struct {
	Name               *string    `json:"name,omitempty"`
	ExpiresAt          *time.Time `json:"expiresAt,omitempty"`
	GracePeriodSeconds *int64     `json:"gracePeriodSeconds,omitempty"`
	// Restrictions of the new key; nil fields copy the old key's.
	Restrictions
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

// Webhook is a tenant's webhook, without its secret.
type Webhook struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"createdAt"`
}

// CreatedWebhook is a new webhook with its signing secret ("whsec_…"),
// which the API shows this once.
type CreatedWebhook struct {
	Webhook
	Secret string `json:"secret"`
}

// WebhookPage is one page of ListWebhooks.
type WebhookPage struct {
	Items      []Webhook `json:"items"`
	NextCursor *string   `json:"nextCursor"`
}

// WebhookInput describes a new webhook.
type WebhookInput struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description,omitempty"`
}

// DeliveryAttempt is one attempt of a delivery: the receiver's status,
// or nil and the error when no answer came.
type DeliveryAttempt struct {
	At         time.Time `json:"at"`
	StatusCode *int      `json:"statusCode"`
	Error      *string   `json:"error"`
}

// Delivery is one event for one webhook; ID is the webhook-id header of
// every attempt. State is pending, delivered or failed.
type Delivery struct {
	ID            string            `json:"id"`
	EventType     string            `json:"eventType"`
	State         string            `json:"state"`
	Attempts      []DeliveryAttempt `json:"attempts"`
	NextAttemptAt *time.Time        `json:"nextAttemptAt"`
	DeliveredAt   *time.Time        `json:"deliveredAt"`
}

// DeliveryPage is one page of ListDeliveries, newest first.
type DeliveryPage struct {
	Items      []Delivery `json:"items"`
	NextCursor *string    `json:"nextCursor"`
}

// TenantSummary is one tenant of ListTenants.
type TenantSummary struct {
	ID           string `json:"id"`
	AccountCount int    `json:"accountCount"`
}

// TenantPage is one page of ListTenants; NextCursor is nil on the last.
type TenantPage struct {
	Items      []TenantSummary `json:"items"`
	NextCursor *string         `json:"nextCursor"`
}
