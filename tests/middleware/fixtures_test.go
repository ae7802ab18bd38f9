package middleware_test

// Copies of the helpers of middleware's own tests (helpers_test.go) that
// the SQL tests use.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ok(w http.ResponseWriter, r *http.Request) {
	if _, found := middleware.FromContext(r.Context()); !found {
		http.Error(w, "no principal", http.StatusInternalServerError)
		return
	}
	io.WriteString(w, "ok")
}

func get(h http.Handler, target, key string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if key != "" {
		r.Header.Set("Authorization", "Bearer "+key)
	}
	return serve(h, r)
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// requireProblem checks an RFC 9457 answer and returns its detail.
func requireProblem(t *testing.T, w *httptest.ResponseRecorder, status int) string {
	t.Helper()
	require.Equal(t, status, w.Code, "body: %s", w.Body)
	require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
	require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	var p middleware.Problem
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
	require.Equal(t, "urn:serviceaccounts:problem:"+p.Code, p.Type)
	require.NotEmpty(t, p.Code)
	require.Equal(t, status, p.Status)
	require.Equal(t, http.StatusText(status), p.Title)
	require.NotEmpty(t, p.Detail)
	return p.Detail
}

// requireUnauthorized checks a 401 and its challenge, and that the body
// does not echo the key.
func requireUnauthorized(t *testing.T, w *httptest.ResponseRecorder, challenge, detailPart, key string) {
	t.Helper()
	detail := requireProblem(t, w, http.StatusUnauthorized)
	require.Equal(t, challenge, w.Header().Get("WWW-Authenticate"))
	require.Contains(t, detail, detailPart)
	if key != "" {
		require.NotContains(t, w.Body.String(), key)
	}
}

const invalidToken = `Bearer error="invalid_token"`
