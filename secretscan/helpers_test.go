package secretscan_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/secretscan"
)

// signer plays GitHub: a P-256 key made for the test and its identifier.
type signer struct {
	id   string
	priv *ecdsa.PrivateKey
}

func newSigner(t testing.TB, id string) signer {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return signer{id: id, priv: priv}
}

// sign returns the Github-Public-Key-Signature value for body.
func (s signer) sign(t testing.TB, body []byte) string {
	t.Helper()
	digest := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, s.priv, digest[:])
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(sig)
}

func pemOf(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

type wireKey struct {
	ID      string `json:"key_identifier"`
	Key     string `json:"key"`
	Current bool   `json:"is_current"`
}

// keysJSON writes signers' public keys in GitHub's public_keys shape; the
// first is current, the others are not.
func keysJSON(t testing.TB, signers ...signer) []byte {
	t.Helper()
	doc := struct {
		PublicKeys []wireKey `json:"public_keys"`
	}{PublicKeys: []wireKey{}}
	for i, s := range signers {
		doc.PublicKeys = append(doc.PublicKeys, wireKey{ID: s.id, Key: pemOf(t, &s.priv.PublicKey), Current: i == 0})
	}
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	return b
}

func staticKeys(t testing.TB, signers ...signer) secretscan.KeySource {
	t.Helper()
	keys, err := secretscan.ParsePublicKeys(keysJSON(t, signers...))
	require.NoError(t, err)
	return secretscan.StaticKeys(keys)
}
