package adminui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/adminui"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// allowTenants is a TenantAllowed hook that allows exactly ids.
func allowTenants(ids ...string) func(*http.Request, string) bool {
	return func(_ *http.Request, id string) bool {
		for _, allowed := range ids {
			if id == allowed {
				return true
			}
		}
		return false
	}
}

func TestTenantURLsActOnThatTenantOnly(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui", options: adminui.Config{TenantAllowed: allowTenants("default", "acme")}})

	res := p.post("/tenants/acme/accounts", url.Values{"label": {"Acme export"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	loc := res.Header.Get("Location")
	require.Regexp(t, `^/admin/ui/tenants/acme/accounts/[0-9a-f-]{36}\?done=account-created$`, loc)

	acme, err := p.mgr.Tenant("acme")
	require.NoError(t, err)
	page, err := acme.ListAccounts(context.Background(), serviceaccount.ListAccountsParams{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, "Acme export", page.Items[0].Label)
	def, err := p.mgr.ListAccounts(context.Background(), serviceaccount.ListAccountsParams{})
	require.NoError(t, err)
	assert.Empty(t, def.Items, "the default tenant holds nothing")

	// The account's page exists in its tenant only, and links stay there.
	res = p.get(strings.TrimPrefix(loc, "/admin/ui"))
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.body, `action="/admin/ui/tenants/acme/accounts/`)
	assert.NotContains(t, res.body, `action="/admin/ui/accounts/`)
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/admin/ui/tenants/acme/accounts/"), "?done=account-created")
	assert.Equal(t, http.StatusNotFound, p.get("/accounts/"+id).StatusCode, "not through the default tenant")

	// The list of the default tenant does not show it.
	res = p.get("/")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.NotContains(t, res.body, "Acme export")
	res = p.get("/tenants/acme/")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.body, "Acme export")
	// /tenants/default/ is the default tenant too.
	assert.Equal(t, http.StatusOK, p.get("/tenants/default/").StatusCode)
}

func TestTenantNotAllowedIs404AndMalformedIs400(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"}) // the default hook: only default
	res := p.get("/tenants/acme/")
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assertSecurityHeaders(t, res.Response)
	res = p.post("/tenants/acme/accounts", url.Values{"label": {"x"}})
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	acme, err := p.mgr.Tenant("acme")
	require.NoError(t, err)
	page, err := acme.ListAccounts(context.Background(), serviceaccount.ListAccountsParams{})
	require.NoError(t, err)
	assert.Empty(t, page.Items, "a refused tenant writes nothing")

	for _, bad := range []string{"/tenants/Acme/", "/tenants/-acme/", "/tenants/a_b/", "/tenants/" + strings.Repeat("a", 64) + "/"} {
		res = p.get(bad)
		assert.Equal(t, http.StatusBadRequest, res.StatusCode, bad)
		assert.Contains(t, res.body, "a tenant id is 1 to 63 characters", bad)
	}

	// An application may refuse even the default tenant.
	q := newPage(t, pageConfig{prefix: "/admin/ui", options: adminui.Config{TenantAllowed: allowTenants("acme")}})
	assert.Equal(t, http.StatusNotFound, q.get("/").StatusCode)
	assert.Equal(t, http.StatusOK, q.get("/tenants/acme/").StatusCode)
	assert.Equal(t, http.StatusOK, q.get("/assets/app.css").StatusCode, "the style sheet serves every page")
}

func TestTenantSwitcherAppearsOnlyWithMoreThanOneVisibleTenant(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	acme, err := p.mgr.Tenant("acme")
	require.NoError(t, err)
	_, err = acme.CreateAccount(context.Background(), serviceaccount.AccountInput{Label: "Acme"})
	require.NoError(t, err)
	res := p.get("/")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.NotContains(t, res.body, "tenant-switcher", "only default is visible")

	q := newPage(t, pageConfig{prefix: "/admin/ui", options: adminui.Config{TenantAllowed: allowTenants("default", "acme", "beta")}})
	acme, err = q.mgr.Tenant("acme")
	require.NoError(t, err)
	_, err = acme.CreateAccount(context.Background(), serviceaccount.AccountInput{Label: "Acme"})
	require.NoError(t, err)
	hidden, err := q.mgr.Tenant("hidden")
	require.NoError(t, err)
	_, err = hidden.CreateAccount(context.Background(), serviceaccount.AccountInput{Label: "Hidden"})
	require.NoError(t, err)

	res = q.get("/tenants/acme/")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.body, `class="tenant-switcher"`)
	assert.Contains(t, res.body, "Tenant: <strong>acme</strong>")
	assert.Contains(t, res.body, `<a href="/admin/ui/">default</a>`)
	assert.Contains(t, res.body, `<a href="/admin/ui/tenants/acme/" aria-current="page">acme</a>`)
	assert.NotContains(t, res.body, ">hidden<", "a tenant the administrator may not see is not listed")
	assert.NotContains(t, res.body, ">beta<", "beta holds nothing yet, so it is not listed")
}
