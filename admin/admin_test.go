package admin_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// start has nanoseconds so the tests see the Manager truncate them.
var start = time.Date(2026, 11, 25, 9, 0, 0, 123456789, time.UTC)

const startJSON = "2026-11-25T09:00:00.123456Z"

// Exact member sets of each representation.
var (
	accountKeys    = []string{"createdAt", "description", "disabledAt", "id", "label", "metadata", "tenant", "updatedAt"}
	keyKeys        = []string{"allowedCidrs", "createdAt", "disabledAt", "expiresAt", "hint", "id", "lastUsedAt", "metadata", "name", "rateLimit", "replacedBy", "scopes", "serviceAccountId", "tenant"}
	createdKeyKeys = []string{"allowedCidrs", "createdAt", "disabledAt", "expiresAt", "hint", "id", "key", "lastUsedAt", "metadata", "name", "rateLimit", "replacedBy", "scopes", "serviceAccountId", "tenant"}
	permissionKeys = []string{"action", "createdAt", "id", "limiter", "resourceKey", "resourceType", "serviceAccountId"}
	problemKeys    = []string{"code", "detail", "status", "title", "type"}
	invalidKeys    = []string{"code", "detail", "errors", "status", "title", "type"}
)

// env is the admin API mounted under /admin of an outer ServeMux, over a
// memory store and a fake clock. It keeps every response body and the log
// so that tests can check no secret ever left the handler.
type env struct {
	t      *testing.T
	clock  *clockwork.FakeClock
	m      *serviceaccount.Manager
	h      http.Handler
	logs   *bytes.Buffer
	bodies []string
}

func newEnv(t *testing.T) *env {
	return newEnvWithStore(t, memstore.New())
}

func newEnvWithStore(t *testing.T, s store.Store, cfg ...admin.Config) *env {
	t.Helper()
	return newEnvWith(t, s, serviceaccount.Policy{}, cfg...)
}

func newEnvWith(t *testing.T, s store.Store, p serviceaccount.Policy, cfg ...admin.Config) *env {
	t.Helper()
	e := &env{t: t, clock: clockwork.NewFakeClockAt(start), logs: &bytes.Buffer{}}
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: s, Clock: e.clock, Policy: p})
	require.NoError(t, err)
	e.m = m
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := admin.Config{}
	if len(cfg) > 0 {
		c = cfg[0]
	}
	c.Logger = logger
	h, err := admin.New(m, c)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", h))
	e.h = mux
	return e
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// object decodes the body as one JSON object.
func (r *response) object(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(r.body, &v), "body: %s", r.body)
	return v
}

// send makes a request with the given Content-Type ("" for none).
func (e *env) send(method, target, contentType string, body io.Reader) *response {
	e.t.Helper()
	req := httptest.NewRequest(method, target, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return e.serve(req)
}

// serve sends req to the handler and keeps the response body.
func (e *env) serve(req *http.Request) *response {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	res := rec.Result()
	b, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	e.bodies = append(e.bodies, string(b))
	return &response{status: res.StatusCode, header: res.Header, body: b}
}

// do sends body as application/json; an empty body is sent without one.
func (e *env) do(method, target, body string) *response {
	e.t.Helper()
	if body == "" {
		return e.send(method, target, "", nil)
	}
	return e.send(method, target, "application/json", strings.NewReader(body))
}

// expect checks the status and returns the body as an object.
func (e *env) expect(res *response, status int) map[string]any {
	e.t.Helper()
	require.Equal(e.t, status, res.status, "body: %s", res.body)
	return res.object(e.t)
}

func (e *env) createAccount(label string) map[string]any {
	e.t.Helper()
	body, err := json.Marshal(map[string]string{"label": label})
	require.NoError(e.t, err)
	return e.expect(e.do("POST", "/admin/service-accounts", string(body)), http.StatusCreated)
}

func (e *env) createKey(accountID string) map[string]any {
	e.t.Helper()
	return e.expect(e.do("POST", "/admin/service-accounts/"+accountID+"/api-keys", ""), http.StatusCreated)
}

func (e *env) addPermission(accountID, body string) map[string]any {
	e.t.Helper()
	return e.expect(e.do("POST", "/admin/service-accounts/"+accountID+"/permissions", body), http.StatusCreated)
}

func keysOf(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

func items(t *testing.T, m map[string]any) []map[string]any {
	t.Helper()
	raw, ok := m["items"].([]any)
	require.True(t, ok, "items is not an array: %v", m["items"])
	out := make([]map[string]any, len(raw))
	for i, it := range raw {
		out[i], ok = it.(map[string]any)
		require.True(t, ok)
	}
	return out
}

// requireProblem checks a problem+json answer and returns its field names,
// in order, for a validation problem.
func requireProblem(t *testing.T, res *response, status int) []string {
	t.Helper()
	require.Equal(t, status, res.status, "body: %s", res.body)
	assert.Equal(t, "application/problem+json", res.header.Get("Content-Type"))
	p := res.object(t)
	assert.Equal(t, float64(status), p["status"])
	assert.Equal(t, http.StatusText(status), p["title"])
	assert.NotEmpty(t, p["detail"])
	assert.Equal(t, "urn:serviceaccounts:problem:"+p["code"].(string), p["type"])
	if _, ok := p["errors"]; !ok {
		assert.Equal(t, problemKeys, keysOf(p))
		return nil
	}
	wantKeys := invalidKeys
	if _, ok := p["moreErrors"]; ok {
		wantKeys = append(slices.Clone(invalidKeys), "moreErrors")
		slices.Sort(wantKeys)
	}
	assert.Equal(t, wantKeys, keysOf(p))
	var fields []string
	for _, fe := range p["errors"].([]any) {
		fe := fe.(map[string]any)
		assert.Equal(t, []string{"field", "message"}, keysOf(fe))
		assert.NotEmpty(t, fe["message"])
		fields = append(fields, fe["field"].(string))
	}
	return fields
}

func requireUUID(t *testing.T, v any) string {
	t.Helper()
	s, ok := v.(string)
	require.True(t, ok, "%v is not a string", v)
	_, err := uuid.Parse(s)
	require.NoError(t, err)
	return s
}
