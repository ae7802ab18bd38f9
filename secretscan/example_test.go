package secretscan_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/seed-c7fc2061/serviceaccounts/secretscan"
)

// The application supplies the keys and a Decider; the handler verifies,
// parses and answers. Here a key made on the spot plays GitHub's.
func ExampleNewHandler() {
	github, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&github.PublicKey)
	doc, _ := json.Marshal(map[string]any{"public_keys": []map[string]any{{
		"key_identifier": "example-key",
		"key":            string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		"is_current":     true,
	}}})
	keys, err := secretscan.ParsePublicKeys(doc) // or a file: -secret-scanning-keys
	if err != nil {
		panic(err)
	}

	ours := map[string]bool{"sa_leaked": true}
	h, err := secretscan.NewHandler(secretscan.HandlerConfig{
		Keys: secretscan.StaticKeys(keys),
		Decide: func(ctx context.Context, token string, r secretscan.Report) (bool, error) {
			// Disable the key, write key.leaked, fire the webhook.
			return ours[token], nil
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	body := []byte(`[{"token":"sa_leaked","type":"serviceaccounts_api_key","url":"https://github.com/o/r","source":"content"},` +
		`{"token":"abc","type":"serviceaccounts_api_key","url":"https://github.com/o/r","source":"content"}]`)
	digest := sha256.Sum256(body)
	sig, _ := ecdsa.SignASN1(rand.Reader, github, digest[:])

	req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
	req.Header.Set("Github-Public-Key-Identifier", "example-key")
	req.Header.Set("Github-Public-Key-Signature", base64.StdEncoding.EncodeToString(sig))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode)
	fmt.Print(string(answer))
	// Output:
	// 200
	// [{"token_hash":"71696c8e991961f236db4669052661f1488689543f6b4a0f7a79b1bb89724602","token_type":"serviceaccounts_api_key","label":"true_positive"},{"token_hash":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","token_type":"serviceaccounts_api_key","label":"false_positive"}]
}

// The pattern to register with a scanner, for the default prefix and for
// an application's own.
func ExampleKeyPattern() {
	fmt.Println(secretscan.KeyRegexp)
	p, _ := secretscan.KeyPattern("acme")
	fmt.Println(p)
	fmt.Println(secretscan.KeyRegexp.MatchString("token: sa_" + "0123456789abcdefghijABCDEFGHIJ0123456789abcdefghi"))
	// Output:
	// \bsa_[0-9A-Za-z]{49}\b
	// \bacme_[0-9A-Za-z]{49}\b
	// true
}
