package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
)

// throttleServer runs the server's whole stack over real HTTP with a fake
// clock. The test's connections come from the loopback, trusted as a proxy
// with -trusted-proxies, so that X-Forwarded-For stands for distinct
// clients.
func throttleServer(t *testing.T, flags ...string) (*httptest.Server, *clockwork.FakeClock) {
	t.Helper()
	args := append([]string{"-db", "memory:", "-admin-token", throttleToken, "-trusted-proxies", "127.0.0.0/8,::1"}, flags...)
	cfg, err := parseFlags(args, func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	st, _, closeStore, err := openStore(t.Context(), cfg.db)
	require.NoError(t, err)
	t.Cleanup(closeStore)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	a, err := newApp(st, cfg, clock, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), operations{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.mw.Close(context.Background()) })
	srv := httptest.NewServer(a.handler)
	t.Cleanup(srv.Close)
	return srv, clock
}

const throttleToken = "throttle-admin-token-0123456789"

func send(t *testing.T, srv *httptest.Server, method, path, client string, header http.Header, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("X-Forwarded-For", client)
	c := *srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(b)
}

func adminCall(t *testing.T, srv *httptest.Server, client, token string) (*http.Response, string) {
	t.Helper()
	return send(t, srv, http.MethodGet, "/admin/service-accounts", client, http.Header{"Authorization": {"Bearer " + token}}, "")
}

func login(t *testing.T, srv *httptest.Server, client, token string) (*http.Response, string) {
	t.Helper()
	return send(t, srv, http.MethodPost, "/admin/ui/login", client, http.Header{
		"Content-Type":   {"application/x-www-form-urlencoded"},
		"Sec-Fetch-Site": {"same-origin"},
	}, url.Values{"token": {token}}.Encode())
}

func TestAdminAPIThrottlesWrongTokensPerClient(t *testing.T) {
	srv, clock := throttleServer(t)
	const guesser, other = "198.51.100.7", "2001:db8::7"
	for i := range 10 {
		res, _ := adminCall(t, srv, guesser, "wrong-token-guess")
		require.Equal(t, http.StatusUnauthorized, res.StatusCode, "failure %d", i+1)
	}
	res, body := adminCall(t, srv, guesser, throttleToken)
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode, "the right token is refused too: %s", body)
	assert.Equal(t, "60", res.Header.Get("Retry-After"))
	var p map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &p))
	assert.Equal(t, "too_many_attempts", p["code"])
	assert.Equal(t, "urn:serviceaccounts:problem:too_many_attempts", p["type"])
	assert.NotContains(t, body, throttleToken)

	res, _ = adminCall(t, srv, other, throttleToken)
	assert.Equal(t, http.StatusOK, res.StatusCode, "another client is unaffected")

	// The page's login counts its own failures: the API's do not lock it.
	res, _ = login(t, srv, guesser, throttleToken)
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)

	clock.Advance(59 * time.Second)
	res, _ = adminCall(t, srv, guesser, throttleToken)
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	assert.Equal(t, "1", res.Header.Get("Retry-After"))
	clock.Advance(time.Second)
	res, _ = adminCall(t, srv, guesser, throttleToken)
	assert.Equal(t, http.StatusOK, res.StatusCode, "the window has passed")
}

func TestPageLoginThrottlesWrongTokensPerClient(t *testing.T) {
	srv, clock := throttleServer(t)
	const guesser, other = "198.51.100.7", "198.51.100.8"
	for range 20 {
		res, _ := login(t, srv, guesser, "")
		require.Equal(t, http.StatusUnauthorized, res.StatusCode, "an empty token is not an attempt")
	}
	for i := range 10 {
		res, body := login(t, srv, guesser, "wrong-token-guess")
		require.Equal(t, http.StatusUnauthorized, res.StatusCode, "failure %d", i+1)
		assert.Contains(t, body, "The admin token is not valid.")
	}
	res, body := login(t, srv, guesser, throttleToken)
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode, "the right token is refused too")
	assert.Equal(t, "60", res.Header.Get("Retry-After"))
	assert.Empty(t, res.Header.Get("Set-Cookie"), "no session for a throttled client")
	assert.Contains(t, body, "Try again in 60 seconds.")
	assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))

	res, _ = login(t, srv, other, throttleToken)
	assert.Equal(t, http.StatusSeeOther, res.StatusCode, "another client is unaffected")
	// The admin API counts its own failures: the page's do not lock it.
	res, _ = adminCall(t, srv, guesser, throttleToken)
	assert.Equal(t, http.StatusOK, res.StatusCode)

	clock.Advance(time.Minute)
	res, _ = login(t, srv, guesser, throttleToken)
	assert.Equal(t, http.StatusSeeOther, res.StatusCode, "the window has passed")
	assert.NotEmpty(t, res.Header.Get("Set-Cookie"))
}

func TestWithoutTrustedProxiesTheClientIsTheConnection(t *testing.T) {
	cfg, err := parseFlags([]string{"-db", "memory:", "-admin-token", throttleToken}, func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	r.Header.Set("X-Forwarded-For", "198.51.100.7")
	assert.Equal(t, "192.0.2.1", cfg.clientAddr(r).String())
}

func TestUnknownKeyLimitFlag(t *testing.T) {
	srv, clock := throttleServer(t, "-unknown-key-limit", "3")
	whoami := func(client, key string) *http.Response {
		res, _ := send(t, srv, http.MethodGet, "/v1/whoami", client, http.Header{"Authorization": {"Bearer " + key}}, "")
		return res
	}
	randomKey := func() string {
		k, err := apikey.Generate(apikey.DefaultPrefix)
		require.NoError(t, err)
		return k
	}
	for range 3 {
		require.Equal(t, http.StatusUnauthorized, whoami("198.51.100.7", randomKey()).StatusCode)
	}
	res := whoami("198.51.100.7", randomKey())
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	assert.Equal(t, "20", res.Header.Get("Retry-After"))
	assert.Equal(t, http.StatusUnauthorized, whoami("198.51.100.8", randomKey()).StatusCode, "another client is unaffected")
	clock.Advance(20 * time.Second)
	assert.Equal(t, http.StatusUnauthorized, whoami("198.51.100.7", randomKey()).StatusCode)
}

func TestThrottleFlagsAreChecked(t *testing.T) {
	for _, args := range [][]string{
		{"-trusted-proxies", "10.1.2.3/8"},
		{"-trusted-proxies", "proxy.internal"},
		{"-trusted-proxies", "10.0.0.0/8,"},
		{"-unknown-key-limit", "-1"},
	} {
		var stderr strings.Builder
		_, err := parseFlags(append([]string{"-db", "memory:", "-admin-token", throttleToken}, args...), func(string) string { return "" }, &stderr)
		require.ErrorIs(t, err, errUsage, "%v", args)
		assert.Contains(t, stderr.String(), args[0], "%v: the message names the flag", args)
	}
}
