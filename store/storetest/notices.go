package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// scanNotices runs NoticeScan at now and returns "kind/withinDays" per
// key, for compact assertions.
func (f *fixture) scanNotices(now time.Time) map[uuid.UUID][]string {
	f.t.Helper()
	got, err := f.s.NoticeScan(f.ctx, store.NoticeScanParams{Now: now, Limit: 100})
	require.NoError(f.t, err)
	out := map[uuid.UUID][]string{}
	for _, c := range got {
		out[c.KeyID] = append(out[c.KeyID], c.Kind+"/"+itoa(c.WithinDays))
	}
	return out
}

func itoa(n int) string {
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}

// recordNotice records the notice in a transaction of its own.
func (f *fixture) recordNotice(tenant string, accountID, keyID uuid.UUID, kind string, withinDays int) error {
	return f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.NoticeRecord(ctx, store.Notice{Tenant: tenant, AccountID: accountID, KeyID: keyID, Kind: kind, WithinDays: withinDays, CreatedAt: base})
	})
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

func runNotices(t *testing.T, newStore NewStore) {
	subtests(t, newStore, map[string]func(t *testing.T, f *fixture){
		"ExpiringKeysGetEachThresholdOnce": func(t *testing.T, f *fixture) {
			a := f.account("a")
			until := base.Add(days(20))
			k, _ := f.key(a.ID, &until)
			require.Empty(t, f.scanNotices(base), "20 days left: no threshold yet")
			now := base.Add(days(7)) // 13 days left
			require.Equal(t, []string{"key.expiring/14"}, f.scanNotices(now)[k.ID])
			require.NoError(t, f.recordNotice(store.DefaultTenant, a.ID, k.ID, store.NoticeKeyExpiring, 14))
			require.Empty(t, f.scanNotices(now), "noticed")
			now = base.Add(days(14)) // 6 days left
			require.Equal(t, []string{"key.expiring/07"}, f.scanNotices(now)[k.ID])
			require.NoError(t, f.recordNotice(store.DefaultTenant, a.ID, k.ID, store.NoticeKeyExpiring, 7))
			require.Empty(t, f.scanNotices(now))
			now = until.Add(-time.Hour)
			require.Equal(t, []string{"key.expiring/01"}, f.scanNotices(now)[k.ID])
			require.NoError(t, f.recordNotice(store.DefaultTenant, a.ID, k.ID, store.NoticeKeyExpiring, 1))
			require.Empty(t, f.scanNotices(now))
			require.Empty(t, f.scanNotices(until.Add(time.Hour)), "expired: nothing")
		},
		"AKeyPastSeveralThresholdsGetsOneForTheSmallest": func(t *testing.T, f *fixture) {
			a := f.account("a")
			until := base.Add(12 * time.Hour)
			k, _ := f.key(a.ID, &until)
			require.Equal(t, map[uuid.UUID][]string{k.ID: {"key.expiring/01"}}, f.scanNotices(base))
			require.NoError(t, f.recordNotice(store.DefaultTenant, a.ID, k.ID, store.NoticeKeyExpiring, 1))
			require.Empty(t, f.scanNotices(base.Add(time.Hour)), "a smaller threshold's notice covers the larger ones")
		},
		"DisabledReplacedAndDisabledAccountsKeysGetNone": func(t *testing.T, f *fixture) {
			until := base.Add(days(3))
			a := f.account("a")
			disabled, _ := f.key(a.ID, &until)
			replaced, _ := f.key(a.ID, &until)
			kept, _ := f.key(a.ID, &until)
			_, _ = f.key(a.ID, nil) // never expires
			at := base
			_, err := f.keyUpdate(store.KeyUpdateParams{AccountID: a.ID, KeyID: disabled.ID, ExpiresAt: &until, DisabledAt: &at})
			require.NoError(t, err)
			_, err = f.keyUpdate(store.KeyUpdateParams{AccountID: a.ID, KeyID: replaced.ID, ExpiresAt: &until, ReplacedBy: &kept.ID})
			require.NoError(t, err)
			off := f.account("off")
			f.key(off.ID, &until)
			require.NoError(t, f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.AccountUpdate(ctx, store.DefaultTenant, store.AccountUpdateParams{ID: off.ID, Label: off.Label, DisabledAt: &at, UpdatedAt: at})
				return err
			}))
			require.Equal(t, map[uuid.UUID][]string{kept.ID: {"key.expiring/07"}}, f.scanNotices(base))
		},
		"UnusedKeysFollowTheirTenantsThreshold": func(t *testing.T, f *fixture) {
			f.putPolicy("acme", store.Policy{LeakedKeyAction: store.LeakedKeyDisable, UnusedKeyDays: 30})
			f.putPolicy("quiet", store.Policy{LeakedKeyAction: store.LeakedKeyDisable, UnusedKeyDays: 0})
			acme := f.accountIn("acme", "a")
			ak := f.keyIn("acme", acme.ID)
			quiet := f.accountIn("quiet", "q")
			f.keyIn("quiet", quiet.ID)
			d := f.account("d")
			never, _ := f.key(d.ID, nil)
			used, _ := f.key(d.ID, nil)
			require.NoError(t, f.s.KeysTouch(f.ctx, []store.KeyTouch{{KeyID: used.ID, UsedAt: base.Add(days(50))}}))

			require.Empty(t, f.scanNotices(base.Add(days(29))))
			got, err := f.s.NoticeScan(f.ctx, store.NoticeScanParams{Now: base.Add(days(30)), Limit: 10})
			require.NoError(t, err)
			require.Len(t, got, 1)
			require.Equal(t, store.NoticeCandidate{
				Notice:    store.Notice{Tenant: "acme", AccountID: acme.ID, KeyID: ak.ID, Kind: store.NoticeKeyUnused},
				CreatedAt: base, UnusedKeyDays: 30,
			}, normalize(got[0]))
			require.NoError(t, f.recordNotice("acme", acme.ID, ak.ID, store.NoticeKeyUnused, 0))
			require.Equal(t, map[uuid.UUID][]string{never.ID: {"key.unused/00"}}, f.scanNotices(base.Add(days(90))),
				"the default tenant's 90 days (none stored); the used key's last use counts; tenant quiet has none")
			require.Equal(t, map[uuid.UUID][]string{never.ID: {"key.unused/00"}, used.ID: {"key.unused/00"}}, f.scanNotices(base.Add(days(140))))
		},
		"NoticeRecordIsOnceAndRollsBackWithItsTransaction": func(t *testing.T, f *fixture) {
			a := f.account("a")
			k, _ := f.key(a.ID, nil)
			require.NoError(t, f.recordNotice(store.DefaultTenant, a.ID, k.ID, store.NoticeKeyUnused, 0))
			require.ErrorIs(t, f.recordNotice(store.DefaultTenant, a.ID, k.ID, store.NoticeKeyUnused, 0), store.ErrConflict)
			require.NoError(t, f.recordNotice(store.DefaultTenant, a.ID, k.ID, store.NoticeKeyExpiring, 14), "another kind or threshold is another notice")
			until := base.Add(days(2))
			k2, _ := f.key(a.ID, &until)
			err := f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				require.NoError(t, tx.NoticeRecord(ctx, store.Notice{Tenant: store.DefaultTenant, AccountID: a.ID, KeyID: k2.ID, Kind: store.NoticeKeyExpiring, WithinDays: 7, CreatedAt: base}))
				return errRollback
			})
			require.ErrorIs(t, err, errRollback)
			require.Equal(t, []string{"key.expiring/07"}, f.scanNotices(base)[k2.ID], "the rolled-back record is gone")
			_, err = f.s.NoticeScan(f.ctx, store.NoticeScanParams{Now: base})
			require.Error(t, err, "a limit below 1")
		},
	})
}

// normalize drops what backends store differently (monotonic clock,
// location) from a candidate's times.
func normalize(c store.NoticeCandidate) store.NoticeCandidate {
	c.CreatedAt = c.CreatedAt.UTC()
	return c
}

// errRollback makes InTx roll back.
var errRollback = errors.New("roll back")
