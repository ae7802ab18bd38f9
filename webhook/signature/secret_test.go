package signature_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/webhook/signature"
)

func TestNewSecretIsFreshRandomAndRoundTrips(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		s := signature.NewSecret()
		text := s.Reveal()
		require.True(t, strings.HasPrefix(text, "whsec_"))
		raw, err := base64.StdEncoding.DecodeString(text[len("whsec_"):])
		require.NoError(t, err)
		require.Len(t, raw, signature.DefaultSecretBytes)
		require.False(t, seen[text], "duplicate secret")
		seen[text] = true
		require.Equal(t, s, parse(t, text))
	}
}

func TestParseSecretAcceptsPaddedAndUnpaddedBase64(t *testing.T) {
	t.Parallel()
	// 25 bytes: base64 needs "==" padding; some libraries drop it (the
	// Python reference library's unpadded-secret test uses this text).
	padded := parse(t, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr==")
	unpadded := parse(t, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr")
	require.Equal(t, padded, unpadded)
	require.Equal(t, padded, parse(t, unpadded.Reveal()))

	for _, n := range []int{signature.MinSecretBytes, signature.MaxSecretBytes} {
		text := "whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n))
		require.Equal(t, text, parse(t, text).Reveal())
	}
}

func TestParseSecretRefusesMalformedTextWithoutEchoingIt(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"no prefix":         "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"other prefix":      "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"url-safe alphabet": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw_-__",
		"not base64":        "whsec_MfKQ9r8GKYqrTwjU!D8ILPZIo2LaLaSw",
		"23 bytes":          "whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 23)),
		"65 bytes":          "whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 65)),
		"empty":             "whsec_",
		"nothing":           "",
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := signature.ParseSecret(text)
			require.ErrorIs(t, err, signature.ErrInvalidSecret)
			if len(text) > len("whsec_") {
				require.NotContains(t, err.Error(), text[len("whsec_"):])
			}
		})
	}
}

func TestASecretNeverPrints(t *testing.T) {
	t.Parallel()
	s := parse(t, vectorSecret)
	key, err := base64.StdEncoding.DecodeString(vectorSecret[len("whsec_"):])
	require.NoError(t, err)
	forbidden := []string{
		vectorSecret[len("whsec_"):],
		string(key),
		fmt.Sprintf("%x", key),
		fmt.Sprintf("%v", key),
		fmt.Sprintf("%q", key),
	}

	type holder struct {
		Name   string
		Secret signature.Secret
		Ptr    *signature.Secret
	}
	h := holder{Name: "hook", Secret: s, Ptr: &s}

	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		outputs = append(outputs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &s))
	}
	outputs = append(outputs, s.String(), s.GoString(), fmt.Sprint(s), fmt.Sprintln(s))

	var logs bytes.Buffer
	for _, handler := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		slog.New(handler).Info("webhook", "secret", s, "ptr", &s, "holder", h, slog.Any("any", s))
	}
	outputs = append(outputs, logs.String())

	js, err := json.Marshal(h)
	require.NoError(t, err)
	outputs = append(outputs, string(js))

	for _, out := range outputs {
		require.Contains(t, out, "[redacted]")
		for _, f := range forbidden {
			require.NotContains(t, out, f)
		}
	}
	require.Equal(t, vectorSecret, s.Reveal())
}
