package middleware

import (
	"net/http"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// TenantHeader returns a Config.TenantFrom that reads the tenant from the
// request header name, as the example server reads X-Tenant. An absent or
// empty header names no tenant. A repeated header is refused as a
// malformed tenant (its values joined never form a tenant id): a proxy
// that checks another of its values must not be fooled.
func TenantHeader(name string) func(r *http.Request) (string, bool) {
	key := http.CanonicalHeaderKey(name)
	return func(r *http.Request) (string, bool) {
		v := r.Header[key]
		switch {
		case len(v) == 0:
			return "", false
		case len(v) > 1:
			return ",", true
		}
		return v[0], v[0] != ""
	}
}

// checkTenant refuses a request whose Config.TenantFrom names a malformed
// tenant (ErrInvalidTenant) or another tenant than its key's
// (ErrWrongTenant). The key's tenant is compared first: a request for the
// key's own tenant, the usual case, costs one string comparison.
func (m *Middleware) checkTenant(r *http.Request, e *entry) error {
	t, ok := m.tenantFrom(r)
	if !ok || t == e.principal.Tenant {
		return nil
	}
	if store.CheckTenant(t) != nil {
		return ErrInvalidTenant
	}
	return ErrWrongTenant
}
