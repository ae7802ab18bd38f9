package main_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// The findings of the adversarial pass over the example server (issue 14),
// replayed over real HTTP on each database.

func TestHardeningSQLite(t *testing.T) {
	t.Parallel()
	hardening(t, "sqlite:"+filepath.Join(t.TempDir(), "hardening.db"))
}

func TestHardeningPostgres(t *testing.T) {
	t.Parallel()
	hardening(t, sqltest.PostgresURL(t))
}

func TestHardeningMySQL(t *testing.T) {
	t.Parallel()
	hardening(t, sqltest.MySQLURL(t))
}

func hardening(t *testing.T, db string) {
	srv := start(t, db)
	c := client{t: t, base: srv.url}
	account := c.do("POST", "/admin/service-accounts", adminToken, `{"label":"Tekenradar export"}`, http.StatusCreated)
	id := account["id"].(string)
	created := c.do("POST", "/admin/service-accounts/"+id+"/api-keys", adminToken, "", http.StatusCreated)
	key, keyID := created["key"].(string), created["id"].(string)
	c.do("POST", "/admin/service-accounts/"+id+"/permissions", adminToken,
		`{"resourceType":"study","resourceKey":"tekenradar","action":"get-responses","limiter":[{"surveyKey":"intake"}]}`, http.StatusCreated)

	t.Run("1 the limiter sees what the handler sees", func(t *testing.T) {
		c := client{t: t, base: srv.url}
		ok := c.do("GET", "/v1/studies/tekenradar/responses?surveyKey=intake", key, "", http.StatusOK)
		assert.Equal(t, "intake", ok["surveyKey"])
		// r.URL.Query() is empty past 10 000 parameters: refused, not allowed.
		p := c.do("GET", "/v1/studies/tekenradar/responses?surveyKey=intake"+strings.Repeat("&x", 10_000), key, "", http.StatusBadRequest)
		assert.Equal(t, "malformed_query", p["code"])
		p = c.do("GET", "/v1/studies/tekenradar/responses?"+strings.Repeat("x=1&", 10_000)+"surveyKey=intake", key, "", http.StatusBadRequest)
		assert.Equal(t, "malformed_query", p["code"])
		p = c.do("GET", "/v1/studies/tekenradar/responses?surveyKey=intake;x", key, "", http.StatusBadRequest)
		assert.Equal(t, "malformed_query", p["code"])
	})

	t.Run("4 no redirect turns a key delete into an account delete", func(t *testing.T) {
		redirects := 0
		follow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { redirects++; return nil }}
		for _, path := range []string{"/api-keys/..", "/api-keys/.", "/./", "/"} {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodDelete, srv.url+"/admin/service-accounts/"+id+path, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+adminToken)
			res, err := follow.Do(req)
			require.NoError(t, err)
			res.Body.Close()
			assert.Equal(t, http.StatusNotFound, res.StatusCode, path)
			assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"), path)
		}
		assert.Zero(t, redirects)
		c := client{t: t, base: srv.url}
		c.do("GET", "/admin/service-accounts/"+id, adminToken, "", http.StatusOK)
		keys := c.do("GET", "/admin/service-accounts/"+id+"/api-keys", adminToken, "", http.StatusOK)
		assert.Len(t, keys["items"], 1)
	})

	t.Run("5 one credentials header", func(t *testing.T) {
		for _, target := range []struct{ path, first, second string }{
			{"/v1/whoami", key, corrupt(key)},
			{"/v1/whoami", corrupt(key), key},
			{"/admin/service-accounts", adminToken, "wrong"},
			{"/admin/service-accounts", "wrong", adminToken},
		} {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.url+target.path, nil)
			require.NoError(t, err)
			req.Header.Add("Authorization", "Bearer "+target.first)
			req.Header.Add("Authorization", "Bearer "+target.second)
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			require.NoError(t, err)
			assert.Equal(t, http.StatusBadRequest, res.StatusCode, target.path)
			assert.Contains(t, string(body), `"code":"ambiguous_credentials"`)
		}
	})

	t.Run("6 times every store holds", func(t *testing.T) {
		c := client{t: t, base: srv.url}
		for _, at := range []string{"9999-12-31T23:59:59-23:59", "2030-01-01T00:00:00+24:00"} {
			p := c.do("POST", "/admin/service-accounts/"+id+"/api-keys", adminToken, `{"expiresAt":"`+at+`"}`, http.StatusBadRequest)
			assert.Equal(t, "expiresAt", p["errors"].([]any)[0].(map[string]any)["field"], at)
		}
		last := c.do("POST", "/admin/service-accounts/"+id+"/api-keys", adminToken, `{"expiresAt":"9999-12-31T23:59:59.999999Z"}`, http.StatusCreated)
		keys := c.do("GET", "/admin/service-accounts/"+id+"/api-keys", adminToken, "", http.StatusOK)
		var stored any
		for _, k := range keys["items"].([]any) {
			if k.(map[string]any)["id"] == last["id"] {
				stored = k.(map[string]any)["expiresAt"]
			}
		}
		assert.Equal(t, "9999-12-31T23:59:59.999999Z", stored)
		c.do("DELETE", "/admin/service-accounts/"+id+"/api-keys/"+last["id"].(string), adminToken, "", http.StatusNoContent)
	})

	t.Run("7 and 9 text is stored as sent, or refused", func(t *testing.T) {
		c := client{t: t, base: srv.url}
		for _, body := range []string{
			`{"label":"a\ud800"}`,
			"{\"label\":\"a\xffb\"}",
			`{"label":"\u200b\u2028\ufeff"}`,
			`{"label":"invoice\u202egnp.exe"}`,
		} {
			p := c.do("POST", "/admin/service-accounts", adminToken, body, http.StatusBadRequest)
			assert.Equal(t, "label", p["errors"].([]any)[0].(map[string]any)["field"], body)
		}
		for _, body := range []string{
			`{"resourceType":"study","resourceKey":"t\ud800","action":"get-responses"}`,
			`{"resourceType":"study","resourceKey":"tekenradar","action":"get-reports","limiter":[{"reportKey":"\udc00"}]}`,
			`{"resourceType":"study","resourceKey":"tekenradar","action":"get-reports","limiter":[{"reportKey":"r\u0000"}]}`,
		} {
			c.do("POST", "/admin/service-accounts/"+id+"/permissions", adminToken, body, http.StatusBadRequest)
		}
		// Other tests share the database: nothing refused may be among its
		// accounts.
		accounts := c.do("GET", "/admin/service-accounts?limit=100", adminToken, "", http.StatusOK)
		for _, a := range accounts["items"].([]any) {
			label := a.(map[string]any)["label"].(string)
			assert.NotContains(t, label, "\ufffd")
			assert.NotContains(t, label, "\u202e")
			assert.NotContains(t, label, "\u200b")
		}
	})

	t.Run("8 answers and log lines stay small", func(t *testing.T) {
		c := client{t: t, base: srv.url}
		var b strings.Builder
		b.WriteString(`{"label":"x"`)
		for i := range 20_000 {
			b.WriteString(`,"u` + strings.Repeat("x", 10) + string(rune('a'+i%26)) + `":1`)
		}
		b.WriteString("}")
		p := c.do("POST", "/admin/service-accounts", adminToken, b.String(), http.StatusBadRequest)
		assert.Len(t, p["errors"], 20)
		assert.EqualValues(t, 19_980, p["moreErrors"])

		long := "/" + strings.Repeat("a", 60_000)
		nf := c.do("GET", long, "", "", http.StatusNotFound)
		assert.Equal(t, "not_found", nf["code"])
	})

	c.do("GET", "/v1/whoami", key, "", http.StatusOK)
	c.do("DELETE", "/admin/service-accounts/"+id+"/api-keys/"+keyID, adminToken, "", http.StatusNoContent)
	c.do("DELETE", "/admin/service-accounts/"+id, adminToken, "", http.StatusNoContent)
	srv.stop()
	for line := range strings.Lines(srv.stderr.String()) {
		assert.Less(t, len(line), 2048, "log line: %.200s…", line)
	}
}

// readUntilClosed reads what the server sends until it closes the
// connection. It fails the test if the connection is still open when the
// deadline passes: the server should have closed it long before.
func readUntilClosed(t *testing.T, conn net.Conn, r io.Reader, deadline time.Duration) {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(deadline)))
	_, err := io.Copy(io.Discard, r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open for %s", deadline)
	}
}

func dial(t *testing.T, srv *server) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.url, "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// Finding 2: a body sent too slowly and an idle keep-alive connection are
// closed by the read and idle timeouts.
func TestSlowBodiesAndIdleConnectionsAreClosed(t *testing.T) {
	t.Parallel()
	srv := start(t, "memory:", "-read-header-timeout", "1s", "-read-timeout", "1s", "-idle-timeout", "1s")

	for _, auth := range []string{"", "Authorization: Bearer " + adminToken + "\r\n"} {
		slow := dial(t, srv)
		_, err := io.WriteString(slow, "POST /admin/service-accounts HTTP/1.1\r\nHost: x\r\n"+auth+
			"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"la")
		require.NoError(t, err)
		readUntilClosed(t, slow, slow, 20*time.Second)
	}

	idle := dial(t, srv)
	_, err := io.WriteString(idle, "GET /v1/whoami HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(idle)
	res, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	_, err = io.Copy(io.Discard, res.Body)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	readUntilClosed(t, idle, br, 20*time.Second)

	srv.stop()
}

// Finding 2, the header limit: a request whose header is larger than 64 KiB
// (net/http allows 4 KiB of slack above MaxHeaderBytes) is answered 431
// before any handler runs; one just under the limit is served. The bytes
// are written on a raw connection, since Go's client refuses to send
// headers that large itself.
func TestHeadersOverTheLimitAreRefused(t *testing.T) {
	t.Parallel()
	srv := start(t, "memory:")
	const limit = 64 << 10 // the server's MaxHeaderBytes
	get := func(padding int) *http.Response {
		conn := dial(t, srv)
		_, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: "+strings.Repeat("p", padding)+"\r\n\r\n")
		require.NoError(t, err)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}
	assert.Equal(t, http.StatusOK, get(limit-1024).StatusCode, "under the limit")
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, get(limit+8<<10).StatusCode, "over the limit and its slack")
	srv.stop()
}

// Finding 3: a connection stalled in the middle of a request cannot keep
// the last uses from being written on shutdown, nor make it fail.
func TestShutdownClosesAStalledConnectionAndWritesLastUses(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "stalled.db")
	srv := start(t, db, "-read-timeout", "1h", "-write-timeout", "1h", "-shutdown-timeout", "1s")
	c := client{t: t, base: srv.url}
	id := c.do("POST", "/admin/service-accounts", adminToken, `{"label":"pipeline"}`, http.StatusCreated)["id"].(string)
	key := c.do("POST", "/admin/service-accounts/"+id+"/api-keys", adminToken, "", http.StatusCreated)["key"].(string)
	c.do("GET", "/v1/whoami", key, "", http.StatusOK) // a use, in memory only (flush interval 1h)

	// Expect: 100-continue makes the server say when its handler starts
	// reading the body: only then is the request surely in flight, so the
	// SIGTERM below cannot find a connection the server has not read yet
	// (which Shutdown would close at once, proving nothing).
	stalled := dial(t, srv)
	_, err := io.WriteString(stalled, "POST /admin/service-accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+adminToken+
		"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n")
	require.NoError(t, err)
	require.NoError(t, stalled.SetReadDeadline(time.Now().Add(20*time.Second)))
	status, err := bufio.NewReader(stalled).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "HTTP/1.1 100 Continue\r\n", status, "the handler is reading the body")
	_, err = io.WriteString(stalled, "{\"la")
	require.NoError(t, err)

	srv.stop() // SIGTERM; requires exit status 0
	readUntilClosed(t, stalled, stalled, 20*time.Second)
	assert.Contains(t, srv.stderr.String(), "closing the connections that did not finish")

	srv = start(t, db)
	c.base = srv.url
	keys := c.do("GET", "/admin/service-accounts/"+id+"/api-keys", adminToken, "", http.StatusOK)
	assert.NotNil(t, keys["items"].([]any)[0].(map[string]any)["lastUsedAt"], "the last use survived the stalled shutdown")
	srv.stop()
}
