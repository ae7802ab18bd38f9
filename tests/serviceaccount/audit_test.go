package serviceaccount_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// The Manager's audit behaviour is tested on every backend: what matters
// is that the event shares the change's transaction in each of them.
var auditBackends = map[string]func(t *testing.T) store.Store{
	"memory":   func(t *testing.T) store.Store { return memstore.New() },
	"sqlite":   func(t *testing.T) store.Store { return sqltest.NewStore(t, sqltest.SQLiteURL(t)) },
	"postgres": func(t *testing.T) store.Store { return sqltest.NewStore(t, sqltest.PostgresURL(t)) },
	"mysql":    func(t *testing.T) store.Store { return sqltest.NewStore(t, sqltest.MySQLURL(t)) },
}

func forEachBackend(t *testing.T, fn func(t *testing.T, s store.Store)) {
	for name, newStore := range auditBackends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newStore(t))
		})
	}
}

type auditFixture struct {
	t     *testing.T
	m     *serviceaccount.Manager
	s     store.Store
	clock *clockwork.FakeClock
	ctx   context.Context
	actor serviceaccount.Actor
	seen  int // events already checked
}

func newAuditFixture(t *testing.T, s store.Store) *auditFixture {
	t.Helper()
	clock := clockwork.NewFakeClockAt(start)
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: s, Clock: clock})
	require.NoError(t, err)
	actor := serviceaccount.Actor{ID: "alice@example.org", Address: "198.51.100.7:4431", UserAgent: "curl/8.11 ✓"}
	return &auditFixture{t: t, m: m, s: s, clock: clock, ctx: serviceaccount.WithActor(t.Context(), actor), actor: actor}
}

// events lists every stored event, newest first.
func (f *auditFixture) events() []serviceaccount.AuditEvent {
	f.t.Helper()
	var all []serviceaccount.AuditEvent
	p := serviceaccount.ListAuditEventsParams{Limit: serviceaccount.MaxPageSize}
	for range 100 {
		page, err := f.m.ListAuditEvents(f.t.Context(), p)
		require.NoError(f.t, err)
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		p.Cursor = page.NextCursor
	}
	f.t.Fatal("the audit log does not end")
	return nil
}

// expectOne checks that exactly one event was written since the last
// check, and returns it.
func (f *auditFixture) expectOne(action serviceaccount.AuditAction, accountID uuid.UUID, target *uuid.UUID) serviceaccount.AuditEvent {
	f.t.Helper()
	all := f.events()
	require.Len(f.t, all, f.seen+1, "one event for %s", action)
	f.seen++
	e := all[0]
	assert.Equal(f.t, action, e.Action)
	assert.Equal(f.t, accountID, e.ServiceAccountID)
	assert.Equal(f.t, target, e.TargetID)
	require.NotNil(f.t, e.Actor)
	assert.Equal(f.t, f.actor, *e.Actor)
	assert.WithinDuration(f.t, f.clock.Now(), e.OccurredAt, time.Microsecond)
	assert.Equal(f.t, time.UTC, e.OccurredAt.Location())
	assert.EqualValues(f.t, 7, e.ID.Version(), "UUIDv7")
	f.clock.Advance(time.Second)
	return e
}

func (f *auditFixture) expectNone(why string) {
	f.t.Helper()
	require.Len(f.t, f.events(), f.seen, why)
}

const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

func details(t *testing.T, e serviceaccount.AuditEvent) map[string]any {
	t.Helper()
	var d map[string]any
	require.NoError(t, json.Unmarshal(e.Details, &d), "%s", e.Details)
	assert.Contains(t, d, "before")
	assert.Contains(t, d, "after")
	return d
}

func TestEveryChangeWritesOneEventWithItsActorAndNoSecret(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s store.Store) {
		f := newAuditFixture(t, s)
		ctx := f.ctx
		var secrets []string
		keep := func(k serviceaccount.CreatedKey) {
			secrets = append(secrets, k.Plaintext, hex.EncodeToString(k.Key.Hash[:]),
				base64.StdEncoding.EncodeToString(k.Key.Hash[:]), base64.RawURLEncoding.EncodeToString(k.Key.Hash[:]))
			// and the random part alone, in case a prefix was stripped
			secrets = append(secrets, strings.SplitN(k.Plaintext, "_", 2)[1][:20])
		}

		a, err := f.m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "export", Description: "nightly"})
		require.NoError(t, err)
		e := f.expectOne(store.ActionAccountCreate, a.ID, nil)
		assert.Equal(t, map[string]any{"before": nil, "after": map[string]any{"label": "export", "description": "nightly", "disabledAt": nil}}, details(t, e))

		_, err = f.m.UpdateAccount(ctx, a.ID, serviceaccount.AccountInput{Label: "export v2"})
		require.NoError(t, err)
		e = f.expectOne(store.ActionAccountUpdate, a.ID, nil)
		assert.Equal(t, map[string]any{
			"before": map[string]any{"label": "export", "description": "nightly", "disabledAt": nil},
			"after":  map[string]any{"label": "export v2", "description": "", "disabledAt": nil},
		}, details(t, e))

		disabled := true
		_, err = f.m.PatchAccount(ctx, a.ID, serviceaccount.AccountPatch{Disabled: &disabled, Description: ptr("paused")})
		require.NoError(t, err)
		e = f.expectOne(store.ActionAccountDisable, a.ID, nil)
		d := details(t, e)
		assert.Nil(t, d["before"].(map[string]any)["disabledAt"])
		assert.Equal(t, f.clock.Now().Add(-time.Second).UTC().Format(timeLayout), d["after"].(map[string]any)["disabledAt"])
		assert.Equal(t, "paused", d["after"].(map[string]any)["description"], "one event for the whole patch")
		_, err = f.m.PatchAccount(ctx, a.ID, serviceaccount.AccountPatch{Disabled: &disabled})
		require.NoError(t, err)
		f.expectNone("disabling a disabled account changes nothing")
		enabled := false
		_, err = f.m.PatchAccount(ctx, a.ID, serviceaccount.AccountPatch{Disabled: &enabled})
		require.NoError(t, err)
		f.expectOne(store.ActionAccountEnable, a.ID, nil)
		_, err = f.m.PatchAccount(ctx, a.ID, serviceaccount.AccountPatch{Label: ptr("export v3")})
		require.NoError(t, err)
		f.expectOne(store.ActionAccountUpdate, a.ID, nil)

		expires := f.clock.Now().Add(24 * time.Hour)
		k1, err := f.m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{Name: "deploy", ExpiresAt: &expires})
		require.NoError(t, err)
		keep(k1)
		e = f.expectOne(store.ActionKeyCreate, a.ID, &k1.Key.ID)
		after := details(t, e)["after"].(map[string]any)
		assert.Equal(t, map[string]any{
			"id": k1.Key.ID.String(), "hint": k1.Key.Hint, "name": "deploy",
			"expiresAt": expires.UTC().Truncate(time.Microsecond).Format(timeLayout), "disabledAt": nil, "replacedBy": nil,
		}, after)

		_, err = f.m.PatchKey(ctx, a.ID, k1.Key.ID, serviceaccount.KeyPatch{Name: ptr("deploy v2")})
		require.NoError(t, err)
		e = f.expectOne(store.ActionKeyUpdate, a.ID, &k1.Key.ID)
		assert.Equal(t, "deploy", details(t, e)["before"].(map[string]any)["name"])
		assert.Equal(t, "deploy v2", details(t, e)["after"].(map[string]any)["name"])
		_, err = f.m.PatchKey(ctx, a.ID, k1.Key.ID, serviceaccount.KeyPatch{Disabled: &disabled})
		require.NoError(t, err)
		f.expectOne(store.ActionKeyDisable, a.ID, &k1.Key.ID)
		_, err = f.m.PatchKey(ctx, a.ID, k1.Key.ID, serviceaccount.KeyPatch{Name: ptr("deploy v2")})
		require.NoError(t, err)
		f.expectNone("a rename to the same name changes nothing")
		_, err = f.m.PatchKey(ctx, a.ID, k1.Key.ID, serviceaccount.KeyPatch{Disabled: &enabled})
		require.NoError(t, err)
		f.expectOne(store.ActionKeyEnable, a.ID, &k1.Key.ID)

		rotated, err := f.m.RotateKey(ctx, a.ID, k1.Key.ID, serviceaccount.RotateKeyInput{GracePeriodSeconds: ptr(int64(3600))})
		require.NoError(t, err)
		keep(rotated.Created)
		e = f.expectOne(store.ActionKeyRotate, a.ID, &k1.Key.ID)
		d = details(t, e)
		assert.Nil(t, d["before"].(map[string]any)["replacedBy"])
		assert.Equal(t, rotated.Created.Key.ID.String(), d["after"].(map[string]any)["replacedBy"])
		assert.Equal(t, rotated.Previous.ExpiresAt.Format(timeLayout), d["after"].(map[string]any)["expiresAt"])
		assert.Equal(t, map[string]any{
			"id": rotated.Created.Key.ID.String(), "hint": rotated.Created.Key.Hint, "name": "deploy v2",
			"expiresAt": rotated.Created.Key.ExpiresAt.Format(timeLayout), "disabledAt": nil, "replacedBy": nil,
		}, d["created"], "the new key, by its hint")

		k2, err := f.m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
		require.NoError(t, err)
		keep(k2)
		f.expectOne(store.ActionKeyCreate, a.ID, &k2.Key.ID)

		_, err = f.m.ReportLeakedKey(ctx, k2.Plaintext, serviceaccount.LeakReport{URL: "https://github.com/o/r/blob/1/.env", Source: "content"})
		require.NoError(t, err)
		e = f.expectOne(store.ActionKeyLeaked, a.ID, &k2.Key.ID)
		assert.Equal(t, map[string]any{"url": "https://github.com/o/r/blob/1/.env", "source": "content"}, details(t, e)["report"])

		p, err := f.m.AddPermission(ctx, a.ID, serviceaccount.PermissionInput{
			ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses", Limiter: json.RawMessage(`[{"surveyKey":"intake"}]`),
		})
		require.NoError(t, err)
		e = f.expectOne(store.ActionPermissionCreate, a.ID, &p.ID)
		assert.Equal(t, map[string]any{
			"id": p.ID.String(), "resourceType": "study", "resourceKey": "tekenradar", "action": "get-responses",
			"limiter": []any{map[string]any{"surveyKey": "intake"}},
		}, details(t, e)["after"])

		_, err = f.m.SetLimiter(ctx, a.ID, p.ID, json.RawMessage(`[{"surveyKey":["intake","weekly"]}]`))
		require.NoError(t, err)
		e = f.expectOne(store.ActionPermissionUpdate, a.ID, &p.ID)
		d = details(t, e)
		assert.Equal(t, []any{map[string]any{"surveyKey": "intake"}}, d["before"].(map[string]any)["limiter"])
		assert.Equal(t, []any{map[string]any{"surveyKey": []any{"intake", "weekly"}}}, d["after"].(map[string]any)["limiter"])

		require.NoError(t, f.m.DeletePermission(ctx, a.ID, p.ID))
		e = f.expectOne(store.ActionPermissionDelete, a.ID, &p.ID)
		assert.Nil(t, details(t, e)["after"])
		assert.Equal(t, "get-responses", details(t, e)["before"].(map[string]any)["action"])

		require.NoError(t, f.m.DeleteKey(ctx, a.ID, k1.Key.ID))
		e = f.expectOne(store.ActionKeyDelete, a.ID, &k1.Key.ID)
		assert.Equal(t, k1.Key.Hint, details(t, e)["before"].(map[string]any)["hint"])

		p2, err := f.m.AddPermission(ctx, a.ID, serviceaccount.PermissionInput{ResourceType: "users", ResourceKey: "*", Action: "*"})
		require.NoError(t, err)
		f.expectOne(store.ActionPermissionCreate, a.ID, &p2.ID)

		require.NoError(t, f.m.DeleteAccount(ctx, a.ID))
		e = f.expectOne(store.ActionAccountDelete, a.ID, nil)
		before := details(t, e)["before"].(map[string]any)
		assert.Equal(t, "export v3", before["label"])
		require.Len(t, before["keys"], 2, "the keys deleted with the account")
		assert.Equal(t, rotated.Created.Key.Hint, before["keys"].([]any)[0].(map[string]any)["hint"], "in creation order")
		assert.Equal(t, k2.Key.Hint, before["keys"].([]any)[1].(map[string]any)["hint"])
		require.Len(t, before["permissions"], 1, "the permission deleted with it")

		hook, err := f.m.CreateWebhook(ctx, serviceaccount.WebhookInput{URL: "https://192.0.2.10/hook", Events: []string{"key.create"}})
		require.NoError(t, err)
		secrets = append(secrets, strings.TrimPrefix(hook.Secret, "whsec_"))
		e = f.expectOne(store.ActionWebhookCreate, uuid.Nil, &hook.ID)
		assert.Equal(t, "https://192.0.2.10/hook", details(t, e)["after"].(map[string]any)["url"])
		require.NoError(t, f.m.DeleteWebhook(ctx, hook.ID))
		e = f.expectOne(store.ActionWebhookDelete, uuid.Nil, &hook.ID)
		assert.Equal(t, hook.ID.String(), details(t, e)["before"].(map[string]any)["id"])

		_, err = f.m.SetPolicy(ctx, serviceaccount.TenantPolicy{MaxKeysPerAccount: 4})
		require.NoError(t, err)
		e = f.expectOne(store.ActionPolicyUpdate, uuid.Nil, nil)
		assert.EqualValues(t, 4, details(t, e)["after"].(map[string]any)["maxKeysPerAccount"])

		// Every event, whole, against every secret the walk made.
		all := f.events()
		require.Len(t, all, 21, "the account's events outlive it")
		var actions []serviceaccount.AuditAction
		for _, e := range all {
			actions = append(actions, e.Action)
		}
		assert.ElementsMatch(t, store.AuditActions(), slices.Compact(slices.Sorted(slices.Values(actions))), "every action was walked")
		for _, e := range all {
			whole, err := json.Marshal(e)
			require.NoError(t, err)
			for _, secret := range secrets {
				require.NotContains(t, string(whole), secret, "event %s", e.Action)
			}
		}
	})
}

func TestAChangeWithoutAnActorRecordsNone(t *testing.T) {
	f := newAuditFixture(t, memstore.New())
	_, err := f.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "a"})
	require.NoError(t, err)
	all := f.events()
	require.Len(t, all, 1)
	assert.Nil(t, all[0].Actor)
}

func TestAFailedOrRejectedChangeWritesNoEvent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s store.Store) {
		f := newAuditFixture(t, s)
		ctx := f.ctx
		a, err := f.m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "a"})
		require.NoError(t, err)
		f.expectOne(store.ActionAccountCreate, a.ID, nil)
		other, err := f.m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "other"})
		require.NoError(t, err)
		f.expectOne(store.ActionAccountCreate, other.ID, nil)
		k, err := f.m.CreateKey(ctx, other.ID, serviceaccount.CreateKeyInput{})
		require.NoError(t, err)
		f.expectOne(store.ActionKeyCreate, other.ID, &k.Key.ID)
		unknown := uuid.Must(uuid.NewV7())

		_, err = f.m.UpdateAccount(ctx, unknown, serviceaccount.AccountInput{Label: "x"})
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, f.m.DeleteAccount(ctx, unknown), store.ErrNotFound)
		_, err = f.m.CreateKey(ctx, unknown, serviceaccount.CreateKeyInput{})
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, f.m.DeleteKey(ctx, a.ID, k.Key.ID), store.ErrNotFound, "a key of another account")
		require.ErrorIs(t, f.m.DeletePermission(ctx, a.ID, unknown), store.ErrNotFound)
		_, err = f.m.SetLimiter(ctx, a.ID, unknown, nil)
		require.ErrorIs(t, err, store.ErrNotFound)
		f.expectNone("failed changes")

		var verr *serviceaccount.ValidationError
		_, err = f.m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "  "})
		require.ErrorAs(t, err, &verr)
		_, err = f.m.AddPermission(ctx, a.ID, serviceaccount.PermissionInput{ResourceType: "nope", ResourceKey: "x", Action: "y"})
		require.ErrorAs(t, err, &verr)
		_, err = f.m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{ExpiresAt: ptr(f.clock.Now().Add(-time.Hour))})
		require.ErrorAs(t, err, &verr)
		_, err = f.m.AddPermission(ctx, a.ID, serviceaccount.PermissionInput{ResourceType: "users", ResourceKey: "*", Action: "*"})
		require.NoError(t, err)
		f.seen++
		_, err = f.m.AddPermission(ctx, a.ID, serviceaccount.PermissionInput{ResourceType: "users", ResourceKey: "*", Action: "*"})
		require.Error(t, err, "the same grant again")
		f.expectNone("rejected input")

		for _, bad := range []serviceaccount.Actor{
			{ID: ""},
			{ID: strings.Repeat("x", store.MaxActorIDLength+1)},
			{ID: "a\nb"},
			{ID: "ok", Address: "bad\xff"},
			{ID: "ok", UserAgent: strings.Repeat("é", store.MaxActorUserAgentLength+1)},
		} {
			_, err := f.m.CreateAccount(serviceaccount.WithActor(t.Context(), bad), serviceaccount.AccountInput{Label: "b"})
			require.ErrorAs(t, err, &verr, "%+v", bad)
			require.True(t, strings.HasPrefix(verr.Fields[0].Field, "actor."), verr.Fields[0].Field)
		}
		f.expectNone("an actor the log cannot hold")
		accounts, err := f.m.ListAccounts(t.Context(), serviceaccount.ListAccountsParams{})
		require.NoError(t, err)
		assert.Len(t, accounts.Items, 2, "and no account was created")
	})
}

var errInjected = errors.New("injected failure after the change and its event")

// failingCommits is a backend whose transactions fail after fn has
// handed over everything (the change, then its event), as a failed commit
// would: the event must go with the change. With failEvents, it refuses
// every event instead: the change must go with the event.
type failingCommits struct {
	store.Store
	fail, failEvents bool
	txs              int // transactions begun
}

func (s *failingCommits) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	s.txs++
	return s.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if s.failEvents {
			tx = refusingEvents{tx}
		}
		if err := fn(ctx, tx); err != nil {
			return err
		}
		if s.fail {
			return errInjected
		}
		return nil
	})
}

type refusingEvents struct{ store.Tx }

func (refusingEvents) AuditAppend(context.Context, string, serviceaccount.AuditEvent) error {
	return errInjected
}

// TestTheEventIsCommittedWithItsChangeOrNotAtAll fails, on every
// backend, if the Manager writes the event anywhere but in the change's
// own transaction.
func TestTheEventIsCommittedWithItsChangeOrNotAtAll(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s store.Store) {
		fs := &failingCommits{Store: s}
		f := newAuditFixture(t, fs)
		ctx := f.ctx
		a, err := f.m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "a"})
		require.NoError(t, err)
		require.Equal(t, 1, fs.txs, "one transaction holds the change and its event")
		f.expectOne(store.ActionAccountCreate, a.ID, nil)
		k, err := f.m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
		require.NoError(t, err)
		require.Equal(t, 2, fs.txs)
		f.expectOne(store.ActionKeyCreate, a.ID, &k.Key.ID)
		p, err := f.m.AddPermission(ctx, a.ID, serviceaccount.PermissionInput{ResourceType: "users", ResourceKey: "*", Action: "*"})
		require.NoError(t, err)
		require.Equal(t, 3, fs.txs)
		f.expectOne(store.ActionPermissionCreate, a.ID, &p.ID)

		changes := map[string]func() error{
			"CreateAccount": func() error {
				_, err := f.m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "b"})
				return err
			},
			"UpdateAccount": func() error {
				_, err := f.m.UpdateAccount(ctx, a.ID, serviceaccount.AccountInput{Label: "changed"})
				return err
			},
			"CreateKey": func() error {
				_, err := f.m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
				return err
			},
			"AddPermission": func() error {
				_, err := f.m.AddPermission(ctx, a.ID, serviceaccount.PermissionInput{ResourceType: "study", ResourceKey: "s", Action: "*"})
				return err
			},
			"SetLimiter": func() error {
				_, err := f.m.SetLimiter(ctx, a.ID, p.ID, nil)
				return err
			},
			"PatchAccount": func() error {
				_, err := f.m.PatchAccount(ctx, a.ID, serviceaccount.AccountPatch{Disabled: ptr(true)})
				return err
			},
			"PatchKey": func() error {
				_, err := f.m.PatchKey(ctx, a.ID, k.Key.ID, serviceaccount.KeyPatch{Disabled: ptr(true), Name: ptr("x")})
				return err
			},
			"RotateKey": func() error {
				_, err := f.m.RotateKey(ctx, a.ID, k.Key.ID, serviceaccount.RotateKeyInput{})
				return err
			},
			"DeletePermission": func() error { return f.m.DeletePermission(ctx, a.ID, p.ID) },
			"DeleteKey":        func() error { return f.m.DeleteKey(ctx, a.ID, k.Key.ID) },
			"DeleteAccount":    func() error { return f.m.DeleteAccount(ctx, a.ID) },
		}
		for _, mode := range []struct {
			name             string
			fail, failEvents bool
		}{
			{"the transaction fails after the event was handed over", true, false},
			{"the event cannot be written", false, true},
		} {
			fs.fail, fs.failEvents = mode.fail, mode.failEvents
			for name, change := range changes {
				require.ErrorIs(t, change(), errInjected, "%s: %s", mode.name, name)
				f.expectNone(name + ": " + mode.name)
			}
		}
		fs.fail, fs.failEvents = false, false

		got, err := f.m.Account(t.Context(), a.ID)
		require.NoError(t, err)
		assert.Equal(t, "a", got.Label, "and no change was kept either")
		assert.Nil(t, got.DisabledAt)
		keys, err := f.m.Keys(t.Context(), a.ID)
		require.NoError(t, err)
		require.Len(t, keys, 1)
		assert.Nil(t, keys[0].DisabledAt)
		assert.Nil(t, keys[0].ReplacedBy)
		assert.Equal(t, "", keys[0].Name)
		perms, err := f.m.Permissions(t.Context(), a.ID)
		require.NoError(t, err)
		assert.Len(t, perms, 1)
	})
}
