package serviceaccount_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// noticeRecorder collects what Config.OnNotice receives.
type noticeRecorder struct {
	mu      sync.Mutex
	notices []serviceaccount.Notice
}

func (r *noticeRecorder) hook(_ context.Context, n serviceaccount.Notice) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notices = append(r.notices, n)
}

func (r *noticeRecorder) take() []serviceaccount.Notice {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.notices
	r.notices = nil
	return out
}

func newNoticeManager(t *testing.T, s store.Store, clock clockwork.Clock, r *noticeRecorder) *serviceaccount.Manager {
	t.Helper()
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: s, Clock: clock, OnNotice: r.hook})
	require.NoError(t, err)
	return m
}

// TestScanNoticesIsExactlyOnceAcrossInstancesAndRestarts runs two
// Managers ("instances") scanning one database at once, then a new one
// (a restart): every notice is sent once.
func TestScanNoticesIsExactlyOnceAcrossInstancesAndRestarts(t *testing.T) {
	for name, url := range map[string]func(t testing.TB) string{"postgres": sqltest.PostgresURL, "mysql": sqltest.MySQLURL} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			st := sqltest.NewStore(t, url(t))
			clock := clockwork.NewFakeClockAt(start)
			var rec noticeRecorder
			m1 := newNoticeManager(t, st, clock, &rec)
			m2 := newNoticeManager(t, st, clock, &rec)
			hook := createLoopbackWebhook(t, st, store.DefaultTenant, serviceaccount.EventKeyExpiring)
			const keys = 40
			until := start.Add(3 * 24 * time.Hour)
			for range keys / 10 { // the default policy's 10 keys per account
				a, err := m1.CreateAccount(ctx, serviceaccount.AccountInput{Label: "deploy"})
				require.NoError(t, err)
				for range 10 {
					_, err := m1.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{Name: "k", ExpiresAt: &until})
					require.NoError(t, err)
				}
			}
			var wg sync.WaitGroup
			sent := make([]int, 2)
			errs := make([]error, 2)
			for i, m := range []*serviceaccount.Manager{m1, m2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					sent[i], errs[i] = m.ScanNotices(ctx)
				}()
			}
			wg.Wait()
			require.NoError(t, errs[0])
			require.NoError(t, errs[1])
			require.Equal(t, keys, sent[0]+sent[1])
			require.Len(t, rec.take(), keys, "the hook once per notice")
			due, err := st.OutboxClaim(ctx, store.OutboxClaimParams{Owner: "test", Now: clock.Now(), Lease: 30 * time.Second, Limit: 100})
			require.NoError(t, err)
			require.Len(t, due, keys, "one delivery per notice")
			for _, d := range due {
				require.Equal(t, hook, d.WebhookID)
			}

			m3 := newNoticeManager(t, st, clock, &rec) // a restart
			n, err := m3.ScanNotices(ctx)
			require.NoError(t, err)
			require.Zero(t, n)
			require.Empty(t, rec.take())
		})
	}
}

// createLoopbackWebhook stores a webhook of tenant subscribed to events
// directly, as the Manager's URL checks are not what is tested here.
func createLoopbackWebhook(t *testing.T, st store.Store, tenant string, events ...string) uuid.UUID {
	t.Helper()
	id, err := uuid.NewV7()
	require.NoError(t, err)
	require.NoError(t, st.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		return tx.WebhookCreate(ctx, store.Webhook{ID: id, Tenant: tenant, URL: "http://127.0.0.1:1/hook", Events: events,
			Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", CreatedAt: start})
	}))
	return id
}
