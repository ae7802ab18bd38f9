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

// ExampleTenantHeader checks the tenant a request names in its X-Tenant
// header against the tenant of its key, right after authentication.
func ExampleTenantHeader() {
	ctx := context.Background()
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	if err != nil {
		log.Fatal(err)
	}
	acct, err := mgr.CreateAccount(ctx, serviceaccount.AccountInput{Label: "Nightly export"})
	if err != nil {
		log.Fatal(err)
	}
	key, err := mgr.CreateKey(ctx, acct.ID, serviceaccount.CreateKeyInput{})
	if err != nil {
		log.Fatal(err)
	}

	mw, err := middleware.New(middleware.Config{
		Manager:    mgr,
		TenantFrom: middleware.TenantHeader("X-Tenant"),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer mw.Close(ctx)
	handler := mw.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := middleware.FromContext(r.Context())
		fmt.Fprintf(w, "%s of tenant %s", p.Label, p.Tenant)
	}))

	for _, tenant := range []string{"", "default", "acme", "ACME"} {
		r := httptest.NewRequest(http.MethodGet, "/v1/whoami", nil)
		r.Header.Set("Authorization", "Bearer "+key.Plaintext)
		if tenant != "" {
			r.Header.Set("X-Tenant", tenant)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		if w.Code == http.StatusOK {
			fmt.Printf("%q: %d %s\n", tenant, w.Code, w.Body)
			continue
		}
		var p middleware.Problem
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%q: %d %s\n", tenant, w.Code, p.Code)
	}
	// Output:
	// "": 200 Nightly export of tenant default
	// "default": 200 Nightly export of tenant default
	// "acme": 403 wrong_tenant
	// "ACME": 400 invalid_tenant
}
