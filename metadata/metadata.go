// Package metadata holds the free-form attributes an application attaches
// to a service account or an API key ("environment": "staging"), and the
// rules they obey, so that an application can read them from the principal
// of a request without a lookup of its own.
package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"unicode/utf8"
)

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

// Error is a Map that breaks a rule. Member names the offending member;
// it is "" when the rule is about the whole Map (too many members, too
// large), so that a caller can report "metadata.environment" or
// "metadata" as the field at fault.
type Error struct {
	Member  string
	Message string
}

func (e *Error) Error() string {
	if e.Member == "" {
		return "metadata: " + e.Message
	}
	return fmt.Sprintf("metadata member %q: %s", e.Member, e.Message)
}

// Validate reports the first rule m breaks, as an *Error, or nil. Members
// are checked in name order, so the error is the same on every call. A
// nil or empty Map is valid. Numbers may be any Go integer or float type
// (Normalize turns them into float64); NaN and infinities are refused, as
// JSON cannot hold them.
func Validate(m Map) error {
	if len(m) > MaxMembers {
		return &Error{Message: fmt.Sprintf("must have at most %d members, has %d", MaxMembers, len(m))}
	}
	for _, name := range sortedNames(m) {
		if msg := nameProblem(name); msg != "" {
			return &Error{Member: name, Message: msg}
		}
		if msg := valueProblem(m[name]); msg != "" {
			return &Error{Member: name, Message: msg}
		}
	}
	data, err := encode(Normalize(m))
	if err != nil {
		return &Error{Message: err.Error()}
	}
	if len(data) > MaxBytes {
		return &Error{Message: fmt.Sprintf("must be at most %d bytes of JSON, is %d", MaxBytes, len(data))}
	}
	return nil
}

func nameProblem(name string) string {
	if name == "" || len(name) > MaxNameLength {
		return fmt.Sprintf("the name must be 1 to %d characters", MaxNameLength)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return "the name may hold only letters A-Z and a-z, digits, '_', '.' and '-'"
		}
	}
	return ""
}

const valueMessage = "must be a string, a number or a boolean"

func valueProblem(v any) string {
	switch v := v.(type) {
	case string:
		if !utf8.ValidString(v) {
			return "must be valid UTF-8"
		}
		if n := utf8.RuneCountInString(v); n > MaxStringLength {
			return fmt.Sprintf("must be at most %d characters, is %d", MaxStringLength, n)
		}
	case bool:
	case nil:
		return valueMessage + ", not null"
	default:
		f, ok := toFloat(v)
		if !ok {
			return valueMessage
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return "must be a finite number"
		}
	}
	return ""
}

// toFloat converts Go's numeric types to float64.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// Normalize returns a copy of m whose numbers are float64, as Decode
// yields them, so that a Map a program built ({"tier": 3}) equals the one
// read back from a store. It returns nil for nil, and keeps values it does
// not know (Validate refuses them).
func Normalize(m Map) Map {
	if m == nil {
		return nil
	}
	out := make(Map, len(m))
	for k, v := range m {
		switch v.(type) {
		case string, bool, float64, nil:
		default:
			if f, ok := toFloat(v); ok {
				v = f
			}
		}
		out[k] = v
	}
	return out
}

// Clone returns a copy of m (nil for nil), so that a holder never shares
// the caller's map. The values are immutable, so a shallow copy suffices.
func Clone(m Map) Map {
	if m == nil {
		return nil
	}
	return maps.Clone(m)
}

// Equal reports whether a and b hold the same members and values. nil and
// an empty Map differ: one is "no metadata", the other an empty object.
func Equal(a, b Map) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv, ok := b[k]
		if !ok {
			return false
		}
		af, aNum := toFloat(av)
		bf, bNum := toFloat(bv)
		if aNum || bNum {
			if !aNum || !bNum || af != bf {
				return false
			}
			continue
		}
		if av != bv {
			return false
		}
	}
	return true
}

// Encode returns m as compact JSON with members in name order and without
// HTML escaping: the form stores keep and whose length MaxBytes limits.
// nil encodes as null.
func Encode(m Map) ([]byte, error) {
	return encode(Normalize(m))
}

func encode(m Map) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode metadata: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Decode parses a JSON object into a Map and validates it: numbers become
// float64, and null gives a nil Map. Anything else than an object or null
// (an array, a nested object, a string) is an *Error.
func Decode(data []byte) (Map, error) {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		return nil, nil
	}
	if len(data) == 0 || data[0] != '{' {
		return nil, &Error{Message: "must be a JSON object"}
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, &Error{Message: "must be a JSON object: " + err.Error()}
	}
	m := make(Map, len(raw))
	for _, name := range sortedNames(raw) {
		v := bytes.TrimSpace(raw[name])
		if len(v) > 0 && (v[0] == '{' || v[0] == '[') {
			return nil, &Error{Member: name, Message: valueMessage}
		}
		var val any
		if err := json.Unmarshal(v, &val); err != nil {
			return nil, &Error{Member: name, Message: err.Error()}
		}
		m[name] = val
	}
	if err := Validate(m); err != nil {
		return nil, err
	}
	return m, nil
}

func sortedNames[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
