package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
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
			ID: newID(t), OccurredAt: base, Action: store.ActionAccountDelete,
			Actor: &serviceaccount.Actor{ID: "admin-token"}, ServiceAccountID: a.ID, Details: []byte(`{}`),
		}

		err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
			if err := tx.AuditAppend(ctx, store.DefaultTenant, e); err != nil {
				return err
			}
			return tx.AccountDelete(ctx, store.DefaultTenant, a.ID)
		})
		require.ErrorContains(t, err, "injected failure")

		events, err := s.AuditList(t.Context(), store.AuditListParams{Tenant: store.DefaultTenant, Limit: 10})
		require.NoError(t, err)
		require.Empty(t, events, "the event went with the failed change")
		_, err = s.AccountGet(t.Context(), store.DefaultTenant, a.ID)
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
		failStatements(t, d, s, "INSERT", auditTable(s))

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

// TestAChangeThatFailsAtCommitLeavesNoEvent makes PostgreSQL refuse the
// commit itself (a deferred constraint trigger on the changed tables runs
// at COMMIT, after the change and its event were both handed over): no
// event may remain. An event written in a transaction of its own, before
// or after the change's, would. MySQL and SQLite have no deferred
// triggers; TestTheEventIsCommittedWithItsChangeOrNotAtAll in package
// serviceaccount covers every backend with a failing wrapper.
func TestAChangeThatFailsAtCommitLeavesNoEvent(t *testing.T) {
	s := newTestStore(t, sqltest.PostgresURL(t))
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: s, Clock: clockwork.NewFakeClockAt(base)})
	require.NoError(t, err)
	ctx := serviceaccount.WithActor(t.Context(), serviceaccount.Actor{ID: "admin-token"})
	a, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "kept"})
	require.NoError(t, err)
	k, err := m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)

	accounts, keys, permissions := tables(s)
	fn := s.prefix + "fail_commit"
	statements := []string{`CREATE FUNCTION ` + fn + `() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure at commit'; END $$`}
	for i, table := range []string{accounts, keys, permissions} {
		statements = append(statements, fmt.Sprintf(`CREATE CONSTRAINT TRIGGER %s%d AFTER INSERT OR UPDATE OR DELETE ON %s
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION %s()`, fn, i, table, fn))
	}
	for _, q := range statements {
		_, err := s.db.DB.ExecContext(t.Context(), q)
		require.NoError(t, err, q)
	}
	t.Cleanup(func() {
		_, _ = s.db.DB.ExecContext(context.Background(), `DROP FUNCTION IF EXISTS `+fn+`() CASCADE`)
	})

	_, err = m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "new"})
	require.ErrorContains(t, err, "injected failure at commit")
	_, err = m.UpdateAccount(ctx, a.ID, serviceaccount.AccountInput{Label: "changed"})
	require.ErrorContains(t, err, "injected failure at commit")
	_, err = m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{})
	require.ErrorContains(t, err, "injected failure at commit")
	_, err = m.AddPermission(ctx, a.ID, serviceaccount.PermissionInput{ResourceType: "users", ResourceKey: "*", Action: "*"})
	require.ErrorContains(t, err, "injected failure at commit")
	require.ErrorContains(t, m.DeleteKey(ctx, a.ID, k.Key.ID), "injected failure at commit")
	require.ErrorContains(t, m.DeleteAccount(ctx, a.ID), "injected failure at commit")

	events, err := m.ListAuditEvents(t.Context(), serviceaccount.ListAuditEventsParams{})
	require.NoError(t, err)
	require.Len(t, events.Items, 2, "only the account's and the key's creation, which committed")
	got, err := m.Account(t.Context(), a.ID)
	require.NoError(t, err)
	require.Equal(t, "kept", got.Label)
}
