package serviceaccount_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// A key narrower than its account: one scope, one network, a rate limit
// and the application's own metadata. Bad input names the field.
func ExampleManager_CreateKey_restrictions() {
	ctx := context.Background()
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	if err != nil {
		panic(err)
	}
	account, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "Reports"})
	if err != nil {
		panic(err)
	}
	created, err := m.CreateKey(ctx, account.ID, serviceaccount.CreateKeyInput{
		Scopes:       []apikey.Scope{{ResourceType: "study", ResourceKey: "tekenradar", Action: "get-reports"}},
		AllowedCIDRs: []string{"10.0.0.0/8", "192.0.2.7"},
		RateLimit:    &apikey.RateLimit{Limit: 600, Period: time.Minute},
		Metadata:     metadata.Map{"environment": "staging"},
	})
	if err != nil {
		panic(err)
	}
	k := created.Key
	fmt.Println(k.Scopes[0].Action, k.AllowedCIDRs, k.RateLimit.Limit, k.Metadata["environment"])

	_, err = m.CreateKey(ctx, account.ID, serviceaccount.CreateKeyInput{AllowedCIDRs: []string{"10.0.0.1/8"}})
	var verr *serviceaccount.ValidationError
	if errors.As(err, &verr) {
		fmt.Println(verr.Fields[0].Field)
	}
	// Output:
	// get-reports [10.0.0.0/8 192.0.2.7/32] 600 staging
	// allowedCidrs[0]
}
