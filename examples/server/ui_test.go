package main_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/adminui"
)

// uiClient is a browser-like client of the example server: it keeps
// cookies, sends fetch metadata like a same-origin form, and does not
// follow redirects, so each test sees the 303s.
type uiClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func newUIClient(t *testing.T, base string) *uiClient {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &uiClient{t: t, base: base, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}}
}

func (c *uiClient) request(method, path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	require.NoError(c.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	return res, string(b)
}

func TestAdminPageSitsBehindALoginWithTheAdminToken(t *testing.T) {
	t.Parallel()
	srv := start(t, "memory:")
	banner := srv.stdout.waitFor(t, regexp.MustCompile(`admin page: `), 5*time.Second, srv.done)
	assert.Equal(t, "admin page: "+srv.url+"/admin/ui/ (log in with the admin token)", banner)
	c := newUIClient(t, srv.url)

	// Without a session: GETs go to the login form, other methods are 401.
	res, _ := c.request("GET", "/admin/ui/", nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/admin/ui/login", res.Header.Get("Location"))
	res, _ = c.request("GET", "/admin/ui", nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/admin/ui/", res.Header.Get("Location"))
	res, body := c.request("POST", "/admin/ui/accounts", url.Values{"label": {"Sneaky"}})
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	assert.Empty(t, res.Header.Get("Location"))
	assert.Contains(t, body, "Log in again")
	res, _ = c.request("GET", "/admin/ui/assets/app.css", nil)
	assert.Equal(t, http.StatusOK, res.StatusCode, "the stylesheet is public")

	res, body = c.request("GET", "/admin/ui/login", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, adminui.ContentSecurityPolicy, res.Header.Get("Content-Security-Policy"))
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	assert.Contains(t, body, `<label for="token">Admin token</label>`)

	// A wrong token: 401, no cookie.
	res, body = c.request("POST", "/admin/ui/login", url.Values{"token": {"wrong-token-wrong-token"}})
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	assert.Contains(t, body, "The admin token is not valid.")
	assert.Empty(t, res.Cookies())

	// From another site: refused.
	req, err := http.NewRequest("POST", srv.url+"/admin/ui/login", strings.NewReader("token="+adminToken))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	forged, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	forged.Body.Close()
	assert.Equal(t, http.StatusForbidden, forged.StatusCode)
	assert.Empty(t, forged.Cookies())

	// The right token: a session cookie that is not the token.
	res, _ = c.request("POST", "/admin/ui/login", url.Values{"token": {adminToken}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/admin/ui/", res.Header.Get("Location"))
	require.Len(t, res.Cookies(), 1)
	cookie := res.Cookies()[0]
	assert.Equal(t, "sa_admin_session", cookie.Name)
	assert.NotContains(t, cookie.Value, adminToken)
	assert.GreaterOrEqual(t, len(cookie.Value), 43, "256 random bits")
	assert.Equal(t, "/admin/", cookie.Path)
	assert.True(t, cookie.HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, cookie.SameSite)
	assert.False(t, cookie.Secure, "plain HTTP on loopback")
	assert.Equal(t, 8*60*60, cookie.MaxAge)

	res, body = c.request("GET", "/admin/ui/", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, body, "<h1>Service Accounts</h1>")
	assert.Contains(t, body, `<form method="post" action="/admin/ui/logout"`)
	res, _ = c.request("POST", "/admin/ui/accounts", url.Values{"label": {"Made in the page"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.True(t, strings.HasPrefix(res.Header.Get("Location"), "/admin/ui/accounts/"))

	// The session does not open the JSON API, which still wants the token.
	res, _ = c.request("GET", "/admin/service-accounts", nil)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)

	// Paths that need cleaning are 404, never redirected, for any method.
	for _, p := range []string{"/admin/ui/./accounts", "/admin/ui//accounts", "/admin/ui/accounts/../accounts"} {
		res, _ = c.request("POST", p, url.Values{"label": {"x"}})
		assert.Equal(t, http.StatusNotFound, res.StatusCode, p)
		assert.Empty(t, res.Header.Get("Location"), p)
	}
	res, _ = c.request("POST", "/admin/ui", url.Values{})
	assert.Equal(t, http.StatusNotFound, res.StatusCode)

	// Logging out ends the session on the server, not only in the browser.
	res, _ = c.request("POST", "/admin/ui/logout", url.Values{})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/admin/ui/login", res.Header.Get("Location"))
	require.Len(t, res.Cookies(), 1)
	assert.Equal(t, -1, res.Cookies()[0].MaxAge)
	stale := newUIClient(t, srv.url)
	u, err := url.Parse(srv.url + "/admin/")
	require.NoError(t, err)
	stale.http.Jar.SetCookies(u, []*http.Cookie{{Name: cookie.Name, Value: cookie.Value, Path: "/admin/"}})
	res, _ = stale.request("GET", "/admin/ui/", nil)
	assert.Equal(t, http.StatusSeeOther, res.StatusCode, "the old session id no longer works")

	srv.stop()
}
