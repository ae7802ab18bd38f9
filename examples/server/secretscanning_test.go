package main_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
)

// scanner plays GitHub's secret scanning: P-256 keys made for the test,
// published in GitHub's public_keys shape, signing reports over the raw
// body.
type scanner struct {
	ids  []string
	keys []*ecdsa.PrivateKey
}

func newScanner(t *testing.T, ids ...string) *scanner {
	t.Helper()
	s := &scanner{ids: ids}
	for range ids {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		s.keys = append(s.keys, k)
	}
	return s
}

// publicKeys is the public_keys document; only the first key is current.
func (s *scanner) publicKeys(t *testing.T) []byte {
	t.Helper()
	type entry struct {
		ID      string `json:"key_identifier"`
		Key     string `json:"key"`
		Current bool   `json:"is_current"`
	}
	var doc struct {
		PublicKeys []entry `json:"public_keys"`
	}
	for i, k := range s.keys {
		der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		require.NoError(t, err)
		doc.PublicKeys = append(doc.PublicKeys, entry{ID: s.ids[i], Key: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), Current: i == 0})
	}
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	return b
}

func (s *scanner) writeKeys(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "public_keys.json")
	require.NoError(t, os.WriteFile(path, s.publicKeys(t), 0o600))
	return path
}

func sign(t *testing.T, k *ecdsa.PrivateKey, body []byte) string {
	t.Helper()
	digest := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, k, digest[:])
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(sig)
}

const leakURL = "https://github.com/octo/dotfiles/blob/8d1f/.env"

func leakBody(tokens ...string) []byte {
	var items []map[string]string
	for _, tok := range tokens {
		items = append(items, map[string]string{"token": tok, "type": "serviceaccounts_api_key", "url": leakURL, "source": "content"})
	}
	b, _ := json.Marshal(items)
	return b
}

// report posts body to /secret-scanning with the given signature headers
// (none when keyID is "") and returns the status and the body.
func report(t *testing.T, base string, body []byte, keyID, signature string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/secret-scanning", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if keyID != "" {
		req.Header.Set("Github-Public-Key-Identifier", keyID)
		req.Header.Set("Github-Public-Key-Signature", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, raw
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestLeakReportDisablesTheKeyWithinOneRequest: a signed report naming a
// live key is answered true_positive, and the very next request with the
// key (whose lookup the server had cached) is refused; the audit log has
// key.leaked with the report's url and source and never the token. Badly
// signed and unsigned reports are 401 and change nothing.
func TestLeakReportDisablesTheKeyWithinOneRequest(t *testing.T) {
	t.Parallel()
	gh := newScanner(t, "gh-current", "gh-previous")
	srv := start(t, "sqlite:"+filepath.Join(t.TempDir(), "leak.db"), "-secret-scanning-keys", gh.writeKeys(t))
	c := client{t: t, base: srv.url}

	id := c.do("POST", "/admin/service-accounts", adminToken, `{"label":"CI deploy"}`, http.StatusCreated)["id"].(string)
	created := c.do("POST", "/admin/service-accounts/"+id+"/api-keys", adminToken, `{"name":"github actions"}`, http.StatusCreated)
	key, keyID := created["key"].(string), created["id"].(string)
	c.do("GET", "/v1/whoami", key, "", http.StatusOK) // cached from here on (-cache-ttl 10s)

	body := leakBody(key)
	forger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	for name, headers := range map[string][2]string{
		"unsigned":                {"", ""},
		"signed by another key":   {"gh-current", sign(t, forger, body)},
		"signed for another body": {"gh-current", sign(t, gh.keys[0], leakBody(key+"x"))},
		"unknown key identifier":  {"gh-unknown", sign(t, gh.keys[0], body)},
		"signature not base64":    {"gh-current", "%%%"},
	} {
		status, answer := report(t, srv.url, body, headers[0], headers[1])
		require.Equal(t, http.StatusUnauthorized, status, "%s: %s", name, answer)
		assert.NotContains(t, string(answer), key, name)
		c.do("GET", "/v1/whoami", key, "", http.StatusOK) // still works
	}

	other, err := apikey.Generate(apikey.DefaultPrefix) // well formed, not stored
	require.NoError(t, err)
	body = leakBody(key, other)
	status, answer := report(t, srv.url, body, "gh-current", sign(t, gh.keys[0], body))
	require.Equal(t, http.StatusOK, status, "%s", answer)
	var results []map[string]string
	require.NoError(t, json.Unmarshal(answer, &results))
	assert.Equal(t, []map[string]string{
		{"token_hash": sha256Hex(key), "token_type": "serviceaccounts_api_key", "label": "true_positive"},
		{"token_hash": sha256Hex(other), "token_type": "serviceaccounts_api_key", "label": "false_positive"},
	}, results)
	assert.NotContains(t, string(answer), key)

	// The next request is refused, although its lookup was cached.
	c.do("GET", "/v1/whoami", key, "", http.StatusUnauthorized)
	k := c.do("GET", "/admin/service-accounts/"+id+"/api-keys/"+keyID, adminToken, "", http.StatusOK)
	assert.NotNil(t, k["disabledAt"], "disabled, not deleted: the administrator sees what leaked")

	events := c.do("GET", "/admin/audit-events?action=key.leaked", adminToken, "", http.StatusOK)["items"].([]any)
	require.Len(t, events, 1)
	e := events[0].(map[string]any)
	assert.Equal(t, id, e["serviceAccountId"])
	assert.Equal(t, keyID, e["targetId"])
	actor := e["actor"].(map[string]any)
	assert.Equal(t, "secret-scanning", actor["id"])
	assert.True(t, strings.HasPrefix(actor["address"].(string), "127.0.0.1:"), actor["address"])
	details := e["details"].(map[string]any)
	assert.Equal(t, map[string]any{"url": leakURL, "source": "content"}, details["report"])
	raw, err := json.Marshal(e)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), key)
	assert.NotContains(t, string(raw), sha256Hex(key))

	// A key that is no longer current still verifies; the same key
	// reported again is still ours and writes nothing more.
	body = leakBody(key)
	status, answer = report(t, srv.url, body, "gh-previous", sign(t, gh.keys[1], body))
	require.Equal(t, http.StatusOK, status, "%s", answer)
	assert.Contains(t, string(answer), `"true_positive"`)
	events = c.do("GET", "/admin/audit-events?action=key.leaked", adminToken, "", http.StatusOK)["items"].([]any)
	assert.Len(t, events, 1)

	srv.stop()
	assert.NotContains(t, srv.stderr.String(), key, "the key never reaches the log")
	assert.Contains(t, srv.stderr.String(), "leaked key disabled")
}

// TestLeakReportKeysFromAURL: -secret-scanning-keys-url alone fetches the
// keys that verify reports.
func TestLeakReportKeysFromAURL(t *testing.T) {
	t.Parallel()
	gh := newScanner(t, "gh-remote")
	doc := gh.publicKeys(t)
	keysSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}))
	t.Cleanup(keysSrv.Close)
	srv := start(t, "memory:", "-secret-scanning-keys-url", keysSrv.URL+"/meta/public_keys/secret_scanning")
	c := client{t: t, base: srv.url}
	id := c.do("POST", "/admin/service-accounts", adminToken, `{"label":"CI deploy"}`, http.StatusCreated)["id"].(string)
	key := c.do("POST", "/admin/service-accounts/"+id+"/api-keys", adminToken, `{}`, http.StatusCreated)["key"].(string)

	body := leakBody(key)
	status, answer := report(t, srv.url, body, "gh-remote", sign(t, gh.keys[0], body))
	require.Equal(t, http.StatusOK, status, "%s", answer)
	assert.Contains(t, string(answer), `"true_positive"`)
	c.do("GET", "/v1/whoami", key, "", http.StatusUnauthorized)
	srv.stop()
}

// TestSecretScanningRouteNeedsKeys: without keys, there is no route; a
// bad keys file stops the server at start, naming the flag.
func TestSecretScanningRouteNeedsKeys(t *testing.T) {
	t.Parallel()
	srv := start(t, "memory:")
	status, _ := report(t, srv.url, leakBody("sa_x"), "", "")
	assert.Equal(t, http.StatusNotFound, status)
	srv.stop()

	bad := filepath.Join(t.TempDir(), "keys.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"public_keys":[]}`), 0o600))
	for _, args := range [][]string{
		{"-secret-scanning-keys", bad},
		{"-secret-scanning-keys", filepath.Join(t.TempDir(), "missing.json")},
		{"-secret-scanning-keys-url", "ftp://example.org/keys"},
	} {
		cmd := exec.Command(serverBinary(t), append([]string{"-addr", "127.0.0.1:0", "-db", "memory:"}, args...)...)
		cmd.Env = append(os.Environ(), "ADMIN_TOKEN="+adminToken)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		require.True(t, errors.As(err, &exit), "%v: %s", args, out)
		assert.Equal(t, 2, exit.ExitCode(), "%s", out)
		assert.Contains(t, string(out), args[0], "the message names the flag")
	}
}
