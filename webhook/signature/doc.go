// Package signature signs and verifies webhook deliveries in the Standard
// Webhooks wire format (https://www.standardwebhooks.com), so receivers can
// check them with any of that specification's libraries.
//
// A delivery carries three headers: webhook-id (the same across retries, a
// receiver's idempotency key), webhook-timestamp (Unix seconds of the
// attempt) and webhook-signature, a space-separated list of "v1," followed
// by the base64 HMAC-SHA256 of "id.timestamp.body" under each current
// secret, so a secret can be rotated without a gap.
//
// # Secrets
//
// A [Secret] is written "whsec_" + base64 of 24 to 64 random bytes. It is
// shown to its owner once ([Secret.Reveal]); every other way of printing it
// (fmt verbs, slog, JSON) yields "whsec_[redacted]", so a secret that
// reaches a log line by mistake stays secret.
//
// # Signing and verifying
//
// The HMAC itself comes from the specification's reference Go library
// (github.com/standard-webhooks/standard-webhooks/libraries/go), so our
// signatures are what every other implementation computes. [Verifier] adds
// what that library cannot: an injected clock for the 5-minute replay
// window, strict header parsing that refuses repeated id or timestamp
// headers, and errors that never contain the secret.
package signature
