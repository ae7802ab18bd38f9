package middleware_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// Example protects a route of a net/http ServeMux: the study comes from
// the path, and the survey the account's limiter checks from the query.
func Example() {
	ctx := context.Background()
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	if err != nil {
		log.Fatal(err)
	}
	acct, err := mgr.CreateAccount(ctx, serviceaccount.AccountInput{Label: "Nightly export"})
	if err != nil {
		log.Fatal(err)
	}
	_, err = mgr.AddPermission(ctx, acct.ID, serviceaccount.PermissionInput{
		ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses",
		Limiter: json.RawMessage(`[{"surveyKey": ["intake", "weekly"]}]`),
	})
	if err != nil {
		log.Fatal(err)
	}
	key, err := mgr.CreateKey(ctx, acct.ID, serviceaccount.CreateKeyInput{})
	if err != nil {
		log.Fatal(err)
	}

	mw, err := middleware.New(middleware.Config{Manager: mgr})
	if err != nil {
		log.Fatal(err)
	}
	defer mw.Close(ctx) // after the server has shut down: writes the last uses

	mux := http.NewServeMux()
	mux.Handle("GET /v1/studies/{studyKey}/responses",
		middleware.Require("study", middleware.PathValue("studyKey"), "get-responses",
			middleware.Attr("surveyKey", middleware.Query("surveyKey")),
		)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, _ := middleware.FromContext(r.Context())
			fmt.Fprintf(w, "responses of %s for %s", r.PathValue("studyKey"), p.Label)
		})))
	handler := mw.Authenticate(mux)

	for _, c := range []struct{ target, key string }{
		{"/v1/studies/tekenradar/responses?surveyKey=weekly", key.Plaintext},
		{"/v1/studies/tekenradar/responses?surveyKey=exit", key.Plaintext},
		{"/v1/studies/other/responses?surveyKey=weekly", key.Plaintext},
		{"/v1/studies/tekenradar/responses?surveyKey=weekly", ""},
	} {
		r := httptest.NewRequest(http.MethodGet, c.target, nil)
		if c.key != "" {
			r.Header.Set("Authorization", "Bearer "+c.key)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		if w.Code == http.StatusOK {
			fmt.Println(w.Code, w.Body)
			continue
		}
		var p middleware.Problem
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			log.Fatal(err)
		}
		fmt.Println(w.Code, p.Detail)
	}
	// Output:
	// 200 responses of tekenradar for Nightly export
	// 403 missing permission study/tekenradar/get-responses: the account holds it only with a limiter that the request does not match
	// 403 missing permission study/other/get-responses
	// 401 an API key is required: send it as Authorization: Bearer <key> or in the X-API-Key header
}
