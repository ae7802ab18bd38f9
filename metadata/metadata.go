// Package metadata holds the free-form attributes an application attaches
// to a service account or an API key ("environment": "staging"), and the
// rules they obey, so that an application can read them from the principal
// of a request without a lookup of its own.
package metadata

// Map is a JSON object of at most MaxMembers members whose values are
// strings (at most MaxStringLength characters), numbers (float64) or
// booleans, and whose serialized JSON is at most MaxBytes bytes. A nil Map
// is "no metadata". A Map held by a record or a principal is shared and
// must not be modified.
type Map map[string]any

// Limits on a Map.
const (
	MaxMembers      = 32
	MaxStringLength = 256
	MaxBytes        = 4096
	// MaxNameLength limits a member's name, 1 to 64 characters of
	// [A-Za-z0-9_.-].
	MaxNameLength = 64
)
