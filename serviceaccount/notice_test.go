package serviceaccount_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
	"github.com/seed-c7fc2061/serviceaccounts/webhook/delivery"
	"github.com/seed-c7fc2061/serviceaccounts/webhook/egress"
	"github.com/seed-c7fc2061/serviceaccounts/webhook/signature"
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

func TestScanNoticesSendsEachThresholdOnceToWebhooksAndTheHook(t *testing.T) {
	ctx := t.Context()
	clock := clockwork.NewFakeClockAt(start)
	st := memstore.New()
	var rec noticeRecorder
	m := newNoticeManager(t, st, clock, &rec)
	f := &fixture{st: st, clock: clock, m: m}
	hook := createLoopbackWebhook(t, st, store.DefaultTenant, serviceaccount.EventKeyExpiring, serviceaccount.EventKeyUnused)

	a, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "deploy"})
	require.NoError(t, err)
	until := start.Add(20 * day)
	k, err := m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{Name: "ci", ExpiresAt: &until})
	require.NoError(t, err)
	off, err := m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{Name: "off", ExpiresAt: &until})
	require.NoError(t, err)
	yes := true
	_, err = m.PatchKey(ctx, a.ID, off.Key.ID, serviceaccount.KeyPatch{Disabled: &yes})
	require.NoError(t, err)
	old, err := m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{Name: "old", ExpiresAt: &until})
	require.NoError(t, err)
	grace := int64(3600)
	rotated, err := m.RotateKey(ctx, a.ID, old.Key.ID, serviceaccount.RotateKeyInput{ExpiresAt: &until, GracePeriodSeconds: &grace})
	require.NoError(t, err)

	n, err := m.ScanNotices(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "20 days left")

	// 13 days left: key.expiring within 14, for the live keys only (the
	// rotation's shortened old key and the disabled key get none).
	clock.Advance(7 * day)
	n, err = m.ScanNotices(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	got := rec.take()
	require.Len(t, got, 2)
	keys := map[string]int{}
	for _, g := range got {
		require.Equal(t, serviceaccount.EventKeyExpiring, g.Type)
		require.Equal(t, 14, g.WithinDays)
		require.Equal(t, store.DefaultTenant, g.Tenant)
		keys[g.KeyID.String()]++
	}
	require.Equal(t, map[string]int{k.Key.ID.String(): 1, rotated.Created.Key.ID.String(): 1}, keys)
	due := f.due(t)
	require.Len(t, due, 2, "one delivery per notice to the subscribed webhook")
	var body struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	for _, d := range due {
		require.Equal(t, hook, d.WebhookID)
		require.NoError(t, json.Unmarshal(d.Body, &body))
		require.Equal(t, "key.expiring", body.Type)
		require.Equal(t, "default", body.Data["tenant"])
		require.Equal(t, a.ID.String(), body.Data["serviceAccountId"])
		require.EqualValues(t, 14, body.Data["withinDays"])
		require.Contains(t, body.Data, "lastUsedAt")
		require.NotEmpty(t, body.Data["expiresAt"])
	}
	n, err = m.ScanNotices(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "each threshold once")

	clock.Advance(7 * day) // 6 days left
	n, err = m.ScanNotices(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Equal(t, 7, rec.take()[0].WithinDays)

	clock.Advance(6*day - time.Hour) // 1 hour left
	n, err = m.ScanNotices(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Equal(t, 1, rec.take()[0].WithinDays)
	clock.Advance(2 * time.Hour) // expired
	n, err = m.ScanNotices(ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	audit, err := m.ListAuditEvents(ctx, serviceaccount.ListAuditEventsParams{})
	require.NoError(t, err)
	for _, e := range audit.Items {
		require.NotContains(t, string(e.Action), "expiring", "notices are not audit events")
	}
}

func TestScanNoticesJumpingPastThresholdsSendsTheSmallestOnly(t *testing.T) {
	ctx := t.Context()
	clock := clockwork.NewFakeClockAt(start)
	var rec noticeRecorder
	m := newNoticeManager(t, memstore.New(), clock, &rec)
	a, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "deploy"})
	require.NoError(t, err)
	until := start.Add(30 * day)
	_, err = m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{Name: "ci", ExpiresAt: &until})
	require.NoError(t, err)
	clock.Advance(29*day + time.Hour) // past 14, 7 and 1 at once
	n, err := m.ScanNotices(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	got := rec.take()
	require.Equal(t, 1, got[0].WithinDays)
	n, err = m.ScanNotices(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestScanNoticesUnusedFollowsTheTenantsPolicy(t *testing.T) {
	ctx := t.Context()
	clock := clockwork.NewFakeClockAt(start)
	var rec noticeRecorder
	m := newNoticeManager(t, memstore.New(), clock, &rec)
	acme, err := m.Tenant("acme")
	require.NoError(t, err)
	p, _, err := acme.EffectivePolicy(ctx)
	require.NoError(t, err)
	p.UnusedKeyDays = 30
	_, err = acme.SetPolicy(ctx, p)
	require.NoError(t, err)
	a, err := acme.CreateAccount(ctx, serviceaccount.AccountInput{Label: "deploy"})
	require.NoError(t, err)
	k, err := acme.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{Name: "ci"})
	require.NoError(t, err)
	d, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "d"})
	require.NoError(t, err)
	dk, err := m.CreateKey(ctx, d.ID, serviceaccount.CreateKeyInput{Name: "ci"})
	require.NoError(t, err)

	clock.Advance(30 * day)
	n, err := m.ScanNotices(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	got := rec.take()
	require.Equal(t, serviceaccount.Notice{Type: serviceaccount.EventKeyUnused, Tenant: "acme", AccountID: a.ID, KeyID: k.Key.ID,
		UnusedDays: 30, At: clock.Now().UTC().Truncate(time.Microsecond)}, got[0])
	clock.Advance(60 * day) // the default tenant's 90 days
	n, err = m.ScanNotices(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, dk.Key.ID, rec.take()[0].KeyID)
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

func TestRunNoticeScannerScansAtOnceThenEveryInterval(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	clock := clockwork.NewFakeClockAt(start)
	var rec noticeRecorder
	m := newNoticeManager(t, memstore.New(), clock, &rec)
	a, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "deploy"})
	require.NoError(t, err)
	soon := start.Add(day / 2)
	_, err = m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{Name: "soon", ExpiresAt: &soon})
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.RunNoticeScanner(ctx, time.Hour, func(err error) { t.Error(err) })
	}()
	require.NoError(t, clock.BlockUntilContext(ctx, 1)) // the first scan ran; the ticker waits
	require.Len(t, rec.take(), 1, "the first scan at once")

	later := start.Add(10 * day)
	_, err = m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{Name: "later", ExpiresAt: &later})
	require.NoError(t, err)
	clock.Advance(3 * day) // 7 days left: due at the next tick
	require.Eventually(t, func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.notices) == 1
	}, 5*time.Second, time.Millisecond, "the tick's scan")
	cancel()
	<-done
	require.Equal(t, 7, rec.take()[0].WithinDays)
}

// TestANoticeReachesARealReceiverThroughTheSender sends a key.expiring
// notice over loopback HTTP with the webhook sender, and the receiver
// checks its signature with the secret CreateWebhook returned.
func TestANoticeReachesARealReceiverThroughTheSender(t *testing.T) {
	ctx := t.Context()
	clock := clockwork.NewFakeClockAt(start)
	client, err := egress.NewClient(egress.Config{AllowPrivate: true})
	require.NoError(t, err)
	st := memstore.New()
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: st, Clock: clock, WebhookClient: client})
	require.NoError(t, err)

	type received struct {
		header http.Header
		body   []byte
	}
	got := make(chan received, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- received{r.Header.Clone(), body}
	}))
	t.Cleanup(srv.Close)
	hook, err := m.CreateWebhook(ctx, serviceaccount.WebhookInput{URL: srv.URL + "/hook", Events: []string{serviceaccount.EventKeyExpiring}})
	require.NoError(t, err)

	a, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "deploy"})
	require.NoError(t, err)
	until := start.Add(5 * day)
	k, err := m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{Name: "ci", ExpiresAt: &until})
	require.NoError(t, err)
	n, err := m.ScanNotices(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	sender, err := delivery.New(delivery.Config{Store: st, Client: client, Clock: clock})
	require.NoError(t, err)
	sent, err := sender.SendDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, sent)
	r := <-got
	secret, err := signature.ParseSecret(hook.Secret)
	require.NoError(t, err)
	v, err := signature.NewVerifier(signature.VerifierConfig{Secrets: []signature.Secret{secret}, Clock: clock})
	require.NoError(t, err)
	require.NoError(t, v.Verify(r.header, r.body))
	var body struct {
		Type string `json:"type"`
		Data struct {
			Tenant, ServiceAccountID, KeyID string
			ExpiresAt                       *string
			LastUsedAt                      *string
			WithinDays                      int
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(r.body, &body))
	require.Equal(t, "key.expiring", body.Type)
	require.Equal(t, "default", body.Data.Tenant)
	require.Equal(t, a.ID.String(), body.Data.ServiceAccountID)
	require.Equal(t, k.Key.ID.String(), body.Data.KeyID)
	require.Equal(t, 7, body.Data.WithinDays)
	require.NotNil(t, body.Data.ExpiresAt)
	require.Nil(t, body.Data.LastUsedAt, "never used")
	select {
	case extra := <-got:
		t.Fatalf("a second delivery: %s", extra.body)
	default:
	}
}
