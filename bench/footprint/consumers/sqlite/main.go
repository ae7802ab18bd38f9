// Command sqlite is the footprint tool's SQLite consumer: the memory
// consumer with its accounts in an SQLite file instead. It should link the
// SQLite driver and no other database driver.
package main

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	_ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqlite" // sqlite: URLs
)

func main() {
	ctx := context.Background()
	db, err := sqlstore.OpenDB(ctx, "sqlite:accounts.db")
	if err != nil {
		log.Fatal(err)
	}
	if err := sqlstore.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}
	st, err := sqlstore.New(db)
	if err != nil {
		log.Fatal(err)
	}
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: st})
	if err != nil {
		log.Fatal(err)
	}
	mw, err := middleware.New(middleware.Config{Manager: mgr})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/studies/{studyKey}", mw.Authenticate(
		mw.Require("study", middleware.PathValue("studyKey"), "get")(http.HandlerFunc(
			func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))))
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
