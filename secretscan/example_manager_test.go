package secretscan_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/seed-c7fc2061/serviceaccounts/secretscan"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// The Decider for a Manager's keys: pass it as HandlerConfig.Decide. Each
// reported key of ours is disabled before the answer; anything else is a
// false positive.
func ExampleNewManagerDecider() {
	ctx := context.Background()
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	if err != nil {
		panic(err)
	}
	account, _ := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "CI deploy"})
	created, _ := m.CreateKey(ctx, account.ID, serviceaccount.CreateKeyInput{})

	decide, err := secretscan.NewManagerDecider(secretscan.ManagerConfig{
		Manager: m,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	report := secretscan.Report{Type: "serviceaccounts_api_key", URL: "https://github.com/o/r/blob/1/.env", Source: "content"}
	for _, token := range []string{created.Plaintext, "sa_notakey"} {
		found, err := decide(ctx, token, report)
		fmt.Println(found, err)
	}
	cred, _ := m.LookupKey(ctx, created.Key.Hash)
	fmt.Println("disabled:", cred.Key.Disabled())
	// Output:
	// true <nil>
	// false <nil>
	// disabled: true
}
