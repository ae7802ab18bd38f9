// Package permission models what a service account may do: a Permission
// grants (resource type, resource key, action), optionally narrowed by a
// limiter; a Catalog says which types, keys, actions and limiter keys exist;
// a Set is one account's permissions compiled for fast checks.
//
// # Model
//
// A permission grants a request when the resource type is equal, the
// permission's resource key is "*" or equal, its action is "*" or equal,
// and its limiter is absent or matches the request's attributes. A request
// is allowed when any permission grants it; everything else is denied.
//
// # Catalog
//
// The catalog is data, not code: DefaultCatalog is the reference system's
// (study, messaging, users) and an application may build its own with
// NewCatalog. Permissions are validated against the catalog when written,
// so a typo in an action can never become a permission that silently grants
// nothing (or, worse, something unexpected).
//
// Stores load permissions; this package and package limiter decide. A
// backend can over-fetch but never takes an access decision itself.
package permission
