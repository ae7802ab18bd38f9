package embed_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
)

// Example embeds the library in an application's own server: accounts in
// an SQLite file, the management API under /admin behind a token, and one
// route that needs study/{studyKey}/get-responses, limited by survey.
// (Compiled, not run: it serves forever.)
func Example() {
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
	defer mw.Close(ctx) // writes the last-used times still in memory

	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin",
		admin.RequireBearerToken(os.Getenv("ADMIN_TOKEN"), admin.New(mgr))))
	mux.Handle("GET /v1/studies/{studyKey}/responses", mw.Authenticate(
		middleware.Require("study", middleware.PathValue("studyKey"), "get-responses",
			middleware.Attr("surveyKey", middleware.Query("surveyKey")),
		)(http.HandlerFunc(listResponses))))
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", mux))
}

func listResponses(w http.ResponseWriter, r *http.Request) {
	p, _ := middleware.FromContext(r.Context())
	fmt.Fprintf(w, "responses of study %s for %s\n", r.PathValue("studyKey"), p.Label)
}
