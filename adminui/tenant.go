package adminui

import (
	"context"
	"net/http"
	"strings"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// tenantKey is the context key of the request's tenantScope.
type tenantKey struct{}

// tenantScope is the tenant a request acts in, chosen by its URL
// (/tenants/{tenant}/…, or the mount's root for store.DefaultTenant): the
// page never keeps the tenant in a cookie, so a link or a bookmark always
// says which tenant it acts on, and a form cannot post to another tenant
// than the page it came from.
type tenantScope struct {
	m    *serviceaccount.Manager // the Manager's view of the tenant
	id   string
	root string // the mount prefix, no trailing slash
	base string // root, or root+"/tenants/{id}": every link of the page
}

// mgr is the Manager view of the request's tenant; every read and change
// goes through it, so a page of one tenant never shows another's record.
func (h *handler) mgr(r *http.Request) *serviceaccount.Manager {
	if s, ok := r.Context().Value(tenantKey{}).(*tenantScope); ok {
		return s.m
	}
	return h.m
}

// tenantAllowed is Config.TenantAllowed, or by default only
// store.DefaultTenant: an application that does not say otherwise shows
// no tenant but the default one.
func (h *handler) tenantAllowed(r *http.Request, id string) bool {
	if h.opts.TenantAllowed == nil {
		return id == store.DefaultTenant
	}
	return h.opts.TenantAllowed(r, id)
}

// scopeTenant takes the tenant from r's path (p, already cleaned) and
// returns the request to serve, with the path relative to the tenant, or
// writes the refusal: 400 for a malformed tenant id, 404 for one the
// administrator may not see (the same answer as for a tenant that does not
// exist, so the page does not tell which tenants there are).
func (h *handler) scopeTenant(w http.ResponseWriter, r *http.Request, p string) (*http.Request, bool) {
	root := h.base(r)
	id, rest := store.DefaultTenant, p
	if after, ok := strings.CutPrefix(p, "/tenants/"); ok {
		seg, tail, _ := strings.Cut(after, "/")
		if err := store.CheckTenant(seg); err != nil {
			h.errorPage(w, r, http.StatusBadRequest,
				"The address names a tenant that cannot exist: a tenant id is 1 to 63 characters of a to z, 0 to 9 and hyphens, starting and ending with a letter or digit.")
			return nil, false
		}
		id, rest = seg, "/"+tail
	} else if strings.HasPrefix(p, "/assets/") {
		// The style sheet and script serve every page, error pages included.
		return r, true
	}
	if !h.tenantAllowed(r, id) {
		h.errorPage(w, r, http.StatusNotFound, "There is no page at this address.")
		return nil, false
	}
	m, err := h.m.Tenant(id)
	if err != nil { // CheckTenant passed: not expected
		h.errorPage(w, r, http.StatusBadRequest, "The address names a tenant that cannot exist.")
		return nil, false
	}
	s := &tenantScope{m: m, id: id, root: root, base: root}
	if rest != p {
		s.base = root + "/tenants/" + id
	}
	r2 := r.WithContext(context.WithValue(r.Context(), tenantKey{}, s))
	u := *r.URL
	u.Path, u.RawPath = rest, ""
	r2.URL = &u
	return r2, true
}

// tenantLink is one tenant in the switcher.
type tenantLink struct {
	ID      string
	URL     string
	Current bool
}

// maxSwitcherPages bounds how many pages of tenants the switcher reads, so
// a database of very many tenants cannot make every page slow.
const maxSwitcherPages = 4

// tenantLinks lists the tenants the administrator may see, for the
// switcher: nil when there is only one, so the control does not appear.
// The current tenant is always among them, even while it holds nothing
// (ListTenants lists only tenants with accounts or a policy).
func (h *handler) tenantLinks(r *http.Request) ([]tenantLink, error) {
	s, ok := r.Context().Value(tenantKey{}).(*tenantScope)
	if !ok {
		return nil, nil
	}
	ids := []string{}
	seen := map[string]bool{}
	add := func(id string) {
		if !seen[id] && h.tenantAllowed(r, id) {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	add(store.DefaultTenant)
	cursor := ""
	for range maxSwitcherPages {
		page, err := h.m.ListTenants(r.Context(), serviceaccount.ListTenantsParams{Limit: serviceaccount.MaxPageSize, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		for _, t := range page.Items {
			add(t.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	add(s.id)
	if len(ids) < 2 {
		return nil, nil
	}
	links := make([]tenantLink, 0, len(ids))
	for _, id := range ids {
		u := s.root + "/tenants/" + id + "/"
		if id == store.DefaultTenant {
			u = s.root + "/"
		}
		links = append(links, tenantLink{ID: id, URL: u, Current: id == s.id})
	}
	return links, nil
}
