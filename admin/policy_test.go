package admin_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

const policyBody = `{"maxKeysPerAccount":1,"maxKeyLifetimeSeconds":3600,"defaultKeyLifetimeSeconds":600,"maxRotationGraceSeconds":0}`

func TestATenantsStoredPolicyGovernsItAlone(t *testing.T) {
	e := newEnv(t)
	before := e.expect(e.do("GET", "/admin/tenants/acme/policy", ""), http.StatusOK)
	assert.Equal(t, false, before["stored"])

	stored := e.expect(e.do("PUT", "/admin/tenants/acme/policy", policyBody), http.StatusOK)
	assert.Equal(t, map[string]any{
		"maxKeysPerAccount": float64(1), "maxKeyLifetimeSeconds": float64(3600), "defaultKeyLifetimeSeconds": float64(600),
		"maxRotationGraceSeconds": float64(0), "leakedKeyAction": "disable", "unusedKeyDays": float64(90), "stored": true,
	}, stored)
	assert.Equal(t, stored, e.expect(e.do("GET", "/admin/tenants/acme/policy", ""), http.StatusOK))
	assert.Equal(t, false, e.expect(e.do("GET", "/admin/policy", ""), http.StatusOK)["stored"], "the default tenant keeps the default")

	acct := e.expect(e.do("POST", "/admin/tenants/acme/service-accounts", `{"label":"acme"}`), http.StatusCreated)
	keys := "/admin/tenants/acme/service-accounts/" + requireUUID(t, acct["id"]) + "/api-keys"
	key := e.expect(e.do("POST", keys, ""), http.StatusCreated)
	assert.NotNil(t, key["expiresAt"], "the stored default lifetime")
	requireProblem(t, e.do("POST", keys, ""), http.StatusConflict)

	other := e.createAccount("default")
	e.createKey(requireUUID(t, other["id"]))
	e.createKey(requireUUID(t, other["id"]))

	events := items(t, e.expect(e.do("GET", "/admin/tenants/acme/audit-events?action=policy.update", ""), http.StatusOK))
	require.Len(t, events, 1)
	assert.Equal(t, "acme", events[0]["tenant"])
}

func TestAPolicyBodyNeedsTheFourLimits(t *testing.T) {
	e := newEnv(t)
	assert.Equal(t, []string{"maxKeysPerAccount", "maxKeyLifetimeSeconds", "defaultKeyLifetimeSeconds", "maxRotationGraceSeconds"},
		requireProblem(t, e.do("PUT", "/admin/policy", `{}`), http.StatusBadRequest))
	for body, field := range map[string]string{
		`{"maxKeysPerAccount":-1,"maxKeyLifetimeSeconds":0,"defaultKeyLifetimeSeconds":0,"maxRotationGraceSeconds":0}`:                          "maxKeysPerAccount",
		`{"maxKeysPerAccount":0,"maxKeyLifetimeSeconds":60,"defaultKeyLifetimeSeconds":120,"maxRotationGraceSeconds":0}`:                        "defaultKeyLifetimeSeconds",
		`{"maxKeysPerAccount":0,"maxKeyLifetimeSeconds":0,"defaultKeyLifetimeSeconds":0,"maxRotationGraceSeconds":0,"leakedKeyAction":"shred"}`: "leakedKeyAction",
		`{"maxKeysPerAccount":0,"maxKeyLifetimeSeconds":0,"defaultKeyLifetimeSeconds":0,"maxRotationGraceSeconds":0,"stored":true}`:             "stored",
	} {
		assert.Equal(t, []string{field}, requireProblem(t, e.do("PUT", "/admin/policy", body), http.StatusBadRequest), body)
	}
	assert.Equal(t, false, e.expect(e.do("GET", "/admin/policy", ""), http.StatusOK)["stored"], "nothing was stored")
}

func TestTheDefaultPolicyGovernsEveryTenantWithoutItsOwn(t *testing.T) {
	e := newEnv(t)
	got := e.expect(e.do("PUT", "/admin/policy/defaults",
		`{"maxKeysPerAccount":2,"maxKeyLifetimeSeconds":0,"defaultKeyLifetimeSeconds":0,"maxRotationGraceSeconds":60,"leakedKeyAction":"delete","unusedKeyDays":0}`),
		http.StatusOK)
	assert.Equal(t, "delete", got["leakedKeyAction"])
	assert.Equal(t, got, e.expect(e.do("GET", "/admin/policy/defaults", ""), http.StatusOK))
	p := e.expect(e.do("GET", "/admin/tenants/globex/policy", ""), http.StatusOK)
	assert.Equal(t, false, p["stored"])
	assert.Equal(t, float64(2), p["maxKeysPerAccount"])

	// /policy is the default tenant's own, which then no longer follows
	// the default.
	own := e.expect(e.do("PUT", "/admin/policy", policyBody), http.StatusOK)
	assert.Equal(t, true, own["stored"])
	assert.Equal(t, own, e.expect(e.do("GET", "/admin/policy", ""), http.StatusOK))
	assert.Equal(t, float64(2), e.expect(e.do("GET", "/admin/policy/defaults", ""), http.StatusOK)["maxKeysPerAccount"])
}

func TestTenantsAreListedByIDWithTheirAccounts(t *testing.T) {
	e := newEnv(t)
	e.expect(e.do("POST", "/admin/tenants/globex/service-accounts", `{"label":"g"}`), http.StatusCreated)
	for range 2 {
		e.expect(e.do("POST", "/admin/tenants/acme/service-accounts", `{"label":"a"}`), http.StatusCreated)
	}
	e.expect(e.do("PUT", "/admin/tenants/initech/policy", policyBody), http.StatusOK)
	page := e.expect(e.do("GET", "/admin/tenants?limit=2", ""), http.StatusOK)
	assert.Equal(t, []map[string]any{{"id": "acme", "accountCount": float64(2)}, {"id": "globex", "accountCount": float64(1)}}, items(t, page))
	next := e.expect(e.do("GET", "/admin/tenants?limit=2&cursor="+page["nextCursor"].(string), ""), http.StatusOK)
	assert.Equal(t, []map[string]any{{"id": "initech", "accountCount": float64(0)}}, items(t, next))
	assert.Nil(t, next["nextCursor"])

	// Isolation: a tenant's account is not found through another.
	acme := items(t, e.expect(e.do("GET", "/admin/tenants/acme/service-accounts", ""), http.StatusOK))
	require.Len(t, acme, 2)
	assert.Equal(t, "acme", acme[0]["tenant"])
	id := requireUUID(t, acme[0]["id"])
	requireProblem(t, e.do("GET", "/admin/service-accounts/"+id, ""), http.StatusNotFound)
	requireProblem(t, e.do("GET", "/admin/tenants/globex/service-accounts/"+id, ""), http.StatusNotFound)
	assert.Empty(t, items(t, e.expect(e.do("GET", "/admin/service-accounts", ""), http.StatusOK)))
}

func TestTenantAllowedFiltersTheTenantListAndGuardsTheDefaults(t *testing.T) {
	e := newEnvWithStore(t, memstore.New(), admin.Config{
		TenantAllowed: func(r *http.Request, tenant string) bool { return tenant == "acme" },
	})
	e.expect(e.do("POST", "/admin/tenants/acme/service-accounts", `{"label":"a"}`), http.StatusCreated)
	e.expect(e.do("PUT", "/admin/tenants/acme/policy", policyBody), http.StatusOK)
	globex, err := e.m.Tenant("globex")
	require.NoError(t, err)
	_, err = globex.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "g"})
	require.NoError(t, err)
	assert.Equal(t, []map[string]any{{"id": "acme", "accountCount": float64(1)}},
		items(t, e.expect(e.do("GET", "/admin/tenants", ""), http.StatusOK)))
	requireProblem(t, e.do("PUT", "/admin/policy/defaults", policyBody), http.StatusNotFound)
	requireProblem(t, e.do("GET", "/admin/policy/defaults", ""), http.StatusNotFound)
}
