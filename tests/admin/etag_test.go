// Package admin_test runs the admin API's tests that need the SQL stores
// (admin's own tests use memory storage only, so that they import no
// driver).
package admin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// Two changes sent at once with the same If-Match: exactly one is made,
// on every SQL backend, because the revision is compared inside the
// change's transaction after the record is locked (admin's
// TestIfMatchAdmitsOneOfConcurrentChanges runs memory storage).
func TestIfMatchAdmitsOneOfConcurrentChanges(t *testing.T) {
	backends := map[string]func(t *testing.T) store.Store{
		"sqlite":   func(t *testing.T) store.Store { return sqltest.NewStore(t, sqltest.SQLiteURL(t)) },
		"postgres": func(t *testing.T) store.Store { return sqltest.NewStore(t, sqltest.PostgresURL(t)) },
		"mysql":    func(t *testing.T) store.Store { return sqltest.NewStore(t, sqltest.MySQLURL(t)) },
	}
	for name, newStore := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, newStore(t))
			accountID := srv.create(t, "/admin/service-accounts", `{"label":"a"}`)
			keyID := srv.create(t, "/admin/service-accounts/"+accountID+"/api-keys", "")
			permID := srv.create(t, "/admin/service-accounts/"+accountID+"/permissions", `{"resourceType":"study","resourceKey":"s","action":"get-reports"}`)
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
				tag := srv.etagOf(t, target)
				const n = 6
				statuses := make([]int, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						req, err := http.NewRequest(tc.method, srv.url+tc.path, strings.NewReader(strings.Replace(tc.body, "%d", string(rune('0'+i)), 1)))
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

// server is the admin API on st, mounted at /admin of a test server.
type server struct{ url string }

func newServer(t *testing.T, st store.Store) server {
	t.Helper()
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: st, Clock: clockwork.NewFakeClock()})
	require.NoError(t, err)
	h, err := admin.New(m, admin.Config{})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return server{url: srv.URL}
}

// create POSTs body to path, wants 201, and returns the new object's id.
func (s server) create(t *testing.T, path, body string) string {
	t.Helper()
	res, err := http.Post(s.url+path, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.StatusCode, "POST %s: %s", path, b)
	var v struct{ ID string }
	require.NoError(t, json.Unmarshal(b, &v))
	require.NotEmpty(t, v.ID, "POST %s: %s", path, b)
	return v.ID
}

func (s server) etagOf(t *testing.T, path string) string {
	t.Helper()
	res, err := http.Get(s.url + path)
	require.NoError(t, err)
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	require.Equal(t, http.StatusOK, res.StatusCode)
	tag := res.Header.Get("ETag")
	require.Regexp(t, `^"[A-Za-z0-9_-]{22}"$`, tag)
	return tag
}
