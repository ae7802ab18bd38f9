package apikey

import (
	"crypto/rand"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// DefaultPrefix is the prefix keys carry unless the application picks its own.
const DefaultPrefix = "sa"

const (
	maxPrefixLen = 10
	randomBytes  = 32 // 256 bits
	randomLen    = 43 // base62 digits for 256 bits
	checksumLen  = 6  // base62 digits for 32 bits
	hintLen      = 4
)

// ErrMalformed reports a string that is not a key in this package's format. Every
// such error from [Parse] wraps it with the reason, and none contains the key,
// so callers can log the error and answer 401 on errors.Is(err, ErrMalformed).
var ErrMalformed = errors.New("apikey: malformed key")

// Reasons are built once so that rejecting garbage allocates nothing either.
var (
	errWrongPrefix   = fmt.Errorf("%w: wrong prefix", ErrMalformed)
	errWrongLength   = fmt.Errorf("%w: wrong length", ErrMalformed)
	errBadCharacter  = fmt.Errorf("%w: character outside 0-9A-Za-z", ErrMalformed)
	errWrongChecksum = fmt.Errorf("%w: checksum mismatch", ErrMalformed)
)

// ValidatePrefix reports whether prefix can start a key. Lowercase letters and
// digits keep the prefix unambiguous (it can hold no underscore) and distinct
// from the base62 body at a glance; ten characters keep keys short.
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return errors.New("apikey: prefix is empty; it must be 1 to 10 characters from a-z and 0-9")
	}
	for i := 0; i < len(prefix); {
		c := prefix[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			i++
			continue
		}
		r, _ := utf8.DecodeRuneInString(prefix[i:])
		return fmt.Errorf("apikey: prefix has %q at byte %d; only a-z and 0-9 are allowed", r, i)
	}
	if len(prefix) > maxPrefixLen {
		return fmt.Errorf("apikey: prefix is %d characters long; at most %d are allowed", len(prefix), maxPrefixLen)
	}
	return nil
}

// Generate returns a new key with the given prefix. The key is shown to its
// owner once and then only its [Hash] and [Hint] are kept. The error is
// non-nil only for an invalid prefix: crypto/rand crashes the program rather
// than return predictable bytes.
func Generate(prefix string) (string, error) {
	if err := ValidatePrefix(prefix); err != nil {
		return "", err
	}
	var raw [randomBytes]byte
	rand.Read(raw[:])
	var digits [randomLen]byte
	encodeRandom(&digits, raw)

	key := make([]byte, 0, len(prefix)+1+randomLen+checksumLen)
	key = append(key, prefix...)
	key = append(key, '_')
	key = append(key, digits[:]...)
	key = appendChecksum(key, crc32.ChecksumIEEE(key))
	return string(key), nil
}

// Parse reports whether key is well formed for prefix: the prefix, the
// length, the alphabet and the checksum. It is meant to run before hashing
// the key or looking it up, and it allocates nothing for a well-formed key,
// so that the cost of junk traffic stays trivial.
//
// A malformed key yields an error wrapping [ErrMalformed]. An invalid prefix
// is the caller's configuration error and is reported as such, not as
// ErrMalformed.
//
// A well-formed key may still be unknown, expired or revoked; only the store
// can tell.
func Parse(key, prefix string) error {
	if err := ValidatePrefix(prefix); err != nil {
		return err
	}
	n := len(prefix)
	if len(key) <= n || key[:n] != prefix || key[n] != '_' {
		return errWrongPrefix
	}
	if len(key) != n+1+randomLen+checksumLen {
		return errWrongLength
	}
	body := key[n+1:]
	for i := range len(body) {
		if base62Values[body[i]] == notBase62 {
			return errBadCharacter
		}
	}
	// Decoding the checksum instead of encoding the computed one avoids
	// building a string; a fixed width makes the decoding unique.
	var stated uint64
	for i := len(key) - checksumLen; i < len(key); i++ {
		stated = stated*62 + uint64(base62Values[key[i]])
	}
	if stated != uint64(crc32.ChecksumIEEE(readOnlyBytes(key[:len(key)-checksumLen]))) {
		return errWrongChecksum
	}
	return nil
}

// Hint returns a non-secret reminder of key for lists and audit logs, like
// "sa_AbCd…wxyz": the prefix, the first four random digits and the last four
// characters. Those last four are checksum digits, which depend on the whole
// key, so keys whose random parts start alike still get different hints.
// Together the eight digits reveal under 48 of the 256 secret bits.
//
// For a string not shaped like a key Hint returns "", so that a mistyped
// secret is never partly displayed.
func Hint(key string) string {
	i := strings.IndexByte(key, '_')
	if i < 1 || len(key)-i-1 != randomLen+checksumLen {
		return ""
	}
	return key[:i+1+hintLen] + "…" + key[len(key)-hintLen:]
}

// readOnlyBytes views s as a byte slice without copying it, so hashing a key
// on every request allocates nothing. The callers (SHA-256, CRC-32) only read
// their input; writing through the slice would break string immutability.
func readOnlyBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
