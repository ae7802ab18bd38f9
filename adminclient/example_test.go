package adminclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/adminclient"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// Create an account and a key through the admin API, change the account
// only if nobody else did since it was read, and list every account.
func Example() {
	// The admin API as the example server mounts it, here on a test server.
	clock := clockwork.NewFakeClockAt(time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC))
	manager, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New(), Clock: clock})
	if err != nil {
		panic(err)
	}
	api, err := admin.New(manager, admin.Config{})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", admin.RequireBearerToken("admin-token", api)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx := context.Background()
	client, err := adminclient.New(srv.URL+"/admin", adminclient.Config{Token: "admin-token"})
	if err != nil {
		panic(err)
	}
	account, err := client.CreateAccount(ctx, adminclient.AccountInput{Label: "nightly export"})
	if err != nil {
		panic(err)
	}
	key, err := client.CreateKey(ctx, account.ID, adminclient.KeyInput{Name: "warehouse"})
	if err != nil {
		panic(err)
	}
	fmt.Println(account.Label, account.CreatedAt, key.Name, key.Plaintext != "")

	_, etag, err := client.GetAccount(ctx, account.ID)
	if err != nil {
		panic(err)
	}
	description := "to the warehouse"
	_, _, err = client.PatchAccount(ctx, account.ID, adminclient.AccountPatch{Description: &description}, adminclient.IfMatch(etag))
	fmt.Println(err)
	// The same ETag again is stale now.
	_, _, err = client.PatchAccount(ctx, account.ID, adminclient.AccountPatch{Description: &description}, adminclient.IfMatch(etag))
	fmt.Println(errors.Is(err, adminclient.ErrPreconditionFailed))

	for a, err := range client.Accounts(ctx, 100) {
		if err != nil {
			panic(err)
		}
		fmt.Println(a.Label, "/", a.Description)
	}
	// Printing the client never shows the token.
	fmt.Println(strings.Replace(fmt.Sprint(client), srv.URL, "http://SERVER", 1))
	// Output:
	// nightly export 2026-01-31 09:00:00 +0000 UTC warehouse true
	// <nil>
	// true
	// nightly export / to the warehouse
	// adminclient.Client{BaseURL:"http://SERVER/admin", Token:[redacted]}
}
