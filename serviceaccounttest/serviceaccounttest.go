// Package serviceaccounttest helps applications test handlers protected by
// service-account keys: one call gives a Manager on an in-memory store and
// the plaintext key of an account holding the permissions the test needs.
//
//	m, key := serviceaccounttest.New(t, serviceaccounttest.Grant("study", "tekenradar", "get-responses"))
//	mw, _ := middleware.New(middleware.Config{Manager: m})
//	req.Header.Set("Authorization", "Bearer "+key)
package serviceaccounttest

import (
	"context"
	"encoding/json"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// TB is the part of testing.TB these helpers use; *testing.T and
// *testing.B satisfy it.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Grant describes a permission for New and NewAccount. limiterJSON, if
// given, is the limiter (for example `[{"surveyKey":"intake"}]`).
func Grant(resourceType, resourceKey, action string, limiterJSON ...string) serviceaccount.PermissionInput {
	in := serviceaccount.PermissionInput{ResourceType: resourceType, ResourceKey: resourceKey, Action: action}
	if len(limiterJSON) > 0 {
		in.Limiter = json.RawMessage(limiterJSON[0])
	}
	return in
}

// New returns a Manager over a fresh in-memory store, with the default
// catalog and the real clock, and the plaintext key of a new account that
// holds grants. It fails the test on any error.
func New(tb TB, grants ...serviceaccount.PermissionInput) (*serviceaccount.Manager, string) {
	tb.Helper()
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	if err != nil {
		tb.Fatalf("serviceaccounttest: new manager: %v", err)
	}
	_, key := NewAccount(tb, m, grants...)
	return m, key
}

// NewAccount creates, through m, an account labelled "test" holding grants
// and one key without expiry, and returns the account and the key's
// plaintext. Use it with a Manager of your own (a fake clock, a custom
// catalog, an SQL store).
func NewAccount(tb TB, m *serviceaccount.Manager, grants ...serviceaccount.PermissionInput) (serviceaccount.Account, string) {
	tb.Helper()
	ctx := context.Background()
	a, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "test"})
	if err != nil {
		tb.Fatalf("serviceaccounttest: create account: %v", err)
	}
	for _, g := range grants {
		if _, err := m.AddPermission(ctx, a.ID, g); err != nil {
			tb.Fatalf("serviceaccounttest: grant %s/%s/%s: %v", g.ResourceType, g.ResourceKey, g.Action, err)
		}
	}
	k, err := m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
	if err != nil {
		tb.Fatalf("serviceaccounttest: create key: %v", err)
	}
	return a, k.Plaintext
}
