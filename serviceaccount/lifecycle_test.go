package serviceaccount_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

const day = 24 * time.Hour

func ptr[T any](v T) *T { return &v }

// now is the fixture clock's time as the Manager stamps it.
func (f *fixture) now() time.Time { return f.clock.Now().UTC().Truncate(time.Microsecond) }

func (f *fixture) key(t *testing.T, accountID uuid.UUID, in serviceaccount.CreateKeyInput) serviceaccount.CreatedKey {
	t.Helper()
	k, err := f.m.CreateKey(t.Context(), accountID, in)
	require.NoError(t, err)
	return k
}

func requireConflict(t *testing.T, err error, reason string) {
	t.Helper()
	var conflict *serviceaccount.ConflictError
	require.ErrorAs(t, err, &conflict)
	require.ErrorIs(t, err, store.ErrConflict)
	require.Contains(t, conflict.Reason, reason)
}

func TestPolicyDefaultsAndValidation(t *testing.T) {
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	require.NoError(t, err)
	assert.Equal(t, serviceaccount.Policy{MaxKeysPerAccount: 10, MaxRotationGrace: 7 * day}, m.Policy())

	for _, tc := range []struct {
		policy serviceaccount.Policy
		field  string
	}{
		{serviceaccount.Policy{MaxKeysPerAccount: -2}, "MaxKeysPerAccount"},
		{serviceaccount.Policy{MaxKeyLifetime: -time.Hour}, "MaxKeyLifetime"},
		{serviceaccount.Policy{DefaultKeyLifetime: -time.Hour}, "DefaultKeyLifetime"},
		{serviceaccount.Policy{MaxRotationGrace: -time.Hour}, "MaxRotationGrace"},
		{serviceaccount.Policy{MaxRotationGrace: 1500 * time.Millisecond}, "MaxRotationGrace"},
		{serviceaccount.Policy{MaxKeyLifetime: 200 * 365 * day}, "MaxKeyLifetime"},
		{serviceaccount.Policy{MaxKeyLifetime: day, DefaultKeyLifetime: 2 * day}, "DefaultKeyLifetime"},
	} {
		_, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New(), Policy: tc.policy})
		require.Error(t, err, "%+v", tc.policy)
		assert.Contains(t, err.Error(), "Config.Policy")
		assert.Contains(t, err.Error(), tc.field+":")
	}
	m, err = serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New(), Policy: serviceaccount.Policy{MaxKeysPerAccount: serviceaccount.NoKeyLimit, MaxKeyLifetime: 90 * day, DefaultKeyLifetime: 30 * day, MaxRotationGrace: time.Hour}})
	require.NoError(t, err)
	assert.Equal(t, serviceaccount.Policy{MaxKeysPerAccount: -1, MaxKeyLifetime: 90 * day, DefaultKeyLifetime: 30 * day, MaxRotationGrace: time.Hour}, m.Policy())
}

func TestCreateKeyWithAName(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	k := f.key(t, a.ID, serviceaccount.CreateKeyInput{Name: "  GitHub Actions deploy  "})
	assert.Equal(t, "GitHub Actions deploy", k.Key.Name)
	keys, err := f.m.Keys(t.Context(), a.ID)
	require.NoError(t, err)
	assert.Equal(t, "GitHub Actions deploy", keys[0].Name)

	f.key(t, a.ID, serviceaccount.CreateKeyInput{Name: strings.Repeat("ü", store.MaxKeyNameLength)})
	for _, bad := range []string{strings.Repeat("ü", store.MaxKeyNameLength+1), "two\nlines", "nul\x00", "bad \xff utf8", "\u200b\u200b"} {
		_, err := f.m.CreateKey(t.Context(), a.ID, serviceaccount.CreateKeyInput{Name: bad})
		requireFields(t, err, "name")
	}
	keys, err = f.m.Keys(t.Context(), a.ID)
	require.NoError(t, err)
	assert.Len(t, keys, 2, "nothing invalid was written")
}

func TestTheKeyCapCountsUnexpiredKeysDisabledOnesIncluded(t *testing.T) {
	f := newFixtureWithPolicy(t, serviceaccount.Policy{MaxKeysPerAccount: 3})
	a := f.account(t)
	f.key(t, a.ID, serviceaccount.CreateKeyInput{ExpiresAt: ptr(f.now().Add(time.Hour))})
	disabled := f.key(t, a.ID, serviceaccount.CreateKeyInput{})
	_, err := f.m.PatchKey(t.Context(), a.ID, disabled.Key.ID, serviceaccount.KeyPatch{Disabled: ptr(true)})
	require.NoError(t, err)
	f.key(t, a.ID, serviceaccount.CreateKeyInput{})
	f.changes = nil

	_, err = f.m.CreateKey(t.Context(), a.ID, serviceaccount.CreateKeyInput{})
	requireConflict(t, err, "MaxKeysPerAccount is 3")
	assert.Empty(t, f.changes)

	f.clock.Advance(time.Hour) // the expiry instant: short no longer counts
	f.key(t, a.ID, serviceaccount.CreateKeyInput{})
	_, err = f.m.CreateKey(t.Context(), a.ID, serviceaccount.CreateKeyInput{})
	requireConflict(t, err, "has 3 unexpired keys")
	keys, err := f.m.Keys(t.Context(), a.ID)
	require.NoError(t, err)
	assert.Len(t, keys, 4)

	other := f.account(t)
	for range 3 {
		f.key(t, other.ID, serviceaccount.CreateKeyInput{})
	}
}

// A rotation at the cap is allowed (the old key leaves with its grace
// period), but it may take the account only one key over it: rotating the
// new key again, or another key, during that grace period would pile keys
// up, so it is refused until the old key has expired or is deleted.
func TestARotationGoesOneKeyOverTheCapNeverMore(t *testing.T) {
	f := newFixtureWithPolicy(t, serviceaccount.Policy{MaxKeysPerAccount: 2})
	a := f.account(t)
	ctx := t.Context()
	first := f.key(t, a.ID, serviceaccount.CreateKeyInput{})
	second := f.key(t, a.ID, serviceaccount.CreateKeyInput{})
	grace := ptr(int64(3600))

	r, err := f.m.RotateKey(ctx, a.ID, first.Key.ID, serviceaccount.RotateKeyInput{GracePeriodSeconds: grace})
	require.NoError(t, err, "at the cap: one key over it")
	before, err := f.m.Keys(ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, before, 3)
	f.changes = nil

	_, err = f.m.RotateKey(ctx, a.ID, r.Created.Key.ID, serviceaccount.RotateKeyInput{GracePeriodSeconds: grace})
	requireConflict(t, err, "2 unexpired keys besides this one (1 in the grace period of an earlier rotation)")
	_, err = f.m.RotateKey(ctx, a.ID, second.Key.ID, serviceaccount.RotateKeyInput{})
	requireConflict(t, err, "MaxKeysPerAccount is 2")
	after, err := f.m.Keys(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, before, after, "nothing written")
	assert.Empty(t, f.changes)

	// A rotation without a grace period replaces the key at once: never
	// refused for the cap, even one over it.
	r, err = f.m.RotateKey(ctx, a.ID, r.Created.Key.ID, serviceaccount.RotateKeyInput{GracePeriodSeconds: ptr(int64(0))})
	require.NoError(t, err)
	assert.True(t, r.Previous.Expired(f.now()))

	f.clock.Advance(time.Hour) // the first key's grace ends
	_, err = f.m.RotateKey(ctx, a.ID, r.Created.Key.ID, serviceaccount.RotateKeyInput{GracePeriodSeconds: grace})
	require.NoError(t, err)

	// Without a cap, rotations chain freely.
	f = newFixtureWithPolicy(t, serviceaccount.Policy{MaxKeysPerAccount: serviceaccount.NoKeyLimit})
	a = f.account(t)
	id := f.key(t, a.ID, serviceaccount.CreateKeyInput{}).Key.ID
	for range serviceaccount.DefaultMaxKeysPerAccount + 2 {
		r, err := f.m.RotateKey(ctx, a.ID, id, serviceaccount.RotateKeyInput{})
		require.NoError(t, err)
		id = r.Created.Key.ID
	}
}

func TestNoKeyLimitLiftsTheCap(t *testing.T) {
	f := newFixtureWithPolicy(t, serviceaccount.Policy{MaxKeysPerAccount: serviceaccount.NoKeyLimit})
	a := f.account(t)
	for range serviceaccount.DefaultMaxKeysPerAccount + 2 {
		f.key(t, a.ID, serviceaccount.CreateKeyInput{})
	}
}

func TestKeyLifetimePolicy(t *testing.T) {
	f := newFixtureWithPolicy(t, serviceaccount.Policy{MaxKeyLifetime: 90 * day})
	a := f.account(t)
	_, err := f.m.CreateKey(t.Context(), a.ID, serviceaccount.CreateKeyInput{})
	requireFields(t, err, "expiresAt")
	_, err = f.m.CreateKey(t.Context(), a.ID, serviceaccount.CreateKeyInput{ExpiresAt: ptr(f.now().Add(90*day + time.Microsecond))})
	requireFields(t, err, "expiresAt")
	k := f.key(t, a.ID, serviceaccount.CreateKeyInput{ExpiresAt: ptr(f.now().Add(90 * day))})
	assert.Equal(t, f.now().Add(90*day), *k.Key.ExpiresAt)

	f = newFixtureWithPolicy(t, serviceaccount.Policy{MaxKeyLifetime: 90 * day, DefaultKeyLifetime: 30 * day})
	a = f.account(t)
	k = f.key(t, a.ID, serviceaccount.CreateKeyInput{})
	assert.Equal(t, f.now().Add(30*day), *k.Key.ExpiresAt, "the default lifetime applies")
}

func TestPatchAccount(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	ctx := t.Context()

	_, err := f.m.PatchAccount(ctx, a.ID, serviceaccount.AccountPatch{})
	require.Error(t, err, "an empty patch")
	requireFields(t, err, "")

	f.clock.Advance(time.Minute)
	f.changes = nil
	got, err := f.m.PatchAccount(ctx, a.ID, serviceaccount.AccountPatch{Disabled: ptr(true)})
	require.NoError(t, err)
	require.NotNil(t, got.DisabledAt)
	disabledAt := f.now()
	assert.Equal(t, disabledAt, *got.DisabledAt)
	assert.Equal(t, a.Label, got.Label)
	assert.Equal(t, []serviceaccount.ChangeKind{serviceaccount.AccountDisabled}, kinds(f.changes))

	f.clock.Advance(time.Minute)
	f.changes = nil
	got, err = f.m.PatchAccount(ctx, a.ID, serviceaccount.AccountPatch{Disabled: ptr(true)})
	require.NoError(t, err)
	assert.Equal(t, disabledAt, *got.DisabledAt, "disabling again keeps the first time")
	assert.Empty(t, f.changes, "nothing changed, nothing announced")

	got, err = f.m.PatchAccount(ctx, a.ID, serviceaccount.AccountPatch{Label: ptr("  renamed "), Disabled: ptr(false)})
	require.NoError(t, err)
	assert.Nil(t, got.DisabledAt)
	assert.Equal(t, "renamed", got.Label)
	assert.Equal(t, a.Description, got.Description)
	assert.Equal(t, []serviceaccount.ChangeKind{serviceaccount.AccountUpdated, serviceaccount.AccountEnabled}, kinds(f.changes))

	before, err := f.m.Account(ctx, a.ID)
	require.NoError(t, err)
	_, err = f.m.PatchAccount(ctx, a.ID, serviceaccount.AccountPatch{Label: ptr(""), Disabled: ptr(true)})
	requireFields(t, err, "label")
	after, err := f.m.Account(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, before, after, "a rejected patch writes nothing, not even the valid part")

	_, err = f.m.PatchAccount(ctx, uuid.New(), serviceaccount.AccountPatch{Disabled: ptr(true)})
	require.ErrorIs(t, err, store.ErrNotFound)

	// PUT keeps the disabled state.
	_, err = f.m.PatchAccount(ctx, a.ID, serviceaccount.AccountPatch{Disabled: ptr(true)})
	require.NoError(t, err)
	got, err = f.m.UpdateAccount(ctx, a.ID, serviceaccount.AccountInput{Label: "put"})
	require.NoError(t, err)
	assert.NotNil(t, got.DisabledAt)
}

func kinds(changes []serviceaccount.Change) []serviceaccount.ChangeKind {
	var out []serviceaccount.ChangeKind
	for _, c := range changes {
		out = append(out, c.Kind)
	}
	return out
}

func TestPatchKey(t *testing.T) {
	f := newFixture(t)
	a, other := f.account(t), f.account(t)
	k := f.key(t, a.ID, serviceaccount.CreateKeyInput{Name: "old"})
	ctx := t.Context()

	_, err := f.m.PatchKey(ctx, a.ID, k.Key.ID, serviceaccount.KeyPatch{})
	requireFields(t, err, "")
	_, err = f.m.PatchKey(ctx, a.ID, k.Key.ID, serviceaccount.KeyPatch{Name: ptr(strings.Repeat("x", 101))})
	requireFields(t, err, "name")
	_, err = f.m.PatchKey(ctx, other.ID, k.Key.ID, serviceaccount.KeyPatch{Disabled: ptr(true)})
	require.ErrorIs(t, err, store.ErrNotFound, "a key of another account")

	f.changes = nil
	got, err := f.m.PatchKey(ctx, a.ID, k.Key.ID, serviceaccount.KeyPatch{Name: ptr(" new "), Disabled: ptr(true)})
	require.NoError(t, err)
	assert.Equal(t, "new", got.Name)
	assert.Equal(t, f.now(), *got.DisabledAt)
	assert.Equal(t, []serviceaccount.ChangeKind{serviceaccount.KeyUpdated, serviceaccount.KeyDisabled}, kinds(f.changes))
	c, err := f.m.LookupKey(ctx, k.Key.Hash)
	require.NoError(t, err)
	assert.True(t, c.Key.Disabled())

	f.changes = nil
	got, err = f.m.PatchKey(ctx, a.ID, k.Key.ID, serviceaccount.KeyPatch{Disabled: ptr(false)})
	require.NoError(t, err)
	assert.Nil(t, got.DisabledAt)
	assert.Equal(t, "new", got.Name)
	assert.Equal(t, []serviceaccount.ChangeKind{serviceaccount.KeyEnabled}, kinds(f.changes))
}

func TestRotateKey(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	ctx := t.Context()
	old := f.key(t, a.ID, serviceaccount.CreateKeyInput{Name: "deploy", ExpiresAt: ptr(f.now().Add(90 * day))})
	f.clock.Advance(10 * day)
	f.changes = nil

	r, err := f.m.RotateKey(ctx, a.ID, old.Key.ID, serviceaccount.RotateKeyInput{GracePeriodSeconds: ptr(int64(60))})
	require.NoError(t, err)
	now := f.now()
	assert.Equal(t, "deploy", r.Created.Key.Name, "the name is kept")
	assert.Equal(t, now.Add(90*day), *r.Created.Key.ExpiresAt, "the old key's lifetime, from now")
	assert.NotEmpty(t, r.Created.Plaintext)
	assert.Equal(t, now.Add(time.Minute), *r.Previous.ExpiresAt, "the old key's grace")
	assert.Equal(t, &r.Created.Key.ID, r.Previous.ReplacedBy)
	assert.Equal(t, []serviceaccount.ChangeKind{serviceaccount.KeyCreated, serviceaccount.KeyRotated}, kinds(f.changes))
	assert.Equal(t, old.Key.ID, f.changes[1].KeyID)

	_, err = f.m.RotateKey(ctx, a.ID, old.Key.ID, serviceaccount.RotateKeyInput{})
	requireConflict(t, err, "already replaced")

	// The default grace is a day, and never lengthens the old key's life.
	k2 := f.key(t, a.ID, serviceaccount.CreateKeyInput{ExpiresAt: ptr(now.Add(time.Hour))})
	r, err = f.m.RotateKey(ctx, a.ID, k2.Key.ID, serviceaccount.RotateKeyInput{Name: ptr("renamed")})
	require.NoError(t, err)
	assert.Equal(t, now.Add(time.Hour), *r.Previous.ExpiresAt)
	assert.Equal(t, "renamed", r.Created.Key.Name)
	k3 := f.key(t, a.ID, serviceaccount.CreateKeyInput{})
	r, err = f.m.RotateKey(ctx, a.ID, k3.Key.ID, serviceaccount.RotateKeyInput{})
	require.NoError(t, err)
	assert.Equal(t, now.Add(day), *r.Previous.ExpiresAt)
	assert.Nil(t, r.Created.Key.ExpiresAt, "a key without expiry is replaced by one without")

	// A grace of 0 ends the old key at once.
	k4 := f.key(t, a.ID, serviceaccount.CreateKeyInput{})
	r, err = f.m.RotateKey(ctx, a.ID, k4.Key.ID, serviceaccount.RotateKeyInput{GracePeriodSeconds: ptr(int64(0)), ExpiresAt: ptr(now.Add(day))})
	require.NoError(t, err)
	assert.True(t, r.Previous.Expired(now))
	assert.Equal(t, now.Add(day), *r.Created.Key.ExpiresAt)
}

func TestRotateKeyRefusesWhatItCannotRotateAndWritesNothing(t *testing.T) {
	f := newFixtureWithPolicy(t, serviceaccount.Policy{MaxRotationGrace: time.Hour, MaxKeyLifetime: 30 * day, MaxKeysPerAccount: 2})
	a, other := f.account(t), f.account(t)
	ctx := t.Context()
	now := f.now()
	k := f.key(t, a.ID, serviceaccount.CreateKeyInput{ExpiresAt: ptr(now.Add(day))})
	disabled := f.key(t, a.ID, serviceaccount.CreateKeyInput{ExpiresAt: ptr(now.Add(day))})
	_, err := f.m.PatchKey(ctx, a.ID, disabled.Key.ID, serviceaccount.KeyPatch{Disabled: ptr(true)})
	require.NoError(t, err)
	before, err := f.m.Keys(ctx, a.ID)
	require.NoError(t, err)
	f.changes = nil

	for _, tc := range []struct {
		name   string
		in     serviceaccount.RotateKeyInput
		fields []string
	}{
		{"negative grace", serviceaccount.RotateKeyInput{GracePeriodSeconds: ptr(int64(-1))}, []string{"gracePeriodSeconds"}},
		{"grace above the maximum", serviceaccount.RotateKeyInput{GracePeriodSeconds: ptr(int64(3601))}, []string{"gracePeriodSeconds"}},
		{"expiry beyond the maximum lifetime", serviceaccount.RotateKeyInput{ExpiresAt: ptr(now.Add(31 * day))}, []string{"expiresAt"}},
		{"expiry in the past", serviceaccount.RotateKeyInput{ExpiresAt: ptr(now.Add(-time.Second))}, []string{"expiresAt"}},
		{"name too long", serviceaccount.RotateKeyInput{Name: ptr(strings.Repeat("x", 101))}, []string{"name"}},
	} {
		_, err := f.m.RotateKey(ctx, a.ID, k.Key.ID, tc.in)
		requireFields(t, err, tc.fields...)
	}
	_, err = f.m.RotateKey(ctx, a.ID, disabled.Key.ID, serviceaccount.RotateKeyInput{})
	requireConflict(t, err, "disabled")
	_, err = f.m.RotateKey(ctx, other.ID, k.Key.ID, serviceaccount.RotateKeyInput{})
	require.ErrorIs(t, err, store.ErrNotFound, "a key of another account")
	after, err := f.m.Keys(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	assert.Empty(t, f.changes)

	_, err = f.m.RotateKey(ctx, a.ID, k.Key.ID, serviceaccount.RotateKeyInput{})
	require.NoError(t, err, "a rotation is allowed at the key cap")

	f.clock.Advance(2 * day)
	_, err = f.m.PatchKey(ctx, a.ID, disabled.Key.ID, serviceaccount.KeyPatch{Disabled: ptr(false)})
	require.NoError(t, err)
	_, err = f.m.RotateKey(ctx, a.ID, disabled.Key.ID, serviceaccount.RotateKeyInput{})
	requireConflict(t, err, "expired")
}

func TestRotateKeyCapsAnInheritedLifetimeAtTheMaximum(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	old := f.key(t, a.ID, serviceaccount.CreateKeyInput{ExpiresAt: ptr(f.now().Add(365 * day))})
	// The policy changes after the key was made: the stored default now
	// caps lifetimes (a Manager's Config.Policy only seeds an empty
	// database, so it is changed where every instance reads it).
	_, err := f.m.SetDefaultPolicy(t.Context(), serviceaccount.TenantPolicy{MaxKeysPerAccount: 10, MaxKeyLifetime: 90 * day, MaxRotationGrace: 7 * day})
	require.NoError(t, err)
	r, err := f.m.RotateKey(t.Context(), a.ID, old.Key.ID, serviceaccount.RotateKeyInput{})
	require.NoError(t, err)
	assert.Equal(t, f.now().Add(90*day), *r.Created.Key.ExpiresAt)
}

func TestListAllKeys(t *testing.T) {
	f := newFixture(t)
	a, b := f.account(t), f.account(t)
	ctx := t.Context()
	now := f.now()
	expiring := f.key(t, a.ID, serviceaccount.CreateKeyInput{ExpiresAt: ptr(now.Add(5 * day))})
	later := f.key(t, b.ID, serviceaccount.CreateKeyInput{ExpiresAt: ptr(now.Add(60 * day))})
	never := f.key(t, b.ID, serviceaccount.CreateKeyInput{})
	f.clock.Advance(40 * day)
	used := f.key(t, a.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, f.m.TouchKeys(ctx, []serviceaccount.KeyTouch{{KeyID: used.Key.ID, UsedAt: f.now()}}))

	ids := func(p serviceaccount.ListAllKeysParams) []uuid.UUID {
		t.Helper()
		page, err := f.m.ListAllKeys(ctx, p)
		require.NoError(t, err)
		var out []uuid.UUID
		for _, k := range page.Items {
			out = append(out, k.ID)
		}
		return out
	}
	assert.Equal(t, []uuid.UUID{expiring.Key.ID, later.Key.ID, never.Key.ID, used.Key.ID}, ids(serviceaccount.ListAllKeysParams{}))
	assert.Equal(t, []uuid.UUID{later.Key.ID}, ids(serviceaccount.ListAllKeysParams{ExpiresWithinDays: ptr(30)}), "the expired key is left out")
	assert.Equal(t, []uuid.UUID{expiring.Key.ID, later.Key.ID, never.Key.ID}, ids(serviceaccount.ListAllKeysParams{UnusedForDays: ptr(30)}))
	assert.Equal(t, []uuid.UUID{later.Key.ID}, ids(serviceaccount.ListAllKeysParams{UnusedForDays: ptr(30), ExpiresWithinDays: ptr(30)}))

	page, err := f.m.ListAllKeys(ctx, serviceaccount.ListAllKeysParams{Limit: 3})
	require.NoError(t, err)
	require.Len(t, page.Items, 3)
	rest := ids(serviceaccount.ListAllKeysParams{Cursor: page.NextCursor})
	assert.Equal(t, []uuid.UUID{used.Key.ID}, rest)

	for _, tc := range []struct {
		p     serviceaccount.ListAllKeysParams
		field string
	}{
		{serviceaccount.ListAllKeysParams{ExpiresWithinDays: ptr(-1)}, "expiresWithinDays"},
		{serviceaccount.ListAllKeysParams{UnusedForDays: ptr(serviceaccount.MaxFilterDays + 1)}, "unusedForDays"},
		{serviceaccount.ListAllKeysParams{Limit: 201}, "limit"},
		{serviceaccount.ListAllKeysParams{Cursor: "x"}, "cursor"},
	} {
		_, err := f.m.ListAllKeys(ctx, tc.p)
		requireFields(t, err, tc.field)
	}
}
