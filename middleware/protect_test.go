package middleware_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
)

// protected serves GET /studies/{studyKey}/responses through Protect,
// with the survey from the query as the limiter's attribute; the handler
// answers the principal it was handed, and whether the request's context
// carries one (it must not: the request is not copied).
func (f *fixture) protected() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /studies/{studyKey}/responses", f.mw.Protect(
		middleware.Need("study", middleware.PathValue("studyKey"), "get-responses",
			middleware.Attr("surveyKey", middleware.Query("surveyKey"))),
		func(w http.ResponseWriter, r *http.Request, p middleware.Principal) {
			_, inContext := middleware.FromContext(r.Context())
			json.NewEncoder(w).Encode(map[string]any{
				"accountId": p.AccountID, "keyId": p.KeyID, "label": p.Label, "inContext": inContext,
			})
			p.Label = "changed by a handler" // a copy: later requests must not see it
		}))
	return mux
}

func TestProtectHandsTheAllowedPrincipalToTheHandler(t *testing.T) {
	f := newFixture(t)
	h := f.protected()
	for range 2 { // a miss, then a hit
		w := get(h, "/studies/tekenradar/responses?surveyKey=s1", f.key)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var got struct {
			AccountID, KeyID, Label string
			InContext               bool
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
		require.Equal(t, f.account.ID.String(), got.AccountID)
		require.Equal(t, f.keyID.String(), got.KeyID)
		require.Equal(t, "Data pipeline", got.Label)
		require.False(t, got.InContext, "the request was not copied")
	}
	require.EqualValues(t, 1, f.store.lookups.Load())
}

func TestProtectRefusesAsRequireDoes(t *testing.T) {
	f := newFixture(t)
	h := f.protected()
	for name, c := range map[string]struct {
		target, key string
		status      int
		detail      string
	}{
		"OtherStudy":          {"/studies/other/responses?surveyKey=s1", f.key, http.StatusForbidden, "missing permission study/other/get-responses"},
		"LimiterDoesNotMatch": {"/studies/tekenradar/responses?surveyKey=s3", f.key, http.StatusForbidden, "only with a limiter that the request does not match"},
		"AttributeMissing":    {"/studies/tekenradar/responses", f.key, http.StatusForbidden, "(attributes absent from the request: surveyKey)"},
		"MalformedQuery":      {"/studies/tekenradar/responses?surveyKey=s1;x", f.key, http.StatusBadRequest, ""},
		"NoKey":               {"/studies/tekenradar/responses?surveyKey=s1", "", http.StatusUnauthorized, ""},
		"UnknownKey":          {"/studies/tekenradar/responses?surveyKey=s1", otherKey(t), http.StatusUnauthorized, ""},
	} {
		t.Run(name, func(t *testing.T) {
			w := get(h, c.target, c.key)
			detail := requireProblem(t, w, c.status)
			require.Contains(t, detail, c.detail)
		})
	}
}

// A key's expiry, a revocation and Close reach Protect's routes as they
// reach Authenticate's.
func TestProtectRefusesExpiredRevokedKeysAndAfterClose(t *testing.T) {
	f := newFixture(t)
	h := f.protected()
	expiresAt := t0.Add(time.Hour)
	expiring := f.createKey(f.account, &expiresAt)
	target := "/studies/tekenradar/responses?surveyKey=s2"
	require.Equal(t, http.StatusOK, get(h, target, expiring.Plaintext).Code)
	f.clock.Advance(time.Hour)
	require.Contains(t, requireProblem(t, get(h, target, expiring.Plaintext), http.StatusUnauthorized), "expired")

	require.Equal(t, http.StatusOK, get(h, target, f.key).Code)
	require.NoError(t, f.mgr.DeleteKey(context.Background(), f.account.ID, f.keyID))
	requireProblem(t, get(h, target, f.key), http.StatusUnauthorized)

	require.NoError(t, f.close())
	requireProblem(t, get(h, target, expiring.Plaintext), http.StatusServiceUnavailable)
}

func TestProtectPanicsOnARouteTheCatalogCannotGrant(t *testing.T) {
	f := newFixture(t)
	noop := func(http.ResponseWriter, *http.Request, middleware.Principal) {}
	study := middleware.PathValue("studyKey")
	for name, tc := range map[string]struct {
		build func()
		want  string
	}{
		"UnknownResourceType": {func() { f.mw.Protect(middleware.Need("studdy", study, "get-responses"), noop) }, `unknown resource type "studdy"`},
		"UnknownAction":       {func() { f.mw.Protect(middleware.Need("study", study, "get-response"), noop) }, `unknown action "get-response"`},
		"UnknownAttribute": {func() {
			f.mw.Protect(middleware.Need("study", study, "get-responses", middleware.Attr("reportKey", middleware.Query("reportKey"))), noop)
		}, `unknown limiter key "reportKey"`},
		"InvalidArguments": {func() { middleware.Need("study", study, "") }, "action is empty"},
		"ZeroRequirement":  {func() { f.mw.Protect(middleware.Requirement{}, noop) }, "build it with Need"},
		"NilHandler":       {func() { f.mw.Protect(middleware.Need("study", study, "get-responses"), nil) }, "handler is nil"},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				require.NotNil(t, r, "no panic")
				require.Contains(t, r, tc.want)
			}()
			tc.build()
		})
	}
}

// Protect serves a warm key without allocating: no request copy, no
// context, the principal handed over as an argument.
func TestProtectServesAWarmKeyWithoutAllocating(t *testing.T) {
	f := newFixture(t)
	var seen middleware.Principal
	h := f.mw.Protect(middleware.Need("study", middleware.PathValue("studyKey"), "get-responses",
		middleware.Attr("surveyKey", middleware.Query("surveyKey"))),
		func(w http.ResponseWriter, r *http.Request, p middleware.Principal) {
			seen = p
			w.WriteHeader(http.StatusNoContent)
		})
	r := newRequest("/studies/tekenradar/responses?surveyKey=s1", f.key)
	r.SetPathValue("studyKey", "tekenradar")
	w := &statusWriter{header: http.Header{}}
	h.ServeHTTP(w, r)
	require.Equal(t, http.StatusNoContent, w.status)
	allocs := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, r) })
	require.Zero(t, allocs)
	require.Equal(t, f.keyID, seen.KeyID)
}

func newRequest(target, key string) *http.Request {
	r, _ := http.NewRequest(http.MethodGet, target, nil)
	r.Header.Set("Authorization", "Bearer "+key)
	return r
}

// statusWriter keeps only the status: httptest.ResponseRecorder allocates.
type statusWriter struct {
	header http.Header
	status int
}

func (w *statusWriter) Header() http.Header         { return w.header }
func (w *statusWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *statusWriter) WriteHeader(status int)      { w.status = status }

// Protect counts its authentications and decisions as Authenticate and
// Require count theirs.
func TestProtectCountsAsAuthenticateAndRequire(t *testing.T) {
	mr, configure := withMetrics(t)
	f := newFixture(t, configure)
	h := f.protected()

	require.Equal(t, http.StatusOK, get(h, "/studies/tekenradar/responses?surveyKey=s1", f.key).Code)
	require.Equal(t, http.StatusOK, get(h, "/studies/tekenradar/responses?surveyKey=s2", f.key).Code)
	require.Equal(t, http.StatusForbidden, get(h, "/studies/tekenradar/responses?surveyKey=s3", f.key).Code)
	require.Equal(t, http.StatusBadRequest, get(h, "/studies/tekenradar/responses?surveyKey=s1;x=1", f.key).Code)
	require.Equal(t, http.StatusUnauthorized, get(h, "/studies/tekenradar/responses?surveyKey=s1", "").Code)

	require.Equal(t, map[string]int64{"code=ok": 4, "code=no_credentials": 1},
		nonZero(mr.sums("serviceaccounts.authentications")))
	require.Equal(t, map[string]int64{"code=ok": 2, "code=forbidden": 1, "code=malformed_query": 1},
		nonZero(mr.sums("serviceaccounts.authorizations")))
	require.Equal(t, map[string]int64{"result=hit": 3, "result=miss": 1},
		nonZero(mr.sums("serviceaccounts.cache.lookups")))
}
