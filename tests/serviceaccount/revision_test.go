package serviceaccount_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// auditCount is how many events the log holds.
func auditCount(t *testing.T, m *serviceaccount.Manager) int {
	t.Helper()
	page, err := m.ListAuditEvents(t.Context(), serviceaccount.ListAuditEventsParams{Limit: serviceaccount.MaxPageSize})
	require.NoError(t, err)
	return len(page.Items)
}

// A change made with a revision that is no longer current fails with
// ErrPreconditionFailed and writes nothing, on every backend; one made
// with the current revision succeeds and changes the revision; a last-use
// flush does not.
func TestIfRevision(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s store.Store) {
		f := newAuditFixture(t, s)
		m, ctx := f.m, t.Context()
		a, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "a"})
		require.NoError(t, err)
		rev := serviceaccount.AccountRevision(a)
		got, err := m.Account(ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, rev, serviceaccount.AccountRevision(got), "the stored account has the revision of the one returned")

		events := auditCount(t, m)
		_, err = m.UpdateAccount(serviceaccount.IfRevision(ctx, "stale"), a.ID, serviceaccount.AccountInput{Label: "b"})
		require.ErrorIs(t, err, serviceaccount.ErrPreconditionFailed)
		_, err = m.PatchAccount(serviceaccount.IfRevision(ctx), a.ID, serviceaccount.AccountPatch{Label: new("b")})
		require.ErrorIs(t, err, serviceaccount.ErrPreconditionFailed, "no revision matches none")
		assert.Equal(t, events, auditCount(t, m), "nothing was written")

		b, err := m.UpdateAccount(serviceaccount.IfRevision(ctx, "other", rev), a.ID, serviceaccount.AccountInput{Label: "b"})
		require.NoError(t, err)
		assert.NotEqual(t, rev, serviceaccount.AccountRevision(b))

		k, err := m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
		require.NoError(t, err)
		keyRev := serviceaccount.KeyRevision(k.Key)
		f.clock.Advance(time.Minute)
		require.NoError(t, m.TouchKeys(ctx, []serviceaccount.KeyTouch{{KeyID: k.Key.ID, UsedAt: f.clock.Now()}}))
		used, err := m.Key(ctx, a.ID, k.Key.ID)
		require.NoError(t, err)
		require.NotNil(t, used.LastUsedAt)
		assert.Equal(t, keyRev, serviceaccount.KeyRevision(used), "a last-use flush keeps the revision")
		renamed, err := m.PatchKey(serviceaccount.IfRevision(ctx, keyRev), a.ID, k.Key.ID, serviceaccount.KeyPatch{Name: new("ci")})
		require.NoError(t, err)
		require.ErrorIs(t, m.DeleteKey(serviceaccount.IfRevision(ctx, keyRev), a.ID, k.Key.ID), serviceaccount.ErrPreconditionFailed)
		require.NoError(t, m.DeleteKey(serviceaccount.IfRevision(ctx, serviceaccount.KeyRevision(renamed)), a.ID, k.Key.ID))

		p, err := m.AddPermission(ctx, a.ID, serviceaccount.PermissionInput{ResourceType: "study", ResourceKey: "s", Action: "get-reports"})
		require.NoError(t, err)
		permRev := serviceaccount.PermissionRevision(p)
		limited, err := m.SetLimiter(serviceaccount.IfRevision(ctx, permRev), a.ID, p.ID, json.RawMessage(`[{"reportKey":"r"}]`))
		require.NoError(t, err)
		_, err = m.SetLimiter(serviceaccount.IfRevision(ctx, permRev), a.ID, p.ID, nil)
		require.ErrorIs(t, err, serviceaccount.ErrPreconditionFailed)
		require.ErrorIs(t, m.DeletePermission(serviceaccount.IfRevision(ctx, permRev), a.ID, p.ID), serviceaccount.ErrPreconditionFailed)
		require.NoError(t, m.DeletePermission(serviceaccount.IfRevision(ctx, serviceaccount.PermissionRevision(limited)), a.ID, p.ID))

		require.ErrorIs(t, m.DeleteAccount(serviceaccount.IfRevision(ctx, rev), a.ID), serviceaccount.ErrPreconditionFailed)
		require.NoError(t, m.DeleteAccount(serviceaccount.IfRevision(ctx, serviceaccount.AccountRevision(b)), a.ID))
	})
}
