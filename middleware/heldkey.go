package middleware

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"strings"
	"unsafe"
)

// redacted is what a held key prints as, in every form.
const redacted = "[REDACTED]"

// heldKey is a presented key as a cache entry keeps it, so that the
// entry's next hits are confirmed against the key itself and SHA-256 runs
// only on a miss. It never prints the key: String, GoString, LogValue,
// MarshalText and every fmt verb give "[REDACTED]". The text sits behind a
// pointer, so that even fmt's printing of a struct that holds a heldKey in
// an unexported field (where fmt cannot call these methods) shows an
// address, not the key.
type heldKey struct{ text *string }

// newHeldKey copies key: the entry must not keep the request's header
// memory alive, nor share it.
func newHeldKey(key string) *heldKey {
	text := strings.Clone(key)
	return &heldKey{text: &text}
}

func (heldKey) String() string                { return redacted }
func (heldKey) GoString() string              { return redacted }
func (heldKey) LogValue() slog.Value          { return slog.StringValue(redacted) }
func (heldKey) MarshalText() ([]byte, error)  { return []byte(redacted), nil }
func (heldKey) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, redacted) }
func (k heldKey) equal(key string) bool       { return constantTimeEqual(*k.text, key) }

// bytesOf is s's bytes without a copy, for reading only: a key is longer
// than the 32 bytes the compiler would copy on the stack, so []byte(s)
// would allocate on every hit.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// cacheID is the per-process seeded hash of a presented key that finds
// its cache entry. The seed is random per Middleware, so no one outside
// the process can choose keys whose ids collide, and the id says nothing
// about the key outside it.
func (m *Middleware) cacheID(key string) uint64 { return maphash.String(m.seed, key) }

// confirms reports whether e, found under the id of key, was made for key
// and not for another key whose id collides. A positive entry holds its
// key and compares it in constant time. A negative one (a key the store
// does not hold: never issued, or deleted) holds no key, so that the
// cache never holds the plaintext of keys nobody issued: its id alone
// stands for the key, and the presented key is compared with itself, so
// that every hit does the same work whatever its entry says (one seeded
// hash, one constant-time comparison over the key's length). Two
// well-formed keys share an id with probability 2⁻⁶⁴ under a seed no one
// outside the process knows; the cost of such a collision is a valid key
// refused for one TTL, never an unknown key let in. An entry that has left
// the cache has dropped its key (see forget) and confirms nothing: the
// request then misses, as it would have a moment later.
func (e *entry) confirms(key string) bool {
	held := key
	if !e.unknown {
		k := e.held.Load()
		if k == nil {
			return false
		}
		held = *k.text
	}
	return constantTimeEqual(held, key)
}

// constantTimeEqual compares a and b in time that depends on their
// length only: no branch and no early exit on their bytes, as
// subtle.ConstantTimeCompare, but eight bytes at a time. (That function
// goes a byte at a time, about 370 instructions for a key, a tenth of a
// warm request; subtle.XORBytes with a reduction still cost 320.)
func constantTimeEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := bytesOf(a), bytesOf(b)
	n := len(x)
	y = y[:n]
	var acc uint64
	if n >= 8 {
		// Whole words, the last one overlapping the one before when the
		// length is not a multiple of 8: a byte compared twice changes
		// nothing.
		for i := 0; i < n-8; i += 8 {
			acc |= binary.LittleEndian.Uint64(x[i:i+8]) ^ binary.LittleEndian.Uint64(y[i:i+8])
		}
		acc |= binary.LittleEndian.Uint64(x[n-8:]) ^ binary.LittleEndian.Uint64(y[n-8:])
	} else {
		for i := range x {
			acc |= uint64(x[i] ^ y[i])
		}
	}
	return acc == 0
}

// forget drops the entry's key from memory, as it leaves the cache
// (expiry, invalidation, eviction, replacement, Close). A request that
// found the entry just before still holds the entry but no longer its key.
func (e *entry) forget() { e.held.Store(nil) }
