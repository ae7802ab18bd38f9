package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// exampleAdminToken is the token startExampleServer gives the servers.
const exampleAdminToken = "adm_cli_test_token_0123456789"

func TestStoredPolicyIsEnforcedByEveryInstanceAndTheCLIPostgres(t *testing.T) {
	t.Parallel()
	storedPolicyShared(t, ownDatabase(t, sqltest.PostgresURL(t)))
}

func TestStoredPolicyIsEnforcedByEveryInstanceAndTheCLIMySQL(t *testing.T) {
	t.Parallel()
	storedPolicyShared(t, ownDatabase(t, sqltest.MySQLURL(t)))
}

// ownDatabase creates a database of the test's own on the server at
// serverURL (the example server has no table prefix flag, and tenants are
// listed across the whole database) and drops it when the test ends.
func ownDatabase(t *testing.T, serverURL string) string {
	t.Helper()
	name := "sa_" + strings.TrimSuffix(sqltest.UniquePrefix(), "_")
	db := sqltest.Open(t, serverURL).DB
	_, err := db.ExecContext(t.Context(), "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		drop := "DROP DATABASE IF EXISTS " + name
		if strings.HasPrefix(serverURL, "postgres") {
			drop += " WITH (FORCE)"
		}
		if _, err := db.ExecContext(ctx, drop); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(serverURL)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

// adminCall sends an admin API request to srv and returns the status and
// the decoded body.
func adminCall(t *testing.T, srv *exampleServer, method, path, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.url+"/admin"+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+exampleAdminToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out), "%s %s: %s", method, path, raw)
	}
	return res.StatusCode, out
}

// within polls check every 10 ms until it holds, for at most bound: the
// change feed's bound on how soon another instance sees a change.
func within(t *testing.T, bound time.Duration, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(bound)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		done, why := check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s, after %s", why, bound)
		}
		<-tick.C // polling separate processes: no clock to advance
	}
}

// storedPolicyShared runs two example servers and the CLI on one
// database: a tenant's policy stored through one server is enforced by
// the other within the change feed's bound (1 s), and by the CLI, and a
// policy stored by the CLI by both servers; other tenants are unaffected.
func storedPolicyShared(t *testing.T, db string) {
	c := newTool(t, db, "")
	c.ok("migrate")
	a, b := startExampleServer(t, db), startExampleServer(t, db)

	status, _ := adminCall(t, a, "PUT", "/tenants/acme/policy",
		`{"maxKeysPerAccount":1,"maxKeyLifetimeSeconds":3600,"defaultKeyLifetimeSeconds":600,"maxRotationGraceSeconds":0}`)
	require.Equal(t, http.StatusOK, status)
	within(t, time.Second, func() (bool, string) {
		status, p := adminCall(t, b, "GET", "/tenants/acme/policy", "")
		return status == 200 && p["stored"] == true && p["maxKeysPerAccount"] == float64(1), "the other instance's policy"
	})

	status, account := adminCall(t, b, "POST", "/tenants/acme/service-accounts", `{"label":"acme export"}`)
	require.Equal(t, http.StatusCreated, status)
	id := account["id"].(string)
	status, key := adminCall(t, b, "POST", "/tenants/acme/service-accounts/"+id+"/api-keys", "")
	require.Equal(t, http.StatusCreated, status)
	assert.NotNil(t, key["expiresAt"], "the stored default lifetime applies")
	for _, srv := range []*exampleServer{a, b} {
		status, problem := adminCall(t, srv, "POST", "/tenants/acme/service-accounts/"+id+"/api-keys", "")
		require.Equal(t, http.StatusConflict, status, "%v", problem)
	}
	// The CLI refuses what the stored policy refuses, whatever its own
	// flags say, and writes nothing.
	msg := c.fail(1, "--tenant", "acme", "keys", "create", id, "--max-keys", "0")
	assert.Contains(t, msg, "key")
	status, other := adminCall(t, a, "POST", "/tenants/acme/service-accounts", `{"label":"acme other"}`)
	require.Equal(t, http.StatusCreated, status)
	c.fail(1, "--tenant", "acme", "keys", "create", other["id"].(string), "--expires-in", "2h")
	var keys apijson.KeyPage
	c.json(&keys, "--tenant", "acme", "keys", "list", id)
	require.Len(t, keys.Items, 1)

	// Another tenant, and the default, keep the default policy.
	status, p := adminCall(t, a, "GET", "/policy", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, false, p["stored"])

	// A policy stored by the CLI reaches both servers.
	c.ok("--tenant", "acme", "policy", "set", "--max-keys-per-account", "2", "--max-key-lifetime", "1h",
		"--default-key-lifetime", "10m", "--max-rotation-grace", "0")
	within(t, time.Second, func() (bool, string) {
		status, _ := adminCall(t, a, "POST", "/tenants/acme/service-accounts/"+id+"/api-keys", "")
		return status == http.StatusCreated, "a second key on the first server"
	})
	status, _ = adminCall(t, b, "POST", "/tenants/acme/service-accounts/"+id+"/api-keys", "")
	require.Equal(t, http.StatusConflict, status, "the third key")

	var stored apijson.StoredPolicy
	c.json(&stored, "--tenant", "acme", "policy", "get")
	assert.True(t, stored.Stored)
	assert.Equal(t, 2, stored.MaxKeysPerAccount)
	var tenants apijson.TenantPage
	c.json(&tenants, "tenants", "list")
	require.Len(t, tenants.Items, 1)
	assert.Equal(t, apijson.Tenant{ID: "acme", AccountCount: 2}, tenants.Items[0])
}
