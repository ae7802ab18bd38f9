package storetest

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// restricted sets every restriction on k, with values that test the
// encodings: both address families, text that JSON and HTML escape,
// non-ASCII text, every metadata value type.
func restricted(k apikey.Key) apikey.Key {
	k.Scopes = []apikey.Scope{
		{ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses"},
		{ResourceType: "study", ResourceKey: "*", Action: "get-reports"},
	}
	k.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("192.0.2.7/32")}
	k.RateLimit = &apikey.RateLimit{Limit: 600, Period: time.Minute}
	k.Metadata = metadata.Map{"environment": "staging <eu>", "owner": "équipe \"paiements\"", "tier": float64(3), "ratio": 0.25, "beta": true}
	return k
}

func requireRestrictions(t *testing.T, want, got apikey.Key) {
	t.Helper()
	require.Equal(t, want.Scopes, got.Scopes, "scopes")
	require.Equal(t, want.AllowedCIDRs, got.AllowedCIDRs, "allowed CIDRs")
	require.Equal(t, want.RateLimit, got.RateLimit, "rate limit")
	require.Equal(t, metadata.Normalize(want.Metadata), got.Metadata, "metadata")
}

func runRestrictions(t *testing.T, newStore NewStore) {
	subtests(t, newStore, map[string]func(t *testing.T, f *fixture){
		"RestrictionsAndMetadataRoundTripThroughEveryRead": func(t *testing.T, f *fixture) {
			a := store.Account{ID: newID(t), Label: "a", CreatedAt: base, UpdatedAt: base,
				Metadata: metadata.Map{"environment": "production", "cost-center": float64(4711)}}
			require.NoError(t, f.w.AccountCreate(f.ctx, store.DefaultTenant, a))
			k, _ := f.keyRecord(a.ID)
			k = restricted(k)
			require.NoError(t, f.w.KeyCreate(f.ctx, store.DefaultTenant, k))

			listed, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Len(t, listed, 1)
			requireKey(t, k, listed[0])
			got, err := f.keyGet(a.ID, k.ID)
			require.NoError(t, err)
			requireKey(t, k, got)
			all, err := f.s.KeyListAll(f.ctx, store.DefaultTenant, uuid.Nil, 10, store.KeyFilter{})
			require.NoError(t, err)
			require.Len(t, all, 1)
			requireKey(t, k, all[0])

			c, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			requireKey(t, k, c.Key)
			requireAccount(t, a, c.Account)

			gotA, err := f.s.AccountGet(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			requireAccount(t, a, gotA)
			accounts, err := f.s.AccountList(f.ctx, store.DefaultTenant, uuid.Nil, 10)
			require.NoError(t, err)
			require.Len(t, accounts, 1)
			requireAccount(t, a, accounts[0])
		},
		"KeysAndAccountsWithoutThemReadBackNil": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.key(a.ID, nil)
			c, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			require.Nil(t, c.Key.Scopes)
			require.Nil(t, c.Key.AllowedCIDRs)
			require.Nil(t, c.Key.RateLimit)
			require.Nil(t, c.Key.Metadata)
			require.Nil(t, c.Account.Metadata)
			got, err := f.s.AccountGet(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Nil(t, got.Metadata)
		},
		"EmptyMetadataIsNotNullMetadata": func(t *testing.T, f *fixture) {
			a := store.Account{ID: newID(t), Label: "a", CreatedAt: base, UpdatedAt: base, Metadata: metadata.Map{}}
			require.NoError(t, f.w.AccountCreate(f.ctx, store.DefaultTenant, a))
			k, _ := f.keyRecord(a.ID)
			k.Metadata = metadata.Map{}
			require.NoError(t, f.w.KeyCreate(f.ctx, store.DefaultTenant, k))
			c, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			require.NotNil(t, c.Key.Metadata)
			require.Empty(t, c.Key.Metadata)
			require.NotNil(t, c.Account.Metadata)
			require.Empty(t, c.Account.Metadata)
		},
		"KeyUpdateReplacesEachRestrictionWhole": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.keyRecord(a.ID)
			k = restricted(k)
			require.NoError(t, f.w.KeyCreate(f.ctx, store.DefaultTenant, k))

			want := k
			want.Scopes = []apikey.Scope{{ResourceType: "*", ResourceKey: "*", Action: "*"}}
			want.AllowedCIDRs = nil
			want.RateLimit = &apikey.RateLimit{Limit: 1, Period: 24 * time.Hour}
			want.Metadata = metadata.Map{"environment": "test"}
			got, err := f.keyUpdate(store.KeyUpdateParams{AccountID: a.ID, KeyID: k.ID, Name: k.Name,
				Scopes: want.Scopes, AllowedCIDRs: want.AllowedCIDRs, RateLimit: want.RateLimit, Metadata: want.Metadata})
			require.NoError(t, err)
			requireKey(t, want, got)
			c, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			requireKey(t, want, c.Key)

			// And every one can be removed.
			want.Scopes, want.RateLimit, want.Metadata = nil, nil, nil
			got, err = f.keyUpdate(store.KeyUpdateParams{AccountID: a.ID, KeyID: k.ID, Name: k.Name})
			require.NoError(t, err)
			requireKey(t, want, got)
			listed, err := f.s.KeyList(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			requireKey(t, want, listed[0])
		},
		"AccountUpdateSetsReplacesAndClearsMetadata": func(t *testing.T, f *fixture) {
			a := f.account("a")
			for _, m := range []metadata.Map{{"environment": "staging", "n": float64(1)}, {"other": false}, nil} {
				a.Metadata = m
				got, err := f.w.AccountUpdate(f.ctx, store.DefaultTenant, store.AccountUpdateParams{ID: a.ID, Label: a.Label, Description: a.Description, UpdatedAt: base, Metadata: m})
				require.NoError(t, err)
				requireAccount(t, a, got)
				got, err = f.s.AccountGet(f.ctx, store.DefaultTenant, a.ID)
				require.NoError(t, err)
				requireAccount(t, a, got)
			}
		},
		"RecordsShareNoMemoryWithTheCaller": func(t *testing.T, f *fixture) {
			a := store.Account{ID: newID(t), Label: "a", CreatedAt: base, UpdatedAt: base, Metadata: metadata.Map{"env": "prod"}}
			require.NoError(t, f.w.AccountCreate(f.ctx, store.DefaultTenant, a))
			k, _ := f.keyRecord(a.ID)
			k = restricted(k)
			want := restricted(k)
			require.NoError(t, f.w.KeyCreate(f.ctx, store.DefaultTenant, k))
			// The caller changes what it passed in…
			k.Scopes[0].Action = "changed"
			k.AllowedCIDRs[0] = netip.MustParsePrefix("0.0.0.0/0")
			k.RateLimit.Limit = 1_000_000
			k.Metadata["environment"] = "changed"
			a.Metadata["env"] = "changed"
			// …and what it read.
			c, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			requireRestrictions(t, want, c.Key)
			require.Equal(t, metadata.Map{"env": "prod"}, c.Account.Metadata)
			c.Key.Scopes[0].Action = "changed"
			c.Key.AllowedCIDRs[0] = netip.MustParsePrefix("0.0.0.0/0")
			c.Key.RateLimit.Limit = 1_000_000
			c.Key.Metadata["environment"] = "changed"
			c.Account.Metadata["env"] = "changed"

			again, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			requireRestrictions(t, want, again.Key)
			require.Equal(t, metadata.Map{"env": "prod"}, again.Account.Metadata)
		},
	})
}
