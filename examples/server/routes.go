package main

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/auththrottle"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// adminActorID is who the audit log says made a change through /admin:
// the example server has one administrator, whoever holds the token.
const adminActorID = "admin-token"

// routes wires the management API, the admin page, the operations
// endpoints and the demonstration routes, on one mux (a second mux in
// front would match every request twice). The demonstration handlers
// return canned data: what matters is who gets in.
//
// The admin API and the page's login each throttle wrong tokens per client
// address (cfg.clientAddr), each with a throttle of its own on clock.
func routes(mgr *serviceaccount.Manager, mw *middleware.Middleware, cfg config, clock clockwork.Clock, log *slog.Logger, ops operations) (http.Handler, error) {
	mux := http.NewServeMux()
	ops.register(mux, log)
	apiThrottle, err := auththrottle.New(auththrottle.Config{Clock: clock})
	if err != nil {
		return nil, err
	}
	apiHandler, err := admin.New(mgr, admin.Config{Logger: log, Actor: admin.RequestActor(adminActorID)})
	if err != nil {
		return nil, err
	}
	api, err := admin.NewBearerAuth(admin.BearerConfig{Token: cfg.adminToken, ClientAddr: cfg.clientAddr, Throttle: apiThrottle}, apiHandler)
	if err != nil {
		return nil, err
	}
	mux.Handle("/admin/", http.StripPrefix("/admin", api))
	if err := mountUI(mux, mgr, cfg, log, clock); err != nil {
		return nil, err
	}

	study := middleware.PathValue("studyKey")
	protect := func(pattern string, require func(http.Handler) http.Handler, h http.HandlerFunc) {
		mux.Handle(pattern, mw.Authenticate(require(h)))
	}
	anyKey := func(h http.Handler) http.Handler { return h }

	protect("GET /v1/whoami", anyKey, whoami)
	// listed protects GET /v1/studies/{studyKey}/{name}: its optional
	// query parameter filter is the attribute a permission's limiter
	// matches, and the answer echoes it.
	listed := func(name, action, filter string) {
		protect("GET /v1/studies/{studyKey}/"+name,
			mw.Require("study", study, action, middleware.Attr(filter, middleware.Query(filter))),
			func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, map[string]any{
					"studyKey": r.PathValue("studyKey"),
					filter:     nullable(r.URL.Query().Get(filter)),
					name:       []any{},
				})
			})
	}
	listed("responses", "get-responses", "surveyKey")
	listed("reports", "get-reports", "reportKey")
	protect("POST /v1/studies/{studyKey}/surveys/{surveyKey}/unpublish",
		mw.Require("study", study, "unpublish-survey", middleware.Attr("surveyKey", middleware.PathValue("surveyKey"))),
		func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, map[string]any{
				"studyKey":    r.PathValue("studyKey"),
				"surveyKey":   r.PathValue("surveyKey"),
				"unpublished": true,
			})
		})
	if err := mountSecretScanning(mux, mgr, cfg, clock, log); err != nil {
		return nil, err
	}
	// The outer mux never redirects (a DELETE of …/api-keys/.. would be
	// sent on to the account) and answers its 404 and 405 in problem+json.
	return admin.NoRedirect(mux), nil
}

func whoami(w http.ResponseWriter, r *http.Request) {
	p, _ := middleware.FromContext(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{
		"serviceAccountId": p.AccountID,
		"keyId":            p.KeyID,
		"label":            p.Label,
		"tenant":           p.Tenant,
		"metadata":         p.Metadata,
		"accountMetadata":  p.AccountMetadata,
	})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
