package middleware_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
)

// varsRouter stands in for gorilla/mux, gin or echo: it matches
// "/studies/<studyKey>/responses" itself and keeps the variable in the
// request context, not in r.PathValue.
type varsRouter struct{ next http.Handler }

type varsKey struct{}

func (v varsRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 3 || parts[0] != "studies" || parts[2] != "responses" {
		http.NotFound(w, r)
		return
	}
	vars := map[string]string{"studyKey": parts[1]}
	v.next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), varsKey{}, vars)))
}

// routerVars is what Config.PathValue is set to for varsRouter, as
// mux.Vars(r)[name] would be for gorilla/mux.
func routerVars(r *http.Request, name string) string {
	vars, _ := r.Context().Value(varsKey{}).(map[string]string)
	return vars[name]
}

// routes serves the stand-in router's route through Require and, under
// /protect, through Protect: both read the study with PathValue.
func pathValueRoutes(f *fixture) http.Handler {
	need := middleware.Need("study", middleware.PathValue("studyKey"), "get-responses",
		middleware.Attr("surveyKey", middleware.Query("surveyKey")))
	protected := f.mw.Protect(need, func(w http.ResponseWriter, r *http.Request, p middleware.Principal) { w.Write([]byte("ok")) })
	required := f.mw.Authenticate(f.mw.Require("study", middleware.PathValue("studyKey"), "get-responses",
		middleware.Attr("surveyKey", middleware.Query("surveyKey")))(http.HandlerFunc(ok)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, found := strings.CutPrefix(r.URL.Path, "/protect"); found {
			r.URL.Path = rest
			varsRouter{protected}.ServeHTTP(w, r)
			return
		}
		varsRouter{required}.ServeHTTP(w, r)
	})
}

func TestConfigPathValueReadsTheRoutersVariables(t *testing.T) {
	f := newFixture(t, func(cfg *middleware.Config) { cfg.PathValue = routerVars })
	h := pathValueRoutes(f)
	for _, prefix := range []string{"", "/protect"} {
		require.Equal(t, http.StatusOK, get(h, prefix+"/studies/tekenradar/responses?surveyKey=s1", f.key).Code, prefix)
		w := get(h, prefix+"/studies/other/responses?surveyKey=s1", f.key)
		require.Contains(t, requireProblem(t, w, http.StatusForbidden), "study/other/get-responses", prefix)
	}
	require.NotContains(t, f.logs.String(), "is empty", "no warning when the hook finds the variable")
}

func TestConfigPathValueServesLimiterAttributesToo(t *testing.T) {
	f := newFixture(t, func(cfg *middleware.Config) {
		cfg.PathValue = func(r *http.Request, name string) string {
			return map[string]string{"studyKey": "tekenradar", "surveyKey": r.URL.Query().Get("s")}[name]
		}
	})
	h := f.mw.Authenticate(f.mw.Require("study", middleware.PathValue("studyKey"), "get-responses",
		middleware.Attr("surveyKey", middleware.PathValue("surveyKey")))(http.HandlerFunc(ok)))
	require.Equal(t, http.StatusOK, get(h, "/any?s=s2", f.key).Code)
	require.Equal(t, http.StatusForbidden, get(h, "/any?s=s3", f.key).Code)
}

// TestARouterThatFillsNoPathValueIsDeniedAndLoggedOnce: without the hook,
// a router that keeps its variables elsewhere leaves r.PathValue empty:
// every request of the route is 403 (closed), and the first denial is
// logged with a pointer to Config.PathValue, so it is not silent.
func TestARouterThatFillsNoPathValueIsDeniedAndLoggedOnce(t *testing.T) {
	f := newFixture(t)
	h := pathValueRoutes(f)
	for _, prefix := range []string{"", "/protect", ""} {
		w := get(h, prefix+"/studies/tekenradar/responses?surveyKey=s1", f.key)
		require.Contains(t, requireProblem(t, w, http.StatusForbidden), "missing permission study/(none)/get-responses", prefix)
	}
	logs := f.logs.String()
	require.Contains(t, logs, `PathValue(\"studyKey\") is empty`)
	require.Contains(t, logs, "set Config.PathValue")
	require.Equal(t, 1, strings.Count(logs, "is empty"), "logged once, not per request: %s", logs)
}
