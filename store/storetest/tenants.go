package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// The tenants of the isolation tests: "acme" holds the records, "globex"
// asks for them.
const (
	tenantA = "acme"
	tenantB = "globex"
)

// runTenants proves, for every method that takes a tenant, that a record
// of one tenant is invisible and untouchable from another: not found
// (exactly as an id that names nothing), never listed, never changed.
func runTenants(t *testing.T, newStore NewStore) {
	subtests(t, newStore, map[string]func(t *testing.T, f *fixture){
		"AccountCreateStoresTheTenant": func(t *testing.T, f *fixture) {
			a := f.accountIn(tenantA, "a")
			got, err := f.s.AccountGet(f.ctx, tenantA, a.ID)
			require.NoError(t, err)
			require.Equal(t, tenantA, got.Tenant)
			requireAccount(t, a, got)
		},
		"AccountCreateRefusesARecordNamingAnotherTenant": func(t *testing.T, f *fixture) {
			a := store.Account{ID: newID(t), Tenant: tenantB, Label: "x", CreatedAt: base, UpdatedAt: base}
			err := f.w.AccountCreate(f.ctx, tenantA, a)
			require.Error(t, err)
			require.NotErrorIs(t, err, store.ErrNotFound)
			f.requireNoAccount(tenantA, a.ID)
			f.requireNoAccount(tenantB, a.ID)
		},
		"AccountCreateWithTheIDOfAnotherTenantsAccountIsErrConflict": func(t *testing.T, f *fixture) {
			a := f.accountIn(tenantA, "a")
			dup := a
			dup.Tenant = tenantB
			require.ErrorIs(t, f.w.AccountCreate(f.ctx, tenantB, dup), store.ErrConflict)
			f.requireNoAccount(tenantB, a.ID)
		},
		"AccountGetFromAnotherTenantIsErrNotFound": func(t *testing.T, f *fixture) {
			a := f.accountIn(tenantA, "a")
			f.requireNoAccount(tenantB, a.ID)
			f.requireNoAccount(store.DefaultTenant, a.ID)
			err := f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.AccountGet(ctx, tenantB, a.ID)
				return err
			})
			require.ErrorIs(t, err, store.ErrNotFound)
		},
		"AccountUpdateFromAnotherTenantIsErrNotFoundAndChangesNothing": func(t *testing.T, f *fixture) {
			a := f.accountIn(tenantA, "a")
			_, err := f.w.AccountUpdate(f.ctx, tenantB, store.AccountUpdateParams{ID: a.ID, Label: "taken", UpdatedAt: base.Add(time.Hour), DisabledAt: ptr(base)})
			require.ErrorIs(t, err, store.ErrNotFound)
			got, err := f.s.AccountGet(f.ctx, tenantA, a.ID)
			require.NoError(t, err)
			requireAccount(t, a, got)
		},
		"AccountDeleteFromAnotherTenantIsErrNotFoundAndDeletesNothing": func(t *testing.T, f *fixture) {
			a := f.accountIn(tenantA, "a")
			k := f.keyIn(tenantA, a.ID)
			p := f.permissionIn(tenantA, a.ID)
			require.ErrorIs(t, f.w.AccountDelete(f.ctx, tenantB, a.ID), store.ErrNotFound)
			_, err := f.s.AccountGet(f.ctx, tenantA, a.ID)
			require.NoError(t, err)
			keys, err := f.s.KeyList(f.ctx, tenantA, a.ID)
			require.NoError(t, err)
			require.Equal(t, []uuid.UUID{k.ID}, keyIDs(keys))
			perms, err := f.s.PermissionList(f.ctx, tenantA, a.ID)
			require.NoError(t, err)
			require.Equal(t, []uuid.UUID{p.ID}, permissionIDs(perms))
		},
		"AccountListNeverMixesTenants": func(t *testing.T, f *fixture) {
			var wantA, wantB []uuid.UUID
			for i := range 5 {
				wantA = append(wantA, f.accountIn(tenantA, "a").ID)
				if i%2 == 0 {
					wantB = append(wantB, f.accountIn(tenantB, "b").ID)
				}
			}
			for tenant, want := range map[string][]uuid.UUID{tenantA: wantA, tenantB: wantB, store.DefaultTenant: nil} {
				var walked []uuid.UUID
				after := uuid.Nil
				for {
					page, err := f.s.AccountList(f.ctx, tenant, after, 2)
					require.NoError(t, err)
					if len(page) == 0 {
						break
					}
					for _, a := range page {
						require.Equal(t, tenant, a.Tenant)
					}
					walked = append(walked, accountIDs(page)...)
					after = page[len(page)-1].ID
				}
				require.Equal(t, want, walked, "tenant %s", tenant)
			}
		},
		"KeyCreateForAnAccountOfAnotherTenantIsErrNotFound": func(t *testing.T, f *fixture) {
			a := f.accountIn(tenantA, "a")
			k, _ := f.keyRecord(a.ID)
			require.ErrorIs(t, f.w.KeyCreate(f.ctx, tenantB, k), store.ErrNotFound)
			keys, err := f.s.KeyList(f.ctx, tenantA, a.ID)
			require.NoError(t, err)
			require.Empty(t, keys)
		},
		"KeyListFromAnotherTenantIsErrNotFound": func(t *testing.T, f *fixture) {
			a := f.accountIn(tenantA, "a")
			f.keyIn(tenantA, a.ID)
			_, err := f.s.KeyList(f.ctx, tenantB, a.ID)
			require.ErrorIs(t, err, store.ErrNotFound)
			err = f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.KeyList(ctx, tenantB, a.ID)
				return err
			})
			require.ErrorIs(t, err, store.ErrNotFound)
		},
		"KeyGetUpdateAndDeleteFromAnotherTenantAreErrNotFound": func(t *testing.T, f *fixture) {
			a := f.accountIn(tenantA, "a")
			k := f.keyIn(tenantA, a.ID)
			err := f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.KeyGet(ctx, tenantB, a.ID, k.ID)
				return err
			})
			require.ErrorIs(t, err, store.ErrNotFound)
			err = f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.KeyUpdate(ctx, tenantB, store.KeyUpdateParams{AccountID: a.ID, KeyID: k.ID, Name: "taken", DisabledAt: ptr(base)})
				return err
			})
			require.ErrorIs(t, err, store.ErrNotFound)
			require.ErrorIs(t, f.w.KeyDelete(f.ctx, tenantB, a.ID, k.ID), store.ErrNotFound)
			keys, err := f.s.KeyList(f.ctx, tenantA, a.ID)
			require.NoError(t, err)
			require.Len(t, keys, 1)
			requireKey(t, k, keys[0])
		},
		"KeyByHashReturnsTheTenantOfTheKeysAccount": func(t *testing.T, f *fixture) {
			a := f.accountIn(tenantA, "a")
			k := f.keyIn(tenantA, a.ID)
			c, err := f.s.KeyByHash(f.ctx, k.Hash)
			require.NoError(t, err)
			require.Equal(t, tenantA, c.Account.Tenant)
			require.Equal(t, a.ID, c.Account.ID)
		},
		"KeyListAllListsOnlyTheTenantsKeys": func(t *testing.T, f *fixture) {
			a := f.accountIn(tenantA, "a")
			b := f.accountIn(tenantB, "b")
			var wantA, wantB []uuid.UUID
			for range 3 {
				wantA = append(wantA, f.keyIn(tenantA, a.ID).ID)
				wantB = append(wantB, f.keyIn(tenantB, b.ID).ID)
			}
			for tenant, want := range map[string][]uuid.UUID{tenantA: wantA, tenantB: wantB, store.DefaultTenant: nil} {
				var walked []uuid.UUID
				after := uuid.Nil
				for {
					page, err := f.s.KeyListAll(f.ctx, tenant, after, 2, store.KeyFilter{})
					require.NoError(t, err)
					if len(page) == 0 {
						break
					}
					walked = append(walked, keyIDs(page)...)
					after = page[len(page)-1].ID
				}
				require.Equal(t, want, walked, "tenant %s", tenant)
			}
		},
		"PermissionCreateForAnAccountOfAnotherTenantIsErrNotFound": func(t *testing.T, f *fixture) {
			a := f.accountIn(tenantA, "a")
			p := permission.Permission{ID: newID(t), AccountID: a.ID, ResourceType: "study", ResourceKey: "s1", Action: "get-responses", CreatedAt: base}
			require.ErrorIs(t, f.w.PermissionCreate(f.ctx, tenantB, p), store.ErrNotFound)
			perms, err := f.s.PermissionList(f.ctx, tenantA, a.ID)
			require.NoError(t, err)
			require.Empty(t, perms)
		},
		"PermissionGetListUpdateAndDeleteFromAnotherTenantAreErrNotFound": func(t *testing.T, f *fixture) {
			a := f.accountIn(tenantA, "a")
			p := f.permissionIn(tenantA, a.ID)
			_, err := f.s.PermissionList(f.ctx, tenantB, a.ID)
			require.ErrorIs(t, err, store.ErrNotFound)
			err = f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.PermissionList(ctx, tenantB, a.ID)
				return err
			})
			require.ErrorIs(t, err, store.ErrNotFound)
			err = f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.PermissionGet(ctx, tenantB, a.ID, p.ID)
				return err
			})
			require.ErrorIs(t, err, store.ErrNotFound)
			_, err = f.w.PermissionUpdateLimiter(f.ctx, tenantB, store.PermissionUpdateLimiterParams{
				AccountID: a.ID, PermissionID: p.ID, Limiter: limiter.MustParse(`[{"surveyKey":"q1"}]`),
			})
			require.ErrorIs(t, err, store.ErrNotFound)
			require.ErrorIs(t, f.w.PermissionDelete(f.ctx, tenantB, a.ID, p.ID), store.ErrNotFound)
			perms, err := f.s.PermissionList(f.ctx, tenantA, a.ID)
			require.NoError(t, err)
			require.Len(t, perms, 1)
			requirePermission(t, p, perms[0])
		},
		"AuditListNeverMixesTenants": func(t *testing.T, f *fixture) {
			acc := newID(t)
			var wantA, wantB []uuid.UUID
			for i := range 4 {
				at := base.Add(time.Duration(i) * time.Minute)
				wantA = append([]uuid.UUID{f.eventIn(tenantA, acc, at).ID}, wantA...)
				wantB = append([]uuid.UUID{f.eventIn(tenantB, acc, at).ID}, wantB...)
			}
			for tenant, want := range map[string][]uuid.UUID{tenantA: wantA, tenantB: wantB} {
				for _, p := range []store.AuditListParams{
					{Tenant: tenant, Limit: 10},
					{Tenant: tenant, Limit: 10, ServiceAccountID: acc},
					{Tenant: tenant, Limit: 10, Action: store.ActionAccountUpdate},
					{Tenant: tenant, Limit: 10, ActorID: "admin"},
				} {
					got, err := f.s.AuditList(f.ctx, p)
					require.NoError(t, err)
					var ids []uuid.UUID
					for _, e := range got {
						require.Equal(t, tenant, e.Tenant)
						ids = append(ids, e.ID)
					}
					require.Equal(t, want, ids, "tenant %s, %+v", tenant, p)
				}
			}
			got, err := f.s.AuditList(f.ctx, store.AuditListParams{Tenant: store.DefaultTenant, Limit: 10})
			require.NoError(t, err)
			require.Empty(t, got)
		},
		"AuditAppendRefusesAnEventNamingAnotherTenant": func(t *testing.T, f *fixture) {
			e := store.AuditEvent{
				ID: newID(t), Tenant: tenantB, OccurredAt: base, Action: store.ActionAccountUpdate,
				ServiceAccountID: newID(t), Details: []byte(`{}`),
			}
			err := f.w.AuditAppend(f.ctx, tenantA, e)
			require.Error(t, err)
			require.NotErrorIs(t, err, store.ErrConflict)
		},
		"ChangeRecordKeepsTheTenantAndTheKind": func(t *testing.T, f *fixture) {
			acc := newID(t)
			require.NoError(t, f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				if err := tx.ChangeRecord(ctx, tenantA, store.ChangeRecordParams{AccountID: acc, RecordedAt: base}); err != nil {
					return err
				}
				if err := tx.ChangeRecord(ctx, tenantB, store.ChangeRecordParams{Kind: store.ChangePolicy, RecordedAt: base}); err != nil {
					return err
				}
				return tx.ChangeRecord(ctx, "", store.ChangeRecordParams{Kind: store.ChangePolicy, RecordedAt: base})
			}))
			page, err := f.s.ChangeList(f.ctx, store.ChangeListParams{Limit: 10})
			require.NoError(t, err)
			require.Len(t, page.Changes, 3)
			type row struct {
				kind    store.ChangeKind
				tenant  string
				account uuid.UUID
			}
			var got []row
			for _, c := range page.Changes {
				got = append(got, row{c.Kind, c.Tenant, c.AccountID})
			}
			require.Equal(t, []row{
				{store.ChangeAccount, tenantA, acc},
				{store.ChangePolicy, tenantB, uuid.Nil},
				{store.ChangePolicy, "", uuid.Nil},
			}, got)
		},
		"TenantListListsTenantsWithAccountsOrAPolicyInOrder": func(t *testing.T, f *fixture) {
			got, err := f.s.TenantList(f.ctx, "", 10)
			require.NoError(t, err)
			require.Empty(t, got, "no tenant before anything is stored, not even default")

			f.accountIn(tenantB, "b1")
			disabled := f.accountIn(tenantB, "b2")
			_, err = f.w.AccountUpdate(f.ctx, tenantB, store.AccountUpdateParams{ID: disabled.ID, Label: "b2", UpdatedAt: base, DisabledAt: ptr(base)})
			require.NoError(t, err)
			f.accountIn(tenantA, "a1")
			f.accountIn("zeta", "z")
			require.NoError(t, f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				if err := tx.PolicyPut(ctx, "policy-only", store.Policy{MaxKeysPerAccount: 1}); err != nil {
					return err
				}
				return tx.PolicyPut(ctx, tenantA, store.Policy{MaxKeysPerAccount: 2})
			}))
			want := []store.TenantSummary{
				{ID: tenantA, AccountCount: 1},
				{ID: tenantB, AccountCount: 2}, // the disabled account counts
				{ID: "policy-only", AccountCount: 0},
				{ID: "zeta", AccountCount: 1},
			}
			got, err = f.s.TenantList(f.ctx, "", 10)
			require.NoError(t, err)
			require.Equal(t, want, got)

			var walked []store.TenantSummary
			after := ""
			for {
				page, err := f.s.TenantList(f.ctx, after, 3)
				require.NoError(t, err)
				if len(page) == 0 {
					break
				}
				walked = append(walked, page...)
				after = page[len(page)-1].ID
			}
			require.Equal(t, want, walked)
		},
		"TenantListForgetsATenantWhoseLastAccountIsDeleted": func(t *testing.T, f *fixture) {
			a := f.accountIn(tenantA, "a")
			f.accountIn(tenantB, "b")
			require.NoError(t, f.w.AccountDelete(f.ctx, tenantA, a.ID))
			got, err := f.s.TenantList(f.ctx, "", 10)
			require.NoError(t, err)
			require.Equal(t, []store.TenantSummary{{ID: tenantB, AccountCount: 1}}, got)
		},
		"TenantListWithALimitBelowOneIsAnError": func(t *testing.T, f *fixture) {
			_, err := f.s.TenantList(f.ctx, "", 0)
			require.Error(t, err)
		},
		"PoliciesAreStoredPerTenant": func(t *testing.T, f *fixture) {
			pa := store.Policy{
				MaxKeysPerAccount: 3, MaxKeyLifetime: time.Hour, DefaultKeyLifetime: 30 * time.Minute,
				MaxRotationGrace: 2 * time.Hour, LeakedKeyAction: store.LeakedKeyDelete, UnusedKeyDays: 30,
			}
			pb := store.Policy{LeakedKeyAction: store.LeakedKeyDisable}
			f.putPolicy(tenantA, pa)
			require.Equal(t, pa, f.policy(tenantA))
			_, err := f.getPolicy(tenantB)
			require.ErrorIs(t, err, store.ErrNotFound, "another tenant's policy is not this one's")
			f.putPolicy(tenantB, pb)
			require.Equal(t, pb, f.policy(tenantB))
			require.Equal(t, pa, f.policy(tenantA), "unchanged by the other tenant's put")
			pa.MaxKeysPerAccount = 7
			f.putPolicy(tenantA, pa)
			require.Equal(t, pa, f.policy(tenantA), "a put replaces")
		},
		"APolicyPutInAFailedTransactionIsNotStored": func(t *testing.T, f *fixture) {
			boom := errors.New("boom")
			err := f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				if err := tx.PolicyPut(ctx, tenantA, store.Policy{MaxKeysPerAccount: 1}); err != nil {
					return err
				}
				if err := tx.PolicyDefaultPut(ctx, store.Policy{MaxKeysPerAccount: 1}); err != nil {
					return err
				}
				return boom
			})
			require.ErrorIs(t, err, boom)
			_, err = f.getPolicy(tenantA)
			require.ErrorIs(t, err, store.ErrNotFound)
			_, err = f.defaultPolicy()
			require.ErrorIs(t, err, store.ErrNotFound)
		},
		"TheDefaultPolicyIsStoredOnceByInitAndReplacedByPut": func(t *testing.T, f *fixture) {
			_, err := f.defaultPolicy()
			require.ErrorIs(t, err, store.ErrNotFound)
			first := store.Policy{MaxKeysPerAccount: 4, MaxRotationGrace: time.Hour, LeakedKeyAction: store.LeakedKeyDisable, UnusedKeyDays: 90}
			second := store.Policy{MaxKeysPerAccount: 9, LeakedKeyAction: store.LeakedKeyDelete}
			require.Equal(t, first, f.initDefaultPolicy(first))
			require.Equal(t, first, f.initDefaultPolicy(second), "init keeps what is stored")
			require.NoError(t, f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				return tx.PolicyDefaultPut(ctx, second)
			}))
			got, err := f.defaultPolicy()
			require.NoError(t, err)
			require.Equal(t, second, got)
			_, err = f.getPolicy(store.DefaultTenant)
			require.ErrorIs(t, err, store.ErrNotFound, "the default policy is not the default tenant's")
		},
		"ConcurrentDefaultPolicyInitsAgreeOnOne": func(t *testing.T, f *fixture) {
			const n = 4
			results := make(chan store.Policy, n)
			errs := make(chan error, n)
			for i := range n {
				go func() {
					var got store.Policy
					err := f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
						var err error
						got, err = tx.PolicyDefaultInit(ctx, store.Policy{MaxKeysPerAccount: i + 1, LeakedKeyAction: store.LeakedKeyDisable})
						return err
					})
					errs <- err
					results <- got
				}()
			}
			var first store.Policy
			for i := range n {
				require.NoError(t, <-errs)
				got := <-results
				if i == 0 {
					first = got
				}
				require.Equal(t, first, got, "every instance reads the winner's policy")
			}
			stored, err := f.defaultPolicy()
			require.NoError(t, err)
			require.Equal(t, first, stored)
		},
	})
}

func (f *fixture) accountIn(tenant, label string) store.Account {
	f.t.Helper()
	a := store.Account{
		ID: newID(f.t), Tenant: tenant, Label: label, Description: "about " + label,
		CreatedAt: base, UpdatedAt: base,
	}
	require.NoError(f.t, f.w.AccountCreate(f.ctx, tenant, a))
	return a
}

func (f *fixture) keyIn(tenant string, accountID uuid.UUID) apikey.Key {
	f.t.Helper()
	k, _ := f.keyRecord(accountID)
	require.NoError(f.t, f.w.KeyCreate(f.ctx, tenant, k))
	return k
}

func (f *fixture) permissionIn(tenant string, accountID uuid.UUID) permission.Permission {
	f.t.Helper()
	p := permission.Permission{
		ID: newID(f.t), AccountID: accountID, ResourceType: "study", ResourceKey: "s1", Action: "get-responses",
		CreatedAt: base,
	}
	require.NoError(f.t, f.w.PermissionCreate(f.ctx, tenant, p))
	return p
}

func (f *fixture) eventIn(tenant string, accountID uuid.UUID, at time.Time) store.AuditEvent {
	f.t.Helper()
	e := store.AuditEvent{
		ID: newID(f.t), Tenant: tenant, OccurredAt: at, Action: store.ActionAccountUpdate,
		Actor: &store.Actor{ID: "admin"}, ServiceAccountID: accountID, Details: []byte(`{}`),
	}
	require.NoError(f.t, f.w.AuditAppend(f.ctx, tenant, e))
	return e
}

func (f *fixture) requireNoAccount(tenant string, id uuid.UUID) {
	f.t.Helper()
	_, err := f.s.AccountGet(f.ctx, tenant, id)
	require.ErrorIs(f.t, err, store.ErrNotFound)
}

func (f *fixture) putPolicy(tenant string, p store.Policy) {
	f.t.Helper()
	require.NoError(f.t, f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error { return tx.PolicyPut(ctx, tenant, p) }))
}

func (f *fixture) getPolicy(tenant string) (store.Policy, error) {
	var p store.Policy
	err := f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		p, err = tx.PolicyGet(ctx, tenant)
		return err
	})
	return p, err
}

func (f *fixture) policy(tenant string) store.Policy {
	f.t.Helper()
	p, err := f.getPolicy(tenant)
	require.NoError(f.t, err)
	return p
}

func (f *fixture) defaultPolicy() (store.Policy, error) {
	var p store.Policy
	err := f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		p, err = tx.PolicyDefaultGet(ctx)
		return err
	})
	return p, err
}

func (f *fixture) initDefaultPolicy(p store.Policy) store.Policy {
	f.t.Helper()
	var got store.Policy
	require.NoError(f.t, f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.PolicyDefaultInit(ctx, p)
		return err
	}))
	return got
}
