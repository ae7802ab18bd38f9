package adminclient_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/adminclient"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// testToken is distinctive, so that a test can look for it in every
// error and printed value.
const testToken = "s3cret-admin-token-7f3a9c"

var start = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// env is the real admin API (admin.New behind admin.RequireBearerToken,
// over a memory store and a fake clock) mounted under /admin of an
// httptest.Server, and a client of it.
type env struct {
	clock  *clockwork.FakeClock
	m      *serviceaccount.Manager
	srv    *httptest.Server
	client *adminclient.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{clock: clockwork.NewFakeClockAt(start)}
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New(), Clock: e.clock})
	require.NoError(t, err)
	e.m = m
	h, err := admin.New(m, admin.Config{Actor: admin.RequestActor("admin-token")})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", contractChecked(admin.RequireBearerToken(testToken, h))))
	e.srv = httptest.NewServer(admin.NoRedirect(mux))
	t.Cleanup(e.srv.Close)
	e.client = e.newClient(t, testToken)
	return e
}

func (e *env) newClient(t *testing.T, token string) *adminclient.Client {
	t.Helper()
	c, err := adminclient.New(e.srv.URL+"/admin", adminclient.Config{Token: token})
	require.NoError(t, err)
	return c
}
