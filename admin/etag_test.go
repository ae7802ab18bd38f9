package admin_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// doIf sends body (JSON, "" for none) with the If-Match header value
// ifMatch ("" for none).
func (e *env) doIf(method, target, body, ifMatch string) *response {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	return e.serve(req)
}

// etagOf GETs target and returns its ETag, which must be a strong one.
func (e *env) etagOf(target string) string {
	e.t.Helper()
	res := e.do("GET", target, "")
	require.Equal(e.t, http.StatusOK, res.status, "body: %s", res.body)
	tag := res.header.Get("ETag")
	require.Regexp(e.t, `^"[A-Za-z0-9_-]{22}"$`, tag)
	return tag
}

func requirePreconditionFailed(t *testing.T, res *response) {
	t.Helper()
	requireProblem(t, res, http.StatusPreconditionFailed)
	assert.Equal(t, "precondition_failed", res.object(t)["code"])
}

func TestAccountETagAndIfMatch(t *testing.T) {
	e := newEnv(t)
	path := "/admin/service-accounts/" + e.createAccount("a")["id"].(string)
	tag := e.etagOf(path)
	assert.Equal(t, tag, e.etagOf(path), "stable while nothing changes")

	requirePreconditionFailed(t, e.doIf("PUT", path, `{"label":"b"}`, `"stale"`))
	assert.Equal(t, tag, e.etagOf(path), "a failed precondition writes nothing")

	res := e.doIf("PUT", path, `{"label":"b"}`, tag)
	e.expect(res, http.StatusOK)
	changed := res.header.Get("ETag")
	assert.NotEqual(t, tag, changed, "a change gives a new ETag")
	assert.Equal(t, changed, e.etagOf(path), "the answer's ETag is the record's")

	requirePreconditionFailed(t, e.doIf("PATCH", path, `{"disabled":true}`, tag))
	e.expect(e.doIf("PATCH", path, `{"disabled":true}`, `"other", `+changed), http.StatusOK)
	requirePreconditionFailed(t, e.doIf("DELETE", path, "", changed))
	assert.Equal(t, http.StatusNoContent, e.doIf("DELETE", path, "", e.etagOf(path)).status)
	requireProblem(t, e.doIf("DELETE", path, "", "*"), http.StatusNotFound)
}

func TestKeyETagDoesNotChangeWithUse(t *testing.T) {
	e := newEnv(t)
	accountID := e.createAccount("a")["id"].(string)
	keyID := e.createKey(accountID)["id"].(string)
	path := "/admin/service-accounts/" + accountID + "/api-keys/" + keyID
	tag := e.etagOf(path)

	e.clock.Advance(time.Minute)
	require.NoError(t, e.m.TouchKeys(t.Context(), []serviceaccount.KeyTouch{{KeyID: uuid.MustParse(keyID), UsedAt: e.clock.Now()}}))
	got := e.expect(e.do("GET", path, ""), http.StatusOK)
	require.NotNil(t, got["lastUsedAt"], "the use was flushed")
	assert.Equal(t, tag, e.etagOf(path), "a last-use flush is not a change")

	res := e.doIf("PATCH", path, `{"name":"ci"}`, tag)
	e.expect(res, http.StatusOK)
	requirePreconditionFailed(t, e.doIf("DELETE", path, "", tag))
	requirePreconditionFailed(t, e.doIf("DELETE", path, "", `W/`+res.header.Get("ETag")))
	assert.Equal(t, http.StatusNoContent, e.doIf("DELETE", path, "", res.header.Get("ETag")).status)

	other := e.createAccount("b")["id"].(string)
	otherKey := e.createKey(other)["id"].(string)
	requireProblem(t, e.do("GET", "/admin/service-accounts/"+accountID+"/api-keys/"+otherKey, ""), http.StatusNotFound)
}

func TestPermissionETagAndIfMatch(t *testing.T) {
	e := newEnv(t)
	accountID := e.createAccount("a")["id"].(string)
	permID := e.addPermission(accountID, `{"resourceType":"study","resourceKey":"s","action":"get-reports"}`)["id"].(string)
	path := "/admin/service-accounts/" + accountID + "/permissions/" + permID
	got := e.expect(e.do("GET", path, ""), http.StatusOK)
	assert.Equal(t, permissionKeys, keysOf(got))
	tag := e.etagOf(path)

	requirePreconditionFailed(t, e.doIf("PUT", path+"/limiter", `{"limiter":[{"reportKey":"r"}]}`, "garbage"))
	res := e.doIf("PUT", path+"/limiter", `{"limiter":[{"reportKey":"r"}]}`, tag)
	e.expect(res, http.StatusOK)
	assert.NotEqual(t, tag, res.header.Get("ETag"))
	requirePreconditionFailed(t, e.doIf("DELETE", path, "", tag))
	assert.Equal(t, http.StatusNoContent, e.doIf("DELETE", path, "", res.header.Get("ETag")).status)
	requireProblem(t, e.do("GET", path, ""), http.StatusNotFound)
}

// Two changes sent at once with the same If-Match: exactly one is made,
// on every backend, because the revision is compared inside the change's
// transaction after the record is locked. The SQL backends' runs are in
// the tests module (tests/admin), so that this package's tests import no
// driver.
func TestIfMatchAdmitsOneOfConcurrentChanges(t *testing.T) {
	backends := map[string]func(t *testing.T) store.Store{
		"memory": func(t *testing.T) store.Store { return memstore.New() },
	}
	for name, newStore := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnvWithStore(t, newStore(t))
			accountID := e.createAccount("a")["id"].(string)
			keyID := e.createKey(accountID)["id"].(string)
			permID := e.addPermission(accountID, `{"resourceType":"study","resourceKey":"s","action":"get-reports"}`)["id"].(string)
			srv := newServer(t, e.h)
			base := "/admin/service-accounts/" + accountID
			for _, tc := range []struct{ method, path, body string }{
				{"PATCH", base, `{"label":"L%d"}`},
				{"PATCH", base + "/api-keys/" + keyID, `{"name":"n%d"}`},
				{"PUT", base + "/permissions/" + permID + "/limiter", `{"limiter":[{"reportKey":"r%d"}]}`},
			} {
				target := tc.path
				if tc.method == "PUT" {
					target = strings.TrimSuffix(tc.path, "/limiter")
				}
				tag := e.etagOf(target)
				const n = 6
				statuses := make([]int, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						req, err := http.NewRequest(tc.method, srv+tc.path, strings.NewReader(strings.Replace(tc.body, "%d", string(rune('0'+i)), 1)))
						if !assert.NoError(t, err) {
							return
						}
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("If-Match", tag)
						res, err := http.DefaultClient.Do(req)
						if !assert.NoError(t, err) {
							return
						}
						_, _ = io.Copy(io.Discard, res.Body)
						res.Body.Close()
						statuses[i] = res.StatusCode
					})
				}
				wg.Wait()
				ok, failed := 0, 0
				for _, s := range statuses {
					switch s {
					case http.StatusOK:
						ok++
					case http.StatusPreconditionFailed:
						failed++
					}
				}
				assert.Equal(t, 1, ok, "%s %s: %v", tc.method, tc.path, statuses)
				assert.Equal(t, n-1, failed, "%s %s: %v", tc.method, tc.path, statuses)
			}
		})
	}
}
