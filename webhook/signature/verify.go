package signature

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
)

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock, either way, as the specification's libraries use: it
// bounds replays of a captured delivery while allowing for clock skew.
const DefaultTolerance = 5 * time.Minute

// ErrVerification is wrapped by every error of [Verifier.Verify], which
// adds the reason (a missing header, a timestamp outside the window, no
// matching signature) and never the secret or the body.
var ErrVerification = errors.New("signature: webhook verification failed")

// Errors for the timestamp window, wrapping ErrVerification, so a receiver
// can tell a stale delivery (check the clock) from a forged one.
var (
	ErrTooOld = fmt.Errorf("%w: timestamp is too old", ErrVerification)
	ErrTooNew = fmt.Errorf("%w: timestamp is too far in the future", ErrVerification)
)

var errNoMatch = fmt.Errorf("%w: no signature matches", ErrVerification)

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	// Secrets are the accepted secrets: one, or the new and the old during
	// a rotation. At least one is required.
	Secrets []Secret
	// Clock gives the time the timestamp is checked against (default: the
	// real clock).
	Clock clockwork.Clock
	// Tolerance is the accepted distance between the timestamp and the
	// clock (default DefaultTolerance).
	Tolerance time.Duration
}

// Verifier checks Standard Webhooks deliveries. It is safe for concurrent
// use.
type Verifier struct {
	secrets   []Secret
	clock     clockwork.Clock
	tolerance time.Duration
}

// NewVerifier checks cfg and fills in its defaults.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if len(cfg.Secrets) == 0 {
		return nil, errors.New("signature: a verifier needs at least one secret")
	}
	for i, s := range cfg.Secrets {
		if s.IsZero() {
			return nil, fmt.Errorf("signature: secret %d is empty", i)
		}
	}
	if cfg.Tolerance < 0 {
		return nil, fmt.Errorf("signature: tolerance %v is negative", cfg.Tolerance)
	}
	v := &Verifier{secrets: append([]Secret(nil), cfg.Secrets...), clock: cfg.Clock, tolerance: cfg.Tolerance}
	if v.clock == nil {
		v.clock = clockwork.NewRealClock()
	}
	if v.tolerance == 0 {
		v.tolerance = DefaultTolerance
	}
	return v, nil
}

// Verify checks that body and the headers h were signed with one of the
// verifier's secrets, within the timestamp tolerance. Entries of the
// signature header that are not "v1,…" are skipped, as the specification
// lets a sender add other schemes; repeated webhook-id or
// webhook-timestamp headers are refused, since a receiver reading the
// other copy would act on an unsigned value.
func (v *Verifier) Verify(h http.Header, body []byte) error {
	id, err := single(h, HeaderID)
	if err != nil {
		return err
	}
	ts, err := single(h, HeaderTimestamp)
	if err != nil {
		return err
	}
	sent := strings.Fields(strings.Join(h.Values(HeaderSignature), " "))
	if len(sent) == 0 {
		return fmt.Errorf("%w: header %s is missing", ErrVerification, HeaderSignature)
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || secs < 0 || ts[0] == '+' {
		return fmt.Errorf("%w: header %s is not a Unix time in seconds", ErrVerification, HeaderTimestamp)
	}
	at := time.Unix(secs, 0)
	now := v.clock.Now()
	switch {
	case at.Before(now.Add(-v.tolerance)):
		return ErrTooOld
	case at.After(now.Add(v.tolerance)):
		return ErrTooNew
	}
	matched := 0
	for _, secret := range v.secrets {
		want, err := Sign(secret, id, at, body)
		if err != nil {
			// Only the id can be wrong here; it is checked like a signer's.
			return fmt.Errorf("%w: %w", ErrVerification, err)
		}
		for _, got := range sent {
			// Compare every pair, in constant time, so the time taken says
			// nothing about which entry came close.
			matched |= subtle.ConstantTimeCompare([]byte(got), []byte(want))
		}
	}
	if matched != 1 {
		return errNoMatch
	}
	return nil
}

// single returns the one value of header name.
func single(h http.Header, name string) (string, error) {
	vs := h.Values(name)
	switch {
	case len(vs) == 0 || vs[0] == "":
		return "", fmt.Errorf("%w: header %s is missing", ErrVerification, name)
	case len(vs) > 1:
		return "", fmt.Errorf("%w: header %s is repeated", ErrVerification, name)
	}
	return vs[0], nil
}
