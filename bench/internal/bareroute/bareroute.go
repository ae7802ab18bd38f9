// Package bareroute is the load comparison's reference route: the example
// server's protected route and JSON, with no authentication, no permission
// check and no log. It imports net/http and nothing of the library, so
// that a program serving it stays as small as net/http allows.
package bareroute

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"
)

// Serve serves the route on addr until the process ends; it exits the
// process when it cannot listen.
func Serve(addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("GET /v1/studies/{studyKey}/responses", func(w http.ResponseWriter, r *http.Request) {
		surveyKey := any(nil)
		if s := r.URL.Query().Get("surveyKey"); s != "" {
			surveyKey = s
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"studyKey":  r.PathValue("studyKey"),
			"surveyKey": surveyKey,
			"responses": []any{},
		})
	})
	// The example server's limits and timeouts (its defaults), so that
	// the servers differ only in what the comparison is about.
	srv := &http.Server{
		Addr: addr, Handler: mux, MaxHeaderBytes: 64 << 10,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second,
	}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "bare server:", err)
		os.Exit(1)
	}
}
