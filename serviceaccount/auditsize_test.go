package serviceaccount_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/storetest"
)

// One test per action whose event can grow with what the account holds:
// the permission events (a limiter of up to 64 KiB) and the account's
// delete (any number of keys and permissions). Each event stays under
// MaxAuditEventBytes and describes its large parts by count and size.

// lastEvent returns the newest event of account, checking its size.
func lastEvent(t *testing.T, m *serviceaccount.Manager, account uuid.UUID) (serviceaccount.AuditEvent, map[string]any) {
	t.Helper()
	page, err := m.ListAuditEvents(t.Context(), serviceaccount.ListAuditEventsParams{ServiceAccountID: account, Limit: 1})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	e := page.Items[0]
	encoded, err := json.Marshal(e)
	require.NoError(t, err)
	require.Less(t, len(encoded), serviceaccount.MaxAuditEventBytes)
	var d map[string]any
	require.NoError(t, json.Unmarshal(e.Details, &d))
	return e, d
}

// limiterSummary is how an event describes a limiter too large to show.
func limiterSummary(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	canonical, err := limiter.MustParse(string(raw)).MarshalJSON()
	require.NoError(t, err)
	sum := sha256.Sum256(canonical)
	items := 0
	for i := range limiter.MustParse(string(raw)).Keys() {
		items = max(items, i+1)
	}
	return map[string]any{"items": float64(items), "bytes": float64(len(canonical)), "sha256": hex.EncodeToString(sum[:])}
}

func addLargePermission(t *testing.T, f *fixture, account uuid.UUID, l json.RawMessage) uuid.UUID {
	t.Helper()
	p, err := f.m.AddPermission(t.Context(), account, serviceaccount.PermissionInput{
		ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses", Limiter: l,
	})
	require.NoError(t, err)
	return p.ID
}

func TestAPermissionEventDescribesALargeLimiterByItsSize(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	big := storetest.LargestLimiter(0)
	id := addLargePermission(t, f, a.ID, big)
	e, d := lastEvent(t, f.m, a.ID)
	require.Equal(t, store.ActionPermissionCreate, e.Action)
	assert.Equal(t, limiterSummary(t, big), d["after"].(map[string]any)["limiter"])
	assert.Equal(t, id.String(), d["after"].(map[string]any)["id"])

	small := json.RawMessage(`[{"surveyKey":"intake"}]`)
	addLargePermission(t, f, a.ID, small)
	_, d = lastEvent(t, f.m, a.ID)
	assert.Equal(t, []any{map[string]any{"surveyKey": "intake"}}, d["after"].(map[string]any)["limiter"], "a small limiter in full")
}

func TestAPermissionUpdateEventDescribesBothLargeLimiters(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	before, after := storetest.LargestLimiter(0), storetest.LargestLimiter(1)
	id := addLargePermission(t, f, a.ID, before)
	_, err := f.m.SetLimiter(t.Context(), a.ID, id, after)
	require.NoError(t, err)
	e, d := lastEvent(t, f.m, a.ID)
	require.Equal(t, store.ActionPermissionUpdate, e.Action)
	assert.Equal(t, limiterSummary(t, before), d["before"].(map[string]any)["limiter"])
	assert.Equal(t, limiterSummary(t, after), d["after"].(map[string]any)["limiter"])
	assert.NotEqual(t, d["before"], d["after"], "the digests tell the two apart")
}

func TestAPermissionDeleteEventDescribesALargeLimiter(t *testing.T) {
	f := newFixture(t)
	a := f.account(t)
	big := storetest.LargestLimiter(0)
	id := addLargePermission(t, f, a.ID, big)
	require.NoError(t, f.m.DeletePermission(t.Context(), a.ID, id))
	e, d := lastEvent(t, f.m, a.ID)
	require.Equal(t, store.ActionPermissionDelete, e.Action)
	assert.Equal(t, limiterSummary(t, big), d["before"].(map[string]any)["limiter"])
	assert.Nil(t, d["after"])
}

// An account's delete lists its keys and permissions in full while they
// are short, and by count and size once either list passes 256 KiB: with
// no key cap (NoKeyLimit) and no permission cap, both can grow without
// bound.
func TestAnAccountDeleteEventDescribesLongListsByCountAndSize(t *testing.T) {
	f := newFixtureWithPolicy(t, serviceaccount.Policy{MaxKeysPerAccount: serviceaccount.NoKeyLimit})
	a := f.account(t)
	const keys, perms = 2000, 40
	for range keys {
		_, err := f.m.CreateKey(t.Context(), a.ID, serviceaccount.CreateKeyInput{Name: "a name of some length for a key"})
		require.NoError(t, err)
	}
	for i := range perms {
		addLargePermission(t, f, a.ID, storetest.LimiterOfSize(i, 8<<10)) // each shown in full
	}
	require.NoError(t, f.m.DeleteAccount(t.Context(), a.ID))
	e, d := lastEvent(t, f.m, a.ID)
	require.Equal(t, store.ActionAccountDelete, e.Action)
	before := d["before"].(map[string]any)
	assert.Equal(t, "pipeline", before["label"])
	for name, count := range map[string]int{"keys": keys, "permissions": perms} {
		summary, ok := before[name].(map[string]any)
		require.True(t, ok, "%s is described, not listed", name)
		assert.Equal(t, float64(count), summary["count"], name)
		assert.Greater(t, summary["bytes"], float64(256<<10), name)
	}

	// A short account stays in full.
	b := f.account(t)
	addLargePermission(t, f, b.ID, storetest.LimiterOfSize(0, 8<<10))
	require.NoError(t, f.m.DeleteAccount(t.Context(), b.ID))
	_, d = lastEvent(t, f.m, b.ID)
	assert.Len(t, d["before"].(map[string]any)["permissions"], 1)
	assert.Equal(t, []any{}, d["before"].(map[string]any)["keys"])
}
