package middleware_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
)

func TestRequireAllowsAGrantedRequest(t *testing.T) {
	f := newFixture(t)
	w := get(f.handler(), "/studies/tekenradar/responses?surveyKey=s2", f.key)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Equal(t, "ok", w.Body.String())
}

func TestRequireAnswers403NamingTheMissingPermission(t *testing.T) {
	f := newFixture(t)
	h := f.handler()

	for name, c := range map[string]struct {
		target string
		detail string
	}{
		"OtherStudy": {
			"/studies/other/responses?surveyKey=s1",
			"missing permission study/other/get-responses",
		},
		"LimiterDoesNotMatch": {
			"/studies/tekenradar/responses?surveyKey=s3",
			"missing permission study/tekenradar/get-responses: the account holds it only with a limiter that the request does not match",
		},
		"AttributeMissing": {
			"/studies/tekenradar/responses",
			"missing permission study/tekenradar/get-responses: the account holds it only with a limiter that the request does not match (attributes absent from the request: surveyKey)",
		},
		"AttributeEmpty": {
			"/studies/tekenradar/responses?surveyKey=",
			"(attributes absent from the request: surveyKey)",
		},
	} {
		t.Run(name, func(t *testing.T) {
			w := get(h, c.target, f.key)
			detail := requireProblem(t, w, http.StatusForbidden)
			require.Contains(t, detail, c.detail)
			require.Empty(t, w.Header().Get("WWW-Authenticate"))
		})
	}
}

// The 403 says "only with a limiter" for a wildcard permission too.
func TestRequireExplainsALimitedWildcardPermission(t *testing.T) {
	f := newFixture(t)
	a := f.createAccount("Any study")
	f.addPermission(a, "study", "*", "get-responses", `[{"surveyKey":"s1"}]`)
	f.addPermission(a, "study", "other", "*", `[{"surveyKey":"s2"}]`)
	key := f.createKey(a, nil).Plaintext
	h := f.handler()

	require.Equal(t, http.StatusOK, get(h, "/studies/any/responses?surveyKey=s1", key).Code)
	require.Equal(t, http.StatusOK, get(h, "/studies/other/responses?surveyKey=s2", key).Code)
	for _, target := range []string{"/studies/any/responses?surveyKey=s2", "/studies/other/responses?surveyKey=s3"} {
		detail := requireProblem(t, get(h, target, key), http.StatusForbidden)
		require.Contains(t, detail, "the account holds it only with a limiter that the request does not match")
	}
}

func TestRequireWithWildcardPermissions(t *testing.T) {
	f := newFixture(t)
	reports := f.createAccount("Reports")
	f.addPermission(reports, "study", "*", "*", "")
	key := f.createKey(reports, nil).Plaintext
	h := f.handler()

	require.Equal(t, http.StatusOK, get(h, "/studies/any/responses", key).Code)
	require.Equal(t, http.StatusOK, get(h, "/studies/other/responses?surveyKey=x", key).Code)
}

// routed serves one route behind Authenticate.
func routed(f *fixture, pattern string, rq func(http.Handler) http.Handler, handler http.HandlerFunc) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(pattern, rq(handler))
	return f.mw.Authenticate(mux)
}

func request(method, target, key string, body io.Reader, header ...string) *http.Request {
	r := httptest.NewRequest(method, target, body)
	r.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

func TestRequireReadsAttributesFromEachSource(t *testing.T) {
	f := newFixture(t)
	get := middleware.Require
	cases := []struct {
		name    string
		pattern string
		rq      func(http.Handler) http.Handler
		req     *http.Request
		want    int
	}{
		{
			"PathValue", "POST /studies/{studyKey}/surveys/{surveyKey}/responses",
			get("study", middleware.PathValue("studyKey"), "get-responses", middleware.Attr("surveyKey", middleware.PathValue("surveyKey"))),
			request(http.MethodPost, "/studies/tekenradar/surveys/s1/responses", f.key, nil), http.StatusOK,
		},
		{
			"PathValueNotGranted", "POST /studies/{studyKey}/surveys/{surveyKey}/responses",
			get("study", middleware.PathValue("studyKey"), "get-responses", middleware.Attr("surveyKey", middleware.PathValue("surveyKey"))),
			request(http.MethodPost, "/studies/tekenradar/surveys/s9/responses", f.key, nil), http.StatusForbidden,
		},
		{
			"PathValueNotInPattern", "POST /studies/{studyKey}/responses",
			get("study", middleware.PathValue("studyKey"), "get-responses", middleware.Attr("surveyKey", middleware.PathValue("surveyKey"))),
			request(http.MethodPost, "/studies/tekenradar/responses", f.key, nil), http.StatusForbidden,
		},
		{
			"Query", "GET /responses",
			get("study", middleware.Fixed("tekenradar"), "get-responses", middleware.Attr("surveyKey", middleware.Query("survey"))),
			request(http.MethodGet, "/responses?x=1&survey=s2&survey=s9", f.key, nil), http.StatusOK,
		},
		{
			"QueryEscaped", "GET /responses",
			get("study", middleware.Fixed("tekenradar"), "get-responses", middleware.Attr("surveyKey", middleware.Query("survey key"))),
			request(http.MethodGet, "/responses?survey+key=s%31", f.key, nil), http.StatusOK,
		},
		{
			"QueryMissing", "GET /responses",
			get("study", middleware.Fixed("tekenradar"), "get-responses", middleware.Attr("surveyKey", middleware.Query("survey"))),
			request(http.MethodGet, "/responses?surveyKey=s1", f.key, nil), http.StatusForbidden,
		},
		{
			"Header", "GET /responses",
			get("study", middleware.Fixed("tekenradar"), "get-responses", middleware.Attr("surveyKey", middleware.Header("x-survey"))),
			request(http.MethodGet, "/responses", f.key, nil, "X-Survey", "s1"), http.StatusOK,
		},
		{
			"HeaderMissing", "GET /responses",
			get("study", middleware.Fixed("tekenradar"), "get-responses", middleware.Attr("surveyKey", middleware.Header("X-Survey"))),
			request(http.MethodGet, "/responses", f.key, nil, "X-Other", "s1"), http.StatusForbidden,
		},
		{
			"JSONBody", "POST /responses",
			get("study", middleware.Fixed("tekenradar"), "get-responses", middleware.Attr("surveyKey", middleware.JSONBody("survey.key"))),
			request(http.MethodPost, "/responses", f.key, strings.NewReader(`{"survey":{"key":"s1"}}`)), http.StatusOK,
		},
		{
			"JSONBodyMissing", "POST /responses",
			get("study", middleware.Fixed("tekenradar"), "get-responses", middleware.Attr("surveyKey", middleware.JSONBody("survey.key"))),
			request(http.MethodPost, "/responses", f.key, strings.NewReader(`{"survey":{}}`)), http.StatusForbidden,
		},
		{
			"JSONBodyNotAString", "POST /responses",
			get("study", middleware.Fixed("tekenradar"), "get-responses", middleware.Attr("surveyKey", middleware.JSONBody("survey.key"))),
			request(http.MethodPost, "/responses", f.key, strings.NewReader(`{"survey":{"key":["s1"]}}`)), http.StatusForbidden,
		},
		{
			"JSONBodyNotJSON", "POST /responses",
			get("study", middleware.Fixed("tekenradar"), "get-responses", middleware.Attr("surveyKey", middleware.JSONBody("survey.key"))),
			// gjson alone would find "s1" in this truncated document.
			request(http.MethodPost, "/responses", f.key, strings.NewReader(`{"survey":{"key":"s1"}`)), http.StatusForbidden,
		},
		{
			"JSONBodyEmpty", "POST /responses",
			get("study", middleware.Fixed("tekenradar"), "get-responses", middleware.Attr("surveyKey", middleware.JSONBody("survey.key"))),
			request(http.MethodPost, "/responses", f.key, nil), http.StatusForbidden,
		},
		{
			"ResourceKeyFromJSONBody", "POST /responses",
			get("study", middleware.JSONBody("study"), "get-responses", middleware.Attr("surveyKey", middleware.JSONBody("survey"))),
			request(http.MethodPost, "/responses", f.key, strings.NewReader(`{"study":"tekenradar","survey":"s2"}`)), http.StatusOK,
		},
		{
			"ResourceKeyMissing", "GET /responses",
			get("study", middleware.Query("study"), "get-responses", middleware.Attr("surveyKey", middleware.Query("surveyKey"))),
			request(http.MethodGet, "/responses?surveyKey=s1", f.key, nil), http.StatusForbidden,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := routed(f, c.pattern, c.rq, ok)
			w := serve(h, c.req)
			require.Equal(t, c.want, w.Code, w.Body.String())
			if c.want == http.StatusForbidden {
				requireProblem(t, w, http.StatusForbidden)
			}
		})
	}
}

func TestRequireForbiddenWithoutResourceKeySaysSo(t *testing.T) {
	f := newFixture(t)
	h := routed(f, "GET /responses",
		middleware.Require("study", middleware.Query("study"), "get-responses"), ok)
	detail := requireProblem(t, serve(h, request(http.MethodGet, "/responses", f.key, nil)), http.StatusForbidden)
	require.Equal(t, "missing permission study/(none)/get-responses: the request does not name the resource", detail)
}

func TestRequireLeavesTheBodyToTheHandler(t *testing.T) {
	f := newFixture(t)
	const doc = `{"survey":{"key":"s1"},"answers":[1,2,3]}`
	var got string
	h := routed(f, "POST /responses",
		middleware.Require("study", middleware.Fixed("tekenradar"), "get-responses", middleware.Attr("surveyKey", middleware.JSONBody("survey.key"))),
		func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(r.Body)
			require.NoError(t, err)
			got = string(b)
		})

	w := serve(h, request(http.MethodPost, "/responses", f.key, strings.NewReader(doc)))

	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Equal(t, doc, got)
}

func TestRequireCapsTheBody(t *testing.T) {
	f := newFixture(t, func(c *middleware.Config) { c.MaxBodyBytes = 32 })
	rq := middleware.Require("study", middleware.Fixed("tekenradar"), "get-responses", middleware.Attr("surveyKey", middleware.JSONBody("survey")))
	h := routed(f, "POST /responses", rq, ok)

	fits := `{"survey":"s1","pad":"12345678"}`
	require.Len(t, fits, 32)
	require.Equal(t, http.StatusOK, serve(h, request(http.MethodPost, "/responses", f.key, strings.NewReader(fits))).Code)

	tooLong := `{"survey":"s1","pad":"123456789"}`
	requireProblem(t, serve(h, request(http.MethodPost, "/responses", f.key, strings.NewReader(tooLong))), http.StatusRequestEntityTooLarge)

	// Without a Content-Length the cap holds while reading.
	r := request(http.MethodPost, "/responses", f.key, io.MultiReader(strings.NewReader(tooLong)))
	r.ContentLength = -1
	requireProblem(t, serve(h, r), http.StatusRequestEntityTooLarge)

	// A route without body attributes never reads the body.
	plain := routed(f, "POST /plain", middleware.Require("study", middleware.Fixed("tekenradar"), "get-responses", middleware.Attr("surveyKey", middleware.Query("s"))), ok)
	require.Equal(t, http.StatusOK, serve(plain, request(http.MethodPost, "/plain?s=s1", f.key, strings.NewReader(strings.Repeat("x", 100)))).Code)
}

func TestRequireAnswers400WhenTheBodyCannotBeRead(t *testing.T) {
	f := newFixture(t)
	h := routed(f, "POST /responses",
		middleware.Require("study", middleware.Fixed("tekenradar"), "get-responses", middleware.Attr("surveyKey", middleware.JSONBody("survey"))), ok)
	r := request(http.MethodPost, "/responses", f.key, io.NopCloser(failingReader{}))
	r.ContentLength = -1
	requireProblem(t, serve(h, r), http.StatusBadRequest)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// Not parallel: it replaces slog's default logger, which Require uses when
// it has no Middleware to take a logger from.
func TestRequireWithoutAuthenticateAnswers500AndLogs(t *testing.T) {
	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })

	reached := false
	h := middleware.Require("study", middleware.Fixed("tekenradar"), "get-responses")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		reached = true
	}))
	w := serve(h, httptest.NewRequest(http.MethodGet, "/responses", nil))

	require.False(t, reached)
	requireProblem(t, w, http.StatusInternalServerError)
	require.Contains(t, logs.String(), "Require without Authenticate")
	require.Contains(t, logs.String(), "path=/responses")
}

func TestRequirePanicsOnBadArguments(t *testing.T) {
	key := middleware.Fixed("tekenradar")
	for name, c := range map[string]struct {
		build func()
		want  string
	}{
		"EmptyType":      {func() { middleware.Require("", key, "get-responses") }, "resourceType is empty"},
		"EmptyAction":    {func() { middleware.Require("study", key, "") }, "action is empty"},
		"ZeroKeySource":  {func() { middleware.Require("study", middleware.Source{}, "get-responses") }, "zero Source"},
		"EmptyFixed":     {func() { middleware.Require("study", middleware.Fixed(""), "get-responses") }, `Fixed("") is empty`},
		"EmptyQueryName": {func() { middleware.Require("study", key, "a", middleware.Attr("k", middleware.Query(""))) }, `attribute "k": Query("") is empty`},
		"EmptyAttrKey":   {func() { middleware.Require("study", key, "a", middleware.Attr("", middleware.Query("q"))) }, "attribute 0 has an empty key"},
		"DuplicateAttr": {func() {
			middleware.Require("study", key, "a", middleware.Attr("k", middleware.Query("q")), middleware.Attr("k", middleware.Header("h")))
		}, `attribute "k" is declared twice`},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				require.NotNil(t, r)
				require.Contains(t, r, "middleware.Require(")
				require.Contains(t, r, c.want)
			}()
			c.build()
		})
	}
}
