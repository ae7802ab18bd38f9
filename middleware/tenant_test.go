package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

func TestTenantCheck(t *testing.T) {
	withTenant := func(c *middleware.Config) { c.TenantFrom = middleware.TenantHeader("X-Tenant") }
	f := newFixture(t, withTenant)

	protect := http.NewServeMux()
	protect.Handle("GET /studies/{studyKey}/responses", f.mw.Protect(
		middleware.Need("study", middleware.PathValue("studyKey"), "get-responses",
			middleware.Attr("surveyKey", middleware.Query("surveyKey"))),
		func(w http.ResponseWriter, r *http.Request, p middleware.Principal) {
			w.Write([]byte(p.Tenant))
		}))
	handlers := map[string]http.Handler{"Authenticate": f.handler(), "Protect": protect}

	request := func(target, key string, tenants ...string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		if key != "" {
			r.Header.Set("Authorization", "Bearer "+key)
		}
		for _, tn := range tenants {
			r.Header.Add("X-Tenant", tn)
		}
		return r
	}
	const allowed = "/studies/tekenradar/responses?surveyKey=s1"
	const denied = "/studies/tekenradar/responses?surveyKey=s9"

	for name, h := range handlers {
		t.Run(name, func(t *testing.T) {
			t.Run("AbsentOrEmptyMeansNoCheck", func(t *testing.T) {
				require.Equal(t, http.StatusOK, serve(h, request(allowed, f.key)).Code)
				require.Equal(t, http.StatusOK, serve(h, request(allowed, f.key, "")).Code)
			})
			t.Run("TheKeysTenantPasses", func(t *testing.T) {
				w := serve(h, request(allowed, f.key, "default"))
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			})
			t.Run("AnotherTenantIs403WrongTenant", func(t *testing.T) {
				requireCode(t, serve(h, request(allowed, f.key, "acme")), http.StatusForbidden, "wrong_tenant")
			})
			t.Run("TheTenantIsCheckedBeforeThePermission", func(t *testing.T) {
				requireCode(t, serve(h, request(denied, f.key, "acme")), http.StatusForbidden, "wrong_tenant")
				requireCode(t, serve(h, request(denied, f.key, "default")), http.StatusForbidden, "forbidden")
			})
			t.Run("MalformedIs400InvalidTenant", func(t *testing.T) {
				for _, tn := range []string{"Acme", "-acme", "acme-", "a_b", "a b", string(make([]byte, 64))} {
					requireCode(t, serve(h, request(allowed, f.key, tn)), http.StatusBadRequest, "invalid_tenant")
				}
			})
			t.Run("ARepeatedHeaderIs400InvalidTenant", func(t *testing.T) {
				requireCode(t, serve(h, request(allowed, f.key, "default", "default")), http.StatusBadRequest, "invalid_tenant")
			})
			t.Run("AuthenticationComesFirst", func(t *testing.T) {
				requireCode(t, serve(h, request(allowed, "", "Bad!")), http.StatusUnauthorized, "no_credentials")
				requireCode(t, serve(h, request(allowed, otherKey(t), "acme")), http.StatusUnauthorized, "unknown_key")
			})
		})
	}
	t.Run("ThePrincipalCarriesTheKeysTenant", func(t *testing.T) {
		w := serve(protect, request(allowed, f.key))
		require.Equal(t, "default", w.Body.String())
		p, err := f.mw.Verify(t.Context(), f.key)
		require.NoError(t, err)
		require.Equal(t, "default", p.Tenant)
	})
}

func TestTenantCheckIsOffWithoutTenantFrom(t *testing.T) {
	f := newFixture(t)
	r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
	r.Header.Set("Authorization", "Bearer "+f.key)
	r.Header.Set("X-Tenant", "Not a tenant!")
	require.Equal(t, http.StatusOK, serve(f.handler(), r).Code)
}

func TestTenantHeader(t *testing.T) {
	read := middleware.TenantHeader("x-tenant")
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	_, ok := read(r)
	require.False(t, ok)
	r.Header.Set("X-Tenant", "")
	_, ok = read(r)
	require.False(t, ok)
	r.Header.Set("X-Tenant", "acme")
	tn, ok := read(r)
	require.True(t, ok)
	require.Equal(t, "acme", tn)
	r.Header.Add("X-Tenant", "acme")
	tn, ok = read(r)
	require.True(t, ok)
	require.Equal(t, ",", tn)
}

// A key of another tenant than default: the principal carries it, and
// the check compares with it.
func TestTenantCheckOfAKeyInATenant(t *testing.T) {
	f := newFixture(t, func(c *middleware.Config) { c.TenantFrom = middleware.TenantHeader("X-Tenant") })
	acme, err := f.mgr.Tenant("acme")
	require.NoError(t, err)
	a, err := acme.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "acme"})
	require.NoError(t, err)
	k, err := acme.CreateKey(t.Context(), a.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	h := f.handler()
	for tenant, status := range map[string]int{"": http.StatusOK, "acme": http.StatusOK, "default": http.StatusForbidden, "globex": http.StatusForbidden} {
		r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
		r.Header.Set("Authorization", "Bearer "+k.Plaintext)
		r.Header.Set("X-Tenant", tenant)
		w := serve(h, r)
		require.Equal(t, status, w.Code, "%q: %s", tenant, w.Body)
	}
	p, err := f.mw.Verify(t.Context(), k.Plaintext)
	require.NoError(t, err)
	require.Equal(t, "acme", p.Tenant)
}
