package sqlstore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// webhooksMigration created the webhooks and the outbox.
const webhooksMigration = "20261206000007"

// TestUpgradingToWebhooksKeepsEveryRow starts from the schema just before
// the webhooks' migration, with data in it, migrates, and checks that the
// old rows are intact and that the new tables work: a webhook, an outbox
// row in a change's transaction, a claim.
func TestUpgradingToWebhooksKeepsEveryRow(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		db := sqltest.Open(t, url)
		if d.name == "sqlite" {
			db = sqltest.Open(t, sqltest.SQLiteURL(t))
		}
		names, err := migrationNames(db)
		require.NoError(t, err)
		i := slices.Index(names, webhooksMigration)
		require.Positive(t, i, "the webhooks' migration exists and is not the first")
		prefix := sqltest.UniquePrefix()
		opt := sqlstore.WithTablePrefix(prefix)
		require.NoError(t, sqlstore.Migrate(t.Context(), db, opt, migrateUntil(names[i-1])))
		t.Cleanup(func() { require.NoError(t, sqlstore.DropTables(context.Background(), db, opt)) })
		s, err := sqlstore.New(db, opt)
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })

		_, err = s.WebhookList(t.Context(), store.DefaultTenant, uuid.Nil, 10)
		require.Error(t, err, "no webhooks table before the migration")
		old := oldData(t)
		require.NoError(t, insertV1(s, t.Context(), old.accounts, old.keys, old.perms))

		require.NoError(t, sqlstore.Migrate(t.Context(), db, opt))
		old.requireIntact(t, s)

		w := store.Webhook{ID: newID(t), Tenant: store.DefaultTenant, URL: "https://example.com/h", Events: []string{"account.create"},
			Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", CreatedAt: base}
		due := base
		require.NoError(t, s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
			if err := tx.WebhookCreate(ctx, w); err != nil {
				return err
			}
			return tx.OutboxAdd(ctx, store.Delivery{ID: newID(t), Tenant: w.Tenant, WebhookID: w.ID, EventType: "account.create",
				Body: []byte(`{}`), State: store.DeliveryPending, NextAttemptAt: &due, CreatedAt: base})
		}))
		hooks, err := s.WebhookList(t.Context(), store.DefaultTenant, uuid.Nil, 10)
		require.NoError(t, err)
		require.Len(t, hooks, 1)
		got, err := s.OutboxClaim(t.Context(), store.OutboxClaimParams{Owner: "s1", Now: base, Lease: 30 * time.Second, Limit: 10})
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, w.URL, got[0].URL)
	})
}
