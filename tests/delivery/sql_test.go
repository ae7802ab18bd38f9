package delivery_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// TestTwoSendersOnOneDatabaseDeliverEachEventOnce runs two instances
// (each its own pool, Manager and Sender) on one PostgreSQL and on one
// MariaDB, sending concurrently: every delivery arrives exactly once.
func TestTwoSendersOnOneDatabaseDeliverEachEventOnce(t *testing.T) {
	for name, url := range map[string]func(testing.TB) string{"postgres": sqltest.PostgresURL, "mysql": sqltest.MySQLURL} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stores := sqltest.NewSharedStores(t, url(t), 2)
			clock := clockwork.NewFakeClockAt(start)
			a, b := newInstance(t, stores[0], clock), newInstance(t, stores[1], clock)
			r := newReceiver(t)
			_, err := a.m.CreateWebhook(t.Context(), serviceaccount.WebhookInput{URL: r.URL, Events: []string{"account.create"}})
			require.NoError(t, err)
			const changes = 30
			for i := range changes {
				m := a.m
				if i%2 == 1 {
					m = b.m
				}
				_, err := m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "a" + strconv.Itoa(i)})
				require.NoError(t, err)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			sent := 0
			for _, in := range []instance{a, b} {
				wg.Go(func() {
					for {
						n, err := in.sender.SendDue(t.Context())
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						sent += n
						total := sent
						mu.Unlock()
						if total >= changes || n == 0 && total >= changes {
							return
						}
					}
				})
			}
			wg.Wait()
			require.Equal(t, changes, sent)
			ids := map[string]int{}
			for range changes {
				got := r.next(t)
				ids[got.header.Get("webhook-id")]++
			}
			r.none(t)
			require.Len(t, ids, changes, "each delivery exactly once")
		})
	}
}

// TestADeliveryPendingAcrossARestartIsSent: the change commits while no
// sender runs; a new process (its own pool, Manager and Sender) on the
// same database sends it. A retry pending at the restart is sent too.
func TestADeliveryPendingAcrossARestartIsSent(t *testing.T) {
	for name, url := range map[string]func(testing.TB) string{"sqlite": sqltest.SQLiteURL, "postgres": sqltest.PostgresURL, "mysql": sqltest.MySQLURL} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stores := sqltest.NewSharedStores(t, url(t), 2)
			clock := clockwork.NewFakeClockAt(start)
			r := newReceiver(t, http.StatusInternalServerError)
			before := newInstance(t, stores[0], clock)
			hook, err := before.m.CreateWebhook(t.Context(), serviceaccount.WebhookInput{URL: r.URL, Events: []string{"account.create", "account.update"}})
			require.NoError(t, err)
			acc, err := before.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "x"})
			require.NoError(t, err)
			n, err := before.sender.SendDue(t.Context())
			require.NoError(t, err)
			require.Equal(t, 1, n)
			verify(t, hook.Secret, r.next(t)) // answered 500: a retry is pending
			_, err = before.m.UpdateAccount(t.Context(), acc.ID, serviceaccount.AccountInput{Label: "y"})
			require.NoError(t, err) // enqueued, never sent by this process

			after := newInstance(t, stores[1], clock) // the restarted process
			clock.Advance(5 * time.Second)
			n, err = after.sender.SendDue(t.Context())
			require.NoError(t, err)
			require.Equal(t, 2, n)
			types := map[string]bool{}
			for range 2 {
				got := r.next(t)
				verify(t, hook.Secret, got)
				var body struct{ Type string }
				require.NoError(t, json.Unmarshal(got.body, &body))
				types[body.Type] = true
			}
			require.Equal(t, map[string]bool{"account.create": true, "account.update": true}, types)
			page, err := after.m.ListDeliveries(t.Context(), hook.ID, serviceaccount.PageParams{})
			require.NoError(t, err)
			for _, d := range page.Items {
				require.Equal(t, store.DeliveryDelivered, d.State)
			}
		})
	}
}
