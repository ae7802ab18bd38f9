package middleware_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
)

// oddQueries are queries on which a hand-written parser and net/url could
// disagree. The fixture's account may read surveys s1 and s2 only.
var oddQueries = []string{
	"surveyKey=s1",
	"surveyKey=s9",
	"surveyKey=s1&surveyKey=s9",
	"surveyKey=s9&surveyKey=s1",
	// The reported bypass: past 10 000 parameters r.URL.Query() is empty.
	"surveyKey=s1" + strings.Repeat("&x", 10_000),
	"surveyKey=s1" + strings.Repeat("&x", 9_999),
	strings.Repeat("x=1&", 10_000) + "surveyKey=s1",
	strings.Repeat("&", 200) + "surveyKey=s1",
	"surveyKey=s1;x=1",
	"x;=1&surveyKey=s1",
	"surveyKey=s%31",
	"surveyKey=s1%",
	"surveyKey=%zz&surveyKey=s1",
	"survey%zzKey=s9&surveyKey=s1",
	"survey%4Bey=s1",
	"surveyKey=s1%00",
	"surveyKey=+s1",
	"surveyKey=s1+",
	"surveyKey=s%2531",
	"surveyKey%3Ds1",
	"=s1&surveyKey",
	"surveyKey==s1",
	"SurveyKey=s1",
	"surveyKey=%ffs1",
	"surveyKey=s1#frag",
}

// The middleware lets a request through on a Query attribute only when the
// handler's r.URL.Query() holds that very value, and refuses with 400 a
// query that net/url does not parse cleanly.
func TestRequireQueryValueIsWhatTheHandlerSees(t *testing.T) {
	f := newFixture(t)
	var seen string
	h := routed(f, "GET /studies/{studyKey}/responses",
		middleware.Require("study", middleware.PathValue("studyKey"), "get-responses",
			middleware.Attr("surveyKey", middleware.Query("surveyKey"))),
		func(w http.ResponseWriter, r *http.Request) { seen = r.URL.Query().Get("surveyKey") })
	for _, q := range oddQueries {
		name := q
		if len(name) > 60 {
			name = name[:60] + "…"
		}
		t.Run(name, func(t *testing.T) {
			seen = "(handler not called)"
			r := request(http.MethodGet, "/studies/tekenradar/responses?"+q, f.key, nil)
			values, err := url.ParseQuery(r.URL.RawQuery)
			w := serve(h, r)
			switch {
			case err != nil:
				requireCode(t, w, http.StatusBadRequest, "malformed_query")
			case values.Get("surveyKey") == "s1" || values.Get("surveyKey") == "s2":
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				require.Equal(t, values.Get("surveyKey"), seen)
			default:
				requireCode(t, w, http.StatusForbidden, "forbidden")
			}
		})
	}
}

// requireCode checks a problem answer's status and code.
func requireCode(t *testing.T, w interface {
	Result() *http.Response
}, status int, code string) {
	t.Helper()
	res := w.Result()
	require.Equal(t, status, res.StatusCode)
	require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
	var p middleware.Problem
	require.NoError(t, json.NewDecoder(res.Body).Decode(&p))
	require.Equal(t, code, p.Code)
	require.Equal(t, "urn:serviceaccounts:problem:"+code, p.Type)
	require.Equal(t, status, p.Status)
}

func TestRequireRefusesARepeatedHeaderAttribute(t *testing.T) {
	f := newFixture(t)
	h := routed(f, "GET /responses",
		middleware.Require("study", middleware.Fixed("tekenradar"), "get-responses",
			middleware.Attr("surveyKey", middleware.Header("X-Survey"))), ok)
	r := request(http.MethodGet, "/responses", f.key, nil)
	r.Header.Add("X-Survey", "s1")
	r.Header.Add("X-Survey", "s9")
	requireCode(t, serve(h, r), http.StatusBadRequest, "ambiguous_header")

	r = request(http.MethodGet, "/responses", f.key, nil, "X-Survey", "s1")
	require.Equal(t, http.StatusOK, serve(h, r).Code)
}

// More than one credentials header, whatever the values, is refused: a
// proxy in front may check another value than the one used.
func TestAuthenticateRefusesRepeatedCredentialHeaders(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	other := otherKey(t)
	cases := map[string][][2]string{
		"TwoAuthorization":         {{"Authorization", "Bearer " + f.key}, {"Authorization", "Bearer " + other}},
		"TwoAuthorizationSameKey":  {{"Authorization", "Bearer " + f.key}, {"Authorization", "Bearer " + f.key}},
		"AuthorizationBasicFirst":  {{"Authorization", "Basic eDp5"}, {"Authorization", "Bearer " + f.key}},
		"TwoXAPIKey":               {{"X-API-Key", f.key}, {"X-API-Key", other}},
		"BothHeadersDifferentKeys": {{"Authorization", "Bearer " + f.key}, {"X-API-Key", other}},
		"BothHeadersOneEmpty":      {{"Authorization", "Bearer " + f.key}, {"X-API-Key", f.key}, {"X-API-Key", ""}},
	}
	for name, headers := range cases {
		t.Run(name, func(t *testing.T) {
			r := request(http.MethodGet, "/whoami", "", nil)
			r.Header.Del("Authorization")
			for _, kv := range headers {
				r.Header.Add(kv[0], kv[1])
			}
			w := serve(h, r)
			requireCode(t, w, http.StatusBadRequest, "ambiguous_credentials")
			require.NotContains(t, w.Body.String(), f.key)
		})
	}
	// Both headers with the same key stay accepted.
	r := request(http.MethodGet, "/whoami", f.key, nil, "X-API-Key", f.key)
	require.Equal(t, http.StatusOK, serve(h, r).Code)
}

// Every outcome has its code, and errors.Is finds its sentinel.
func TestEveryProblemCarriesAStableCode(t *testing.T) {
	cases := []struct {
		err    error
		status int
		code   string
	}{
		{middleware.ErrNoCredentials, 401, "no_credentials"},
		{middleware.ErrMalformedKey, 401, "malformed_key"},
		{middleware.ErrUnknownKey, 401, "unknown_key"},
		{middleware.ErrExpiredKey, 401, "expired_key"},
		{middleware.ErrDisabledKey, 401, "disabled_key"},
		{middleware.ErrDisabledAccount, 401, "disabled_account"},
		{&middleware.ForbiddenError{ResourceType: "study", Action: "read"}, 403, "forbidden"},
		{middleware.ErrAmbiguousBody, 400, "ambiguous_body"},
		{middleware.ErrAmbiguousCredentials, 400, "ambiguous_credentials"},
		{middleware.ErrMalformedQuery, 400, "malformed_query"},
		{middleware.ErrAmbiguousHeader, 400, "ambiguous_header"},
		{middleware.ErrUnreadableBody, 400, "unreadable_body"},
		{middleware.ErrBodyTooLarge, 413, "body_too_large"},
		{middleware.ErrStoreUnavailable, 503, "unavailable"},
		{middleware.ErrClosed, 503, "unavailable"},
		{middleware.ErrNotAuthenticated, 500, "internal"},
	}
	for _, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			require.Equal(t, c.status, middleware.StatusOf(c.err))
			require.Equal(t, c.code, middleware.CodeOf(c.err))
			w := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				middleware.WriteProblem(w, r, c.err)
			}), request(http.MethodGet, "/", "", nil))
			requireCode(t, w, c.status, c.code)
		})
	}
	require.ErrorIs(t, &middleware.ForbiddenError{}, middleware.ErrForbidden)
}

// A GODEBUG urlmaxqueryparams lowered while the process runs is followed
// within a tenth of a second of the Manager's clock: Require then refuses
// a query the handler's r.URL.Query() would drop whole, which it let
// through under the default limit.
func TestRequireFollowsAGODEBUGChangeWhileRunning(t *testing.T) {
	t.Setenv("GODEBUG", "")
	f := newFixture(t)
	h := f.handler()
	target := "/studies/tekenradar/responses?surveyKey=s1&a=1&b=2"
	require.Equal(t, http.StatusOK, get(h, target, f.key).Code)

	t.Setenv("GODEBUG", "urlmaxqueryparams=3") // three parameters are now too many
	f.clock.Advance(100 * time.Millisecond)
	requireCode(t, get(h, target, f.key), http.StatusBadRequest, "malformed_query")
	require.Equal(t, http.StatusOK, get(h, "/studies/tekenradar/responses?surveyKey=s1&a=1", f.key).Code)

	t.Setenv("GODEBUG", "urlmaxqueryparams=0") // no limit
	f.clock.Advance(100 * time.Millisecond)
	require.Equal(t, http.StatusOK, get(h, target, f.key).Code)
}

// The resource key and an attribute read from the query, and a second
// attribute reading the resource key's parameter again, are read in one
// pass, each getting its parameter's first value as r.URL.Query() does.
func TestRequireReadsSeveralQueryParameters(t *testing.T) {
	f := newFixture(t)
	f.addPermission(f.account, "study", "s9", "get-reports", `[{"reportKey":["r1"]}]`)
	h := routed(f, "GET /reports",
		middleware.Require("study", middleware.Query("study"), "get-reports",
			middleware.Attr("reportKey", middleware.Query("reportKey")),
			middleware.Attr("studyAgain", middleware.Query("study"))), ok)
	for target, want := range map[string]int{
		"/reports?study=s9&reportKey=r1":              http.StatusOK,
		"/reports?reportKey=r%31&x=1&study=s%39":      http.StatusOK,
		"/reports?study=s9&reportKey=r1&reportKey=r2": http.StatusOK,
		"/reports?study=s9&reportKey=r2&reportKey=r1": http.StatusForbidden,
		"/reports?study=s9&reportKey=&reportKey=r1":   http.StatusForbidden,
		"/reports?study=&study=s9&reportKey=r1":       http.StatusForbidden,
		"/reports?study=s9":                           http.StatusForbidden,
		"/reports?study=s8&reportKey=r1":              http.StatusForbidden,
		"/reports?study=s9&reportKey=r1;":             http.StatusBadRequest,
		"/reports?study=s9&reportKey=r1&x=%zz":        http.StatusBadRequest,
	} {
		require.Equal(t, want, serve(h, request(http.MethodGet, target, f.key, nil)).Code, target)
	}
}
