package serviceaccount_test

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

func requireInvalidField(t *testing.T, err error, field, message string) {
	t.Helper()
	var verr *serviceaccount.ValidationError
	require.ErrorAs(t, err, &verr)
	for _, f := range verr.Fields {
		if f.Field == field {
			require.Contains(t, f.Message, message)
			return
		}
	}
	require.Failf(t, "no error on the field", "want %s, got %v", field, verr)
}

var scopeReports = apikey.Scope{ResourceType: "study", ResourceKey: "s1", Action: "get-reports"}

func TestCreateKeyStoresEveryRestriction(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	limit := &apikey.RateLimit{Limit: 10, Period: time.Minute}
	k := f.key(t, a.ID, serviceaccount.CreateKeyInput{
		Scopes:       []apikey.Scope{scopeReports, {ResourceType: "users", ResourceKey: "*", Action: "*"}},
		AllowedCIDRs: []string{"10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::ffff:198.51.100.0/120"},
		RateLimit:    limit,
		Metadata:     metadata.Map{"environment": "staging", "tier": 2},
	})
	limit.Limit = 99 // the Manager keeps its own copy
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("198.51.100.0/24")}
	require.Equal(t, want, k.Key.AllowedCIDRs, "canonical form, bare addresses as single hosts, IPv4-mapped unmapped")

	c, err := f.m.LookupKey(t.Context(), apikey.HashKey(k.Plaintext))
	require.NoError(t, err)
	require.Equal(t, []apikey.Scope{scopeReports, {ResourceType: "users", ResourceKey: "*", Action: "*"}}, c.Key.Scopes)
	require.Equal(t, want, c.Key.AllowedCIDRs)
	require.Equal(t, &apikey.RateLimit{Limit: 10, Period: time.Minute}, c.Key.RateLimit)
	require.Equal(t, metadata.Map{"environment": "staging", "tier": float64(2)}, c.Key.Metadata)
}

func TestRestrictionsAreValidatedNamingTheField(t *testing.T) {
	tooMany := func(n int) []apikey.Scope {
		s := make([]apikey.Scope, n)
		for i := range s {
			s[i] = scopeReports
		}
		return s
	}
	manyCIDRs := make([]string, apikey.MaxAllowedCIDRs+1)
	for i := range manyCIDRs {
		manyCIDRs[i] = fmt.Sprintf("10.0.%d.0/24", i)
	}
	for name, tc := range map[string]struct {
		in             serviceaccount.CreateKeyInput
		field, message string
	}{
		"no scopes":          {serviceaccount.CreateKeyInput{Scopes: []apikey.Scope{}}, "scopes", "1 to 20"},
		"21 scopes":          {serviceaccount.CreateKeyInput{Scopes: tooMany(21)}, "scopes", "1 to 20"},
		"unknown type":       {serviceaccount.CreateKeyInput{Scopes: []apikey.Scope{scopeReports, {ResourceType: "nope", ResourceKey: "x", Action: "y"}}}, "scopes[1].resourceType", "unknown resource type"},
		"unknown action":     {serviceaccount.CreateKeyInput{Scopes: []apikey.Scope{scopeReports, scopeReports, {ResourceType: "study", ResourceKey: "s", Action: "fly"}}}, "scopes[2].action", "unknown action"},
		"key not in catalog": {serviceaccount.CreateKeyInput{Scopes: []apikey.Scope{{ResourceType: "messaging", ResourceKey: "other", Action: "*"}}}, "scopes[0].resourceKey", "not allowed"},
		"empty action":       {serviceaccount.CreateKeyInput{Scopes: []apikey.Scope{{ResourceType: "study", ResourceKey: "s"}}}, "scopes[0].action", "required"},
		"no CIDRs":           {serviceaccount.CreateKeyInput{AllowedCIDRs: []string{}}, "allowedCidrs", "1 to 32"},
		"33 CIDRs":           {serviceaccount.CreateKeyInput{AllowedCIDRs: manyCIDRs}, "allowedCidrs", "1 to 32"},
		"host bits":          {serviceaccount.CreateKeyInput{AllowedCIDRs: []string{"10.0.0.0/8", "10.0.0.1/8"}}, "allowedCidrs[1]", "host bits"},
		"not a CIDR":         {serviceaccount.CreateKeyInput{AllowedCIDRs: []string{"example.org"}}, "allowedCidrs[0]", "CIDR"},
		"zone":               {serviceaccount.CreateKeyInput{AllowedCIDRs: []string{"fe80::1%eth0"}}, "allowedCidrs[0]", "CIDR"},
		"limit 0":            {serviceaccount.CreateKeyInput{RateLimit: &apikey.RateLimit{Limit: 0, Period: time.Second}}, "rateLimit.limit", "1 to 1000000"},
		"limit too high":     {serviceaccount.CreateKeyInput{RateLimit: &apikey.RateLimit{Limit: 1_000_001, Period: time.Second}}, "rateLimit.limit", "1 to 1000000"},
		"period 0":           {serviceaccount.CreateKeyInput{RateLimit: &apikey.RateLimit{Limit: 1}}, "rateLimit.periodSeconds", "1 to 86400"},
		"fractional period":  {serviceaccount.CreateKeyInput{RateLimit: &apikey.RateLimit{Limit: 1, Period: 1500 * time.Millisecond}}, "rateLimit.periodSeconds", "whole number"},
		"period over a day":  {serviceaccount.CreateKeyInput{RateLimit: &apikey.RateLimit{Limit: 1, Period: 24*time.Hour + time.Second}}, "rateLimit.periodSeconds", "1 to 86400"},
		"metadata member":    {serviceaccount.CreateKeyInput{Metadata: metadata.Map{"environment": strings.Repeat("x", 257)}}, "metadata.environment", "256"},
		"metadata too large": {serviceaccount.CreateKeyInput{Metadata: tooLargeMetadata()}, "metadata", "4096 bytes"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			a := f.account(t)
			_, err := f.m.CreateKey(t.Context(), a.ID, tc.in)
			requireInvalidField(t, err, tc.field, tc.message)
			keys, err := f.m.Keys(t.Context(), a.ID)
			require.NoError(t, err)
			require.Empty(t, keys, "nothing was written")

			// The same rules hold for a patch and a rotation.
			k := f.key(t, a.ID, serviceaccount.CreateKeyInput{})
			_, err = f.m.PatchKey(t.Context(), a.ID, k.Key.ID, serviceaccount.KeyPatch{
				Scopes: ptrIfSet(tc.in.Scopes), AllowedCIDRs: ptrIfSet(tc.in.AllowedCIDRs), RateLimit: ptrIfSet(tc.in.RateLimit), Metadata: ptrIfSet(tc.in.Metadata)})
			requireInvalidField(t, err, tc.field, tc.message)
			_, err = f.m.RotateKey(t.Context(), a.ID, k.Key.ID, serviceaccount.RotateKeyInput{
				Scopes: ptrIfSet(tc.in.Scopes), AllowedCIDRs: ptrIfSet(tc.in.AllowedCIDRs), RateLimit: ptrIfSet(tc.in.RateLimit), Metadata: ptrIfSet(tc.in.Metadata)})
			requireInvalidField(t, err, tc.field, tc.message)
		})
	}
}

// ptrIfSet is a patch member that sets v, or nil (no change) for v's
// zero value.
func ptrIfSet[T any](v T) *T {
	if reflect.ValueOf(&v).Elem().IsZero() {
		return nil
	}
	return &v
}

func tooLargeMetadata() metadata.Map {
	m := metadata.Map{}
	for i := range 17 {
		m[fmt.Sprintf("m%d", i)] = strings.Repeat("x", metadata.MaxStringLength)
	}
	return m
}

func TestPatchKeyReplacesRestrictionsWholeAndAuditsThem(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	k := f.key(t, a.ID, serviceaccount.CreateKeyInput{
		Scopes:       []apikey.Scope{scopeReports},
		AllowedCIDRs: []string{"10.0.0.0/8"},
		Metadata:     metadata.Map{"environment": "staging", "team": "a"},
	})
	before := serviceaccount.KeyRevision(k.Key)

	newLimit := &apikey.RateLimit{Limit: 5, Period: time.Second}
	got, err := f.m.PatchKey(t.Context(), a.ID, k.Key.ID, serviceaccount.KeyPatch{
		AllowedCIDRs: new([]string), // a pointer to nil: removes the allowlist
		RateLimit:    &newLimit,
		Metadata:     &metadata.Map{"environment": "production"},
	})
	require.NoError(t, err)
	require.Equal(t, []apikey.Scope{scopeReports}, got.Scopes, "not in the patch: kept")
	require.Nil(t, got.AllowedCIDRs)
	require.Equal(t, newLimit, got.RateLimit)
	require.Equal(t, metadata.Map{"environment": "production"}, got.Metadata, "replaced whole, not merged")
	require.NotEqual(t, before, serviceaccount.KeyRevision(got), "the revision changes with the restrictions")
	require.Equal(t, serviceaccount.KeyUpdated, f.changes[len(f.changes)-1].Kind, "announced, so caches drop the key")

	page, err := f.m.ListAuditEvents(t.Context(), serviceaccount.ListAuditEventsParams{Limit: 1})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	e := page.Items[0]
	require.Equal(t, store.ActionKeyUpdate, e.Action)
	var d struct {
		Before, After map[string]json.RawMessage
	}
	require.NoError(t, json.Unmarshal(e.Details, &d))
	require.JSONEq(t, `["10.0.0.0/8"]`, string(d.Before["allowedCidrs"]))
	require.NotContains(t, d.After, "allowedCidrs")
	require.NotContains(t, d.Before, "rateLimit")
	require.JSONEq(t, `{"limit":5,"periodSeconds":1}`, string(d.After["rateLimit"]))
	require.JSONEq(t, `{"environment":"staging","team":"a"}`, string(d.Before["metadata"]))
	require.JSONEq(t, `{"environment":"production"}`, string(d.After["metadata"]))
	require.JSONEq(t, string(d.Before["scopes"]), string(d.After["scopes"]))

	// The same values again change nothing: no write, no event.
	n := len(f.changes)
	again, err := f.m.PatchKey(t.Context(), a.ID, k.Key.ID, serviceaccount.KeyPatch{Metadata: &metadata.Map{"environment": "production"}})
	require.NoError(t, err)
	require.Equal(t, serviceaccount.KeyRevision(got), serviceaccount.KeyRevision(again))
	require.Len(t, f.changes, n)
}

func TestRotationCopiesRestrictionsUnlessGivenNewOnes(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	limit := &apikey.RateLimit{Limit: 100, Period: time.Hour}
	old := f.key(t, a.ID, serviceaccount.CreateKeyInput{
		Scopes: []apikey.Scope{scopeReports}, AllowedCIDRs: []string{"10.0.0.0/8"}, RateLimit: limit, Metadata: metadata.Map{"env": "ci"},
	})
	r, err := f.m.RotateKey(t.Context(), a.ID, old.Key.ID, serviceaccount.RotateKeyInput{
		AllowedCIDRs: &[]string{"192.0.2.0/24"},
		Metadata:     new(metadata.Map),
	})
	require.NoError(t, err)
	nk := r.Created.Key
	require.Equal(t, old.Key.Scopes, nk.Scopes, "copied")
	require.Equal(t, old.Key.RateLimit, nk.RateLimit, "copied")
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, nk.AllowedCIDRs, "replaced")
	require.Nil(t, nk.Metadata, "removed")
	require.Equal(t, old.Key.AllowedCIDRs, r.Previous.AllowedCIDRs, "the old key keeps its own")
	require.Equal(t, old.Key.Metadata, r.Previous.Metadata)

	c, err := f.m.LookupKey(t.Context(), apikey.HashKey(r.Created.Plaintext))
	require.NoError(t, err)
	require.Equal(t, nk.AllowedCIDRs, c.Key.AllowedCIDRs)
	require.Equal(t, old.Key.Scopes, c.Key.Scopes)
}

func TestAccountMetadataIsSetKeptAndCleared(t *testing.T) {
	f := newFixture(t)
	a, err := f.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "pipeline", Metadata: &metadata.Map{"environment": "staging"}})
	require.NoError(t, err)
	require.Equal(t, metadata.Map{"environment": "staging"}, a.Metadata)
	rev := serviceaccount.AccountRevision(a)

	// PUT without metadata keeps it.
	a, err = f.m.UpdateAccount(t.Context(), a.ID, serviceaccount.AccountInput{Label: "renamed"})
	require.NoError(t, err)
	require.Equal(t, metadata.Map{"environment": "staging"}, a.Metadata)
	require.NotEqual(t, rev, serviceaccount.AccountRevision(a), "the label changed")

	// A patch replaces it, and the revision changes.
	rev = serviceaccount.AccountRevision(a)
	a, err = f.m.PatchAccount(t.Context(), a.ID, serviceaccount.AccountPatch{Metadata: &metadata.Map{"environment": "production", "n": 1}})
	require.NoError(t, err)
	require.Equal(t, metadata.Map{"environment": "production", "n": float64(1)}, a.Metadata)
	require.NotEqual(t, rev, serviceaccount.AccountRevision(a))

	// PUT with null clears it.
	a, err = f.m.UpdateAccount(t.Context(), a.ID, serviceaccount.AccountInput{Label: "renamed", Metadata: new(metadata.Map)})
	require.NoError(t, err)
	require.Nil(t, a.Metadata)
	got, err := f.m.Account(t.Context(), a.ID)
	require.NoError(t, err)
	require.Nil(t, got.Metadata)

	_, err = f.m.PatchAccount(t.Context(), a.ID, serviceaccount.AccountPatch{Metadata: &metadata.Map{"bad name": true}})
	requireInvalidField(t, err, "metadata.bad name", "letters")
	_, err = f.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "x", Metadata: &metadata.Map{"nested": map[string]any{}}})
	requireInvalidField(t, err, "metadata.nested", "string, a number or a boolean")
}
