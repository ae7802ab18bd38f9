package serviceaccount_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

var start = time.Date(2026, 11, 25, 9, 0, 0, 123456789, time.UTC)

type fixture struct {
	st      store.Store
	m       *serviceaccount.Manager
	clock   *clockwork.FakeClock
	changes []serviceaccount.Change
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWithPolicy(t, serviceaccount.Policy{})
}

func newFixtureWithPolicy(t *testing.T, p serviceaccount.Policy) *fixture {
	t.Helper()
	f := &fixture{st: memstore.New(), clock: clockwork.NewFakeClockAt(start)}
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: f.st, Clock: f.clock, Policy: p})
	require.NoError(t, err)
	f.m = m
	m.Subscribe(func(c serviceaccount.Change) { f.changes = append(f.changes, c) })
	return f
}

func (f *fixture) account(t *testing.T) serviceaccount.Account {
	t.Helper()
	a, err := f.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "pipeline"})
	require.NoError(t, err)
	return a
}

func requireFields(t *testing.T, err error, fields ...string) *serviceaccount.ValidationError {
	t.Helper()
	var verr *serviceaccount.ValidationError
	require.ErrorAs(t, err, &verr)
	var got []string
	for _, f := range verr.Fields {
		got = append(got, f.Field)
	}
	require.Equal(t, fields, got)
	return verr
}

func TestNewManagerValidatesConfig(t *testing.T) {
	_, err := serviceaccount.NewManager(serviceaccount.Config{})
	require.ErrorContains(t, err, "Store is required")
	_, err = serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New(), KeyPrefix: "Bad_"})
	require.ErrorContains(t, err, "KeyPrefix")
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New(), KeyPrefix: "acme"})
	require.NoError(t, err)
	assert.Equal(t, "acme", m.KeyPrefix())
}

func TestCreateAccountTrimsAndStampsTimes(t *testing.T) {
	f := newFixture(t)
	a, err := f.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "  nightly export ", Description: " to the warehouse\n"})
	require.NoError(t, err)
	assert.Equal(t, "nightly export", a.Label)
	assert.Equal(t, "to the warehouse", a.Description)
	assert.Equal(t, start.Truncate(time.Microsecond), a.CreatedAt)
	assert.Equal(t, a.CreatedAt, a.UpdatedAt)
	assert.Equal(t, uuid.Version(7), a.ID.Version())
	got, err := f.m.Account(t.Context(), a.ID)
	require.NoError(t, err)
	assert.Equal(t, a, got)
	assert.Equal(t, []serviceaccount.Change{{Tenant: store.DefaultTenant, Kind: serviceaccount.AccountCreated, AccountID: a.ID}}, f.changes)
}

func TestAccountInputValidation(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		in     serviceaccount.AccountInput
		fields []string
	}{
		{"label missing", serviceaccount.AccountInput{}, []string{"label"}},
		{"label only spaces", serviceaccount.AccountInput{Label: "   "}, []string{"label"}},
		{"label too long", serviceaccount.AccountInput{Label: strings.Repeat("é", store.MaxLabelLength+1)}, []string{"label"}},
		{"description too long", serviceaccount.AccountInput{Label: "ok", Description: strings.Repeat("d", store.MaxDescriptionLength+1)}, []string{"description"}},
		{"both wrong", serviceaccount.AccountInput{Description: strings.Repeat("d", store.MaxDescriptionLength+1)}, []string{"label", "description"}},
		{"label with NUL", serviceaccount.AccountInput{Label: "a\x00b"}, []string{"label"}},
		{"label with a line break", serviceaccount.AccountInput{Label: "a\nb"}, []string{"label"}},
		{"label not UTF-8", serviceaccount.AccountInput{Label: "a\xffb"}, []string{"label"}},
		{"description with NUL", serviceaccount.AccountInput{Label: "ok", Description: "a\x00"}, []string{"description"}},
		{"description not UTF-8", serviceaccount.AccountInput{Label: "ok", Description: "\xc3"}, []string{"description"}},
		// Labels that look blank, or like another one, in a list.
		{"label only zero-width spaces", serviceaccount.AccountInput{Label: "\u200b\u200b"}, []string{"label"}},
		{"label only a byte order mark", serviceaccount.AccountInput{Label: "\ufeff"}, []string{"label"}},
		{"label only a line separator", serviceaccount.AccountInput{Label: "\u2028"}, []string{"label"}},
		{"label only a combining mark", serviceaccount.AccountInput{Label: "\u0301"}, []string{"label"}},
		{"label with a line separator", serviceaccount.AccountInput{Label: "a\u2028b"}, []string{"label"}},
		{"label with a bidi override", serviceaccount.AccountInput{Label: "admin\u202egnp.exe"}, []string{"label"}},
		{"label with a bidi isolate", serviceaccount.AccountInput{Label: "a\u2066b\u2069"}, []string{"label"}},
		{"label with a right-to-left mark", serviceaccount.AccountInput{Label: "a\u200fb"}, []string{"label"}},
		{"description with a bidi override", serviceaccount.AccountInput{Label: "ok", Description: "a\u202eb"}, []string{"description"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.m.CreateAccount(t.Context(), tc.in)
			verr := requireFields(t, err, tc.fields...)
			assert.NotEmpty(t, verr.Fields[0].Message)
		})
	}
	t.Run("limits count characters after trimming", func(t *testing.T) {
		_, err := f.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: " " + strings.Repeat("😀", store.MaxLabelLength) + " ", Description: strings.Repeat("数", store.MaxDescriptionLength)})
		require.NoError(t, err)
	})
	t.Run("labels may hold zero-width joiners and any script", func(t *testing.T) {
		_, err := f.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "👩\u200d💻 שלום café"})
		require.NoError(t, err)
	})
	t.Run("descriptions may span lines", func(t *testing.T) {
		_, err := f.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "multi", Description: "line one\r\n\tline two"})
		require.NoError(t, err)
	})
	page, err := f.m.ListAccounts(t.Context(), serviceaccount.ListAccountsParams{})
	require.NoError(t, err)
	assert.Len(t, page.Items, 3, "no invalid input was written")
}

func TestUpdateAccount(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	f.clock.Advance(time.Hour)
	got, err := f.m.UpdateAccount(t.Context(), a.ID, serviceaccount.AccountInput{Label: "renamed", Description: "new"})
	require.NoError(t, err)
	assert.Equal(t, "renamed", got.Label)
	assert.Equal(t, a.CreatedAt, got.CreatedAt)
	assert.Equal(t, start.Add(time.Hour).Truncate(time.Microsecond), got.UpdatedAt)

	_, err = f.m.UpdateAccount(t.Context(), a.ID, serviceaccount.AccountInput{})
	requireFields(t, err, "label")
	_, err = f.m.UpdateAccount(t.Context(), uuid.New(), serviceaccount.AccountInput{Label: "x"})
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestListAccountsPages(t *testing.T) {
	f := newFixture(t)
	var want []uuid.UUID
	for range 5 {
		want = append(want, f.account(t).ID)
	}
	var got []uuid.UUID
	cursor := ""
	for {
		page, err := f.m.ListAccounts(t.Context(), serviceaccount.ListAccountsParams{Limit: 2, Cursor: cursor})
		require.NoError(t, err)
		for _, a := range page.Items {
			got = append(got, a.ID)
		}
		if page.NextCursor == "" {
			break
		}
		assert.NotContains(t, page.NextCursor, "=", "URL-safe without padding")
		cursor = page.NextCursor
	}
	assert.Equal(t, want, got)

	page, err := f.m.ListAccounts(t.Context(), serviceaccount.ListAccountsParams{Limit: 5})
	require.NoError(t, err)
	assert.Len(t, page.Items, 5)
	assert.Empty(t, page.NextCursor, "an exactly full last page says it is the last")
}

func TestListAccountsByLabel(t *testing.T) {
	f := newFixture(t)
	var want []uuid.UUID
	for _, label := range []string{"Tekenradar export", "nightly", "TEKENRADAR import", "50% off", "old tekenradar"} {
		a, err := f.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: label})
		require.NoError(t, err)
		if strings.Contains(strings.ToLower(label), "tekenradar") {
			want = append(want, a.ID)
		}
	}
	var got []uuid.UUID
	cursor := ""
	for {
		page, err := f.m.ListAccounts(t.Context(), serviceaccount.ListAccountsParams{Limit: 2, Cursor: cursor, Label: "  tekenRADAR "})
		require.NoError(t, err)
		for _, a := range page.Items {
			got = append(got, a.ID)
		}
		if page.NextCursor == "" {
			break
		}
		assert.Len(t, page.Items, 2, "pages are full: the store filters")
		cursor = page.NextCursor
	}
	assert.Equal(t, want, got)

	page, err := f.m.ListAccounts(t.Context(), serviceaccount.ListAccountsParams{Label: "%"})
	require.NoError(t, err)
	require.Len(t, page.Items, 1, "a wildcard is a literal")
	assert.Equal(t, "50% off", page.Items[0].Label)

	_, err = f.m.ListAccounts(t.Context(), serviceaccount.ListAccountsParams{Label: strings.Repeat("x", store.MaxLabelLength+1)})
	requireFields(t, err, "label")
}

func TestListAccountsRejectsBadParams(t *testing.T) {
	f := newFixture(t)
	for _, limit := range []int{-1, 201} {
		_, err := f.m.ListAccounts(t.Context(), serviceaccount.ListAccountsParams{Limit: limit})
		requireFields(t, err, "limit")
	}
	for _, cursor := range []string{"!!", "AAAA", strings.Repeat("A", 40)} {
		_, err := f.m.ListAccounts(t.Context(), serviceaccount.ListAccountsParams{Cursor: cursor})
		requireFields(t, err, "cursor")
	}
}

func TestCreateKeyReturnsThePlaintextOnceAndStoresOnlyTheHash(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	expires := start.Add(24 * time.Hour)
	created, err := f.m.CreateKey(t.Context(), a.ID, serviceaccount.CreateKeyInput{ExpiresAt: &expires})
	require.NoError(t, err)
	require.NoError(t, apikey.Parse(created.Plaintext, apikey.DefaultPrefix))
	assert.Equal(t, apikey.HashKey(created.Plaintext), created.Key.Hash)
	assert.Equal(t, apikey.Hint(created.Plaintext), created.Key.Hint)
	assert.Equal(t, expires.Truncate(time.Microsecond), *created.Key.ExpiresAt)

	keys, err := f.m.Keys(t.Context(), a.ID)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.Equal(t, created.Key.ID, keys[0].ID)

	cred, err := f.m.LookupKey(t.Context(), apikey.HashKey(created.Plaintext))
	require.NoError(t, err)
	assert.Equal(t, a.ID, cred.Account.ID)
}

func TestCreateKeyRejectsAnExpiryThatIsNotInTheFuture(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	for _, at := range []time.Time{start, start.Add(-time.Second)} {
		_, err := f.m.CreateKey(t.Context(), a.ID, serviceaccount.CreateKeyInput{ExpiresAt: &at})
		requireFields(t, err, "expiresAt")
	}
	keys, err := f.m.Keys(t.Context(), a.ID)
	require.NoError(t, err)
	assert.Empty(t, keys)
}

// Every store holds UTC years 1 to 9999; a later expiry made MariaDB fail
// (503) and the others store a time RFC 3339 cannot write.
func TestCreateKeyRejectsAnExpiryOutsideTheYears1To9999(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	far := time.FixedZone("-23:59", -(23*3600 + 59*60))
	for _, at := range []time.Time{
		time.Date(9999, 12, 31, 23, 59, 59, 0, far), // year 10000 in UTC
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		serviceaccount.MaxTime.Add(time.Microsecond),
	} {
		_, err := f.m.CreateKey(t.Context(), a.ID, serviceaccount.CreateKeyInput{ExpiresAt: &at})
		requireFields(t, err, "expiresAt")
	}
	keys, err := f.m.Keys(t.Context(), a.ID)
	require.NoError(t, err)
	assert.Empty(t, keys)

	last := serviceaccount.MaxTime
	k, err := f.m.CreateKey(t.Context(), a.ID, serviceaccount.CreateKeyInput{ExpiresAt: &last})
	require.NoError(t, err)
	assert.Equal(t, serviceaccount.MaxTime, *k.Key.ExpiresAt)
}

func TestCreateKeyForAnUnknownAccountIsNotFound(t *testing.T) {
	f := newFixture(t)
	_, err := f.m.CreateKey(t.Context(), uuid.New(), serviceaccount.CreateKeyInput{})
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestCreateKeyUsesTheConfiguredPrefix(t *testing.T) {
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New(), KeyPrefix: "acme"})
	require.NoError(t, err)
	a, err := m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "x"})
	require.NoError(t, err)
	k, err := m.CreateKey(t.Context(), a.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(k.Plaintext, "acme_"))
	assert.NoError(t, apikey.Parse(k.Plaintext, "acme"))
}

func TestDeleteKeyChecksOwnershipAndNotifies(t *testing.T) {
	f := newFixture(t)
	owner, other := f.account(t), f.account(t)
	k, err := f.m.CreateKey(t.Context(), owner.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	f.changes = nil

	require.ErrorIs(t, f.m.DeleteKey(t.Context(), other.ID, k.Key.ID), store.ErrNotFound)
	assert.Empty(t, f.changes, "a failed change is not announced")
	require.NoError(t, f.m.DeleteKey(t.Context(), owner.ID, k.Key.ID))
	assert.Equal(t, []serviceaccount.Change{{Tenant: store.DefaultTenant, Kind: serviceaccount.KeyDeleted, AccountID: owner.ID, KeyID: k.Key.ID}}, f.changes)
	_, err = f.m.LookupKey(t.Context(), k.Key.Hash)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestAddPermissionValidatesAgainstTheCatalog(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	tests := []struct {
		name   string
		in     serviceaccount.PermissionInput
		fields []string
	}{
		{"all fields missing", serviceaccount.PermissionInput{}, []string{"resourceType", "resourceKey", "action"}},
		{"unknown type", serviceaccount.PermissionInput{ResourceType: "nope", ResourceKey: "x", Action: "y"}, []string{"resourceType"}},
		{"invalid limiter JSON", serviceaccount.PermissionInput{ResourceType: "study", ResourceKey: "s", Action: "get-reports", Limiter: json.RawMessage(`[{"reportKey":1}]`)}, []string{"limiter[0].reportKey"}},
		{"empty limiter", serviceaccount.PermissionInput{ResourceType: "study", ResourceKey: "s", Action: "get-reports", Limiter: json.RawMessage(`[]`)}, []string{"limiter"}},
		{"undeclared limiter key", serviceaccount.PermissionInput{ResourceType: "study", ResourceKey: "s", Action: "get-reports", Limiter: json.RawMessage(`[{"surveyKey":"x"}]`)}, []string{"limiter[0].surveyKey"}},
		{"limiter on an action without one", serviceaccount.PermissionInput{ResourceType: "study", ResourceKey: "s", Action: "delete-study", Limiter: json.RawMessage(`[{"surveyKey":"x"}]`)}, []string{"limiter"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.m.AddPermission(t.Context(), a.ID, tc.in)
			requireFields(t, err, tc.fields...)
		})
	}
	perms, err := f.m.Permissions(t.Context(), a.ID)
	require.NoError(t, err)
	assert.Empty(t, perms, "nothing invalid was written")
}

func TestAddPermissionRejectsAnIdenticalGrant(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	in := serviceaccount.PermissionInput{ResourceType: "study", ResourceKey: "s", Action: "get-reports", Limiter: json.RawMessage(`[{"reportKey":["a","b"]}]`)}
	_, err := f.m.AddPermission(t.Context(), a.ID, in)
	require.NoError(t, err)
	f.changes = nil
	for _, lim := range []string{`[{"reportKey":["a","b"]}]`, `[{"reportKey":["b","a"]}]`} {
		in.Limiter = json.RawMessage(lim)
		_, err = f.m.AddPermission(t.Context(), a.ID, in)
		var conflict *serviceaccount.ConflictError
		require.ErrorAs(t, err, &conflict, lim)
		require.ErrorIs(t, err, store.ErrConflict)
		assert.Equal(t, "the account already holds this permission", conflict.Reason)
	}
	assert.Empty(t, f.changes, "a refused grant is not announced")
	perms, err := f.m.Permissions(t.Context(), a.ID)
	require.NoError(t, err)
	assert.Len(t, perms, 1)
	in.Limiter = json.RawMessage(`[{"reportKey":"c"}]`)
	_, err = f.m.AddPermission(t.Context(), a.ID, in)
	require.NoError(t, err, "a different limiter is a different grant")
}

func TestSetLimiter(t *testing.T) {
	f := newFixture(t)
	a, other := f.account(t), f.account(t)
	p, err := f.m.AddPermission(t.Context(), a.ID, serviceaccount.PermissionInput{ResourceType: "study", ResourceKey: "s", Action: "get-responses"})
	require.NoError(t, err)
	f.changes = nil

	got, err := f.m.SetLimiter(t.Context(), a.ID, p.ID, json.RawMessage(`[{"surveyKey":"weekly"}]`))
	require.NoError(t, err)
	assert.Equal(t, `[{"surveyKey":"weekly"}]`, got.Limiter.String())
	assert.Equal(t, []serviceaccount.Change{{Tenant: store.DefaultTenant, Kind: serviceaccount.PermissionUpdated, AccountID: a.ID, PermissionID: p.ID}}, f.changes)

	_, err = f.m.SetLimiter(t.Context(), a.ID, p.ID, json.RawMessage(`[{"reportKey":"r"}]`))
	requireFields(t, err, "limiter[0].reportKey")
	_, err = f.m.SetLimiter(t.Context(), other.ID, p.ID, nil)
	require.ErrorIs(t, err, store.ErrNotFound)

	got, err = f.m.SetLimiter(t.Context(), a.ID, p.ID, json.RawMessage(`null`))
	require.NoError(t, err)
	assert.Nil(t, got.Limiter)
}

func TestDeleteAccountCascadesAndNotifies(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	k, err := f.m.CreateKey(t.Context(), a.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	p, err := f.m.AddPermission(t.Context(), a.ID, serviceaccount.PermissionInput{ResourceType: "users", ResourceKey: "*", Action: "*"})
	require.NoError(t, err)
	f.changes = nil

	require.NoError(t, f.m.DeleteAccount(t.Context(), a.ID))
	assert.Equal(t, []serviceaccount.Change{{Tenant: store.DefaultTenant, Kind: serviceaccount.AccountDeleted, AccountID: a.ID}}, f.changes)
	_, err = f.m.LookupKey(t.Context(), k.Key.Hash)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, f.m.DeletePermission(t.Context(), a.ID, p.ID), store.ErrNotFound)
	require.ErrorIs(t, f.m.DeleteAccount(t.Context(), a.ID), store.ErrNotFound)
}

func TestUnsubscribeStopsNotifications(t *testing.T) {
	f := newFixture(t)
	var n int
	unsubscribe := f.m.Subscribe(func(serviceaccount.Change) { n++ })
	f.account(t)
	unsubscribe()
	unsubscribe() // idempotent
	f.account(t)
	assert.Equal(t, 1, n)
}

func TestTouchKeysPassesTheBatchThrough(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	k, err := f.m.CreateKey(t.Context(), a.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	require.NoError(t, f.m.TouchKeys(t.Context(), nil))
	require.NoError(t, f.m.TouchKeys(t.Context(), []serviceaccount.KeyTouch{{KeyID: k.Key.ID, UsedAt: start}}))
	keys, err := f.m.Keys(t.Context(), a.ID)
	require.NoError(t, err)
	require.NotNil(t, keys[0].LastUsedAt)
}

func TestStoreErrorsAreWrappedWithoutLosingTheirIdentity(t *testing.T) {
	boom := errors.New("connection refused")
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: failingStore{err: boom}})
	require.NoError(t, err)
	_, err = m.CreateAccount(context.Background(), serviceaccount.AccountInput{Label: "x"})
	require.ErrorIs(t, err, boom)
	require.NotErrorIs(t, err, store.ErrNotFound)
}

// TestChangesAreAnnouncedAfterTheCommit reads the store from the
// subscriber: the change must be visible there (and a memory store,
// whose transaction holds its lock, would deadlock if the announcement
// came before the end of the transaction).
func TestChangesAreAnnouncedAfterTheCommit(t *testing.T) {
	st := memstore.New()
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: st})
	require.NoError(t, err)
	seen := 0
	m.Subscribe(func(c serviceaccount.Change) {
		_, err := st.AccountGet(context.Background(), store.DefaultTenant, c.AccountID)
		if c.Kind == serviceaccount.AccountDeleted {
			assert.ErrorIs(t, err, store.ErrNotFound)
		} else {
			assert.NoError(t, err, "%s is committed when announced", c.Kind)
		}
		seen++
	})
	a, err := m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "x"})
	require.NoError(t, err)
	_, err = m.CreateKey(t.Context(), a.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	require.NoError(t, m.DeleteAccount(t.Context(), a.ID))
	assert.Equal(t, 3, seen)
}

func TestAFailedChangeIsNotAnnouncedAndLeavesNothing(t *testing.T) {
	f := newFixture(t)
	f.changes = nil
	_, err := f.m.CreateKey(t.Context(), uuid.New(), serviceaccount.CreateKeyInput{})
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, f.m.DeleteKey(t.Context(), uuid.New(), uuid.New()), store.ErrNotFound)
	assert.Empty(t, f.changes)
}

func TestChangesWhoseCommitMayHaveSucceededAreStillAnnounced(t *testing.T) {
	lost := errors.New("connection reset during COMMIT")
	st := &lostCommitStore{Store: memstore.New()}
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: st})
	require.NoError(t, err)
	var kinds []serviceaccount.ChangeKind
	m.Subscribe(func(c serviceaccount.Change) { kinds = append(kinds, c.Kind) })
	ctx := context.Background()
	a, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "x"})
	require.NoError(t, err)
	k, err := m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	p, err := m.AddPermission(ctx, a.ID, serviceaccount.PermissionInput{ResourceType: "users", ResourceKey: "*", Action: "*"})
	require.NoError(t, err)
	kinds = nil

	st.lose = lost
	require.ErrorIs(t, m.DeleteKey(ctx, a.ID, k.Key.ID), lost)
	require.ErrorIs(t, m.DeletePermission(ctx, a.ID, p.ID), lost)
	require.ErrorIs(t, m.DeleteAccount(ctx, a.ID), lost)
	assert.Equal(t, []serviceaccount.ChangeKind{serviceaccount.KeyDeleted, serviceaccount.PermissionDeleted, serviceaccount.AccountDeleted}, kinds,
		"each may have committed: caches must drop it")

	kinds = nil
	require.ErrorIs(t, m.DeleteKey(ctx, uuid.New(), uuid.New()), store.ErrNotFound)
	assert.Empty(t, kinds, "not found proves nothing changed")
}

// failingStore fails every transaction before it starts, like a database
// that went away.
type failingStore struct {
	store.Store
	err error
}

func (s failingStore) InTx(context.Context, func(context.Context, store.Tx) error) error {
	return s.err
}

// lostCommitStore commits, then reports lose (when set) as if the answer
// to COMMIT had been lost.
type lostCommitStore struct {
	store.Store
	lose error
}

func (s *lostCommitStore) InTx(ctx context.Context, fn func(context.Context, store.Tx) error) error {
	if err := s.Store.InTx(ctx, fn); err != nil {
		return err
	}
	return s.lose
}

// Control characters in a new limiter are refused on their path; limiters
// stored before the rule still load (limiter.Parse accepts them).
func TestAddPermissionRefusesControlCharactersInTheLimiter(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	for limiterJSON, field := range map[string]string{
		`[{"surveyKey":"s\u0000"}]`:         "limiter[0].surveyKey",
		`[{"surveyKey":["s1","s\n2"]}]`:     "limiter[0].surveyKey[1]",
		`[{"surveyKey":"s1"},{"x\ty":"s"}]`: `limiter[1]["x\ty"]`,
		`[{"surveyKey":"s\u0085"}]`:         "limiter[0].surveyKey",
	} {
		_, err := f.m.AddPermission(t.Context(), a.ID, serviceaccount.PermissionInput{
			ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses", Limiter: json.RawMessage(limiterJSON),
		})
		requireFields(t, err, field)
	}
	perms, err := f.m.Permissions(t.Context(), a.ID)
	require.NoError(t, err)
	assert.Empty(t, perms)
}

// A new limiter's keys and values follow the labels' text rules: no bidi
// control ("\u202eekatni" reads as "intake"), no line separator, nothing
// made only of invisible characters. The 400 names the field; nothing is
// written, on a create or on a change of the limiter.
func TestNewLimitersFollowTheLabelsTextRules(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	held, err := f.m.AddPermission(t.Context(), a.ID, serviceaccount.PermissionInput{
		ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses", Limiter: json.RawMessage(`[{"surveyKey":"weekly"}]`),
	})
	require.NoError(t, err)
	for limiterJSON, field := range map[string]string{
		`[{"surveyKey":"\u202eekatni"}]`:               "limiter[0].surveyKey",
		`[{"surveyKey":["intake","a\u2066b\u2069"]}]`:  "limiter[0].surveyKey[1]",
		`[{"surveyKey":"\u200e"}]`:                     "limiter[0].surveyKey",
		`[{"surveyKey":"\u200b\u200b"}]`:               "limiter[0].surveyKey",
		`[{"surveyKey":"\ufeff"}]`:                     "limiter[0].surveyKey",
		`[{"surveyKey":"line\u2028sep"}]`:              "limiter[0].surveyKey",
		`[{"surveyKey":"para\u2029sep"}]`:              "limiter[0].surveyKey",
		`[{"surveyKey":"ok"},{"survey\u202eKey":"x"}]`: "limiter[1][\"survey\u202eKey\"]",
	} {
		_, err := f.m.AddPermission(t.Context(), a.ID, serviceaccount.PermissionInput{
			ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses", Limiter: json.RawMessage(limiterJSON),
		})
		verr := requireFields(t, err, field)
		assert.NotEmpty(t, verr.Fields[0].Message)
		_, err = f.m.SetLimiter(t.Context(), a.ID, held.ID, json.RawMessage(limiterJSON))
		requireFields(t, err, field)
	}
	perms, err := f.m.Permissions(t.Context(), a.ID)
	require.NoError(t, err)
	require.Len(t, perms, 1)
	assert.Equal(t, `[{"surveyKey":"weekly"}]`, perms[0].Limiter.String(), "unchanged")

	_, err = f.m.AddPermission(t.Context(), a.ID, serviceaccount.PermissionInput{
		ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses", Limiter: json.RawMessage(`[{"surveyKey":["ünï 研究","a\u200bb"]}]`),
	})
	require.NoError(t, err, "what a label may hold, a limiter value may hold")
}

// Every change through the Manager leaves one row per account in the
// change log, stamped with the Manager's clock, in its own transaction;
// a change that fails leaves none.
func TestEveryChangeRecordsItsAccountInTheChangeLog(t *testing.T) {
	st := memstore.New()
	clock := clockwork.NewFakeClockAt(start)
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: st, Clock: clock})
	require.NoError(t, err)
	ctx := t.Context()
	accountsLogged := func(after int64) []uuid.UUID {
		t.Helper()
		page, err := st.ChangeList(ctx, store.ChangeListParams{After: after, Limit: 100})
		require.NoError(t, err)
		var ids []uuid.UUID
		for _, c := range page.Changes {
			require.WithinDuration(t, start, c.RecordedAt, time.Microsecond)
			ids = append(ids, c.AccountID)
		}
		return ids
	}

	a, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "a"})
	require.NoError(t, err)
	k, err := m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	p, err := m.AddPermission(ctx, a.ID, serviceaccount.PermissionInput{ResourceType: "study", ResourceKey: "s1", Action: "get-responses"})
	require.NoError(t, err)
	_, err = m.SetLimiter(ctx, a.ID, p.ID, json.RawMessage(`[{"surveyKey":"s1"}]`))
	require.NoError(t, err)
	require.NoError(t, m.DeletePermission(ctx, a.ID, p.ID))
	require.NoError(t, m.DeleteKey(ctx, a.ID, k.Key.ID))
	_, err = m.UpdateAccount(ctx, a.ID, serviceaccount.AccountInput{Label: "b"})
	require.NoError(t, err)
	require.NoError(t, m.DeleteAccount(ctx, a.ID))
	require.Equal(t, []uuid.UUID{a.ID, a.ID, a.ID, a.ID, a.ID, a.ID, a.ID, a.ID}, accountsLogged(0))

	head, err := st.ChangeHead(ctx)
	require.NoError(t, err)
	require.ErrorIs(t, m.DeleteAccount(ctx, a.ID), store.ErrNotFound)
	_, err = m.CreateKey(ctx, uuid.New(), serviceaccount.CreateKeyInput{})
	require.Error(t, err)
	require.Empty(t, accountsLogged(head), "failed changes record nothing")
}
