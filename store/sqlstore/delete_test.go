package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store"
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

		err := s.AccountDelete(t.Context(), a.ID)
		require.Error(t, err)
		require.NotErrorIs(t, err, store.ErrNotFound)
		require.Contains(t, err.Error(), "injected failure")

		_, err = s.AccountGet(t.Context(), a.ID)
		require.NoError(t, err, "the account is still there")
		gotKeys, err := s.KeyList(t.Context(), a.ID)
		require.NoError(t, err)
		require.Len(t, gotKeys, len(keys), "its keys are still there")
		gotPerms, err := s.PermissionList(t.Context(), a.ID)
		require.NoError(t, err)
		require.Len(t, gotPerms, len(perms), "its permissions are still there")

		removeTrigger()
		require.NoError(t, s.AccountDelete(t.Context(), a.ID))
		_, err = s.KeyList(t.Context(), a.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

// failAccountDeletes installs a trigger that fails every delete of an
// account row, and returns a function that removes it.
func failAccountDeletes(t *testing.T, d testDialect, s testStore) (remove func()) {
	t.Helper()
	accounts, _, _ := s.Tables()
	trigger := s.prefix + "fail_delete"
	var install, uninstall []string
	switch d.name {
	case "postgres":
		install = []string{
			`CREATE FUNCTION ` + trigger + `() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`,
			`CREATE TRIGGER ` + trigger + ` BEFORE DELETE ON ` + accounts + ` FOR EACH ROW EXECUTE FUNCTION ` + trigger + `()`,
		}
		uninstall = []string{`DROP TRIGGER IF EXISTS ` + trigger + ` ON ` + accounts, `DROP FUNCTION IF EXISTS ` + trigger + `()`}
	case "mysql":
		install = []string{`CREATE TRIGGER ` + trigger + ` BEFORE DELETE ON ` + accounts +
			` FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'`}
		uninstall = []string{`DROP TRIGGER IF EXISTS ` + trigger}
	case "sqlite":
		install = []string{`CREATE TRIGGER ` + trigger + ` BEFORE DELETE ON ` + accounts +
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
		require.ErrorIs(t, s.AccountDelete(ctx, newID(t)), store.ErrNotFound)
		keys, err := s.KeyList(ctx, a.ID)
		require.NoError(t, err)
		require.Len(t, keys, 1)
	})
}
