package main_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// getWithTenant sends GET path with the key and, unless tenant is nil, an
// X-Tenant header; it returns the status and the body.
func getWithTenant(t *testing.T, base, path, key string, tenant *string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	if tenant != nil {
		req.Header.Set("X-Tenant", *tenant)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

// The protected routes check X-Tenant right after authentication, and
// whoami names the key's tenant.
func TestProtectedRoutesCheckXTenant(t *testing.T) {
	t.Parallel()
	srv := start(t, "memory:")
	c := client{t: t, base: srv.url}
	id := c.do("POST", "/admin/service-accounts", adminToken, `{"label":"tenants"}`, http.StatusCreated)["id"].(string)
	key := c.do("POST", "/admin/service-accounts/"+id+"/api-keys", adminToken, "", http.StatusCreated)["key"].(string)

	require.Equal(t, "default", c.do("GET", "/v1/whoami", key, "", http.StatusOK)["tenant"])
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		tenant *string
		status int
		code   string
	}{
		{nil, http.StatusOK, ""},
		{str(""), http.StatusOK, ""},
		{str("default"), http.StatusOK, ""},
		{str("acme"), http.StatusForbidden, `"code":"wrong_tenant"`},
		{str("Not-A-Tenant"), http.StatusBadRequest, `"code":"invalid_tenant"`},
	} {
		for _, path := range []string{"/v1/whoami", "/v1/studies/tekenradar/responses"} {
			status, body := getWithTenant(t, srv.url, path, key, tc.tenant)
			if path != "/v1/whoami" && tc.status == http.StatusOK {
				// No permission: the tenant passed, the permission did not.
				require.Equal(t, http.StatusForbidden, status, body)
				require.Contains(t, body, `"code":"forbidden"`)
				continue
			}
			require.Equal(t, tc.status, status, "%s X-Tenant %v: %s", path, tc.tenant, body)
			require.Contains(t, body, tc.code)
		}
	}

	// A key of tenant acme, made through the admin API's tenant routes.
	acme := c.do("POST", "/admin/tenants/acme/service-accounts", adminToken, `{"label":"acme"}`, http.StatusCreated)
	require.Equal(t, "acme", acme["tenant"])
	acmeKey := c.do("POST", "/admin/tenants/acme/service-accounts/"+acme["id"].(string)+"/api-keys", adminToken, "", http.StatusCreated)
	require.Equal(t, "acme", acmeKey["tenant"])
	status, body := getWithTenant(t, srv.url, "/v1/whoami", acmeKey["key"].(string), str("acme"))
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, body, `"tenant":"acme"`)
	status, body = getWithTenant(t, srv.url, "/v1/whoami", acmeKey["key"].(string), str("default"))
	require.Equal(t, http.StatusForbidden, status, body)
	c.do("GET", "/admin/service-accounts/"+acme["id"].(string), adminToken, "", http.StatusNotFound)
	tenants := c.do("GET", "/admin/tenants", adminToken, "", http.StatusOK)
	require.Len(t, tenants["items"], 2) // acme and default, each with one account
	srv.stop()
}
