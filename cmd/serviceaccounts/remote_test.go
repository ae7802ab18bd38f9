package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// testAdminToken is the admin token of the servers the tests start.
const testAdminToken = "adm_remote_cli_test_token_0123456789"

// startAdminServer serves the admin API (admin.New behind the bearer
// check) on the store at url, under /admin as the example server mounts
// it, and returns the server's root. The store's tables are created by
// the tool's migrate: New does no I/O.
func startAdminServer(t *testing.T, url, prefix string) string {
	t.Helper()
	st, err := sqlstore.New(sqltest.Open(t, url), sqlstore.WithTablePrefix(prefix))
	require.NoError(t, err)
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: st})
	require.NoError(t, err)
	api, err := admin.New(mgr, admin.Config{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Actor:  admin.RequestActor("admin-token"),
	})
	require.NoError(t, err)
	auth, err := admin.NewBearerAuth(admin.BearerConfig{Token: testAdminToken}, api)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", auth))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// newRemoteTool is a tool that runs every command but migrate with
// --server, against the admin API on the database db (tables prefix).
func newRemoteTool(t *testing.T, db, prefix string) *tool {
	c := newTool(t, db, prefix)
	c.server = startAdminServer(t, db, prefix)
	return c
}

// mode is one way the tool works: on the database (--db), or through a
// server's admin API on the same store (--server).
type mode struct {
	name    string
	newTool func(t *testing.T, db, prefix string) *tool
}

var modes = []mode{{"db", newTool}, {"server", newRemoteTool}}

// inEveryMode runs test once per mode, as parallel subtests.
func inEveryMode(t *testing.T, test func(t *testing.T, newTool func(t *testing.T, db, prefix string) *tool)) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			test(t, m.newTool)
		})
	}
}
