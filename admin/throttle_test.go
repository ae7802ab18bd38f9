package admin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/auththrottle"
	"github.com/seed-c7fc2061/serviceaccounts/clientaddr"
)

// throttledAPI serves a bearer-protected handler over real HTTP, trusting
// the proxies in trusted. The test's connections come from the loopback:
// with 127.0.0.0/8 trusted, X-Forwarded-For stands for distinct clients.
func throttledAPI(t *testing.T, token, trusted string) (*httptest.Server, *clockwork.FakeClock) {
	t.Helper()
	clock := clockwork.NewFakeClock()
	th, err := auththrottle.New(auththrottle.Config{Clock: clock})
	require.NoError(t, err)
	proxies, err := clientaddr.NewTrustedProxies([]netip.Prefix{netip.MustParsePrefix(trusted)})
	require.NoError(t, err)
	h, err := admin.NewBearerAuth(admin.BearerConfig{Token: token, ClientAddr: proxies.ClientAddr, Throttle: th},
		// A stand-in for the admin handler that answers as the document
		// says GET /service-accounts does (the contract check sees it).
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"items":[],"nextCursor":null}`)
		}))
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, clock
}

func call(t *testing.T, srv *httptest.Server, client, authorization string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/service-accounts", nil)
	require.NoError(t, err)
	req.Header.Set("X-Forwarded-For", client)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func TestBearerAuthThrottlesRepeatedFailures(t *testing.T) {
	const token = "s3cret-admin-token-0123"
	srv, clock := throttledAPI(t, token, "127.0.0.0/8")
	const guesser, other = "198.51.100.7", "198.51.100.8"

	for i := range 10 {
		res := call(t, srv, guesser, "Bearer wrong-token-"+string(rune('a'+i)))
		require.Equal(t, http.StatusUnauthorized, res.StatusCode, "failure %d", i+1)
	}
	// The eleventh attempt is refused, the right token included.
	for _, auth := range []string{"Bearer wrong-token-k", "Bearer " + token} {
		res := call(t, srv, guesser, auth)
		require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
		assert.Equal(t, "60", res.Header.Get("Retry-After"))
		assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		var p map[string]any
		require.NoError(t, json.Unmarshal(body, &p))
		assert.Equal(t, "too_many_attempts", p["code"])
		assert.Equal(t, "urn:serviceaccounts:problem:too_many_attempts", p["type"])
		assert.Equal(t, float64(429), p["status"])
		assert.NotContains(t, string(body), token)
	}
	// A request without a token is not an attempt: still 401.
	assert.Equal(t, http.StatusUnauthorized, call(t, srv, guesser, "").StatusCode)

	// Another client is unaffected.
	assert.Equal(t, http.StatusOK, call(t, srv, other, "Bearer "+token).StatusCode)

	clock.Advance(59 * time.Second)
	res := call(t, srv, guesser, "Bearer "+token)
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	assert.Equal(t, "1", res.Header.Get("Retry-After"))

	clock.Advance(time.Second)
	assert.Equal(t, http.StatusOK, call(t, srv, guesser, "Bearer "+token).StatusCode)
}

func TestBearerAuthDoesNotCountMissingTokens(t *testing.T) {
	const token = "s3cret-admin-token-0123"
	srv, _ := throttledAPI(t, token, "127.0.0.0/8")
	for range 30 {
		require.Equal(t, http.StatusUnauthorized, call(t, srv, "198.51.100.7", "").StatusCode)
		require.Equal(t, http.StatusUnauthorized, call(t, srv, "198.51.100.7", "Basic abc").StatusCode)
	}
	assert.Equal(t, http.StatusOK, call(t, srv, "198.51.100.7", "Bearer "+token).StatusCode)
}

func TestBearerAuthSpoofedForwardingFromAnUntrustedPeerChangesNothing(t *testing.T) {
	const token = "s3cret-admin-token-0123"
	// Only 10.0.0.0/8 is trusted: the loopback's X-Forwarded-For is not
	// read, so rotating it does not make a guesser a new client.
	srv, _ := throttledAPI(t, token, "10.0.0.0/8")
	for i := range 10 {
		require.Equal(t, http.StatusUnauthorized, call(t, srv, netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}).String(), "Bearer wrong").StatusCode)
	}
	assert.Equal(t, http.StatusTooManyRequests, call(t, srv, "198.51.100.200", "Bearer "+token).StatusCode)
}

func TestNewBearerAuthNeedsAToken(t *testing.T) {
	_, err := admin.NewBearerAuth(admin.BearerConfig{}, http.NotFoundHandler())
	require.Error(t, err)
}
