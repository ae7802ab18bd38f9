package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

func (f *fixture) webhook(tenant string, events ...string) store.Webhook {
	f.t.Helper()
	w := store.Webhook{
		ID: newID(f.t), Tenant: tenant, URL: "https://example.com/hooks/" + tenant,
		Events: events, Description: "for " + tenant, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		CreatedAt: base,
	}
	require.NoError(f.t, f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error { return tx.WebhookCreate(ctx, w) }))
	return w
}

// enqueue adds a pending delivery for w, due at due, in a transaction of
// its own.
func (f *fixture) enqueue(w store.Webhook, due time.Time) store.Delivery {
	f.t.Helper()
	d := store.Delivery{
		ID: newID(f.t), Tenant: w.Tenant, WebhookID: w.ID, EventType: "account.create",
		Body: []byte(`{"type":"account.create","n":` + fmt.Sprint(due.UnixMicro()) + `}`), State: store.DeliveryPending,
		NextAttemptAt: &due, CreatedAt: base,
	}
	require.NoError(f.t, f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error { return tx.OutboxAdd(ctx, d) }))
	return d
}

func (f *fixture) claim(owner string, now time.Time, limit int) []store.ClaimedDelivery {
	f.t.Helper()
	got, err := f.s.OutboxClaim(f.ctx, store.OutboxClaimParams{Owner: owner, Now: now, Lease: 30 * time.Second, Limit: limit})
	require.NoError(f.t, err)
	return got
}

func claimedIDs(c []store.ClaimedDelivery) []uuid.UUID {
	ids := make([]uuid.UUID, len(c))
	for i, d := range c {
		ids[i] = d.ID
	}
	return ids
}

func requireWebhook(t *testing.T, want, got store.Webhook) {
	t.Helper()
	require.Equal(t, want.ID, got.ID)
	require.Equal(t, want.Tenant, got.Tenant)
	require.Equal(t, want.URL, got.URL)
	require.Equal(t, want.Events, got.Events)
	require.Equal(t, want.Description, got.Description)
	require.Equal(t, want.Secret, got.Secret)
	requireTime(t, want.CreatedAt, got.CreatedAt)
}

func runWebhooks(t *testing.T, newStore NewStore) {
	subtests(t, newStore, map[string]func(t *testing.T, f *fixture){
		"AWebhookIsReadBackInItsTenantOnly": func(t *testing.T, f *fixture) {
			w := f.webhook("acme", "account.create", "key.leaked")
			got, err := f.s.WebhookGet(f.ctx, "acme", w.ID)
			require.NoError(t, err)
			requireWebhook(t, w, got)
			_, err = f.s.WebhookGet(f.ctx, store.DefaultTenant, w.ID)
			require.ErrorIs(t, err, store.ErrNotFound, "another tenant's webhook is not found")
			_, err = f.s.WebhookGet(f.ctx, "acme", newID(t))
			require.ErrorIs(t, err, store.ErrNotFound)
		},
		"WebhookListPagesInCreationOrderWithinTheTenant": func(t *testing.T, f *fixture) {
			a := f.webhook("acme", "key.create")
			f.webhook("other", "key.create")
			b := f.webhook("acme", "key.delete")
			c := f.webhook("acme", "key.delete")
			page, err := f.s.WebhookList(f.ctx, "acme", uuid.Nil, 2)
			require.NoError(t, err)
			require.Len(t, page, 2)
			require.Equal(t, []uuid.UUID{a.ID, b.ID}, []uuid.UUID{page[0].ID, page[1].ID})
			page, err = f.s.WebhookList(f.ctx, "acme", b.ID, 2)
			require.NoError(t, err)
			require.Len(t, page, 1)
			require.Equal(t, c.ID, page[0].ID)
			page, err = f.s.WebhookList(f.ctx, "nobody", uuid.Nil, 2)
			require.NoError(t, err)
			require.Empty(t, page)
			_, err = f.s.WebhookList(f.ctx, "acme", uuid.Nil, 0)
			require.Error(t, err)
		},
		"WebhookCreateRefusesADuplicateID": func(t *testing.T, f *fixture) {
			w := f.webhook("acme", "key.create")
			err := f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error { return tx.WebhookCreate(ctx, w) })
			require.ErrorIs(t, err, store.ErrConflict)
		},
		"WebhookDeleteDeletesItsDeliveriesAndOnlyInItsTenant": func(t *testing.T, f *fixture) {
			w := f.webhook("acme", "account.create")
			f.enqueue(w, base)
			del := func(tenant string) (store.Webhook, error) {
				return inTx(f.ctx, f.s, func(ctx context.Context, tx store.Tx) (store.Webhook, error) {
					return tx.WebhookDelete(ctx, tenant, w.ID)
				})
			}
			_, err := del("other")
			require.ErrorIs(t, err, store.ErrNotFound)
			deleted, err := del("acme")
			require.NoError(t, err)
			requireWebhook(t, w, deleted)
			_, err = f.s.WebhookGet(f.ctx, "acme", w.ID)
			require.ErrorIs(t, err, store.ErrNotFound)
			require.Empty(t, f.claim("s1", base.Add(time.Hour), 10), "a deleted webhook's deliveries are gone")
			_, err = del("acme")
			require.ErrorIs(t, err, store.ErrNotFound)
		},
		"WebhooksForEventListsTheTenantsWebhooksForThatEvent": func(t *testing.T, f *fixture) {
			a := f.webhook("acme", "account.create", "key.create")
			f.webhook("acme", "key.create")
			f.webhook("other", "account.create")
			c := f.webhook("acme", "account.create")
			var got []store.Webhook
			require.NoError(t, f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				got, err = tx.WebhooksForEvent(ctx, "acme", "account.create")
				return err
			}))
			require.Len(t, got, 2)
			require.Equal(t, []uuid.UUID{a.ID, c.ID}, []uuid.UUID{got[0].ID, got[1].ID})
		},
		"ADeliveryEnqueuedInARolledBackTransactionIsNeverSent": func(t *testing.T, f *fixture) {
			w := f.webhook("acme", "account.create")
			due := base
			err := f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				if err := tx.OutboxAdd(ctx, store.Delivery{ID: newID(t), Tenant: "acme", WebhookID: w.ID, EventType: "account.create",
					Body: []byte(`{}`), State: store.DeliveryPending, NextAttemptAt: &due, CreatedAt: base}); err != nil {
					return err
				}
				return errInjected
			})
			require.ErrorIs(t, err, errInjected)
			require.Empty(t, f.claim("s1", base.Add(time.Hour), 10))
		},
		"OutboxClaimTakesDueRowsOldestFirstAndHoldsThemForTheLease": func(t *testing.T, f *fixture) {
			w := f.webhook("acme", "account.create")
			later := f.enqueue(w, base.Add(2*time.Second))
			first := f.enqueue(w, base)
			f.enqueue(w, base.Add(time.Hour)) // not due
			got := f.claim("s1", base.Add(2*time.Second), 10)
			require.Equal(t, []uuid.UUID{first.ID, later.ID}, claimedIDs(got))
			require.Equal(t, w.URL, got[0].URL)
			require.Equal(t, w.Secret, got[0].Secret)
			require.Equal(t, first.Body, got[0].Body, "the body is byte-identical")
			require.Equal(t, "acme", got[0].Tenant)
			require.Equal(t, w.ID, got[0].WebhookID)
			require.Empty(t, f.claim("s2", base.Add(29*time.Second), 10), "held for the 30 s lease")
			again := f.claim("s2", base.Add(33*time.Second), 10)
			require.Equal(t, []uuid.UUID{first.ID, later.ID}, claimedIDs(again), "taken again once the lease ran out")
			err := f.s.OutboxRecord(f.ctx, store.OutboxResult{ID: first.ID, Owner: "s1", State: store.DeliveryDelivered,
				Attempts: []store.DeliveryAttempt{{At: base, StatusCode: 200}}, DeliveredAt: &base})
			require.ErrorIs(t, err, store.ErrNotFound, "the first sender lost its claim")
		},
		"OutboxClaimHonoursTheLimit": func(t *testing.T, f *fixture) {
			w := f.webhook("acme", "account.create")
			for range 3 {
				f.enqueue(w, base)
			}
			require.Len(t, f.claim("s1", base, 2), 2)
			require.Len(t, f.claim("s2", base, 2), 1)
		},
		"OutboxRecordWritesTheAttemptAndTheNextTime": func(t *testing.T, f *fixture) {
			w := f.webhook("acme", "account.create")
			d := f.enqueue(w, base)
			require.Len(t, f.claim("s1", base, 10), 1)
			next := base.Add(5 * time.Second)
			failed := []store.DeliveryAttempt{{At: base, StatusCode: 500}}
			require.NoError(t, f.s.OutboxRecord(f.ctx, store.OutboxResult{ID: d.ID, Owner: "s1", State: store.DeliveryPending, Attempts: failed, NextAttemptAt: &next}))
			require.Empty(t, f.claim("s1", next.Add(-time.Microsecond), 10), "not due before the retry time")
			got := f.claim("s2", next, 10)
			require.Len(t, got, 1, "due at the retry time, whatever the old lease")
			require.Len(t, got[0].Attempts, 1)
			require.Equal(t, 500, got[0].Attempts[0].StatusCode)
			requireTime(t, base, got[0].Attempts[0].At)

			attempts := append(got[0].Attempts, store.DeliveryAttempt{At: next, StatusCode: 204})
			require.NoError(t, f.s.OutboxRecord(f.ctx, store.OutboxResult{ID: d.ID, Owner: "s2", State: store.DeliveryDelivered, Attempts: attempts, DeliveredAt: &next}))
			require.Empty(t, f.claim("s3", next.Add(24*time.Hour), 10), "a delivered row is never claimed")
			err := f.s.OutboxRecord(f.ctx, store.OutboxResult{ID: d.ID, Owner: "s2", State: store.DeliveryDelivered, Attempts: attempts, DeliveredAt: &next})
			require.ErrorIs(t, err, store.ErrNotFound, "the claim ended with the record")

			list, err := f.s.DeliveryList(f.ctx, "acme", w.ID, uuid.Nil, 10)
			require.NoError(t, err)
			require.Len(t, list, 1)
			require.Equal(t, store.DeliveryDelivered, list[0].State)
			require.Nil(t, list[0].NextAttemptAt)
			requireTimePtr(t, &next, list[0].DeliveredAt)
			require.Len(t, list[0].Attempts, 2)
			require.Equal(t, "account.create", list[0].EventType)
		},
		"OutboxReleaseLetsAnotherSenderClaimAtOnce": func(t *testing.T, f *fixture) {
			w := f.webhook("acme", "account.create")
			d := f.enqueue(w, base)
			require.Len(t, f.claim("s1", base, 10), 1)
			require.NoError(t, f.s.OutboxRelease(f.ctx, "s2", []uuid.UUID{d.ID}), "another owner's release is skipped")
			require.Empty(t, f.claim("s2", base, 10))
			require.NoError(t, f.s.OutboxRelease(f.ctx, "s1", []uuid.UUID{d.ID}))
			require.Len(t, f.claim("s2", base, 10), 1)
		},
		"DeliveryListIsNewestFirstPerWebhookAndTenant": func(t *testing.T, f *fixture) {
			w := f.webhook("acme", "account.create")
			other := f.webhook("acme", "account.create")
			a := f.enqueue(w, base)
			f.enqueue(other, base)
			b := f.enqueue(w, base)
			list, err := f.s.DeliveryList(f.ctx, "acme", w.ID, uuid.Nil, 10)
			require.NoError(t, err)
			require.Len(t, list, 2)
			require.Equal(t, b.ID, list[0].ID)
			require.Equal(t, a.ID, list[1].ID)
			require.Equal(t, store.DeliveryPending, list[1].State)
			require.Empty(t, list[1].Attempts)
			requireTimePtr(t, a.NextAttemptAt, list[1].NextAttemptAt)
			require.Equal(t, a.Body, list[1].Body)
			list, err = f.s.DeliveryList(f.ctx, "acme", w.ID, b.ID, 10)
			require.NoError(t, err)
			require.Len(t, list, 1)
			require.Equal(t, a.ID, list[0].ID)
			_, err = f.s.DeliveryList(f.ctx, "other", w.ID, uuid.Nil, 10)
			require.ErrorIs(t, err, store.ErrNotFound)
		},
		"TwoConcurrentClaimersNeverClaimTheSameRow": func(t *testing.T, f *fixture) {
			w := f.webhook("acme", "account.create")
			const rows = 40
			for range rows {
				f.enqueue(w, base)
			}
			var (
				mu    sync.Mutex
				seen  = map[uuid.UUID]string{}
				dupes []string
				errs  []error
				wg    sync.WaitGroup
			)
			for _, owner := range []string{"s1", "s2", "s3"} {
				wg.Go(func() {
					for {
						got, err := f.s.OutboxClaim(f.ctx, store.OutboxClaimParams{Owner: owner, Now: base, Lease: 30 * time.Second, Limit: 3})
						mu.Lock()
						if err != nil {
							errs = append(errs, err)
						}
						for _, d := range got {
							if prev, ok := seen[d.ID]; ok {
								dupes = append(dupes, fmt.Sprintf("%s claimed by %s and %s", d.ID, prev, owner))
							}
							seen[d.ID] = owner
						}
						n := len(seen)
						mu.Unlock()
						if err != nil || n == rows {
							return // else the others hold what is left, or will claim it
						}
					}
				})
			}
			wg.Wait()
			require.Empty(t, errs)
			require.Empty(t, dupes)
			require.Len(t, seen, rows, "every row claimed once")
		},
	})
}
