package admin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// timeFormat is RFC 3339 in UTC with exactly six fractional digits: the
// stores keep microseconds, and a fixed width keeps times sortable as text.
const timeFormat = "2006-01-02T15:04:05.000000Z07:00"

func formatTime(t time.Time) string {
	return t.UTC().Format(timeFormat)
}

func formatOptionalTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}

type accountJSON struct {
	ID          string  `json:"id"`
	Label       string  `json:"label"`
	Description string  `json:"description"`
	CreatedAt   string  `json:"createdAt"`
	UpdatedAt   string  `json:"updatedAt"`
	DisabledAt  *string `json:"disabledAt"`
}

func newAccountJSON(a serviceaccount.Account) accountJSON {
	return accountJSON{
		ID:          a.ID.String(),
		Label:       a.Label,
		Description: a.Description,
		CreatedAt:   formatTime(a.CreatedAt),
		UpdatedAt:   formatTime(a.UpdatedAt),
		DisabledAt:  formatOptionalTime(a.DisabledAt),
	}
}

type accountPageJSON struct {
	Items      []accountJSON `json:"items"`
	NextCursor *string       `json:"nextCursor"`
}

func newAccountPageJSON(page serviceaccount.AccountPage) accountPageJSON {
	out := accountPageJSON{Items: make([]accountJSON, len(page.Items))}
	for i, a := range page.Items {
		out.Items[i] = newAccountJSON(a)
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return out
}

// keyJSON lists every field of apikey.Key that may be shown; the hash is
// deliberately not one of them.
type keyJSON struct {
	ID               string  `json:"id"`
	ServiceAccountID string  `json:"serviceAccountId"`
	Name             string  `json:"name"`
	Hint             string  `json:"hint"`
	CreatedAt        string  `json:"createdAt"`
	LastUsedAt       *string `json:"lastUsedAt"`
	ExpiresAt        *string `json:"expiresAt"`
	DisabledAt       *string `json:"disabledAt"`
	ReplacedBy       *string `json:"replacedBy"`
}

func newKeyJSON(k apikey.Key) keyJSON {
	out := keyJSON{
		ID:               k.ID.String(),
		ServiceAccountID: k.AccountID.String(),
		Name:             k.Name,
		Hint:             k.Hint,
		CreatedAt:        formatTime(k.CreatedAt),
		LastUsedAt:       formatOptionalTime(k.LastUsedAt),
		ExpiresAt:        formatOptionalTime(k.ExpiresAt),
		DisabledAt:       formatOptionalTime(k.DisabledAt),
	}
	if k.ReplacedBy != nil {
		id := k.ReplacedBy.String()
		out.ReplacedBy = &id
	}
	return out
}

// createdKeyJSON is the one representation that carries the plaintext key.
type createdKeyJSON struct {
	keyJSON
	Key string `json:"key"`
}

func newCreatedKeyJSON(k serviceaccount.CreatedKey) createdKeyJSON {
	return createdKeyJSON{keyJSON: newKeyJSON(k.Key), Key: k.Plaintext}
}

type keyListJSON struct {
	Items []keyJSON `json:"items"`
}

type keyPageJSON struct {
	Items      []keyJSON `json:"items"`
	NextCursor *string   `json:"nextCursor"`
}

type rotatedKeyJSON struct {
	Created  createdKeyJSON `json:"created"`
	Previous keyJSON        `json:"previous"`
}

func newRotatedKeyJSON(r serviceaccount.RotatedKey) rotatedKeyJSON {
	return rotatedKeyJSON{Created: newCreatedKeyJSON(r.Created), Previous: newKeyJSON(r.Previous)}
}

// policyJSON is the effective policy in seconds; 0 means none.
type policyJSON struct {
	MaxKeysPerAccount         int   `json:"maxKeysPerAccount"`
	MaxKeyLifetimeSeconds     int64 `json:"maxKeyLifetimeSeconds"`
	DefaultKeyLifetimeSeconds int64 `json:"defaultKeyLifetimeSeconds"`
	MaxRotationGraceSeconds   int64 `json:"maxRotationGraceSeconds"`
}

func newPolicyJSON(p serviceaccount.Policy) policyJSON {
	out := policyJSON{
		MaxKeysPerAccount:         p.MaxKeysPerAccount,
		MaxKeyLifetimeSeconds:     int64(p.MaxKeyLifetime / time.Second),
		DefaultKeyLifetimeSeconds: int64(p.DefaultKeyLifetime / time.Second),
		MaxRotationGraceSeconds:   int64(p.MaxRotationGrace / time.Second),
	}
	if p.MaxKeysPerAccount == serviceaccount.NoKeyLimit {
		out.MaxKeysPerAccount = 0
	}
	return out
}

func newKeyListJSON(keys []apikey.Key) keyListJSON {
	out := keyListJSON{Items: make([]keyJSON, len(keys))}
	for i, k := range keys {
		out.Items[i] = newKeyJSON(k)
	}
	return out
}

type permissionJSON struct {
	ID               string           `json:"id"`
	ServiceAccountID string           `json:"serviceAccountId"`
	ResourceType     string           `json:"resourceType"`
	ResourceKey      string           `json:"resourceKey"`
	Action           string           `json:"action"`
	Limiter          *limiter.Limiter `json:"limiter"` // canonical array, or null
	CreatedAt        string           `json:"createdAt"`
}

func newPermissionJSON(p permission.Permission) permissionJSON {
	return permissionJSON{
		ID:               p.ID.String(),
		ServiceAccountID: p.AccountID.String(),
		ResourceType:     p.ResourceType,
		ResourceKey:      p.ResourceKey,
		Action:           p.Action,
		Limiter:          p.Limiter,
		CreatedAt:        formatTime(p.CreatedAt),
	}
}

type permissionListJSON struct {
	Items []permissionJSON `json:"items"`
}

func newPermissionListJSON(perms []permission.Permission) permissionListJSON {
	out := permissionListJSON{Items: make([]permissionJSON, len(perms))}
	for i, p := range perms {
		out.Items[i] = newPermissionJSON(p)
	}
	return out
}

type catalogJSON struct {
	ResourceTypes []permission.ResourceType `json:"resourceTypes"`
}

// newCatalogJSON lists the catalog's types; ResourceTypes gives [] rather
// than null for empty lists, which a form builder can iterate.
func newCatalogJSON(c *permission.Catalog) catalogJSON {
	return catalogJSON{ResourceTypes: c.ResourceTypes()}
}

// writeJSON encodes v before touching w, so an encoding failure can still
// become a clean 500.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	return writeBody(w, status, "application/json", v)
}

// writeBody sends v as JSON without HTML escaping: the responses are JSON
// marked nosniff, never HTML, and escaping would alter a limiter's
// canonical form and make details such as "<admin token>" unreadable.
func writeBody(w http.ResponseWriter, status int, contentType string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}
