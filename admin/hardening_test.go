package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// A path that needs cleaning is 404 for every method, so that a client
// following redirects can never be sent from a key to its account: with a
// plain outer ServeMux, DELETE …/api-keys/.. was answered 307 to the
// account, and Go's client resent the DELETE there.
func TestNoRedirectNeverRedirectsADelete(t *testing.T) {
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	require.NoError(t, err)
	ctx := context.Background()
	a, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "victim"})
	require.NoError(t, err)
	k, err := m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)

	const token = "admin-token"
	api, err := admin.New(m, admin.Config{})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", admin.RequireBearerToken(token, api)))
	srv := httptest.NewServer(admin.NoRedirect(mux))
	t.Cleanup(srv.Close)

	redirects := 0
	client := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		redirects++
		return nil // follow, as curl -L and the default client do
	}}
	base := srv.URL + "/admin/service-accounts/" + a.ID.String()
	for _, target := range []string{
		base + "/api-keys/..",
		base + "/api-keys/.",
		base + "/api-keys/" + k.Key.ID.String() + "/..",
		base + "//api-keys/" + k.Key.ID.String(),
		base + "/",
		srv.URL + "/admin/./service-accounts/" + a.ID.String(),
		srv.URL + "/admin",
	} {
		for _, method := range []string{http.MethodDelete, http.MethodPut, http.MethodPost, http.MethodGet} {
			req, err := http.NewRequest(method, target, strings.NewReader(`{"label":"x"}`))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			res, err := client.Do(req)
			require.NoError(t, err)
			res.Body.Close()
			assert.Equal(t, http.StatusNotFound, res.StatusCode, "%s %s", method, target)
			assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"), "%s %s", method, target)
		}
	}
	// An escaped ".." is not cleaned by the mux: it is a key id, and not
	// a UUID.
	req, err := http.NewRequest(http.MethodDelete, base+"/api-keys/%2e%2e", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusNotFound, res.StatusCode)

	require.Zero(t, redirects)
	_, err = m.Account(ctx, a.ID)
	require.NoError(t, err, "the account survived")
	keys, err := m.Keys(ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, keys, 1)

	// The outer mux's own 404 and 405 are problem+json too.
	res, err = client.Get(srv.URL + "/nothing-here")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
}

// A body of many unknown members is answered with the first 20 field
// errors and how many more, not with one error per member.
func TestValidationProblemCapsItsFieldErrors(t *testing.T) {
	e := newEnv(t)
	var b strings.Builder
	b.WriteString(`{"label":"x"`)
	for i := range 5000 {
		fmt.Fprintf(&b, `,"unknown%d":1`, i)
	}
	b.WriteString("}")
	res := e.do("POST", "/admin/service-accounts", b.String())
	fields := requireProblem(t, res, http.StatusBadRequest)
	require.Len(t, fields, 20)
	p := res.object(t)
	require.Equal(t, float64(4980), p["moreErrors"])
	require.Contains(t, p["detail"], "and 4980 more")
	require.Less(t, len(res.body), 8<<10, "the answer stays small")
}

// Text a JSON decoder would replace with U+FFFD (invalid bytes, an escaped
// lone surrogate) is refused on its member, never stored replaced.
func TestInvalidUTF8IsRefusedOnItsField(t *testing.T) {
	e := newEnv(t)
	id := e.createAccount("ok")["id"].(string)
	cases := []struct {
		name, target, body, field string
	}{
		{"LabelEscape", "/admin/service-accounts", `{"label":"a\ud800b"}`, "label"},
		{"LabelLowSurrogate", "/admin/service-accounts", `{"label":"a\udc00"}`, "label"},
		{"LabelRawByte", "/admin/service-accounts", "{\"label\":\"a\xffb\"}", "label"},
		{"DescriptionEscape", "/admin/service-accounts", `{"label":"ok","description":"\ud800"}`, "description"},
		{"UnknownMemberName", "/admin/service-accounts", "{\"label\":\"ok\",\"\xff\":1}", "\ufffd"},
		{"ResourceKey", "/admin/service-accounts/" + id + "/permissions",
			`{"resourceType":"study","resourceKey":"t\ud800","action":"get-responses"}`, "resourceKey"},
		{"Limiter", "/admin/service-accounts/" + id + "/permissions",
			`{"resourceType":"study","resourceKey":"t","action":"get-responses","limiter":[{"surveyKey":"\ud800"}]}`, "limiter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fields := requireProblem(t, e.do("POST", c.target, c.body), http.StatusBadRequest)
			require.Contains(t, fields, c.field)
		})
	}
	// A surrogate pair, escaped, is a character like any other.
	created := e.createAccount("smile \U0001F600")
	require.Equal(t, "smile \U0001F600", created["label"])
	res := e.do("POST", "/admin/service-accounts", `{"label":"smile \ud83d\ude00"}`)
	require.Equal(t, "smile \U0001F600", e.expect(res, http.StatusCreated)["label"])

	page := e.expect(e.do("GET", "/admin/service-accounts", ""), http.StatusOK)
	require.Len(t, items(t, page), 3, "nothing invalid was stored")
	perms := e.expect(e.do("GET", "/admin/service-accounts/"+id+"/permissions", ""), http.StatusOK)
	require.Empty(t, items(t, perms))
}

// RFC 3339 offsets run to ±23:59, and every stored time lies in UTC years
// 1 to 9999.
func TestExpiresAtOutsideWhatStoresHoldIsRefused(t *testing.T) {
	e := newEnv(t)
	id := e.createAccount("ok")["id"].(string)
	for _, at := range []string{
		"9999-12-31T23:59:59-23:59", // year 10000 in UTC
		"2030-01-01T00:00:00+24:00",
		"2030-01-01T00:00:00-24:00",
		"2030-01-01T00:00:00+99:59",
	} {
		fields := requireProblem(t, e.do("POST", "/admin/service-accounts/"+id+"/api-keys", `{"expiresAt":"`+at+`"}`), http.StatusBadRequest)
		require.Equal(t, []string{"expiresAt"}, fields, at)
	}
	keys := e.expect(e.do("GET", "/admin/service-accounts/"+id+"/api-keys", ""), http.StatusOK)
	require.Empty(t, items(t, keys))
	k := e.expect(e.do("POST", "/admin/service-accounts/"+id+"/api-keys", `{"expiresAt":"9999-12-31T23:59:59+23:59"}`), http.StatusCreated)
	require.Equal(t, "9999-12-31T00:00:59.000000Z", k["expiresAt"])
}

// A repeated query parameter or Content-Type is refused, not read as its
// first value.
func TestRepeatedParametersAndContentTypesAreRefused(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{"limit=1&limit=100", "cursor=a&cursor=b"} {
		fields := requireProblem(t, e.do("GET", "/admin/service-accounts?"+q, ""), http.StatusBadRequest)
		require.Len(t, fields, 1, q)
		require.True(t, strings.HasPrefix(q, fields[0]), q)
	}
	req := httptest.NewRequest("POST", "/admin/service-accounts", strings.NewReader(`{"label":"x"}`))
	req.Header.Add("Content-Type", "application/json")
	req.Header.Add("Content-Type", "text/plain")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Contains(t, rec.Body.String(), `"code":"ambiguous_header"`)
	page := e.expect(e.do("GET", "/admin/service-accounts", ""), http.StatusOK)
	require.Empty(t, items(t, page))
}

// A new limiter value with a bidi override reads as another value on the
// page ("\u202eekatni" shows as "intake"): 400 naming the field, as for a
// label.
func TestALimiterValueWithBidiOrSeparatorCharactersIsRefused(t *testing.T) {
	e := newEnv(t)
	id := e.createAccount("a")["id"].(string)
	for body, field := range map[string]string{
		`{"resourceType":"study","resourceKey":"s1","action":"get-responses","limiter":[{"surveyKey":"\u202eekatni"}]}`:   "limiter[0].surveyKey",
		`{"resourceType":"study","resourceKey":"s1","action":"get-responses","limiter":[{"surveyKey":["x","a\u2028b"]}]}`: "limiter[0].surveyKey[1]",
		`{"resourceType":"study","resourceKey":"s1","action":"get-responses","limiter":[{"surveyKey":"\u200b"}]}`:         "limiter[0].surveyKey",
	} {
		fields := requireProblem(t, e.do("POST", "/admin/service-accounts/"+id+"/permissions", body), http.StatusBadRequest)
		assert.Equal(t, []string{field}, fields, body)
	}
	page := e.expect(e.do("GET", "/admin/service-accounts/"+id+"/permissions", ""), http.StatusOK)
	assert.Empty(t, page["items"])
}
