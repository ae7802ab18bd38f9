package signature

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// SecretPrefix starts every serialized secret, as the specification asks,
// so people and secret scanners recognise it.
const SecretPrefix = "whsec_"

// Secret sizes in bytes. The specification asks for at least 24 random
// bytes; 64 bounds what a caller may hand us. New secrets get 32, the
// HMAC-SHA256 output size: more adds nothing to the MAC's strength.
const (
	MinSecretBytes     = 24
	MaxSecretBytes     = 64
	DefaultSecretBytes = 32
)

// redactedSecret is what every printing of a Secret shows.
const redactedSecret = SecretPrefix + "[redacted]"

// ErrInvalidSecret reports text that is not a secret in the whsec_ format.
// Errors wrapping it say what is wrong and never contain the text.
var ErrInvalidSecret = errors.New("signature: invalid webhook secret")

// Secret is a webhook signing secret. The zero value holds no key and
// cannot sign. It is immutable and safe to copy.
type Secret struct {
	key string // raw bytes, kept as a string so copies cannot alter it
}

// NewSecret returns a fresh secret of DefaultSecretBytes random bytes.
// crypto/rand crashes the program rather than return predictable bytes,
// so there is no error to handle.
func NewSecret() Secret {
	b := make([]byte, DefaultSecretBytes)
	rand.Read(b)
	return Secret{key: string(b)}
}

// ParseSecret reads a secret written by [Secret.Reveal]: "whsec_" and the
// standard base64 of 24 to 64 bytes, padded or not (some libraries drop
// the padding).
func ParseSecret(s string) (Secret, error) {
	rest, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return Secret{}, fmt.Errorf("%w: it must start with %q", ErrInvalidSecret, SecretPrefix)
	}
	key, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(rest, "="))
	if err != nil {
		return Secret{}, fmt.Errorf("%w: the part after %q is not standard base64", ErrInvalidSecret, SecretPrefix)
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return Secret{}, fmt.Errorf("%w: it holds %d bytes; %d to %d are required",
			ErrInvalidSecret, len(key), MinSecretBytes, MaxSecretBytes)
	}
	return Secret{key: string(key)}, nil
}

// IsZero reports whether s holds no key (the zero Secret).
func (s Secret) IsZero() bool { return s.key == "" }

// Reveal returns the secret in its serialized form, "whsec_" + base64. It
// is the only way to get the secret's text: call it to show the secret to
// its owner once, or to store it.
func (s Secret) Reveal() string {
	return SecretPrefix + base64.StdEncoding.EncodeToString([]byte(s.key))
}

// String returns "whsec_[redacted]": a secret printed by mistake stays
// secret.
func (s Secret) String() string { return redactedSecret }

// GoString keeps %#v from printing the key's bytes.
func (s Secret) GoString() string { return "signature.Secret{" + redactedSecret + "}" }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, %x…) print the
// redacted form: without it %x and %+v would reach the bytes.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, redactedSecret)
}

// LogValue keeps log/slog from printing the key.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redactedSecret) }

// MarshalText writes the redacted form, so encoding/json and friends never
// serialize the key by accident; store [Secret.Reveal] explicitly instead.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redactedSecret), nil }
