package adminui_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/seed-c7fc2061/serviceaccounts/adminui"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// Mount the page under a prefix, behind the application's own
// authentication (left out here), and create an account with a form POST
// as a browser without JavaScript would.
func Example() {
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	if err != nil {
		panic(err)
	}
	page, err := adminui.New(mgr, adminui.Config{})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/ui/", http.StripPrefix("/admin/ui", page))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm(srv.URL+"/admin/ui/accounts", url.Values{"label": {"Nightly export"}})
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	fmt.Println(res.StatusCode, strings.HasPrefix(loc, "/admin/ui/accounts/"), strings.HasSuffix(loc, "?done=account-created"))
	fmt.Println(res.Header.Get("Cache-Control"))
	// Output:
	// 303 true true
	// no-store
}
