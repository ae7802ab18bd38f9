// Package managertest holds tests of the Manager that every backend must
// pass but that storetest cannot hold, because backends import storetest
// and nothing a backend imports may import serviceaccount.
package managertest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/storetest"
)

// largeAccountPermissions is how many largest limiters the regression
// account holds: about 19.6 MB of limiter data, more than MariaDB's
// 16 MiB packet (the finding: 290 permissions, 16.8 MB). No rule caps the
// permissions of an account.
const largeAccountPermissions = 300

// DeleteLargeAccount proves, on st, that deleting an account holding the
// most limiter data an account can hold succeeds, that its key stops
// authenticating, and that its audit event describes each limiter by its
// items and size within serviceaccount.MaxAuditEventBytes (issue 19,
// finding 2: on MariaDB the event outgrew the 16 MiB packet). It needs the
// Manager, so it lives here rather than in storetest, which backends
// import and which must not import serviceaccount.
func DeleteLargeAccount(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := struct {
		ctx context.Context
		s   store.Store
	}{ctx, st}
	{
		{
			m, err := serviceaccount.NewManager(serviceaccount.Config{Store: f.s})
			require.NoError(t, err)
			a, err := m.CreateAccount(f.ctx, serviceaccount.AccountInput{Label: "holds everything"})
			require.NoError(t, err)
			key, err := m.CreateKey(f.ctx, a.ID, serviceaccount.CreateKeyInput{})
			require.NoError(t, err)
			// Granted in one transaction, the permissions the Manager would
			// accept one by one (the catalog's action and limiter key): one
			// commit rather than 300 keeps the suite fast on every backend.
			total := 0
			require.NoError(t, f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				total = 0
				for i := range largeAccountPermissions {
					l := storetest.LargestLimiter(i)
					total += len(l)
					p := permission.Permission{
						ID: uuid.Must(uuid.NewV7()), AccountID: a.ID, ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses",
						Limiter: limiter.MustParse(string(l)), CreatedAt: base,
					}
					if err := tx.PermissionCreate(ctx, store.DefaultTenant, p); err != nil {
						return err
					}
				}
				return nil
			}))
			_, err = m.AddPermission(f.ctx, a.ID, serviceaccount.PermissionInput{
				ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses", Limiter: storetest.LargestLimiter(largeAccountPermissions),
			})
			require.NoError(t, err, "the Manager accepts such a limiter")
			total += len(storetest.LargestLimiter(largeAccountPermissions))
			require.Greater(t, total, 16<<20, "more limiter data than MariaDB's packet holds")

			require.NoError(t, m.DeleteAccount(f.ctx, a.ID))
			_, err = m.Account(f.ctx, a.ID)
			require.ErrorIs(t, err, store.ErrNotFound)
			_, err = m.LookupKey(f.ctx, apikey.HashKey(key.Plaintext))
			require.ErrorIs(t, err, store.ErrNotFound, "its key no longer authenticates")

			page, err := m.ListAuditEvents(f.ctx, serviceaccount.ListAuditEventsParams{ServiceAccountID: a.ID, Action: store.ActionAccountDelete})
			require.NoError(t, err)
			require.Len(t, page.Items, 1)
			e := page.Items[0]
			encoded, err := json.Marshal(e)
			require.NoError(t, err)
			require.Less(t, len(encoded), serviceaccount.MaxAuditEventBytes)
			var d struct {
				Before struct {
					Label       string `json:"label"`
					Permissions []struct {
						ID      string `json:"id"`
						Limiter struct {
							Items  int    `json:"items"`
							Bytes  int    `json:"bytes"`
							SHA256 string `json:"sha256"`
						} `json:"limiter"`
					} `json:"permissions"`
					Keys []map[string]any `json:"keys"`
				} `json:"before"`
			}
			require.NoError(t, json.Unmarshal(e.Details, &d), "%.300s", e.Details)
			require.Equal(t, "holds everything", d.Before.Label)
			require.Len(t, d.Before.Permissions, largeAccountPermissions+1, "every permission is listed")
			described := 0
			for _, p := range d.Before.Permissions {
				require.NotEmpty(t, p.ID)
				require.Positive(t, p.Limiter.Items)
				require.Len(t, p.Limiter.SHA256, 64)
				described += p.Limiter.Bytes
			}
			require.Equal(t, total, described, "each limiter by its items and size, not in full")
			require.Len(t, d.Before.Keys, 1)
		}
	}
}
