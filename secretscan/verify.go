package secretscan

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
)

// The headers GitHub signs reports with.
const (
	HeaderKeyID     = "Github-Public-Key-Identifier"
	HeaderSignature = "Github-Public-Key-Signature"
)

// maxSignatureLen bounds the signature header before decoding: a P-256
// ASN.1 signature is at most 72 bytes, 96 in base64.
const maxSignatureLen = 256

// ErrInvalidSignature is wrapped by every refusal of a report's signature
// (missing, malformed, unknown key, mismatch). The reason is for the log;
// the sender only learns 401.
var ErrInvalidSignature = errors.New("secretscan: invalid report signature")

func invalidSignature(reason string) error {
	return fmt.Errorf("%w: %s", ErrInvalidSignature, reason)
}

// Verify checks the signature of a report body, given the values of the
// HeaderKeyID and HeaderSignature headers, against keys. It returns nil,
// an error wrapping ErrInvalidSignature, or the KeySource's error wrapping
// ErrKeysUnavailable.
func Verify(ctx context.Context, keys KeySource, body []byte, keyID, signature string) error {
	switch {
	case keyID == "":
		return invalidSignature("header " + HeaderKeyID + " is missing")
	case signature == "":
		return invalidSignature("header " + HeaderSignature + " is missing")
	case len(signature) > maxSignatureLen:
		return invalidSignature("the signature is too long")
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return invalidSignature("the signature is not base64")
	}
	pub, err := keys.PublicKey(ctx, keyID)
	switch {
	case errors.Is(err, ErrUnknownKey):
		return invalidSignature(fmt.Sprintf("no public key has identifier %.80q", keyID))
	case err != nil:
		return err
	}
	digest := sha256.Sum256(body)
	if !ecdsa.VerifyASN1(pub, digest[:], sig) {
		return invalidSignature("the signature does not match the body")
	}
	return nil
}

// VerifyRequest is Verify with the headers read from h; a repeated header
// is refused, since which copy counts would be a guess.
func VerifyRequest(ctx context.Context, keys KeySource, h http.Header, body []byte) error {
	id, sig := h.Values(HeaderKeyID), h.Values(HeaderSignature)
	if len(id) > 1 || len(sig) > 1 {
		return invalidSignature("a signature header is repeated")
	}
	return Verify(ctx, keys, body, first(id), first(sig))
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}
