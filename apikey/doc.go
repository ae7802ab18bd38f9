// Package apikey defines the API keys that service accounts authenticate
// with: how they are generated, recognised, hashed for storage and shown.
//
// # Format
//
//	<prefix>_<43 base62 digits: 256 random bits><6 base62 digits: CRC-32>
//
// which is 52 characters with the default prefix "sa". The base62 alphabet
// is 0-9A-Za-z; both numbers are written big-endian and zero-padded, and the
// CRC-32 (IEEE) covers everything before it: prefix, underscore and random
// part.
//
// # Why this shape
//
// The prefix names the issuer, so people, log scrubbers and secret scanners
// recognise a leaked key for what it is. Base62 and the underscore survive
// copy and paste, URLs and HTTP headers without escaping, and a double click
// selects the whole key.
//
// 256 bits from crypto/rand cannot be guessed, which is why a single plain
// SHA-256 is enough at rest: slow, salted hashes exist to protect guessable
// passwords, and they would make every authenticated request pay for a
// defence this key does not need. Only the [Hash] and a [Hint] are stored, so
// a copy of the database yields no usable key, and the store can find a key
// by its hash through a unique index. With the default prefix a key fits in
// one SHA-256 block.
//
// The checksum lets [Parse] throw out typos, truncated pastes and garbage
// without allocating, before any hashing or store lookup, so junk traffic
// costs a few dozen nanoseconds and never reaches the database. It is not a
// secret and not a MAC: it only tells a key that was copied wrongly from one
// that was copied right.
//
// # Keeping secrets out of logs
//
// Errors from this package never contain the key text, and a [Hash] prints
// as "apikey.Hash(redacted)" under every fmt verb, so a hash logged by
// mistake reveals nothing.
package apikey
