package serviceaccount_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// A multi-tenant application makes one view per tenant; a view sees only
// its tenant's accounts, keys and audit log.
func ExampleManager_Tenant() {
	ctx := context.Background()
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	if err != nil {
		panic(err)
	}
	acme, err := m.Tenant("acme")
	if err != nil {
		panic(err)
	}
	a, err := acme.CreateAccount(ctx, serviceaccount.AccountInput{Label: "Nightly export"})
	if err != nil {
		panic(err)
	}
	fmt.Println("created in", a.Tenant)

	globex, _ := m.Tenant("globex")
	_, err = globex.Account(ctx, a.ID)
	fmt.Println("not found from globex:", errors.Is(err, store.ErrNotFound))

	_, err = m.Tenant("Not A Tenant")
	fmt.Println("malformed:", errors.Is(err, store.ErrInvalidTenant))

	page, _ := m.ListTenants(ctx, serviceaccount.ListTenantsParams{})
	for _, t := range page.Items {
		fmt.Println(t.ID, t.AccountCount)
	}
	// Output:
	// created in acme
	// not found from globex: true
	// malformed: true
	// acme 1
}

// The policy is stored per tenant, so every instance and the CLI enforce
// the same one; a tenant without one uses the database-wide default,
// written from Config.Policy the first time it is needed.
func ExampleManager_SetPolicy() {
	ctx := context.Background()
	m, _ := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	acme, _ := m.Tenant("acme")
	_, err := acme.SetPolicy(ctx, serviceaccount.TenantPolicy{MaxKeysPerAccount: 1, MaxKeyLifetime: 30 * 24 * time.Hour, DefaultKeyLifetime: 7 * 24 * time.Hour})
	if err != nil {
		panic(err)
	}
	a, _ := acme.CreateAccount(ctx, serviceaccount.AccountInput{Label: "ci"})
	k, _ := acme.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
	fmt.Println("expires after:", k.Key.ExpiresAt.Sub(k.Key.CreatedAt))
	_, err = acme.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
	var conflict *serviceaccount.ConflictError
	fmt.Println("second key refused:", errors.As(err, &conflict))

	p, stored, _ := m.EffectivePolicy(ctx) // the default tenant has no stored policy
	fmt.Println("default tenant:", p.MaxKeysPerAccount, "keys, stored:", stored)
	// Output:
	// expires after: 168h0m0s
	// second key refused: true
	// default tenant: 10 keys, stored: false
}
