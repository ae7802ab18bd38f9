package admin

import (
	"errors"
	"log/slog"
	"net/http"
	"path"
	"reflect"
	"strings"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/internal/mount"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// MaxBodyBytes bounds a request body; a larger one is answered with 413.
const MaxBodyBytes = 1 << 20

// Config configures the handler built by New. The zero value is ready:
// errors logged to slog.Default(), no actor recorded.
type Config struct {
	// Logger receives the errors the handler answers with 500 or 503 (the
	// client only sees a generic detail). nil means slog.Default() at the
	// time of the request. Log lines carry the method, route pattern, path
	// and error; never a request body, a key or a hash.
	Logger *slog.Logger

	// Actor says who makes each change, for its audit event, from the
	// request (return false for none; nil: none). The application knows
	// who its administrators are; this is where it tells the audit log.
	// An actor the log cannot hold (an empty id, text over the limits of
	// serviceaccount.Actor) makes the change a 400 naming the actor's
	// field, and nothing is written. RequestActor is a ready-made one.
	Actor func(r *http.Request) (serviceaccount.Actor, bool)

	// Tenant says which tenant a request acts in, from the application's
	// own authentication (an administrator bound to one tenant) or from
	// the path. nil means PathTenant: the {tenant} of the
	// /tenants/{tenant}/… routes, and store.DefaultTenant for the others.
	// A malformed id is answered 400 with code invalid_tenant.
	Tenant func(r *http.Request) string

	// TenantAllowed says whether the request's administrator may see and
	// act in tenant; nil allows every tenant. A refused tenant is answered
	// 404 (not_found), like an id that names nothing, so that an
	// administrator cannot learn which tenants exist; GET /tenants lists
	// only the allowed ones. The database-wide default policy (PUT
	// /policy/defaults), which every tenant without its own uses, may be
	// changed only by an administrator allowed in store.DefaultTenant.
	TenantAllowed func(r *http.Request, tenant string) bool
}

// Handler is the management API: an http.Handler whose routes are
// relative to where it is mounted (see the package documentation).
type Handler struct{ h http.Handler }

// ServeHTTP serves the routes as NoRedirect does: a redirect computed
// behind http.StripPrefix would point outside the mount point anyway.
func (a *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.h.ServeHTTP(w, r) }

// New returns the management API for m; mount it with http.StripPrefix.
// A nil m is an error, so that a wiring mistake fails at start rather
// than on the first request.
func New(m *serviceaccount.Manager, cfg Config) (*Handler, error) {
	if m == nil {
		return nil, errors.New("admin: New needs a non-nil *serviceaccount.Manager")
	}
	h := &handler{m: m, logger: cfg.Logger, actor: cfg.Actor, tenant: cfg.Tenant, allowed: cfg.TenantAllowed, mux: http.NewServeMux()}
	if h.tenant == nil {
		h.tenant = PathTenant
	}
	h.routes()
	return &Handler{contractHook(h)}, nil
}

type handler struct {
	m      *serviceaccount.Manager
	logger *slog.Logger
	actor  func(*http.Request) (serviceaccount.Actor, bool) // nil: none
	// tenant is Config.Tenant, PathTenant when nil; allowed is
	// Config.TenantAllowed, nil for every tenant.
	tenant  func(*http.Request) string
	allowed func(*http.Request, string) bool
	mux     *http.ServeMux
}

// routes registers every route of a tenant twice, at its path (the
// default tenant, unless Config.Tenant says otherwise) and under
// /tenants/{tenant}, and the routes that are not a tenant's once.
func (h *handler) routes() {
	h.tenantRoutes("")
	h.tenantRoutes("/tenants/{tenant}")
	h.handle("GET /tenants", h.listTenants)
	h.handle("GET /policy/defaults", h.defaultPolicy)
	h.handle("PUT /policy/defaults", h.setDefaultPolicy)
	h.handle("GET /catalog", h.catalog)
	h.handle("GET /openapi.json", h.openAPI)
}

// tenantRoutes registers the routes that act in one tenant, under prefix.
func (h *handler) tenantRoutes(prefix string) {
	handle := func(pattern string, fn func(http.ResponseWriter, *http.Request) error) {
		method, path, _ := strings.Cut(pattern, " ")
		h.handle(method+" "+prefix+path, h.inTenant(fn))
	}
	handle("GET /service-accounts", h.listAccounts)
	handle("POST /service-accounts", h.createAccount)
	handle("GET /service-accounts/{id}", h.getAccount)
	handle("PUT /service-accounts/{id}", h.updateAccount)
	handle("PATCH /service-accounts/{id}", h.patchAccount)
	handle("DELETE /service-accounts/{id}", h.deleteAccount)
	handle("GET /service-accounts/{id}/api-keys", h.listKeys)
	handle("POST /service-accounts/{id}/api-keys", h.createKey)
	handle("GET /service-accounts/{id}/api-keys/{keyId}", h.getKey)
	handle("PATCH /service-accounts/{id}/api-keys/{keyId}", h.patchKey)
	handle("POST /service-accounts/{id}/api-keys/{keyId}/rotate", h.rotateKey)
	handle("DELETE /service-accounts/{id}/api-keys/{keyId}", h.deleteKey)
	handle("GET /api-keys", h.listAllKeys)
	handle("GET /policy", h.policy)
	handle("PUT /policy", h.setPolicy)
	handle("GET /service-accounts/{id}/permissions", h.listPermissions)
	handle("POST /service-accounts/{id}/permissions", h.addPermission)
	handle("PUT /service-accounts/{id}/permissions/{permissionId}/limiter", h.setLimiter)
	handle("GET /service-accounts/{id}/permissions/{permissionId}", h.getPermission)
	handle("DELETE /service-accounts/{id}/permissions/{permissionId}", h.deletePermission)
	handle("GET /audit-events", h.listAuditEvents)
	handle("POST /webhooks", h.createWebhook)
	handle("GET /webhooks", h.listWebhooks)
	handle("GET /webhooks/{id}", h.getWebhook)
	handle("DELETE /webhooks/{id}", h.deleteWebhook)
	handle("GET /webhooks/{id}/deliveries", h.listDeliveries)
}

// handle registers fn, whose returned error becomes a problem response.
func (h *handler) handle(pattern string, fn func(http.ResponseWriter, *http.Request) error) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if h.actor != nil {
			if a, ok := h.actor(r); ok {
				r = r.WithContext(serviceaccount.WithActor(r.Context(), a))
			}
		}
		if r.Method == http.MethodPut || r.Method == http.MethodPatch || r.Method == http.MethodDelete {
			r = withIfMatch(r)
		}
		if err := fn(w, r); err != nil {
			h.writeError(w, r, err)
		}
	})
}

// ServeHTTP is Handler's.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serveNoRedirect(h.mux, w, r)
}

// NoRedirect serves mux, except that it never redirects and answers in
// problem+json what mux would answer in plain text:
//
//   - a path that needs cleaning ("..", ".", "//") or that mux would
//     redirect to add a trailing slash is 404, whatever the method. A
//     ServeMux answers such a request with 307 or 301 to the cleaned path,
//     and a client that follows redirects (curl -L, Go's http.Client)
//     resends a DELETE there with its Authorization header:
//     DELETE /admin/service-accounts/A/api-keys/.. would delete account A.
//   - no route: 404; a route for another method: 405 with Allow.
//
// Mount the management API on an outer mux wrapped in NoRedirect (as the
// example server does); New's handler applies the same rules to its own
// routes.
func NoRedirect(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveNoRedirect(mux, w, r)
	})
}

// redirectType is the type of the handler ServeMux.Handler returns for a
// request it would redirect.
var redirectType = reflect.TypeOf(http.RedirectHandler("/", http.StatusTemporaryRedirect))

func serveNoRedirect(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	if !cleanPath(r.URL.EscapedPath()) {
		writeProblem(w, newProblem(http.StatusNotFound, "There is no resource at this path."))
		return
	}
	h, pattern := mux.Handler(r)
	if reflect.TypeOf(h) == redirectType {
		writeProblem(w, newProblem(http.StatusNotFound, "There is no resource at this path."))
		return
	}
	if pattern == "" {
		if allow, ok := mount.MethodNotAllowed(h, r); ok {
			w.Header().Set("Allow", allow)
			writeProblem(w, newProblem(http.StatusMethodNotAllowed,
				"The method "+r.Method+" is not allowed on this resource; allowed: "+allow+"."))
			return
		}
		writeProblem(w, newProblem(http.StatusNotFound, "There is no resource at this path."))
		return
	}
	mux.ServeHTTP(w, r)
}

// cleanPath reports whether p is a path ServeMux serves without
// redirecting to clean it: rooted, and without "//", "." or ".." segments
// (a trailing slash is kept by the mux's cleaning, so it is allowed).
func cleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	return c == p || c+"/" == p
}

func (h *handler) log() *slog.Logger {
	if h.logger != nil {
		return h.logger
	}
	return slog.Default()
}

func (h *handler) catalog(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, apijson.NewCatalog(h.m.Catalog()))
}
