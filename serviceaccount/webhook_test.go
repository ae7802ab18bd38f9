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
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
	"github.com/seed-c7fc2061/serviceaccounts/webhook/egress"
	"github.com/seed-c7fc2061/serviceaccounts/webhook/signature"
)

// newWebhookFixture is a Manager whose webhooks may point at loopback
// receivers, as the tests' are.
func newWebhookFixture(t *testing.T) *fixture {
	t.Helper()
	client, err := egress.NewClient(egress.Config{AllowPrivate: true})
	require.NoError(t, err)
	f := &fixture{st: memstore.New(), clock: clockwork.NewFakeClockAt(start)}
	f.m, err = serviceaccount.NewManager(serviceaccount.Config{Store: f.st, Clock: f.clock, WebhookClient: client})
	require.NoError(t, err)
	return f
}

// due claims every delivery due now, as a sender would.
func (f *fixture) due(t *testing.T) []store.ClaimedDelivery {
	t.Helper()
	got, err := f.st.OutboxClaim(t.Context(), store.OutboxClaimParams{Owner: "test", Now: f.clock.Now(), Lease: 30 * time.Second, Limit: 100})
	require.NoError(t, err)
	return got
}

func TestCreateWebhookValidatesEveryFieldByName(t *testing.T) {
	f := newFixture(t) // the default client: private addresses refused
	ctx := t.Context()
	_, err := f.m.CreateWebhook(ctx, serviceaccount.WebhookInput{URL: "ftp://example.com/x", Events: []string{"account.create", "nope", "account.create"}})
	verr := requireFields(t, err, "url", "events[1]", "events[2]")
	require.Contains(t, verr.Fields[0].Message, "scheme")
	require.Contains(t, verr.Fields[1].Message, "key.expiring", "the message lists what is allowed")

	_, err = f.m.CreateWebhook(ctx, serviceaccount.WebhookInput{URL: "https://192.0.2.10/x", Description: "a\x00b"})
	requireFields(t, err, "events", "description")

	for _, private := range []string{"http://127.0.0.1:8080/hook", "http://10.1.2.3/", "http://[::1]/", "http://169.254.169.254/latest", "http://100.64.0.1/"} {
		_, err = f.m.CreateWebhook(ctx, serviceaccount.WebhookInput{URL: private, Events: []string{"key.create"}})
		requireFields(t, err, "url")
	}
	page, err := f.m.ListWebhooks(ctx, serviceaccount.PageParams{})
	require.NoError(t, err)
	require.Empty(t, page.Items, "nothing was written")
	events, err := f.m.ListAuditEvents(ctx, serviceaccount.ListAuditEventsParams{})
	require.NoError(t, err)
	require.Empty(t, events.Items)
}

func TestCreateWebhookShowsTheSecretOnceAndAuditsWithoutIt(t *testing.T) {
	f := newWebhookFixture(t)
	ctx := t.Context()
	every := serviceaccount.WebhookEventTypes()
	require.Contains(t, every, "webhook.delete")
	require.Contains(t, every, serviceaccount.EventKeyLeaked)
	created, err := f.m.CreateWebhook(ctx, serviceaccount.WebhookInput{URL: "http://127.0.0.1:9/hook", Events: every, Description: "all"})
	require.NoError(t, err)
	_, err = signature.ParseSecret(created.Secret)
	require.NoError(t, err, "a Standard Webhooks secret")
	require.Equal(t, store.DefaultTenant, created.Tenant)

	got, err := f.m.Webhook(ctx, created.ID)
	require.NoError(t, err)
	require.Equal(t, created.Webhook, got)
	page, err := f.m.ListWebhooks(ctx, serviceaccount.PageParams{})
	require.NoError(t, err)
	require.Equal(t, []serviceaccount.Webhook{created.Webhook}, page.Items)

	events, err := f.m.ListAuditEvents(ctx, serviceaccount.ListAuditEventsParams{})
	require.NoError(t, err)
	require.Len(t, events.Items, 1)
	e := events.Items[0]
	require.Equal(t, store.ActionWebhookCreate, e.Action)
	require.Equal(t, &created.ID, e.TargetID)
	require.NotContains(t, string(e.Details), strings.TrimPrefix(created.Secret, "whsec_"))
	require.Contains(t, string(e.Details), `"url":"http://127.0.0.1:9/hook"`)

	// Its own creation was not delivered to it: it did not exist yet.
	require.Empty(t, f.due(t), "creating a webhook sends nothing")

	other, err := f.m.Tenant("acme")
	require.NoError(t, err)
	_, err = other.Webhook(ctx, created.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "another tenant does not see it")
	require.ErrorIs(t, other.DeleteWebhook(ctx, created.ID), store.ErrNotFound)

	require.NoError(t, f.m.DeleteWebhook(ctx, created.ID))
	_, err = f.m.Webhook(ctx, created.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	events, err = f.m.ListAuditEvents(ctx, serviceaccount.ListAuditEventsParams{Action: store.ActionWebhookDelete})
	require.NoError(t, err)
	require.Len(t, events.Items, 1)
	require.NotContains(t, string(events.Items[0].Details), strings.TrimPrefix(created.Secret, "whsec_"))
}

func TestAnAuditedChangeEnqueuesOneDeliveryPerListeningWebhookOfTheTenant(t *testing.T) {
	f := newWebhookFixture(t)
	ctx := serviceaccount.WithActor(t.Context(), serviceaccount.Actor{ID: "alice", Address: "192.0.2.1"})
	listening, err := f.m.CreateWebhook(ctx, serviceaccount.WebhookInput{URL: "http://127.0.0.1:9/a", Events: []string{"account.create", "key.create"}})
	require.NoError(t, err)
	also, err := f.m.CreateWebhook(ctx, serviceaccount.WebhookInput{URL: "http://127.0.0.1:9/b", Events: []string{"account.create"}})
	require.NoError(t, err)
	_, err = f.m.CreateWebhook(ctx, serviceaccount.WebhookInput{URL: "http://127.0.0.1:9/c", Events: []string{"account.delete"}})
	require.NoError(t, err)
	acme, err := f.m.Tenant("acme")
	require.NoError(t, err)
	_, err = acme.CreateWebhook(ctx, serviceaccount.WebhookInput{URL: "http://127.0.0.1:9/d", Events: []string{"account.create"}})
	require.NoError(t, err)
	select {
	case <-f.m.OutboxSignal():
		t.Fatal("creating webhooks enqueued something")
	default:
	}

	a := f.account(t)
	select {
	case <-f.m.OutboxSignal():
	default:
		t.Fatal("the commit did not wake the sender")
	}
	got := f.due(t)
	require.Len(t, got, 2, "one per listening webhook of the tenant")
	require.ElementsMatch(t, []uuid.UUID{listening.ID, also.ID}, []uuid.UUID{got[0].WebhookID, got[1].WebhookID})
	require.Equal(t, got[0].Body, got[1].Body)
	require.NotEqual(t, got[0].ID, got[1].ID, "each delivery has its own webhook-id")

	events, err := f.m.ListAuditEvents(ctx, serviceaccount.ListAuditEventsParams{Action: store.ActionAccountCreate})
	require.NoError(t, err)
	require.Len(t, events.Items, 1)
	var body struct {
		Type      string         `json:"type"`
		Timestamp string         `json:"timestamp"`
		Data      map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal(got[0].Body, &body))
	require.Equal(t, "account.create", body.Type)
	require.Equal(t, apijson.FormatTime(events.Items[0].OccurredAt), body.Timestamp)
	// data is the event as GET /audit-events shows it.
	shown, err := json.Marshal(apijson.NewAuditEvent(events.Items[0].Tenant, events.Items[0]))
	require.NoError(t, err)
	var want map[string]any
	require.NoError(t, json.Unmarshal(shown, &want))
	require.Equal(t, want, body.Data)
	require.Equal(t, a.ID.String(), body.Data["serviceAccountId"])

	// A change that fails enqueues nothing.
	_, err = f.m.UpdateAccount(ctx, uuid.Must(uuid.NewV7()), serviceaccount.AccountInput{Label: "x"})
	require.ErrorIs(t, err, store.ErrNotFound)
	f.clock.Advance(10 * time.Second) // within the lease of the two above
	require.Empty(t, f.due(t))
}

func TestAChangeWhoseDeliveryCannotBeWrittenIsRolledBack(t *testing.T) {
	st := &refusingOutbox{Store: memstore.New()}
	client, err := egress.NewClient(egress.Config{AllowPrivate: true})
	require.NoError(t, err)
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: st, WebhookClient: client})
	require.NoError(t, err)
	_, err = m.CreateWebhook(t.Context(), serviceaccount.WebhookInput{URL: "http://127.0.0.1:9/a", Events: []string{"account.create"}})
	require.NoError(t, err)
	_, err = m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "x"})
	require.ErrorIs(t, err, errOutbox)
	page, err := m.ListAccounts(t.Context(), serviceaccount.ListAccountsParams{})
	require.NoError(t, err)
	require.Empty(t, page.Items, "no change without its delivery")
}

var errOutbox = errors.New("outbox refused")

type refusingOutbox struct{ store.Store }

func (s *refusingOutbox) InTx(ctx context.Context, fn func(context.Context, store.Tx) error) error {
	return s.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return fn(ctx, refusingOutboxTx{tx}) })
}

type refusingOutboxTx struct{ store.Tx }

func (refusingOutboxTx) OutboxAdd(context.Context, store.Delivery) error { return errOutbox }
