package signature

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The Standard Webhooks headers. net/http canonicalizes them on the wire
// (Webhook-Id…); header names are case-insensitive.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// maxIDLen bounds a message id; ours are short (a prefix and a UUID).
const maxIDLen = 255

// ErrZeroSecret reports signing with the zero Secret.
var ErrZeroSecret = errors.New("signature: the secret is empty")

// Sign returns the webhook-signature entry for one secret:
// "v1," + base64(HMAC-SHA256(key, id + "." + unix seconds + "." + body)).
// id must be 1 to 255 characters of [A-Za-z0-9_-]: the specification warns
// that a '.' in it would make the signed string ambiguous.
func Sign(secret Secret, id string, at time.Time, body []byte) (string, error) {
	if err := checkID(id); err != nil {
		return "", err
	}
	if secret.IsZero() {
		return "", ErrZeroSecret
	}
	wh, err := standardwebhooks.NewWebhookRaw([]byte(secret.key))
	if err != nil {
		return "", ErrZeroSecret
	}
	sig, err := wh.Sign(id, at, body)
	if err != nil {
		return "", fmt.Errorf("signature: sign message %s: %w", id, err)
	}
	return sig, nil
}

// SetHeaders sets the three Standard Webhooks headers on h for a delivery
// attempt at time at, signing body with every secret (several during a
// rotation, space-separated as the specification says). The body must be
// sent byte for byte as signed.
func SetHeaders(h http.Header, id string, at time.Time, body []byte, secrets ...Secret) error {
	if len(secrets) == 0 {
		return ErrZeroSecret
	}
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sig, err := Sign(s, id, at, body)
		if err != nil {
			return err
		}
		sigs = append(sigs, sig)
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	h.Set(HeaderSignature, strings.Join(sigs, " "))
	return nil
}

// checkID enforces the id rule of Sign; the id is no secret, so the error
// may quote it.
func checkID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("signature: message id must be 1 to %d characters long, not %d", maxIDLen, len(id))
	}
	for i := range len(id) {
		c := id[i]
		if c == '_' || c == '-' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' {
			continue
		}
		return fmt.Errorf("signature: message id %q has byte %q at %d; only A-Z, a-z, 0-9, '_' and '-' are allowed", id, c, i)
	}
	return nil
}
