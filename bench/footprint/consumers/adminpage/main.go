// Command adminpage is the footprint tool's admin-page consumer: accounts
// in memory, managed through the admin page and the admin API. It should
// pull in no database driver, browser driver, CLI framework or exporter.
package main

import (
	"log"
	"net/http"
	"os"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/adminui"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

func main() {
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	if err != nil {
		log.Fatal(err)
	}
	api, err := admin.New(mgr, admin.Config{})
	if err != nil {
		log.Fatal(err)
	}
	page, err := adminui.New(mgr, adminui.Config{Prefix: "/admin/ui"})
	if err != nil {
		log.Fatal(err)
	}
	token := os.Getenv("ADMIN_TOKEN")
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", admin.RequireBearerToken(token, api)))
	// The page carries no authentication of its own: the application
	// wraps it in its own (here the same bearer token, for brevity).
	mux.Handle("/admin/ui/", http.StripPrefix("/admin/ui", admin.RequireBearerToken(token, page)))
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
