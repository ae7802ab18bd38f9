package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKeyLifecycleEndToEnd runs the server's whole stack (admin API,
// middleware, Manager, an SQLite file) over real HTTP on loopback, in
// process so that the clock can be a fake one: a rotation with a 60 s
// grace period, then disabling a key and an account.
func TestKeyLifecycleEndToEnd(t *testing.T) {
	const token = "lifecycle-admin-token-0123456789"
	db := "sqlite:" + filepath.Join(t.TempDir(), "lifecycle.db")
	cfg, err := parseFlags([]string{"-db", db, "-admin-token", token}, func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	st, _, closeStore, err := openStore(t.Context(), cfg.db)
	require.NoError(t, err)
	t.Cleanup(closeStore)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := newApp(st, cfg, clock, nil, log, operations{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.mw.Close(context.Background()) })
	srv := httptest.NewServer(a.handler)
	t.Cleanup(srv.Close)

	call := func(method, path, bearer, body string, want int) map[string]any {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, rd)
		require.NoError(t, err)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+bearer)
		res, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		require.Equal(t, want, res.StatusCode, "%s %s: %s", method, path, raw)
		var out map[string]any
		if len(raw) > 0 {
			require.NoError(t, json.Unmarshal(raw, &out))
		}
		return out
	}
	admin := func(method, path, body string, want int) map[string]any {
		t.Helper()
		return call(method, "/admin"+path, token, body, want)
	}
	refused := func(key, code string) {
		t.Helper()
		p := call("GET", "/v1/whoami", key, "", http.StatusUnauthorized)
		assert.Equal(t, code, p["code"])
	}
	const allowed, denied = "/v1/studies/tekenradar/responses?surveyKey=intake", "/v1/studies/tekenradar/responses?surveyKey=weekly"

	account := admin("POST", "/service-accounts", `{"label":"Tekenradar export"}`, http.StatusCreated)
	id := account["id"].(string)
	old := admin("POST", "/service-accounts/"+id+"/api-keys", `{"name":"nightly export"}`, http.StatusCreated)
	oldKey := old["key"].(string)
	admin("POST", "/service-accounts/"+id+"/permissions",
		`{"resourceType":"study","resourceKey":"tekenradar","action":"get-responses","limiter":[{"surveyKey":"intake"}]}`, http.StatusCreated)
	call("GET", allowed, oldKey, "", http.StatusOK)

	rotated := admin("POST", "/service-accounts/"+id+"/api-keys/"+old["id"].(string)+"/rotate", `{"gracePeriodSeconds":60}`, http.StatusCreated)
	created := rotated["created"].(map[string]any)
	newKey := created["key"].(string)
	assert.Equal(t, "nightly export", created["name"])
	assert.Equal(t, "2026-11-28T12:01:00.000000Z", rotated["previous"].(map[string]any)["expiresAt"])

	// During the grace both keys work, with the same permissions.
	for _, key := range []string{oldKey, newKey} {
		call("GET", allowed, key, "", http.StatusOK)
		call("GET", denied, key, "", http.StatusForbidden)
	}
	clock.Advance(59 * time.Second)
	call("GET", allowed, oldKey, "", http.StatusOK)
	call("GET", allowed, newKey, "", http.StatusOK)

	// At the end of the grace the old key is refused; the new one goes on.
	clock.Advance(time.Second)
	refused(oldKey, "expired_key")
	call("GET", allowed, newKey, "", http.StatusOK)
	call("GET", denied, newKey, "", http.StatusForbidden)

	// A disabled key, then a disabled account, on the very next request.
	keyPath := "/service-accounts/" + id + "/api-keys/" + created["id"].(string)
	admin("PATCH", keyPath, `{"disabled":true}`, http.StatusOK)
	refused(newKey, "disabled_key")
	admin("PATCH", keyPath, `{"disabled":false}`, http.StatusOK)
	call("GET", allowed, newKey, "", http.StatusOK)
	admin("PATCH", "/service-accounts/"+id, `{"disabled":true}`, http.StatusOK)
	refused(newKey, "disabled_account")
	admin("PATCH", "/service-accounts/"+id, `{"disabled":false}`, http.StatusOK)
	call("GET", allowed, newKey, "", http.StatusOK)

	// The hygiene list shows both keys, the old one replaced.
	list := admin("GET", "/api-keys", "", http.StatusOK)
	items := list["items"].([]any)
	require.Len(t, items, 2)
	assert.Equal(t, created["id"], items[0].(map[string]any)["replacedBy"])
}
