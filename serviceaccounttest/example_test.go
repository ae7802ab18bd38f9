package serviceaccounttest_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccounttest"
)

// In a test, pass t; an Example has no *testing.T, so this one stands in.
type exampleT struct{}

func (exampleT) Helper()                           {}
func (exampleT) Fatalf(format string, args ...any) { log.Fatalf(format, args...) }

// A handler test needs three lines of set-up: a Manager with an account
// holding the permission, the middleware, and the key on the request.
func ExampleNew() {
	t := exampleT{} // in a test: t *testing.T

	m, key := serviceaccounttest.New(t, serviceaccounttest.Grant("study", "tekenradar", "get-responses", `[{"surveyKey":"intake"}]`))
	mw, _ := middleware.New(middleware.Config{Manager: m})
	defer mw.Close(context.Background())

	mux := http.NewServeMux()
	mux.Handle("GET /v1/studies/{studyKey}/responses", mw.Authenticate(
		middleware.Require("study", middleware.PathValue("studyKey"), "get-responses",
			middleware.Attr("surveyKey", middleware.Query("surveyKey")),
		)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "ok")
		}))))

	for _, target := range []string{
		"/v1/studies/tekenradar/responses?surveyKey=intake",
		"/v1/studies/tekenradar/responses?surveyKey=weekly",
	} {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Println(target, rec.Code)
	}
	// Output:
	// /v1/studies/tekenradar/responses?surveyKey=intake 200
	// /v1/studies/tekenradar/responses?surveyKey=weekly 403
}
