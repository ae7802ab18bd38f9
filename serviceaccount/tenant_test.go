package serviceaccount_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

func tenantView(t *testing.T, m *serviceaccount.Manager, id string) *serviceaccount.Manager {
	t.Helper()
	v, err := m.Tenant(id)
	require.NoError(t, err)
	return v
}

func TestATenantViewSeesOnlyItsTenant(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	acme := tenantView(t, f.m, "acme")
	globex := tenantView(t, f.m, "globex")
	a, err := acme.CreateAccount(ctx, serviceaccount.AccountInput{Label: "acme pipeline"})
	require.NoError(t, err)
	assert.Equal(t, "acme", a.Tenant)
	k, err := acme.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{Name: "ci"})
	require.NoError(t, err)
	p, err := acme.AddPermission(ctx, a.ID, serviceaccount.PermissionInput{ResourceType: "study", ResourceKey: "s1", Action: "get-responses"})
	require.NoError(t, err)
	d := f.account(t) // in the default tenant
	assert.Equal(t, store.DefaultTenant, d.Tenant)

	for _, other := range []*serviceaccount.Manager{f.m, globex} {
		_, err := other.Account(ctx, a.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = other.Keys(ctx, a.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = other.Key(ctx, a.ID, k.Key.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = other.Permission(ctx, a.ID, p.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = other.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, other.DeleteKey(ctx, a.ID, k.Key.ID), store.ErrNotFound)
		require.ErrorIs(t, other.DeletePermission(ctx, a.ID, p.ID), store.ErrNotFound)
		require.ErrorIs(t, other.DeleteAccount(ctx, a.ID), store.ErrNotFound)
		_, err = other.RotateKey(ctx, a.ID, k.Key.ID, serviceaccount.RotateKeyInput{})
		require.ErrorIs(t, err, store.ErrNotFound)
		all, err := other.ListAllKeys(ctx, serviceaccount.ListAllKeysParams{})
		require.NoError(t, err)
		assert.Empty(t, all.Items)
	}
	got, err := acme.Account(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, "acme", got.Tenant, "the other tenants' calls changed nothing")

	list, err := f.m.ListAccounts(ctx, serviceaccount.ListAccountsParams{})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	assert.Equal(t, d.ID, list.Items[0].ID)

	events, err := acme.ListAuditEvents(ctx, serviceaccount.ListAuditEventsParams{})
	require.NoError(t, err)
	require.Len(t, events.Items, 3, "account, key and permission created in acme")
	for _, e := range events.Items {
		assert.Equal(t, "acme", e.Tenant)
	}
	events, err = f.m.ListAuditEvents(ctx, serviceaccount.ListAuditEventsParams{Tenant: "acme"})
	require.NoError(t, err)
	require.Len(t, events.Items, 1, "a view lists its own events whatever the params say")
	assert.Equal(t, d.ID, events.Items[0].ServiceAccountID)

	c, err := f.m.LookupKey(ctx, k.Key.Hash)
	require.NoError(t, err)
	assert.Equal(t, "acme", c.Account.Tenant, "keys are global; the credential says its tenant")

	for _, ch := range f.changes {
		want := store.DefaultTenant
		if ch.AccountID == a.ID {
			want = "acme"
		}
		assert.Equal(t, want, ch.Tenant, "%v", ch.Kind)
	}
	page, err := f.st.ChangeList(ctx, store.ChangeListParams{Limit: 100})
	require.NoError(t, err)
	for _, ch := range page.Changes {
		if ch.AccountID == a.ID {
			assert.Equal(t, "acme", ch.Tenant)
		}
	}
}

func TestListTenantsPagesThroughTenantsByID(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	empty, err := f.m.ListTenants(ctx, serviceaccount.ListTenantsParams{})
	require.NoError(t, err)
	assert.Empty(t, empty.Items, "default is listed only when it holds something")

	for _, id := range []string{"zeta", "acme", "globex", "acme"} {
		_, err := tenantView(t, f.m, id).CreateAccount(ctx, serviceaccount.AccountInput{Label: id})
		require.NoError(t, err)
	}
	_, err = tenantView(t, f.m, "initech").SetPolicy(ctx, serviceaccount.TenantPolicy{MaxKeysPerAccount: 2})
	require.NoError(t, err)

	var walked []serviceaccount.TenantSummary
	cursor := ""
	for {
		page, err := f.m.ListTenants(ctx, serviceaccount.ListTenantsParams{Limit: 3, Cursor: cursor})
		require.NoError(t, err)
		walked = append(walked, page.Items...)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	assert.Equal(t, []serviceaccount.TenantSummary{
		{ID: "acme", AccountCount: 2}, {ID: "globex", AccountCount: 1}, {ID: "initech", AccountCount: 0}, {ID: "zeta", AccountCount: 1},
	}, walked)

	_, err = f.m.ListTenants(ctx, serviceaccount.ListTenantsParams{Cursor: "not a cursor"})
	requireFields(t, err, "cursor")
	_, err = f.m.ListTenants(ctx, serviceaccount.ListTenantsParams{Limit: serviceaccount.MaxPageSize + 1})
	requireFields(t, err, "limit")
}

func TestTheDefaultPolicyIsSeededFromTheFirstConfigOnly(t *testing.T) {
	st := memstore.New()
	ctx := t.Context()
	first, err := serviceaccount.NewManager(serviceaccount.Config{Store: st, Policy: serviceaccount.Policy{
		MaxKeysPerAccount: 3, MaxKeyLifetime: 48 * time.Hour, DefaultKeyLifetime: time.Hour, MaxRotationGrace: 2 * time.Hour,
	}})
	require.NoError(t, err)
	second, err := serviceaccount.NewManager(serviceaccount.Config{Store: st, Policy: serviceaccount.Policy{MaxKeysPerAccount: serviceaccount.NoKeyLimit}})
	require.NoError(t, err)

	want := serviceaccount.TenantPolicy{
		MaxKeysPerAccount: 3, MaxKeyLifetime: 48 * time.Hour, DefaultKeyLifetime: time.Hour, MaxRotationGrace: 2 * time.Hour,
		LeakedKeyAction: store.LeakedKeyDisable, UnusedKeyDays: serviceaccount.DefaultUnusedKeyDays,
	}
	p, stored, err := first.EffectivePolicy(ctx)
	require.NoError(t, err)
	assert.False(t, stored)
	assert.Equal(t, want, p)
	p, err = second.DefaultPolicy(ctx)
	require.NoError(t, err)
	assert.Equal(t, want, p, "the stored default wins over a later configuration")

	// And it is enforced by the second Manager, whose own configuration
	// would allow any number of keys.
	a, err := second.CreateAccount(ctx, serviceaccount.AccountInput{Label: "a"})
	require.NoError(t, err)
	for range 3 {
		k, err := second.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
		require.NoError(t, err)
		require.NotNil(t, k.Key.ExpiresAt, "the stored default lifetime applies")
	}
	_, err = second.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
	requireConflict(t, err, "MaxKeysPerAccount is 3")
}

func TestAStoredPolicyGovernsOnlyItsTenantAndAppliesAtOnce(t *testing.T) {
	f := newFixture(t) // default policy: 10 keys, no lifetime limit
	ctx := t.Context()
	acme := tenantView(t, f.m, "acme")
	other, err := serviceaccount.NewManager(serviceaccount.Config{Store: f.st, Clock: f.clock})
	require.NoError(t, err)
	otherAcme := tenantView(t, other, "acme") // another instance on the same store

	a, err := acme.CreateAccount(ctx, serviceaccount.AccountInput{Label: "a"})
	require.NoError(t, err)
	d := f.account(t)
	f.changes = nil
	set, err := acme.SetPolicy(ctx, serviceaccount.TenantPolicy{MaxKeysPerAccount: 1, MaxKeyLifetime: 24 * time.Hour, DefaultKeyLifetime: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, store.LeakedKeyDisable, set.LeakedKeyAction, "filled in")
	assert.Equal(t, time.Duration(0), set.MaxRotationGrace, "0 stays: no grace allowed")
	require.Len(t, f.changes, 1)
	assert.Equal(t, serviceaccount.Change{Kind: serviceaccount.PolicyUpdated, Tenant: "acme"}, f.changes[0])

	got, stored, err := otherAcme.EffectivePolicy(ctx)
	require.NoError(t, err)
	assert.True(t, stored)
	assert.Equal(t, set, got)

	k, err := otherAcme.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	require.NotNil(t, k.Key.ExpiresAt)
	assert.Equal(t, f.now().Add(time.Hour), *k.Key.ExpiresAt)
	_, err = otherAcme.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
	requireConflict(t, err, "MaxKeysPerAccount is 1")
	_, err = acme.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{ExpiresAt: ptr(f.now().Add(48 * time.Hour))})
	requireFields(t, err, "expiresAt")
	_, err = acme.RotateKey(ctx, a.ID, k.Key.ID, serviceaccount.RotateKeyInput{GracePeriodSeconds: ptr(int64(1))})
	requireFields(t, err, "gracePeriodSeconds")
	rotated, err := acme.RotateKey(ctx, a.ID, k.Key.ID, serviceaccount.RotateKeyInput{})
	require.NoError(t, err, "no grace allowed: the rotation replaces the key at once, within the cap")
	assert.Equal(t, f.now(), *rotated.Previous.ExpiresAt)

	// The default tenant keeps the default policy.
	for range 3 {
		_, err := f.m.CreateKey(ctx, d.ID, serviceaccount.CreateKeyInput{})
		require.NoError(t, err)
	}
	_, stored, err = f.m.EffectivePolicy(ctx)
	require.NoError(t, err)
	assert.False(t, stored)

	events, err := acme.ListAuditEvents(ctx, serviceaccount.ListAuditEventsParams{Action: store.ActionPolicyUpdate})
	require.NoError(t, err)
	require.Len(t, events.Items, 1)
	var details map[string]any
	require.NoError(t, json.Unmarshal(events.Items[0].Details, &details))
	assert.Nil(t, details["before"])
	assert.Equal(t, map[string]any{
		"maxKeysPerAccount": 1.0, "maxKeyLifetimeSeconds": 86400.0, "defaultKeyLifetimeSeconds": 3600.0,
		"maxRotationGraceSeconds": 0.0, "leakedKeyAction": "disable", "unusedKeyDays": 0.0,
	}, details["after"])
}

func TestSetDefaultPolicyIsAuditedAsDefaults(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	acme := tenantView(t, f.m, "acme")
	f.changes = nil
	p, err := acme.SetDefaultPolicy(ctx, serviceaccount.TenantPolicy{MaxKeysPerAccount: 5, LeakedKeyAction: store.LeakedKeyDelete, UnusedKeyDays: 30})
	require.NoError(t, err)
	got, err := f.m.DefaultPolicy(ctx)
	require.NoError(t, err)
	assert.Equal(t, p, got)
	eff, stored, err := tenantView(t, f.m, "globex").EffectivePolicy(ctx)
	require.NoError(t, err)
	assert.False(t, stored)
	assert.Equal(t, p, eff)
	assert.Equal(t, []serviceaccount.Change{{Kind: serviceaccount.PolicyUpdated}}, f.changes)

	events, err := acme.ListAuditEvents(ctx, serviceaccount.ListAuditEventsParams{})
	require.NoError(t, err)
	require.Len(t, events.Items, 1)
	e := events.Items[0]
	assert.Equal(t, store.ActionPolicyUpdate, e.Action)
	var details map[string]any
	require.NoError(t, json.Unmarshal(e.Details, &details))
	assert.Equal(t, true, details["defaults"])
	assert.Nil(t, details["before"], "nothing was stored before")
}

func TestAnInvalidPolicyNamesItsFieldsAndWritesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	bad := serviceaccount.TenantPolicy{
		MaxKeysPerAccount: -1, MaxKeyLifetime: time.Hour, DefaultKeyLifetime: 2 * time.Hour,
		MaxRotationGrace: 1500 * time.Millisecond, LeakedKeyAction: "shred", UnusedKeyDays: -1,
	}
	_, err := f.m.SetPolicy(ctx, bad)
	requireFields(t, err, "maxKeysPerAccount", "maxRotationGraceSeconds", "defaultKeyLifetimeSeconds", "leakedKeyAction", "unusedKeyDays")
	_, err = f.m.SetDefaultPolicy(ctx, bad)
	requireFields(t, err, "maxKeysPerAccount", "maxRotationGraceSeconds", "defaultKeyLifetimeSeconds", "leakedKeyAction", "unusedKeyDays")
	_, stored, err := f.m.EffectivePolicy(ctx)
	require.NoError(t, err)
	assert.False(t, stored)
	events, err := f.m.ListAuditEvents(ctx, serviceaccount.ListAuditEventsParams{})
	require.NoError(t, err)
	assert.Empty(t, events.Items)
	assert.Empty(t, f.changes)
}

func TestAPolicyChangeReachesAnotherInstancesFeedAsAPolicyRow(t *testing.T) {
	st := memstore.New()
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: st, Clock: clockwork.NewFakeClockAt(start)})
	require.NoError(t, err)
	_, err = tenantView(t, m, "acme").SetPolicy(t.Context(), serviceaccount.TenantPolicy{MaxKeysPerAccount: 1})
	require.NoError(t, err)
	page, err := st.ChangeList(t.Context(), store.ChangeListParams{Limit: 10})
	require.NoError(t, err)
	require.Len(t, page.Changes, 1)
	c := page.Changes[0]
	assert.Equal(t, store.ChangePolicy, c.Kind)
	assert.Equal(t, "acme", c.Tenant)
}

func TestALeakReportFollowsTheKeysTenantsStoredPolicy(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	acme := tenantView(t, f.m, "acme")
	_, err := acme.SetPolicy(ctx, serviceaccount.TenantPolicy{LeakedKeyAction: store.LeakedKeyDelete})
	require.NoError(t, err)
	a, err := acme.CreateAccount(ctx, serviceaccount.AccountInput{Label: "a"})
	require.NoError(t, err)
	k, err := acme.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	d := f.account(t)
	dk, err := f.m.CreateKey(ctx, d.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)

	out, err := f.m.ReportLeakedKey(ctx, k.Plaintext, serviceaccount.LeakReport{URL: "https://example.com/x", Source: "content"})
	require.NoError(t, err)
	assert.Equal(t, serviceaccount.LeakedKeyDelete, out.Taken, "acme's policy")
	assert.Equal(t, "acme", out.Tenant)
	out, err = f.m.ReportLeakedKey(ctx, dk.Plaintext, serviceaccount.LeakReport{URL: "https://example.com/y", Source: "content"})
	require.NoError(t, err)
	assert.Equal(t, serviceaccount.LeakedKeyDisable, out.Taken, "the default policy")
}
