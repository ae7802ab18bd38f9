package middleware

import (
	"crypto/subtle"
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
func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare(bytesOf(a), bytesOf(b)) == 1
}
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// keyHashes are the two per-process seeded hashes of a presented key: id
// finds its cache entry, check confirms a negative entry (see
// entry.confirms). Both seeds are random per Middleware, so no one outside
// the process can choose keys that collide, and neither value says
// anything about the key outside it.
func (m *Middleware) keyHashes(key string) (id, check uint64) {
	return maphash.String(m.seed, key), maphash.String(m.checkSeed, key)
}

// confirms reports whether e, found under the id of key, was made for key
// and not for another key whose id collides. A positive entry holds its
// key and compares it in constant time; a negative one (a key the store
// does not hold: never issued, or deleted) holds only the check hash, so
// that the cache never holds the plaintext of keys nobody issued, and
// compares the presented key with itself instead. So every hit does the
// same work whatever the entry says: two seeded hashes, one constant-time
// comparison over the key's length, one comparison of the check. An
// entry that has left the cache has dropped its key (see forget) and
// confirms nothing: the request then misses, as it would have a moment
// later.
func (e *entry) confirms(key string, check uint64) bool {
	held := key
	if !e.unknown {
		k := e.held.Load()
		if k == nil {
			return false
		}
		held = *k.text
	}
	return constantTimeEqual(held, key) && e.check == check
}

// forget drops the entry's key from memory, as it leaves the cache
// (expiry, invalidation, eviction, replacement, Close). A request that
// found the entry just before still holds the entry but no longer its key.
func (e *entry) forget() { e.held.Store(nil) }
