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
// The response types (Account, Key, Permission, …) are aliases of the
// representations the admin API itself marshals (package
// internal/apijson), so that the client and the server cannot disagree
// on a field: a change to a representation changes both, and this
// package's tests run against the real handler. Times in them are the
// API's text (RFC 3339, UTC, six fractional digits); ParseTime reads
// one. Request types are defined here, because the server decodes its
// requests field by field and has no struct to share; they use Go
// types (time.Time, *limiter.Limiter) and pointers where the API tells
// an absent member from a zero one.
//
// # Secrets
//
// The admin token is sent only as "Authorization: Bearer" to the base
// URL given to New. Client and Config print it as [redacted] with %v,
// %+v, %#v and String, and no error this package returns contains it.
// The plaintext of a created or rotated key is returned once, in
// CreatedKey.Key, as the API returns it once.
package adminclient
