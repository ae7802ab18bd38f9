package apikey_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
)

func TestHashKeyIsSHA256OfTheWholeKey(t *testing.T) {
	t.Parallel()
	key := generate(t, apikey.DefaultPrefix)
	h := apikey.HashKey(key)
	want := sha256.Sum256([]byte(key))
	require.Equal(t, want[:], h.Bytes())
	require.Equal(t, apikey.Hash(want), h)
	require.NotEqual(t, h, apikey.HashKey(generate(t, apikey.DefaultPrefix)))

	empty := sha256.Sum256(nil)
	require.Equal(t, apikey.Hash(empty), apikey.HashKey(""))
}

func TestHashBytesReturnsACopy(t *testing.T) {
	t.Parallel()
	h := apikey.HashKey("sa_whatever")
	b := h.Bytes()
	b[0] ^= 0xff
	require.NotEqual(t, b, h.Bytes())
	require.Len(t, h.Bytes(), sha256.Size)
}

func TestHashKeyDoesNotAllocate(t *testing.T) {
	key := generate(t, apikey.DefaultPrefix)
	var h apikey.Hash
	allocs := testing.AllocsPerRun(100, func() { h = apikey.HashKey(key) })
	require.Zero(t, allocs)
	require.NotZero(t, h)
}

func TestHashIsRedactedUnderEveryVerb(t *testing.T) {
	t.Parallel()
	h := apikey.HashKey(generate(t, apikey.DefaultPrefix))
	hexHash := hex.EncodeToString(h[:])
	const redacted = "apikey.Hash(redacted)"

	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "% x", "%d", "%10v", "%-40s"} {
		t.Run(verb, func(t *testing.T) {
			t.Parallel()
			for _, arg := range []any{h, &h} {
				out := fmt.Sprintf(verb, arg)
				assert.Contains(t, out, "redacted")
				assert.NotContains(t, out, hexHash[:8])
				assert.NotContains(t, out, fmt.Sprint(h[0], " ", h[1]), "must not print the bytes")
			}
		})
	}
	assert.Equal(t, redacted, h.String())
	assert.Equal(t, redacted, h.GoString())
	assert.Equal(t, redacted, fmt.Sprint(h))
	assert.Equal(t, "["+redacted+"]", fmt.Sprint([]apikey.Hash{h}))
}

func TestKeyPrintsWithoutItsHash(t *testing.T) {
	t.Parallel()
	h := apikey.HashKey(generate(t, apikey.DefaultPrefix))
	hexHash := hex.EncodeToString(h[:])
	k := apikey.Key{ID: uuid.Must(uuid.NewV7()), Hash: h, Hint: "sa_AbCd…wxyz"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		for _, arg := range []any{k, &k} {
			out := fmt.Sprintf(verb, arg)
			assert.Contains(t, out, "redacted", verb)
			assert.NotContains(t, out, hexHash[:8], verb)
			assert.NotContains(t, out, fmt.Sprint(h[0], " ", h[1], " ", h[2]), verb)
		}
	}
}

func TestHashIsRedactedInStructuredLogs(t *testing.T) {
	h := apikey.HashKey("sa_secret")
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("lookup", "hash", h)
	require.Contains(t, buf.String(), "redacted")
	require.NotContains(t, buf.String(), fmt.Sprint(h[:]))
}
