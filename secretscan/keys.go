package secretscan

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
)

// GitHubKeysURL is where GitHub publishes its secret-scanning public keys.
const GitHubKeysURL = "https://api.github.com/meta/public_keys/secret_scanning"

// Errors of a KeySource.
var (
	// ErrUnknownKey: no configured key has the report's identifier. The
	// handler answers it like a bad signature.
	ErrUnknownKey = errors.New("secretscan: unknown public key identifier")
	// ErrKeysUnavailable: there are no keys to check against (a remote
	// list that was never fetched). The handler answers 503, so the
	// sender retries instead of the report being lost.
	ErrKeysUnavailable = errors.New("secretscan: public keys unavailable")
)

// ErrInvalidKeys is wrapped by every error of [ParsePublicKeys].
var ErrInvalidKeys = errors.New("secretscan: invalid public keys")

// PublicKey is one of the sender's signing keys.
type PublicKey struct {
	ID  string
	Key *ecdsa.PublicKey
	// Current is GitHub's is_current. It is informational: a key that is
	// not current still verifies until it leaves the list.
	Current bool
}

// KeySource finds the public key a report names. Implementations are
// safe for concurrent use.
type KeySource interface {
	// PublicKey returns the key with identifier id, ErrUnknownKey if there
	// is none, or an error wrapping ErrKeysUnavailable if the keys cannot
	// be had at all.
	PublicKey(ctx context.Context, id string) (*ecdsa.PublicKey, error)
}

// ParsePublicKeys reads keys in GitHub's shape,
// {"public_keys":[{"key_identifier","key","is_current"}]}, with each key a
// PEM "PUBLIC KEY" holding an ECDSA P-256 key. It refuses an empty list
// and repeated identifiers, naming the faulty entry.
func ParsePublicKeys(data []byte) ([]PublicKey, error) {
	var doc struct {
		PublicKeys []struct {
			ID      string `json:"key_identifier"`
			Key     string `json:"key"`
			Current bool   `json:"is_current"`
		} `json:"public_keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf(`%w: not a JSON object {"public_keys":[…]}: %v`, ErrInvalidKeys, err)
	}
	if len(doc.PublicKeys) == 0 {
		return nil, fmt.Errorf("%w: public_keys is missing or empty", ErrInvalidKeys)
	}
	seen := make(map[string]bool, len(doc.PublicKeys))
	out := make([]PublicKey, 0, len(doc.PublicKeys))
	for i, k := range doc.PublicKeys {
		if k.ID == "" {
			return nil, fmt.Errorf("%w: public_keys[%d].key_identifier is empty", ErrInvalidKeys, i)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("%w: public_keys[%d].key_identifier repeats %q", ErrInvalidKeys, i, k.ID)
		}
		seen[k.ID] = true
		pub, err := parseP256(k.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: public_keys[%d].key: %v", ErrInvalidKeys, i, err)
		}
		out = append(out, PublicKey{ID: k.ID, Key: pub, Current: k.Current})
	}
	return out, nil
}

func parseP256(text string) (*ecdsa.PublicKey, error) {
	block, rest := pem.Decode([]byte(text))
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New(`not a PEM "PUBLIC KEY" block`)
	}
	if len(rest) > 0 && len(pemTrim(rest)) > 0 {
		return nil, errors.New("text follows the PEM block")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not a PKIX public key: %v", err)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("not an ECDSA P-256 key")
	}
	return ec, nil
}

func pemTrim(b []byte) []byte {
	for len(b) > 0 && (b[0] == '\n' || b[0] == '\r' || b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// staticKeys is a fixed KeySource.
type staticKeys map[string]*ecdsa.PublicKey

// StaticKeys returns a KeySource holding exactly keys, as read from a file
// with ParsePublicKeys.
func StaticKeys(keys []PublicKey) KeySource {
	m := make(staticKeys, len(keys))
	for _, k := range keys {
		m[k.ID] = k.Key
	}
	return m
}

func (m staticKeys) PublicKey(_ context.Context, id string) (*ecdsa.PublicKey, error) {
	if k, ok := m[id]; ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}
