package admin

import (
	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// The functions below give other front ends (the command-line tool's
// -o json) the API's representations, so that a script reads the same
// JSON whether it called the API or ran the tool. Each returns a value
// that encoding/json marshals to the body the API would send; the values
// are opaque on purpose, so that the API's JSON stays defined in one
// place.

// AccountJSON is the representation of an account.
func AccountJSON(a serviceaccount.Account) any { return newAccountJSON(a) }

// AccountPageJSON is the body of GET /service-accounts.
func AccountPageJSON(p serviceaccount.AccountPage) any { return newAccountPageJSON(p) }

// KeyJSON is the representation of a key, without its plaintext.
func KeyJSON(k apikey.Key) any { return newKeyJSON(k) }

// KeyListJSON is the body of GET /service-accounts/{id}/api-keys when all
// of keys fit one page: {"items":[…],"nextCursor":null}.
func KeyListJSON(keys []apikey.Key) any { return newKeyListJSON(keys) }

// CreatedKeyJSON is the body of a key's creation: the one representation
// that carries the plaintext key.
func CreatedKeyJSON(k serviceaccount.CreatedKey) any { return newCreatedKeyJSON(k) }

// RotatedKeyJSON is the body of a rotation: {"created": the new key with
// its plaintext, "previous": the old key as now stored}.
func RotatedKeyJSON(r serviceaccount.RotatedKey) any { return newRotatedKeyJSON(r) }

// PermissionJSON is the representation of a permission.
func PermissionJSON(p permission.Permission) any { return newPermissionJSON(p) }

// PermissionListJSON is the body of GET /service-accounts/{id}/permissions
// when all of perms fit one page: {"items":[…],"nextCursor":null}.
func PermissionListJSON(perms []permission.Permission) any { return newPermissionListJSON(perms) }

// CatalogJSON is the body of GET /catalog.
func CatalogJSON(c *permission.Catalog) any { return newCatalogJSON(c) }

// AuditEventPageJSON is the body of GET /audit-events.
func AuditEventPageJSON(p serviceaccount.AuditEventPage) any { return newAuditPageJSON(p) }
