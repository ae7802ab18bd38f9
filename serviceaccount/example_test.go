package serviceaccount_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// The main flow: create an account, issue a key, grant a permission with a
// limiter, then check requests the way the middleware does.
func Example() {
	ctx := context.Background()
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	if err != nil {
		panic(err)
	}

	account, err := m.CreateAccount(ctx, serviceaccount.AccountInput{
		Label:       "Nightly export",
		Description: "Downloads survey responses to the warehouse",
	})
	if err != nil {
		panic(err)
	}
	created, err := m.CreateKey(ctx, account.ID, serviceaccount.CreateKeyInput{})
	if err != nil {
		panic(err)
	}
	// created.Plaintext is shown to the user once; only its hash is stored.
	fmt.Println("key starts with sa_:", strings.HasPrefix(created.Plaintext, "sa_"), "length:", len(created.Plaintext))

	_, err = m.AddPermission(ctx, account.ID, serviceaccount.PermissionInput{
		ResourceType: "study",
		ResourceKey:  "tekenradar",
		Action:       "get-responses",
		Limiter:      json.RawMessage(`[{"surveyKey": ["intake", "weekly"]}]`),
	})
	if err != nil {
		panic(err)
	}

	// A request arrives with the key: parse it, look it up by hash, compile
	// the account's permissions and ask.
	if err := apikey.Parse(created.Plaintext, m.KeyPrefix()); err != nil {
		panic(err)
	}
	cred, err := m.LookupKey(ctx, apikey.HashKey(created.Plaintext))
	if err != nil {
		panic(err)
	}
	perms := permission.NewSet(cred.Permissions)
	for _, survey := range []string{"weekly", "exit"} {
		allowed := perms.Allows("study", "tekenradar", "get-responses", limiter.Attributes{{Key: "surveyKey", Value: survey}})
		fmt.Printf("%s: get-responses for survey %s: %v\n", cred.Account.Label, survey, allowed)
	}
	// Output:
	// key starts with sa_: true length: 52
	// Nightly export: get-responses for survey weekly: true
	// Nightly export: get-responses for survey exit: false
}

// Invalid input comes back as a *ValidationError naming each field.
func ExampleValidationError() {
	m, _ := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	account, _ := m.CreateAccount(context.Background(), serviceaccount.AccountInput{Label: "ci"})
	_, err := m.AddPermission(context.Background(), account.ID, serviceaccount.PermissionInput{
		ResourceType: "study",
		ResourceKey:  "tekenradar",
		Action:       "get-reports",
		Limiter:      json.RawMessage(`[{"surveyKey": "intake"}]`),
	})
	var verr *serviceaccount.ValidationError
	if errors.As(err, &verr) {
		for _, f := range verr.Fields {
			fmt.Printf("%s: %s\n", f.Field, f.Message)
		}
	}
	// Output:
	// limiter[0].surveyKey: unknown limiter key "surveyKey" for action "get-reports"; allowed: "reportKey"
}

// A secret scanner found a key in a public repository: the key is
// disabled in its own tenant, with audit event key.leaked, before the
// scanner is answered. Text that is not one of our keys is a false
// positive and never reaches the store.
func ExampleManager_ReportLeakedKey() {
	ctx := context.Background()
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	if err != nil {
		panic(err)
	}
	account, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "CI deploy"})
	if err != nil {
		panic(err)
	}
	created, err := m.CreateKey(ctx, account.ID, serviceaccount.CreateKeyInput{})
	if err != nil {
		panic(err)
	}

	found := serviceaccount.LeakReport{URL: "https://github.com/octo/dotfiles/blob/8d1f/.env", Source: "content"}
	for _, token := range []string{created.Plaintext, created.Plaintext, "sa_notakey"} {
		out, err := m.ReportLeakedKey(ctx, token, found)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s, action taken: %q\n", out.Label(), out.Taken)
	}

	events, err := m.ListAuditEvents(ctx, serviceaccount.ListAuditEventsParams{Action: "key.leaked"})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(events.Items), "event by", events.Items[0].Actor.ID)
	// Output:
	// true_positive, action taken: "disable"
	// true_positive, action taken: ""
	// false_positive, action taken: ""
	// 1 event by secret-scanning
}

// A search by label: a case-insensitive substring, filtered by the store
// so that each page is full and the cursor walks the search.
func ExampleManager_ListAccounts_byLabel() {
	ctx := context.Background()
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	if err != nil {
		panic(err)
	}
	for _, label := range []string{"Tekenradar export", "Nightly backup", "tekenradar reports"} {
		if _, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: label}); err != nil {
			panic(err)
		}
	}
	page, err := m.ListAccounts(ctx, serviceaccount.ListAccountsParams{Label: "TEKENRADAR"})
	if err != nil {
		panic(err)
	}
	for _, a := range page.Items {
		fmt.Println(a.Label)
	}
	// Output:
	// Tekenradar export
	// tekenradar reports
}
