package embed_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	_ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqlite" // sqlite: URLs
)

// Example embeds the library in an application's own server: accounts in
// an SQLite file, the management API under /admin behind a token, and one
// route that needs study/{studyKey}/get-responses, limited by survey. On
// SIGINT or SIGTERM it finishes the requests in flight, then closes the
// middleware, which writes the last uses still in memory. (Compiled, not
// run: it serves until signalled.)
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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

	api, err := admin.New(mgr, admin.Config{
		// Who made each change, for the audit log.
		Actor: admin.RequestActor("admin-token"),
	})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin",
		admin.RequireBearerToken(os.Getenv("ADMIN_TOKEN"), api)))
	mux.Handle("GET /v1/studies/{studyKey}/responses", mw.Authenticate(
		mw.Require("study", middleware.PathValue("studyKey"), "get-responses",
			middleware.Attr("surveyKey", middleware.Query("surveyKey")),
		)(http.HandlerFunc(listResponses))))
	// NoRedirect: a plain ServeMux would answer DELETE …/api-keys/.. with a
	// redirect that clients follow, DELETE included.
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: admin.NoRedirect(mux), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()

	<-ctx.Done() // a signal: stop accepting, finish, then write the last uses
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		log.Print(err)
	}
	if err := mw.Close(shutdown); err != nil {
		log.Print(err)
	}
}

func listResponses(w http.ResponseWriter, r *http.Request) {
	p, _ := middleware.FromContext(r.Context())
	fmt.Fprintf(w, "responses of study %s for %s\n", r.PathValue("studyKey"), p.Label)
}
