package admin

import (
	"context"
	"errors"
	"net/http"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// codeInvalidTenant is the code of a malformed tenant id, as the
// middleware's.
const codeInvalidTenant = "invalid_tenant"

// PathTenant is the default Config.Tenant: the {tenant} path value of the
// /tenants/{tenant}/… routes, and store.DefaultTenant for the routes
// without it, so that an application with one tenant never meets the
// notion.
func PathTenant(r *http.Request) string {
	if t := r.PathValue("tenant"); t != "" {
		return t
	}
	return store.DefaultTenant
}

// tenantKey is the context key of the request's tenant view of the
// Manager, which inTenant puts there.
type tenantKey struct{}

// inTenant resolves the request's tenant (Config.Tenant), refuses a
// malformed id (400 invalid_tenant) and a tenant the administrator may not
// see (404, see Config.TenantAllowed), and calls fn with the tenant view
// of the Manager in the request's context, where mgr finds it: every
// Manager call of fn acts in that tenant and no other.
func (h *handler) inTenant(fn func(http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		m, err := h.tenantManager(r, h.tenant(r))
		if err != nil {
			return err
		}
		return fn(w, r.WithContext(context.WithValue(r.Context(), tenantKey{}, m)))
	}
}

// tenantManager is the view of tenant, or the problem that refuses it.
func (h *handler) tenantManager(r *http.Request, tenant string) (*serviceaccount.Manager, error) {
	m, err := h.m.Tenant(tenant)
	if err != nil {
		return nil, invalidTenant(err)
	}
	if h.allowed != nil && !h.allowed(r, tenant) {
		return nil, newProblem(http.StatusNotFound, "There is no tenant with this id.")
	}
	return m, nil
}

// invalidTenant is the 400 of a malformed tenant id; err, from
// store.CheckTenant, says what is wrong with it.
func invalidTenant(err error) *problem {
	detail := "The tenant id is malformed: 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit."
	if errors.Is(err, store.ErrInvalidTenant) {
		detail = capitalize(err.Error()) + "."
	}
	return newProblem(http.StatusBadRequest, detail).withCode(codeInvalidTenant)
}

// mgr is the Manager of the request's tenant. A route registered without
// inTenant has none: it gets the default tenant's, which is the Manager
// New was given.
func (h *handler) mgr(r *http.Request) *serviceaccount.Manager {
	if m, ok := r.Context().Value(tenantKey{}).(*serviceaccount.Manager); ok {
		return m
	}
	return h.m
}

// tenantOf is the tenant the request acts in, for the representations
// that name it.
func tenantOf(r *http.Request) string {
	if m, ok := r.Context().Value(tenantKey{}).(*serviceaccount.Manager); ok {
		return m.TenantID()
	}
	return store.DefaultTenant
}
