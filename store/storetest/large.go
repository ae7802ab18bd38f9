package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// Limits of limiter.Parse that LargestLimiter fills: 64 KiB of JSON,
// strings of 200 bytes, 100 values per key.
const (
	limiterMaxBytes  = 64 << 10
	limiterMaxString = 200
	limiterMaxValues = 100
)

// LargestLimiter returns a limiter as large as the Manager accepts (64 KiB
// of JSON, in its canonical form, made of the longest values allowed) for
// the default catalog's study get-responses action. Limiters of different
// variants are different grants, so an account can hold any number of
// them: what tests of what an account can hold need.
func LargestLimiter(variant int) json.RawMessage {
	return LimiterOfSize(variant, limiterMaxBytes)
}

// LimiterOfSize is LargestLimiter at most size bytes long (and no more
// than 202 bytes shorter), for size from 256 to 64 KiB.
func LimiterOfSize(variant, size int) json.RawMessage {
	var b strings.Builder
	b.WriteString(`[`)
	for item := 0; ; item++ {
		head := `{"surveyKey":[`
		if item > 0 {
			head = "," + head
		}
		if b.Len()+len(head)+limiterMaxString+2+len(`]}]`) > size {
			break
		}
		b.WriteString(head)
		for v := 0; v < limiterMaxValues; v++ {
			value := fmt.Sprintf(`"%d-%d-%d-`, variant, item, v)
			value += strings.Repeat("x", limiterMaxString+1-len(value)) + `"`
			sep := ","
			if v == 0 {
				sep = ""
			}
			if b.Len()+len(sep)+len(value)+len(`]}]`) > size {
				break
			}
			b.WriteString(sep + value)
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]`)
	return json.RawMessage(b.String())
}

// largeAccountPermissions is how many largest limiters the regression
// account holds: about 19.6 MB of limiter data, more than MariaDB's
// 16 MiB packet (the finding: 290 permissions, 16.8 MB). No rule caps the
// permissions of an account.
const largeAccountPermissions = 300

func runLarge(t *testing.T, newStore NewStore) {
	subtests(t, newStore, map[string]func(t *testing.T, f *fixture){
		"DeletingAnAccountHoldingTheMostLimiterDataSucceeds": func(t *testing.T, f *fixture) {
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
			require.NoError(t, f.s.InTx(f.ctx, func(ctx context.Context, tx serviceaccount.Tx) error {
				total = 0
				for i := range largeAccountPermissions {
					l := LargestLimiter(i)
					total += len(l)
					p := permission.Permission{
						ID: newID(t), AccountID: a.ID, ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses",
						Limiter: limiter.MustParse(string(l)), CreatedAt: base,
					}
					if err := tx.PermissionCreate(ctx, p); err != nil {
						return err
					}
				}
				return nil
			}))
			_, err = m.AddPermission(f.ctx, a.ID, serviceaccount.PermissionInput{
				ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses", Limiter: LargestLimiter(largeAccountPermissions),
			})
			require.NoError(t, err, "the Manager accepts such a limiter")
			total += len(LargestLimiter(largeAccountPermissions))
			require.Greater(t, total, 16<<20, "more limiter data than MariaDB's packet holds")

			require.NoError(t, m.DeleteAccount(f.ctx, a.ID))
			_, err = m.Account(f.ctx, a.ID)
			require.ErrorIs(t, err, store.ErrNotFound)
			_, err = m.LookupKey(f.ctx, apikey.HashKey(key.Plaintext))
			require.ErrorIs(t, err, store.ErrNotFound, "its key no longer authenticates")

			page, err := m.ListAuditEvents(f.ctx, serviceaccount.ListAuditEventsParams{ServiceAccountID: a.ID, Action: serviceaccount.ActionAccountDelete})
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
		},
	})
}
