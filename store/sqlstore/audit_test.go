package sqlstore_test

import (
	"context"
	"testing"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// TestAnEventHandedOverBeforeAFailingStatementIsRolledBack hands an event
// to the transaction and then makes the database refuse the change's own
// statement (a trigger fails the delete of the account row): the event
// must be gone with the change.
func TestAnEventHandedOverBeforeAFailingStatementIsRolledBack(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		s := newTestStore(t, url)
		a := createAccount(t, s)
		failAccountDeletes(t, d, s)
		e := serviceaccount.AuditEvent{
			ID: newID(t), OccurredAt: base, Action: serviceaccount.ActionAccountDelete,
			Actor: &serviceaccount.Actor{ID: "admin-token"}, ServiceAccountID: a.ID, Details: []byte(`{}`),
		}

		err := s.InTx(t.Context(), func(ctx context.Context, tx serviceaccount.Tx) error {
			if err := tx.AuditAppend(ctx, e); err != nil {
				return err
			}
			return tx.AccountDelete(ctx, a.ID)
		})
		require.ErrorContains(t, err, "injected failure")

		events, err := s.AuditList(t.Context(), serviceaccount.AuditListParams{Limit: 10})
		require.NoError(t, err)
		require.Empty(t, events, "the event went with the failed change")
		_, err = s.AccountGet(t.Context(), a.ID)
		require.NoError(t, err, "and the account is still there")
	})
}

// TestAChangeWhoseEventCannotBeWrittenIsNotMade makes the database refuse
// every audit event: each change made through the Manager must then fail
// and leave nothing behind, because an unrecorded change is worse than a
// refused one.
func TestAChangeWhoseEventCannotBeWrittenIsNotMade(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		s := newTestStore(t, url)
		m, err := serviceaccount.NewManager(serviceaccount.Config{Store: s, Clock: clockwork.NewFakeClockAt(base)})
		require.NoError(t, err)
		ctx := serviceaccount.WithActor(t.Context(), serviceaccount.Actor{ID: "admin-token"})
		a, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "kept"})
		require.NoError(t, err)
		failStatements(t, d, s, "INSERT", s.AuditTable())

		_, err = m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "unrecorded"})
		require.ErrorContains(t, err, "injected failure")
		_, err = m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
		require.ErrorContains(t, err, "injected failure")
		err = m.DeleteAccount(ctx, a.ID)
		require.ErrorContains(t, err, "injected failure")

		page, err := m.ListAccounts(t.Context(), serviceaccount.ListAccountsParams{})
		require.NoError(t, err)
		require.Len(t, page.Items, 1, "no unrecorded account")
		require.Equal(t, a.ID, page.Items[0].ID, "and the account is not deleted")
		keys, err := m.Keys(t.Context(), a.ID)
		require.NoError(t, err)
		require.Empty(t, keys, "no unrecorded key")
		events, err := m.ListAuditEvents(t.Context(), serviceaccount.ListAuditEventsParams{})
		require.NoError(t, err)
		require.Len(t, events.Items, 1, "only the first create")
	})
}
