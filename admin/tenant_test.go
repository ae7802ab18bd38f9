package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// Every route of a tenant is served under /tenants/{tenant} too, and the
// keys and events it answers name that tenant.
func TestEveryTenantRouteIsServedInATenant(t *testing.T) {
	e := newEnv(t)
	base := "/admin/tenants/acme"
	account := e.expect(e.do("POST", base+"/service-accounts", `{"label":"acme export"}`), http.StatusCreated)
	id := requireUUID(t, account["id"])
	acct := base + "/service-accounts/" + id
	e.expect(e.do("GET", acct, ""), http.StatusOK)
	e.expect(e.do("PUT", acct, `{"label":"acme export 2"}`), http.StatusOK)
	e.expect(e.do("PATCH", acct, `{"disabled":false}`), http.StatusOK)
	e.expect(e.do("GET", base+"/service-accounts", ""), http.StatusOK)

	created := e.expect(e.do("POST", acct+"/api-keys", ""), http.StatusCreated)
	assert.Equal(t, "acme", created["tenant"])
	keyID := requireUUID(t, created["id"])
	key := e.expect(e.do("GET", acct+"/api-keys/"+keyID, ""), http.StatusOK)
	assert.Equal(t, "acme", key["tenant"])
	e.expect(e.do("PATCH", acct+"/api-keys/"+keyID, `{"name":"ci"}`), http.StatusOK)
	rotated := e.expect(e.do("POST", acct+"/api-keys/"+keyID+"/rotate", ""), http.StatusCreated)
	newKeyID := requireUUID(t, rotated["created"].(map[string]any)["id"])
	for _, k := range items(t, e.expect(e.do("GET", acct+"/api-keys", ""), http.StatusOK)) {
		assert.Equal(t, "acme", k["tenant"])
	}
	for _, k := range items(t, e.expect(e.do("GET", base+"/api-keys", ""), http.StatusOK)) {
		assert.Equal(t, "acme", k["tenant"])
	}

	perm := e.expect(e.do("POST", acct+"/permissions",
		`{"resourceType":"study","resourceKey":"tekenradar","action":"get-responses"}`), http.StatusCreated)
	permID := requireUUID(t, perm["id"])
	e.expect(e.do("GET", acct+"/permissions/"+permID, ""), http.StatusOK)
	e.expect(e.do("PUT", acct+"/permissions/"+permID+"/limiter", `{"limiter":null}`), http.StatusOK)
	e.expect(e.do("GET", acct+"/permissions", ""), http.StatusOK)
	e.expect(e.do("GET", base+"/policy", ""), http.StatusOK)

	require.Equal(t, http.StatusNoContent, e.do("DELETE", acct+"/permissions/"+permID, "").status)
	require.Equal(t, http.StatusNoContent, e.do("DELETE", acct+"/api-keys/"+newKeyID, "").status)
	require.Equal(t, http.StatusNoContent, e.do("DELETE", acct, "").status)

	// Webhooks belong to the tenant: another tenant's id is not found.
	hook := e.expect(e.do("POST", base+"/webhooks", `{"url":"https://192.0.2.10/hook","events":["account.create"]}`), http.StatusCreated)
	hookID := requireUUID(t, hook["id"])
	e.expect(e.do("GET", base+"/webhooks/"+hookID, ""), http.StatusOK)
	require.Len(t, items(t, e.expect(e.do("GET", base+"/webhooks", ""), http.StatusOK)), 1)
	e.expect(e.do("GET", base+"/webhooks/"+hookID+"/deliveries", ""), http.StatusOK)
	require.Equal(t, http.StatusNotFound, e.do("GET", "/admin/webhooks/"+hookID, "").status)
	require.Empty(t, items(t, e.expect(e.do("GET", "/admin/webhooks", ""), http.StatusOK)))
	require.Equal(t, http.StatusNotFound, e.do("DELETE", "/admin/webhooks/"+hookID, "").status)
	require.Equal(t, http.StatusNoContent, e.do("DELETE", base+"/webhooks/"+hookID, "").status)

	events := items(t, e.expect(e.do("GET", base+"/audit-events", ""), http.StatusOK))
	require.NotEmpty(t, events)
	for _, ev := range events {
		assert.Equal(t, "acme", ev["tenant"])
	}
}

func TestAMalformedTenantIs400InvalidTenant(t *testing.T) {
	e := newEnv(t)
	for _, tenant := range []string{"Acme", "-acme", "acme-", "a_b", "a.b", strings.Repeat("a", 64)} {
		for _, path := range []string{"/service-accounts", "/api-keys", "/audit-events", "/policy"} {
			res := e.do("GET", "/admin/tenants/"+tenant+path, "")
			requireProblem(t, res, http.StatusBadRequest)
			assert.Equal(t, "invalid_tenant", res.object(t)["code"], "%s%s", tenant, path)
		}
		res := e.do("POST", "/admin/tenants/"+tenant+"/service-accounts", `{"label":"x"}`)
		requireProblem(t, res, http.StatusBadRequest)
		assert.Equal(t, "invalid_tenant", res.object(t)["code"])
	}
	// Nothing was written.
	assert.Empty(t, items(t, e.expect(e.do("GET", "/admin/audit-events", ""), http.StatusOK)))
}

func TestABodyNamingTheTenantIsRefused(t *testing.T) {
	e := newEnv(t)
	res := e.do("POST", "/admin/tenants/acme/service-accounts", `{"label":"x","tenant":"acme"}`)
	assert.Equal(t, []string{"tenant"}, requireProblem(t, res, http.StatusBadRequest))
	id := requireUUID(t, e.createAccount("x")["id"])
	res = e.do("PUT", "/admin/service-accounts/"+id, `{"label":"x","tenant":"acme"}`)
	assert.Equal(t, []string{"tenant"}, requireProblem(t, res, http.StatusBadRequest))
	res = e.do("PATCH", "/admin/service-accounts/"+id, `{"tenant":"acme"}`)
	assert.Equal(t, []string{"tenant"}, requireProblem(t, res, http.StatusBadRequest))
}

func TestTenantAllowedHidesOtherTenants(t *testing.T) {
	e := newEnvWithStore(t, memstore.New(), admin.Config{
		TenantAllowed: func(r *http.Request, tenant string) bool { return tenant == "acme" },
	})
	e.expect(e.do("GET", "/admin/tenants/acme/service-accounts", ""), http.StatusOK)
	for _, path := range []string{"/admin/service-accounts", "/admin/tenants/globex/service-accounts", "/admin/tenants/globex/policy"} {
		res := e.do("GET", path, "")
		requireProblem(t, res, http.StatusNotFound)
		assert.Equal(t, "not_found", res.object(t)["code"], path)
	}
	res := e.do("POST", "/admin/tenants/globex/service-accounts", `{"label":"x"}`)
	requireProblem(t, res, http.StatusNotFound)
}

func TestConfigTenantBindsAnAdministratorToATenant(t *testing.T) {
	e := newEnvWithStore(t, memstore.New(), admin.Config{
		Tenant: func(r *http.Request) string { return "acme" },
	})
	created := e.expect(e.do("POST", "/admin/service-accounts", `{"label":"x"}`), http.StatusCreated)
	key := e.expect(e.do("POST", "/admin/service-accounts/"+requireUUID(t, created["id"])+"/api-keys", ""), http.StatusCreated)
	assert.Equal(t, "acme", key["tenant"])
}
