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
