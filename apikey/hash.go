package apikey

import (
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
)

// Hash is the SHA-256 of a whole key, the only form in which a key is
// stored and looked up.
type Hash [sha256.Size]byte

const redactedHash = "apikey.Hash(redacted)"

// HashKey returns the hash under which key is stored. It allocates nothing,
// because it runs on every authenticated request.
func HashKey(key string) Hash {
	return sha256.Sum256(readOnlyBytes(key))
}

// String hides the hash: with it, someone holding a copy of the store could
// tie log lines to keys, and the project logs no key material at all.
func (h Hash) String() string {
	return redactedHash
}

// GoString hides the hash from %#v for the same reason as [Hash.String].
func (h Hash) GoString() string {
	return redactedHash
}

// LogValue keeps the hash out of structured logs too: slog's handlers
// would otherwise print its 32 bytes.
func (h Hash) LogValue() slog.Value {
	return slog.StringValue(redactedHash)
}

// Format hides the hash from every fmt verb, including %x and %d, which would
// otherwise print the bytes of the array.
func (h Hash) Format(f fmt.State, verb rune) {
	io.WriteString(f, redactedHash)
}

// Bytes returns the real hash, in a fresh slice, for the storage layers that
// must write and index it; nothing else should need it.
func (h Hash) Bytes() []byte {
	return append([]byte(nil), h[:]...)
}
