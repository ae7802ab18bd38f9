package signature_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/webhook/signature"
)

// The specification's published test vector: the same secret, message,
// timestamp and expected signature appear in the test suites of its
// reference libraries (Python test_sign_function, Java
// TestScenario.validSigned, C# verifyWebhookSignWorks).
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorPayload   = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	// Another signature the libraries' tests put next to a valid one.
	vectorOtherSignature = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
)

var vectorTime = time.Unix(vectorTimestamp, 0)

func parse(t *testing.T, s string) signature.Secret {
	t.Helper()
	secret, err := signature.ParseSecret(s)
	require.NoError(t, err)
	return secret
}

// independentSign computes the signature from the specification's text
// with crypto/hmac directly, trusting neither our code nor the library.
func independentSign(t *testing.T, serialized, id string, at time.Time, body []byte) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(serialized, "whsec_"))
	require.NoError(t, err)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(at.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func newVerifier(t *testing.T, clock clockwork.Clock, secrets ...signature.Secret) *signature.Verifier {
	t.Helper()
	v, err := signature.NewVerifier(signature.VerifierConfig{Secrets: secrets, Clock: clock})
	require.NoError(t, err)
	return v
}

func vectorHeaders(sig string) http.Header {
	h := http.Header{}
	h.Set(signature.HeaderID, vectorID)
	h.Set(signature.HeaderTimestamp, strconv.Itoa(vectorTimestamp))
	h.Set(signature.HeaderSignature, sig)
	return h
}

func TestSignReproducesTheSpecificationVector(t *testing.T) {
	t.Parallel()
	sig, err := signature.Sign(parse(t, vectorSecret), vectorID, vectorTime, []byte(vectorPayload))
	require.NoError(t, err)
	require.Equal(t, vectorSignature, sig)
	require.Equal(t, vectorSignature, independentSign(t, vectorSecret, vectorID, vectorTime, []byte(vectorPayload)))
}

func TestSignAgreesWithAnIndependentHMACForRandomSecretsAndBodies(t *testing.T) {
	t.Parallel()
	bodies := [][]byte{
		[]byte(`{"type":"key.create","timestamp":"2026-12-06T00:00:00Z","data":{}}`),
		{0xff, 0x00, 0xfe, 0x80}, // not UTF-8: the body is signed byte for byte
		[]byte(`{"name":"Zoë 🚀"}`),
		{},
	}
	for i := range 50 {
		secret := signature.NewSecret()
		body := bodies[i%len(bodies)]
		at := time.Unix(int64(1_700_000_000+i*7919), 0)
		id := "msg_" + strconv.Itoa(i)
		sig, err := signature.Sign(secret, id, at, body)
		require.NoError(t, err)
		require.Equal(t, independentSign(t, secret.Reveal(), id, at, body), sig)
	}
}

func TestTheReferenceLibraryAcceptsWhatSetHeadersSends(t *testing.T) {
	t.Parallel()
	secret := signature.NewSecret()
	body := []byte(`{"type":"key.leaked","timestamp":"2026-12-06T00:00:00Z","data":{"keyId":"k"}}`)
	h := http.Header{}
	require.NoError(t, signature.SetHeaders(h, "msg_01", time.Unix(1_765_000_000, 0), body, secret))

	wh, err := standardwebhooks.NewWebhook(secret.Reveal())
	require.NoError(t, err)
	require.NoError(t, wh.VerifyIgnoringTimestamp(body, h))
	require.Error(t, wh.VerifyIgnoringTimestamp(append(body, ' '), h))
}

func TestVerifyAcceptsWhatTheReferenceLibrarySigns(t *testing.T) {
	t.Parallel()
	secret := signature.NewSecret()
	wh, err := standardwebhooks.NewWebhook(secret.Reveal())
	require.NoError(t, err)
	at := time.Unix(1_765_000_000, 0)
	body := []byte(`{"a":1}`)
	sig, err := wh.Sign("msg_lib", at, body)
	require.NoError(t, err)

	h := http.Header{}
	h.Set(signature.HeaderID, "msg_lib")
	h.Set(signature.HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	h.Set(signature.HeaderSignature, sig)
	require.NoError(t, newVerifier(t, clockwork.NewFakeClockAt(at), secret).Verify(h, body))
}

// The header-parsing cases of the reference libraries' test suites, over
// the published vector.
func TestVerifyParsesTheSignatureListAsTheReferenceLibrariesDo(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, clockwork.NewFakeClockAt(vectorTime), parse(t, vectorSecret))
	tests := []struct {
		name   string
		header string
		ok     bool
	}{
		{"the signature alone", vectorSignature, true},
		{"a valid one that is not last", vectorSignature + " " + vectorOtherSignature, true},
		{"a valid one after another", vectorOtherSignature + " " + vectorSignature, true},
		{"an entry without a comma, then the valid one", "v1 " + vectorSignature, true},
		{"malformed entries, then the valid one", ",,, v1,not,base64  " + vectorSignature, true},
		{"empty v1 entries, then the valid one", "v1, v1,,, " + vectorSignature, true},
		{"another scheme's entry next to it", "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw== " + vectorSignature, true},
		{"the valid signature under another version", strings.Replace(vectorSignature, "v1,", "v2,", 1), false},
		{"only another signature", vectorOtherSignature, false},
		{"garbage", "invalid signature", false},
		{"a near miss", strings.Replace(vectorSignature, "1OE=", "1OA=", 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.Verify(vectorHeaders(tt.header), []byte(vectorPayload))
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, signature.ErrVerification)
		})
	}
}

func TestVerifyRefusesAChangedBodyIdOrTimestamp(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, clockwork.NewFakeClockAt(vectorTime), parse(t, vectorSecret))
	body := []byte(vectorPayload)

	require.ErrorIs(t, v.Verify(vectorHeaders(vectorSignature), []byte(`{"test": 2432232315}`)), signature.ErrVerification)
	require.ErrorIs(t, v.Verify(vectorHeaders(vectorSignature), []byte(`{"test":2432232314}`)), signature.ErrVerification)

	h := vectorHeaders(vectorSignature)
	h.Set(signature.HeaderID, "msg_p5jXN8AQM9LWM0D4loKWxJeK")
	require.ErrorIs(t, v.Verify(h, body), signature.ErrVerification)

	h = vectorHeaders(vectorSignature)
	h.Set(signature.HeaderTimestamp, strconv.Itoa(vectorTimestamp+1))
	require.ErrorIs(t, v.Verify(h, body), signature.ErrVerification)

	other := newVerifier(t, clockwork.NewFakeClockAt(vectorTime), signature.NewSecret())
	require.ErrorIs(t, other.Verify(vectorHeaders(vectorSignature), body), signature.ErrVerification)
}

func TestVerifyRefusesMissingRepeatedAndMalformedHeaders(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, clockwork.NewFakeClockAt(vectorTime), parse(t, vectorSecret))
	body := []byte(vectorPayload)
	for _, name := range []string{signature.HeaderID, signature.HeaderTimestamp, signature.HeaderSignature} {
		h := vectorHeaders(vectorSignature)
		h.Del(name)
		err := v.Verify(h, body)
		require.ErrorIs(t, err, signature.ErrVerification, name)
		require.ErrorContains(t, err, name+" is missing")
	}
	for _, name := range []string{signature.HeaderID, signature.HeaderTimestamp} {
		h := vectorHeaders(vectorSignature)
		h.Add(name, h.Get(name))
		require.ErrorContains(t, v.Verify(h, body), name+" is repeated")
	}
	for _, ts := range []string{"x", "1614265330.0", "+1614265330", "-1", "1e9", " 1614265330"} {
		h := vectorHeaders(vectorSignature)
		h.Set(signature.HeaderTimestamp, ts)
		require.ErrorIs(t, v.Verify(h, body), signature.ErrVerification, ts)
	}
	h := vectorHeaders(vectorSignature)
	h.Set(signature.HeaderID, "msg.1")
	require.ErrorIs(t, v.Verify(h, body), signature.ErrVerification)
}

func TestVerifyAcceptsSignaturesSpreadOverSeveralHeaderLines(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, clockwork.NewFakeClockAt(vectorTime), parse(t, vectorSecret))
	h := vectorHeaders(vectorOtherSignature)
	h.Add(signature.HeaderSignature, vectorSignature)
	require.NoError(t, v.Verify(h, []byte(vectorPayload)))
}

func TestVerifyChecksTheTimestampAgainstTheClockWithinFiveMinutes(t *testing.T) {
	t.Parallel()
	secret := parse(t, vectorSecret)
	body := []byte(vectorPayload)
	tests := []struct {
		offset time.Duration // clock minus timestamp
		want   error
	}{
		{0, nil},
		{5 * time.Minute, nil},
		{-5 * time.Minute, nil},
		{5*time.Minute + time.Second, signature.ErrTooOld},
		{-5*time.Minute - time.Second, signature.ErrTooNew},
		{24 * time.Hour, signature.ErrTooOld},
	}
	for _, tt := range tests {
		clock := clockwork.NewFakeClockAt(vectorTime.Add(tt.offset))
		err := newVerifier(t, clock, secret).Verify(vectorHeaders(vectorSignature), body)
		if tt.want == nil {
			require.NoError(t, err, tt.offset)
			continue
		}
		require.ErrorIs(t, err, tt.want, tt.offset)
		require.ErrorIs(t, err, signature.ErrVerification)
	}

	// A fake clock moving on turns a fresh delivery stale.
	clock := clockwork.NewFakeClockAt(vectorTime)
	v := newVerifier(t, clock, secret)
	require.NoError(t, v.Verify(vectorHeaders(vectorSignature), body))
	clock.Advance(5*time.Minute + time.Second)
	require.ErrorIs(t, v.Verify(vectorHeaders(vectorSignature), body), signature.ErrTooOld)
}

func TestVerifierToleranceIsConfigurable(t *testing.T) {
	t.Parallel()
	v, err := signature.NewVerifier(signature.VerifierConfig{
		Secrets:   []signature.Secret{parse(t, vectorSecret)},
		Clock:     clockwork.NewFakeClockAt(vectorTime.Add(2 * time.Minute)),
		Tolerance: time.Minute,
	})
	require.NoError(t, err)
	require.ErrorIs(t, v.Verify(vectorHeaders(vectorSignature), []byte(vectorPayload)), signature.ErrTooOld)
}

func TestSecretRotationSignsWithBothAndEitherVerifies(t *testing.T) {
	t.Parallel()
	oldSecret, newSecret := signature.NewSecret(), signature.NewSecret()
	at := time.Unix(1_765_000_000, 0)
	body := []byte(`{"x":1}`)
	h := http.Header{}
	require.NoError(t, signature.SetHeaders(h, "msg_rot", at, body, newSecret, oldSecret))
	require.Len(t, strings.Fields(h.Get(signature.HeaderSignature)), 2)

	clock := clockwork.NewFakeClockAt(at)
	require.NoError(t, newVerifier(t, clock, oldSecret).Verify(h, body))
	require.NoError(t, newVerifier(t, clock, newSecret).Verify(h, body))
	require.ErrorIs(t, newVerifier(t, clock, signature.NewSecret()).Verify(h, body), signature.ErrVerification)
}

func TestSignRefusesABadIDOrAZeroSecret(t *testing.T) {
	t.Parallel()
	secret := signature.NewSecret()
	for _, id := range []string{"", "msg.1", "msg 1", "msg\n1", "ü", strings.Repeat("a", 256)} {
		_, err := signature.Sign(secret, id, vectorTime, nil)
		require.Error(t, err, "%q", id)
	}
	_, err := signature.Sign(secret, strings.Repeat("a", 255), vectorTime, nil)
	require.NoError(t, err)
	_, err = signature.Sign(signature.Secret{}, "msg_1", vectorTime, nil)
	require.ErrorIs(t, err, signature.ErrZeroSecret)
	require.ErrorIs(t, signature.SetHeaders(http.Header{}, "msg_1", vectorTime, nil), signature.ErrZeroSecret)
}

func TestNewVerifierRefusesAMissingSecretOrNegativeTolerance(t *testing.T) {
	t.Parallel()
	_, err := signature.NewVerifier(signature.VerifierConfig{})
	require.Error(t, err)
	_, err = signature.NewVerifier(signature.VerifierConfig{Secrets: []signature.Secret{{}}})
	require.Error(t, err)
	_, err = signature.NewVerifier(signature.VerifierConfig{Secrets: []signature.Secret{signature.NewSecret()}, Tolerance: -time.Second})
	require.Error(t, err)
}
