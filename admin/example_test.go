package admin_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// Mount the API under /admin behind a bearer admin token, and create a
// service account as curl -H 'Authorization: Bearer …' -H 'Content-Type:
// application/json' -d '{"label":…}' would.
func ExampleNew() {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC))
	manager, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New(), Clock: clock})
	if err != nil {
		panic(err)
	}
	h, err := admin.New(manager, admin.Config{})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	api := admin.RequireBearerToken("admin-token", h)
	mux.Handle("/admin/", http.StripPrefix("/admin", api))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/admin/service-accounts",
		strings.NewReader(`{"label":"nightly export","description":"to the warehouse"}`))
	req.Header.Set("Authorization", "Bearer admin-token")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)

	var account struct {
		ID, Label, Description, CreatedAt string
	}
	if err := json.Unmarshal(body, &account); err != nil {
		panic(err)
	}
	fmt.Println(res.Status)
	fmt.Println(res.Header.Get("Location") == "/admin/service-accounts/"+account.ID)
	fmt.Println(account.Label, "/", account.Description, "/", account.CreatedAt)
	// Output:
	// 201 Created
	// true
	// nightly export / to the warehouse / 2026-01-31T09:00:00.000000Z
}

// A request without the admin token gets 401 problem+json.
func ExampleRequireBearerToken() {
	manager, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	if err != nil {
		panic(err)
	}
	api, err := admin.New(manager, admin.Config{})
	if err != nil {
		panic(err)
	}
	h := admin.RequireBearerToken("admin-token", api)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/service-accounts", nil))
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"), rec.Header().Get("Content-Type"))
	fmt.Print(rec.Body.String())
	// Output:
	// 401 Bearer application/problem+json
	// {"type":"urn:serviceaccounts:problem:no_credentials","title":"Unauthorized","status":401,"detail":"This API requires Authorization: Bearer <admin token>.","code":"no_credentials"}
}
