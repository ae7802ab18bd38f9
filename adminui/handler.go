package adminui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/internal/mount"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// ContentSecurityPolicy is sent with every response. Scripts and styles
// come only from the page's own embedded files, so an injected tag or
// attribute cannot run; forms post only to the page's own origin.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// maxFormBytes bounds a form body. The largest form, a permission with its
// limiter, is far smaller; anything bigger is a mistake or an attack.
const maxFormBytes = 64 << 10

// Config configures the page. Every field is optional: the zero value
// recovers the prefix from each request, records no actor, shows UTC and
// logs to slog.Default().
type Config struct {
	// Prefix is the escaped path the handler is mounted at, such as
	// "/admin/ui", used to build every link, form action and redirect.
	// Empty: recovered from each request as the part of the request line
	// that http.StripPrefix removed, which is right for the usual
	// mux.Handle("/admin/ui/", http.StripPrefix("/admin/ui", h)).
	Prefix string

	// Actor says who makes a change, for the audit log, from the request
	// the application has already authenticated; false or nil: unknown
	// (null in the log). admin.RequestActor has the same shape.
	Actor func(*http.Request) (serviceaccount.Actor, bool)

	// CrossOriginProtection checks every POST. nil: a fresh
	// http.NewCrossOriginProtection(), which refuses requests that a
	// browser marks as cross-site. Pass your own to trust further origins.
	CrossOriginProtection *http.CrossOriginProtection

	// Location is the time zone times are shown in and expiry dates are
	// picked in. nil: UTC.
	Location *time.Location

	// TenantAllowed says whether the request's administrator may see
	// tenant (the application's decision, from the request it has
	// authenticated). The page acts on the tenant its URL names,
	// <prefix>/tenants/{tenant}/…, and on store.DefaultTenant at
	// <prefix>/; a tenant not allowed is answered 404, a malformed one 400.
	// When more than one tenant is allowed, the header shows a switcher.
	// nil: only store.DefaultTenant. admin.Config has the same hook.
	TenantAllowed func(r *http.Request, tenant string) bool

	// LogoutURL, when set, puts a "Log out" button in the page's header
	// that posts to this address (the application's own sign-out, which
	// is outside the page).
	LogoutURL string

	// Logger receives the errors answered with 503 (the page only says
	// the store could not be reached). nil: slog.Default() at the time of
	// the request. Lines never carry a form value, a key or a hash.
	Logger *slog.Logger
}

// Handler is the admin page: an http.Handler whose routes are relative to
// where it is mounted (see the package documentation).
type Handler struct{ h *handler }

// ServeHTTP serves the page (see handler.ServeHTTP for what it refuses).
func (p *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.h.ServeHTTP(w, r) }

// New returns the admin page for m, or an error when m is nil or
// cfg.Prefix is not an absolute, escaped path: wiring mistakes fail at
// start rather than on the first request.
func New(m *serviceaccount.Manager, cfg Config) (*Handler, error) {
	if m == nil {
		return nil, errors.New("adminui: New needs a non-nil *serviceaccount.Manager")
	}
	if err := checkPrefix(cfg.Prefix); err != nil {
		return nil, err
	}
	if cfg.CrossOriginProtection == nil {
		cfg.CrossOriginProtection = http.NewCrossOriginProtection()
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	h := &handler{m: m, opts: cfg, mux: http.NewServeMux(), catalog: newCatalogView(m.Catalog().ResourceTypes())}
	h.routes()
	return &Handler{h}, nil
}

// checkPrefix refuses a prefix that would make links relative, point to
// another host ("//host") or carry a query: every link is prefix+"/…".
func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	u, err := url.Parse(prefix)
	if err != nil || !strings.HasPrefix(prefix, "/") || strings.HasPrefix(prefix, "//") ||
		u.RawQuery != "" || u.Fragment != "" || u.EscapedPath() != prefix {
		return fmt.Errorf("adminui: Config.Prefix %q is not an absolute, escaped path such as \"/admin/ui\"", prefix)
	}
	return nil
}

type handler struct {
	m       *serviceaccount.Manager
	opts    Config
	mux     *http.ServeMux
	catalog catalogView
}

func (h *handler) routes() {
	h.handle("GET /{$}", h.listPage)
	h.handle("POST /accounts", h.createAccount)
	h.handle("GET /accounts/{id}", h.accountPage)
	h.handle("POST /accounts/{id}", h.updateAccount)
	h.handle("POST /accounts/{id}/delete", h.deleteAccount)
	h.handle("POST /accounts/{id}/keys", h.createKey)
	h.handle("POST /accounts/{id}/keys/{keyId}/delete", h.deleteChild("keyId", (*serviceaccount.Manager).DeleteKey, "key-deleted"))
	h.handle("POST /accounts/{id}/keys/{keyId}/rotate", h.rotateKey)
	h.handle("POST /accounts/{id}/keys/{keyId}/name", h.renameKey)
	h.handle("POST /accounts/{id}/keys/{keyId}/restrictions", h.editRestrictions)
	h.handle("POST /accounts/{id}/keys/{keyId}/disable", h.setKeyDisabled(true, "key-disabled"))
	h.handle("POST /accounts/{id}/keys/{keyId}/enable", h.setKeyDisabled(false, "key-enabled"))
	h.handle("POST /accounts/{id}/disable", h.setAccountDisabled(true, "account-disabled"))
	h.handle("POST /accounts/{id}/enable", h.setAccountDisabled(false, "account-enabled"))
	h.handle("GET /keys", h.hygienePage)
	h.handle("POST /accounts/{id}/permissions", h.addPermission)
	h.handle("POST /accounts/{id}/permissions/{permissionId}/limiter", h.setLimiter)
	h.handle("POST /accounts/{id}/permissions/{permissionId}/delete", h.deleteChild("permissionId", (*serviceaccount.Manager).DeletePermission, "permission-deleted"))
	h.handle("GET /accounts/{id}/activity", h.activityPage)
	h.handle("GET /webhooks", h.webhooksPage)
	h.handle("POST /webhooks", h.createWebhook)
	h.handle("GET /webhooks/{webhookId}", h.webhookPage)
	h.handle("POST /webhooks/{webhookId}/delete", h.deleteWebhook)
	h.handle("GET /policy", h.policyPage)
	h.handle("POST /policy", h.savePolicy)
	h.handle("GET /assets/{name}", h.asset)
}

// handle registers fn; its error becomes an error page.
func (h *handler) handle(pattern string, fn func(http.ResponseWriter, *http.Request) error) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			h.writeError(w, r, err)
		}
	})
}

// ServeHTTP sets the security headers on every response, refuses
// cross-origin POSTs, and answers 404 rather than redirecting a path that
// needs cleaning: a redirect computed behind http.StripPrefix would point
// outside the mount point, and a redirected POST would be replayed as GET.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")

	p := r.URL.Path
	if p == "" || p[0] != '/' {
		// Mounted with http.StripPrefix("/admin/ui/", …): the path lost
		// its leading slash, which mount.Prefix accounts for.
		p = "/" + p
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/" // a tenant's root, /tenants/{tenant}/; the mux 404s any other
	}
	if clean != p {
		h.errorPage(w, r, http.StatusNotFound, "There is no page at this address.")
		return
	}
	if p != r.URL.Path {
		r2 := *r
		u := *r.URL
		u.Path, u.RawPath = p, ""
		r2.URL = &u
		r = &r2
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if err := h.opts.CrossOriginProtection.Check(r); err != nil {
			h.errorPage(w, r, http.StatusForbidden,
				"This form was sent from another site, so it was refused. Open the page itself and try again.")
			return
		}
	}
	r, ok := h.scopeTenant(w, r, p)
	if !ok {
		return
	}
	if _, pattern := h.mux.Handler(r); pattern == "" {
		if allow, ok := mount.MethodNotAllowed(h.mux, r); ok {
			hd.Set("Allow", allow)
			h.errorPage(w, r, http.StatusMethodNotAllowed, "This page cannot be used with "+r.Method+".")
			return
		}
		h.errorPage(w, r, http.StatusNotFound, "There is no page at this address.")
		return
	}
	h.mux.ServeHTTP(w, r)
}

// base is the escaped mount prefix without a trailing slash, so that
// base+"/accounts/…" is always a well-formed absolute path.
func (h *handler) base(r *http.Request) string {
	if s, ok := r.Context().Value(tenantKey{}).(*tenantScope); ok {
		return s.base
	}
	prefix := h.opts.Prefix
	if prefix == "" {
		prefix = mount.Prefix(r)
	}
	return strings.TrimRight(prefix, "/")
}

func (h *handler) log() *slog.Logger {
	if h.opts.Logger != nil {
		return h.opts.Logger
	}
	return slog.Default()
}

// changeContext is the context a change runs in: it carries the actor for
// the audit log.
func (h *handler) changeContext(r *http.Request) context.Context {
	if h.opts.Actor == nil {
		return r.Context()
	}
	actor, ok := h.opts.Actor(r)
	if !ok {
		return r.Context()
	}
	return serviceaccount.WithActor(r.Context(), actor)
}
