package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// A malformed --tenant or SA_TENANT is a usage error that names the
// tenant, before the database is opened: nothing is written.
func TestAMalformedTenantIsRefusedBeforeAnyWrite(t *testing.T) {
	t.Parallel()
	c := newTool(t, sqltest.SQLiteURL(t), "")
	c.ok("migrate")
	for _, tenant := range []string{"Acme", "-acme", "acme-", "a_b", strings.Repeat("a", 64)} {
		r := c.run("--tenant", tenant, "accounts", "create", "--label", "x")
		assert.Equal(t, 2, r.code, "%s: %s", tenant, r.stderr)
		assert.Empty(t, r.stdout)
		assert.Contains(t, r.stderr, "invalid --tenant (or SA_TENANT)", tenant)
		assert.Contains(t, r.stderr, "invalid tenant", tenant)

		r = runTool(t, []string{"SA_TENANT=" + tenant}, "--db", c.db, "accounts", "create", "--label", "x")
		assert.Equal(t, 2, r.code, "%s: %s", tenant, r.stderr)
		assert.Contains(t, r.stderr, "invalid --tenant (or SA_TENANT)", tenant)
	}
	var page apijson.AccountPage
	c.json(&page, "accounts", "list")
	require.Empty(t, page.Items)
	var events apijson.AuditPage
	c.json(&events, "audit", "list")
	require.Empty(t, events.Items)
}

// --tenant scopes every command: an account of one tenant is not found
// through another, and the JSON names the tenant.
func TestTenantScopesEveryCommand(t *testing.T) {
	t.Parallel()
	c := newTool(t, sqltest.SQLiteURL(t), "")
	c.ok("migrate")
	var acct apijson.Account
	c.json(&acct, "--tenant", "acme", "accounts", "create", "--label", "acme export")
	assert.Equal(t, "acme", acct.Tenant)
	var key apijson.CreatedKey
	c.json(&key, "--tenant", "acme", "keys", "create", acct.ID)
	assert.Equal(t, "acme", key.Tenant)
	c.secrets = append(c.secrets, key.Key)

	c.fail(1, "accounts", "get", acct.ID)
	r := runTool(t, []string{"SA_TENANT=globex"}, "--db", c.db, "accounts", "get", acct.ID)
	assert.Equal(t, 1, r.code, r.stderr)
	r = runTool(t, []string{"SA_TENANT=acme"}, "--db", c.db, "accounts", "get", acct.ID, "-o", "json")
	assert.Equal(t, 0, r.code, r.stderr)

	var page apijson.AccountPage
	c.json(&page, "accounts", "list")
	assert.Empty(t, page.Items)
	c.json(&page, "--tenant", "acme", "accounts", "list")
	require.Len(t, page.Items, 1)
	var events apijson.AuditPage
	c.json(&events, "--tenant", "acme", "audit", "list")
	require.NotEmpty(t, events.Items)
	for _, ev := range events.Items {
		assert.Equal(t, "acme", ev.Tenant)
	}
	assert.Equal(t, "acme\n", c.ok("tenants", "list", "-o", "plain"))

	// A policy the CLI refuses writes nothing.
	msg := c.fail(1, "--tenant", "acme", "policy", "set", "--max-keys-per-account", "-1",
		"--max-key-lifetime", "0", "--default-key-lifetime", "0", "--max-rotation-grace", "0")
	assert.Contains(t, msg, "maxKeysPerAccount")
	r = c.run("--tenant", "acme", "policy", "set", "--max-keys-per-account", "1")
	assert.NotEqual(t, 0, r.code)
	assert.Contains(t, r.stderr, "max-key-lifetime")
	var p apijson.StoredPolicy
	c.json(&p, "--tenant", "acme", "policy", "get")
	assert.False(t, p.Stored)
	c.ok("policy", "set", "--defaults", "--max-keys-per-account", "4", "--max-key-lifetime", "0",
		"--default-key-lifetime", "0", "--max-rotation-grace", "0")
	var def apijson.Policy
	c.json(&def, "policy", "get", "--defaults")
	assert.Equal(t, 4, def.MaxKeysPerAccount)
	c.json(&p, "--tenant", "acme", "policy", "get")
	assert.Equal(t, 4, p.MaxKeysPerAccount)
	assert.Contains(t, c.ok("--tenant", "acme", "policy", "get"), "database-wide default")
}
