// Command memory is the footprint tool's smallest consumer: an application
// that keeps its accounts in memory and guards one route with the
// middleware. What it downloads and links is the least any application
// pays for the library.
package main

import (
	"log"
	"net/http"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

func main() {
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
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
