package store

import "errors"

// ErrNotFound means the row asked for does not exist, or exists but belongs
// to another account. The two cases are deliberately indistinguishable so
// that an id of another account reveals nothing.
var ErrNotFound = errors.New("store: not found")

// ErrConflict means a write would violate a uniqueness rule (a duplicate id
// or key hash).
var ErrConflict = errors.New("store: conflict")
