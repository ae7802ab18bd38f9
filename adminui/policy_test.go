package adminui_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/adminui"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

func policyValues(maxKeys, lifetime, def, grace, leaked, unused string) url.Values {
	return url.Values{"maxKeys": {maxKeys}, "maxLifetimeDays": {lifetime}, "defaultDays": {def},
		"graceHours": {grace}, "leakedKeyAction": {leaked}, "unusedKeyDays": {unused}}
}

func TestPolicyPageShowsAndSavesTheTenantsPolicyAudited(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui", options: adminui.Config{
		Actor: func(*http.Request) (serviceaccount.Actor, bool) {
			return serviceaccount.Actor{ID: "admin-1"}, true
		},
	}})
	res := p.get("/policy")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.body, "follows the database-wide default policy")
	assert.Contains(t, fieldTag(t, res.body, "policy-unused"), `value="90"`)

	res = p.post("/policy", policyValues("5", "90", "30", "12", "delete", "60"))
	p.seeOther(res, "/policy", "policy-saved")
	got, stored, err := p.mgr.EffectivePolicy(context.Background())
	require.NoError(t, err)
	assert.True(t, stored)
	assert.Equal(t, serviceaccount.TenantPolicy{MaxKeysPerAccount: 5, MaxKeyLifetime: 90 * 24 * time.Hour,
		DefaultKeyLifetime: 30 * 24 * time.Hour, MaxRotationGrace: 12 * time.Hour, LeakedKeyAction: "delete", UnusedKeyDays: 60}, got)

	events, err := p.mgr.ListAuditEvents(context.Background(), serviceaccount.ListAuditEventsParams{})
	require.NoError(t, err)
	require.NotEmpty(t, events.Items)
	last := events.Items[0]
	assert.Equal(t, store.ActionPolicyUpdate, last.Action)
	require.NotNil(t, last.Actor)
	assert.Equal(t, "admin-1", last.Actor.ID)

	res = p.get("/policy?done=policy-saved")
	assert.Contains(t, res.body, "Policy saved.")
	assert.Contains(t, res.body, "This tenant has its own policy.")
	assert.Contains(t, fieldTag(t, res.body, "policy-grace"), `value="12"`)
	assert.Contains(t, res.body, `<option value="delete" selected>`)
}

func TestPolicyErrorsAreSentencesNextToTheirField(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	res := p.post("/policy", policyValues("many", "-1", "10", "1", "shred", "5"))
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "Enter a whole number, 0 or more; 0 means no limit.", fieldError(t, res.body, "policy-max-keys"))
	assert.Equal(t, "Enter a number of days, 0 or more (at most 100 years); 0 means no limit.", fieldError(t, res.body, "policy-max-lifetime"))
	assert.Equal(t, "Choose what a leaked key&#39;s report does: disable the key or delete it.", fieldError(t, res.body, "policy-leaked"))
	assert.Contains(t, fieldTag(t, res.body, "policy-max-keys"), `value="many"`, "the input is kept")

	// The Manager's own checks, in the form's units.
	res = p.post("/policy", policyValues("1", "10", "20", "1", "disable", "40000"))
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "Choose a default lifetime no longer than the maximum lifetime.", fieldError(t, res.body, "policy-default-lifetime"))
	assert.Equal(t, "Enter a number of days from 0 (no notices) to 36500.", fieldError(t, res.body, "policy-unused"))
	_, stored, err := p.mgr.EffectivePolicy(context.Background())
	require.NoError(t, err)
	assert.False(t, stored, "a refused form stores nothing")
}

func TestPolicyBelongsToTheURLsTenant(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui", options: adminui.Config{TenantAllowed: allowTenants("default", "acme")}})
	res := p.post("/tenants/acme/policy", policyValues("2", "0", "0", "0", "disable", "0"))
	p.seeOther(res, "/tenants/acme/policy", "policy-saved")
	acme, err := p.mgr.Tenant("acme")
	require.NoError(t, err)
	got, stored, err := acme.EffectivePolicy(context.Background())
	require.NoError(t, err)
	assert.True(t, stored)
	assert.Equal(t, 2, got.MaxKeysPerAccount)
	_, stored, err = p.mgr.EffectivePolicy(context.Background())
	require.NoError(t, err)
	assert.False(t, stored, "the default tenant is untouched")
}

func TestKeyDialogsFollowTheTenantsStoredPolicy(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Follows the policy", "")
	res := p.get("/accounts/" + id.String())
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.body, `value="90"`, "no limit yet: 90 days is offered")

	res = p.post("/policy", policyValues("3", "30", "0", "1", "disable", "90"))
	p.seeOther(res, "/policy", "policy-saved")
	res = p.get("/accounts/" + id.String())
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.NotContains(t, res.body, `<option value="90"`, "the stored 30-day limit rules out 90 days")
	assert.Contains(t, res.body, "0 of 3 keys in use")
	assert.Contains(t, res.body, "Keys must expire within 30 days")
}
