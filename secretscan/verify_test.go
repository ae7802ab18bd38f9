package secretscan_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/secretscan"
)

const sampleReport = `[{"token":"sa_NMIfyYncKcRALEXAMPLE","type":"serviceaccounts_api_key","url":"https://github.com/octocat/repo/blob/abc/config.yml","source":"content"}]`

func TestVerifyAcceptsAReportSignedWithAConfiguredKey(t *testing.T) {
	t.Parallel()
	current, old := newSigner(t, "key-current"), newSigner(t, "key-old")
	keys := staticKeys(t, current, old)
	body := []byte(sampleReport)
	ctx := context.Background()

	require.NoError(t, secretscan.Verify(ctx, keys, body, current.id, current.sign(t, body)))
	// A key that is no longer current verifies until it leaves the list.
	require.NoError(t, secretscan.Verify(ctx, keys, body, old.id, old.sign(t, body)))
}

func TestVerifyRefusesTamperedUnknownAndGarbageSignatures(t *testing.T) {
	t.Parallel()
	gh, stranger := newSigner(t, "gh"), newSigner(t, "stranger")
	keys := staticKeys(t, gh)
	body := []byte(sampleReport)
	good := gh.sign(t, body)
	ctx := context.Background()

	tests := []struct {
		name, id, sig string
		body          []byte
	}{
		{"tampered body", gh.id, good, []byte(strings.Replace(sampleReport, "content", "commit", 1))},
		{"body with a trailing newline", gh.id, good, append([]byte(sampleReport), '\n')},
		{"unknown key id", "nope", good, body},
		{"signed by another key under the right id", gh.id, stranger.sign(t, body), body},
		{"signed by another key under its own id", stranger.id, stranger.sign(t, body), body},
		{"not base64", gh.id, "%%%not-base64%%%", body},
		{"base64 garbage", gh.id, base64.StdEncoding.EncodeToString([]byte("garbage signature bytes")), body},
		{"truncated signature", gh.id, good[:len(good)-8], body},
		{"too long", gh.id, strings.Repeat("A", 4096), body},
		{"missing signature", gh.id, "", body},
		{"missing key id", "", good, body},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := secretscan.Verify(ctx, keys, tt.body, tt.id, tt.sig)
			require.ErrorIs(t, err, secretscan.ErrInvalidSignature)
			require.NotContains(t, err.Error(), "sa_NMIfyYncKcRALEXAMPLE")
		})
	}
}

func TestVerifyRequestRefusesRepeatedHeaders(t *testing.T) {
	t.Parallel()
	gh := newSigner(t, "gh")
	body := []byte(sampleReport)
	h := http.Header{}
	h.Set(secretscan.HeaderKeyID, gh.id)
	h.Set(secretscan.HeaderSignature, gh.sign(t, body))
	require.NoError(t, secretscan.VerifyRequest(context.Background(), staticKeys(t, gh), h, body))

	h.Add(secretscan.HeaderSignature, gh.sign(t, body))
	require.ErrorIs(t, secretscan.VerifyRequest(context.Background(), staticKeys(t, gh), h, body), secretscan.ErrInvalidSignature)
}

func TestParsePublicKeysNamesTheFaultyEntry(t *testing.T) {
	t.Parallel()
	gh := newSigner(t, "gh")
	goodPEM := pemOf(t, &gh.priv.PublicKey)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	entry := func(id, key string) string {
		return `{"key_identifier":` + quote(id) + `,"key":` + quote(key) + `,"is_current":true}`
	}
	tests := map[string]string{
		`not a JSON object`:                  `[1,2]`,
		`public_keys is missing or empty`:    `{"public_keys":[]}`,
		`public_keys[0].key_identifier is`:   `{"public_keys":[` + entry("", goodPEM) + `]}`,
		`public_keys[1].key_identifier rep`:  `{"public_keys":[` + entry("a", goodPEM) + `,` + entry("a", goodPEM) + `]}`,
		`public_keys[0].key: not a PEM`:      `{"public_keys":[` + entry("a", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE") + `]}`,
		`public_keys[0].key: not an ECDSA P`: `{"public_keys":[` + entry("a", pemOf(t, &p384.PublicKey)) + `]}`,
		`public_keys[0].key: not an ECDSA`:   `{"public_keys":[` + entry("a", pemOf(t, &rsaKey.PublicKey)) + `]}`,
		`public_keys[0].key: text follows`:   `{"public_keys":[` + entry("a", goodPEM+"extra") + `]}`,
	}
	for says, doc := range tests {
		_, err := secretscan.ParsePublicKeys([]byte(doc))
		require.ErrorIs(t, err, secretscan.ErrInvalidKeys, says)
		require.ErrorContains(t, err, says)
	}

	keys, err := secretscan.ParsePublicKeys(keysJSON(t, gh, newSigner(t, "old")))
	require.NoError(t, err)
	require.Len(t, keys, 2)
	require.Equal(t, "gh", keys[0].ID)
	require.True(t, keys[0].Current)
	require.False(t, keys[1].Current)
	require.True(t, keys[0].Key.Equal(&gh.priv.PublicKey))
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
