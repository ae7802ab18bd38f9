package sqlstore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/storetest"
)

// TestAccountDeleteRollsBackWhenAStatementFails makes the database refuse
// the last statement of AccountDelete (the delete of the account row, by a
// trigger), after its keys and permissions have been deleted in the same
// transaction: all of them must still be there afterwards.
func TestAccountDeleteRollsBackWhenAStatementFails(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		s := newTestStore(t, url)
		a := createAccount(t, s)
		keys := []uuid.UUID{createKey(t, s, a.ID).ID, createKey(t, s, a.ID).ID}
		perms := []uuid.UUID{createPermission(t, s, a.ID).ID, createPermission(t, s, a.ID).ID}
		removeTrigger := failAccountDeletes(t, d, s)

		err := storetest.Autocommit{Store: s}.AccountDelete(t.Context(), store.DefaultTenant, a.ID)
		require.Error(t, err)
		require.NotErrorIs(t, err, store.ErrNotFound)
		require.Contains(t, err.Error(), "injected failure")

		_, err = s.AccountGet(t.Context(), store.DefaultTenant, a.ID)
		require.NoError(t, err, "the account is still there")
		gotKeys, err := s.KeyList(t.Context(), store.DefaultTenant, a.ID)
		require.NoError(t, err)
		require.Len(t, gotKeys, len(keys), "its keys are still there")
		gotPerms, err := s.PermissionList(t.Context(), store.DefaultTenant, a.ID)
		require.NoError(t, err)
		require.Len(t, gotPerms, len(perms), "its permissions are still there")

		removeTrigger()
		require.NoError(t, storetest.Autocommit{Store: s}.AccountDelete(t.Context(), store.DefaultTenant, a.ID))
		_, err = s.KeyList(t.Context(), store.DefaultTenant, a.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

// failAccountDeletes installs a trigger that fails every delete of an
// account row, and returns a function that removes it.
func failAccountDeletes(t *testing.T, d testDialect, s testStore) (remove func()) {
	t.Helper()
	accounts, _, _ := tables(s)
	return failStatements(t, d, s, "DELETE", accounts)
}

// failStatements installs a trigger that fails every statement of kind
// (INSERT, UPDATE or DELETE) on each row of table with the message
// "injected failure", and returns a function that removes it.
func failStatements(t *testing.T, d testDialect, s testStore, kind, table string) (remove func()) {
	t.Helper()
	trigger := s.prefix + "fail_" + strings.ToLower(kind)
	var install, uninstall []string
	switch d.name {
	case "postgres":
		install = []string{
			`CREATE FUNCTION ` + trigger + `() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`,
			`CREATE TRIGGER ` + trigger + ` BEFORE ` + kind + ` ON ` + table + ` FOR EACH ROW EXECUTE FUNCTION ` + trigger + `()`,
		}
		uninstall = []string{`DROP TRIGGER IF EXISTS ` + trigger + ` ON ` + table, `DROP FUNCTION IF EXISTS ` + trigger + `()`}
	case "mysql":
		install = []string{`CREATE TRIGGER ` + trigger + ` BEFORE ` + kind + ` ON ` + table +
			` FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'`}
		uninstall = []string{`DROP TRIGGER IF EXISTS ` + trigger}
	case "sqlite":
		install = []string{`CREATE TRIGGER ` + trigger + ` BEFORE ` + kind + ` ON ` + table +
			` BEGIN SELECT RAISE(ABORT, 'injected failure'); END`}
		uninstall = []string{`DROP TRIGGER IF EXISTS ` + trigger}
	}
	exec := func(statements []string) {
		for _, q := range statements {
			_, err := s.db.DB.ExecContext(context.Background(), q)
			require.NoError(t, err, q)
		}
	}
	exec(install)
	removed := false
	remove = func() {
		if !removed {
			removed = true
			exec(uninstall)
		}
	}
	t.Cleanup(remove)
	return remove
}

func TestAccountDeleteOfAnUnknownAccountDeletesNothing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		s := newTestStore(t, url)
		a := createAccount(t, s)
		createKey(t, s, a.ID)
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		require.ErrorIs(t, storetest.Autocommit{Store: s}.AccountDelete(ctx, store.DefaultTenant, newID(t)), store.ErrNotFound)
		keys, err := s.KeyList(ctx, store.DefaultTenant, a.ID)
		require.NoError(t, err)
		require.Len(t, keys, 1)
	})
}

// TestATransactionRollsBackEveryWriteWhenALaterStatementFails runs a unit
// of work whose last statement the database refuses (a trigger fails the
// delete of an account row): the writes before it, in other tables and of
// other accounts, must all be undone.
func TestATransactionRollsBackEveryWriteWhenALaterStatementFails(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		s := newTestStore(t, url)
		a := createAccount(t, s)
		k := createKey(t, s, a.ID)
		before := rowCounts(t, s)
		failAccountDeletes(t, d, s)

		fresh := serviceaccount.Account{ID: newID(t), Label: "fresh", CreatedAt: base, UpdatedAt: base}
		err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
			if err := tx.AccountCreate(ctx, store.DefaultTenant, fresh); err != nil {
				return err
			}
			if err := tx.KeyCreate(ctx, store.DefaultTenant, apikey.Key{ID: newID(t), AccountID: fresh.ID, Hash: seedHash(-7), Hint: "h", CreatedAt: base}); err != nil {
				return err
			}
			if err := tx.PermissionCreate(ctx, store.DefaultTenant, permission.Permission{ID: newID(t), AccountID: fresh.ID, ResourceType: "users", ResourceKey: "*", Action: "*", CreatedAt: base}); err != nil {
				return err
			}
			if _, err := tx.AccountUpdate(ctx, store.DefaultTenant, store.AccountUpdateParams{ID: a.ID, Label: "changed", UpdatedAt: base}); err != nil {
				return err
			}
			if err := tx.KeyDelete(ctx, store.DefaultTenant, a.ID, k.ID); err != nil {
				return err
			}
			return tx.AccountDelete(ctx, store.DefaultTenant, a.ID) // the trigger refuses it
		})
		require.ErrorContains(t, err, "injected failure")
		require.NotErrorIs(t, err, store.ErrNotFound)

		require.Equal(t, before, rowCounts(t, s), "no row was added or removed")
		_, err = s.AccountGet(t.Context(), store.DefaultTenant, fresh.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		c, err := s.KeyByHash(t.Context(), k.Hash)
		require.NoError(t, err, "the deleted key is back")
		require.Equal(t, "a", c.Account.Label, "the update is undone")
	})
}

// rowCounts counts the rows of the store's three tables, read directly,
// so that a row the Store interface could not see (a key whose account is
// gone) still counts.
func rowCounts(t *testing.T, s testStore) map[string]int {
	t.Helper()
	accounts, keys, permissions := tables(s)
	out := map[string]int{}
	for _, table := range []string{accounts, keys, permissions} {
		var n int
		require.NoError(t, s.db.DB.QueryRowContext(t.Context(), "SELECT count(*) FROM "+table).Scan(&n))
		out[table] = n
	}
	return out
}

// TestDeletingAnAccountWhileKeysAreAddedLeavesNoKeyRow counts the key
// rows of the account in the table itself after a delete that raced key
// inserts.
func TestDeletingAnAccountWhileKeysAreAddedLeavesNoKeyRow(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d testDialect, url string) {
		s := newTestStore(t, url)
		a := createAccount(t, s)
		errs := make(chan error, 5)
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				for j := range 10 {
					id, err := uuid.NewV7()
					if err == nil {
						err = storetest.Autocommit{Store: s}.KeyCreate(t.Context(), store.DefaultTenant, apikey.Key{ID: id, AccountID: a.ID, Hash: seedHash(1000*i + j), Hint: "h", CreatedAt: base})
					}
					if errors.Is(err, store.ErrNotFound) {
						return
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Go(func() { errs <- storetest.Autocommit{Store: s}.AccountDelete(t.Context(), store.DefaultTenant, a.ID) })
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		_, keys, _ := tables(s)
		var n int
		query := "SELECT count(*) FROM " + keys + " WHERE account_id = ?"
		arg := any(a.ID[:])
		if d.name == "postgres" {
			query, arg = strings.Replace(query, "?", "$1", 1), a.ID
		}
		require.NoError(t, s.db.DB.QueryRowContext(t.Context(), query, arg).Scan(&n))
		require.Zero(t, n, "key rows outlived their account")
	})
}
