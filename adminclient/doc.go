// Package adminclient is a typed Go client for the management (admin)
// HTTP API that package admin serves: one method per route of the
// API's OpenAPI document (admin/openapi.json), problem answers turned
// into *Error values that errors.Is matches against ErrNotFound,
// ErrConflict and the other sentinels, ETags returned by the methods
// that read or change a record and If-Match accepted by those that
// change or delete one, and iterators over every page of a list.
//
// # Types
//
// The response types (Account, Key, Permission, …) are this package's
// own, with the same JSON members as the representations the API
// marshals (internal/apijson): not aliases of those, because they sit
// next to constructors that import the Manager, and a client should link
// neither the Manager nor its validator; a test keeps the member sets
// identical. Times are time.Time, null is a nil pointer. Request types
// use pointers where the API tells an absent member from a zero one. The
// dependencies beyond the standard library are this module's limiter and
// permission packages (the limiter and catalog types) and what they use.
//
// # Secrets
//
// The admin token is sent only as "Authorization: Bearer" to the base
// URL given to New. Client and Config print it as [redacted] with %v,
// %+v, %#v and String, and no error this package returns contains it.
// The plaintext of a created or rotated key is returned once, in
// CreatedKey.Plaintext, as the API returns it once.
package adminclient
