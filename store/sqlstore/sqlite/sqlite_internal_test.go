package sqlite

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
)

// TestClassifyRealErrors gets real errors from SQLite, whose error type
// cannot be built outside its package.
func TestClassifyRealErrors(t *testing.T) {
	db, err := sqlstore.OpenDB(t.Context(), "sqlite::memory:")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	ctx := t.Context()
	for _, q := range []string{
		`CREATE TABLE parent (id INTEGER PRIMARY KEY, u TEXT UNIQUE)`,
		`CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id))`,
		`INSERT INTO parent (id, u) VALUES (1, 'x')`,
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err)
	}
	_, err = db.DB.ExecContext(ctx, `INSERT INTO parent (id, u) VALUES (1, 'y')`)
	require.Equal(t, sqlstore.UniqueViolation, classify(err), "primary key")
	_, err = db.DB.ExecContext(ctx, `INSERT INTO parent (id, u) VALUES (2, 'x')`)
	require.Equal(t, sqlstore.UniqueViolation, classify(err), "unique")
	_, err = db.DB.ExecContext(ctx, `INSERT INTO child (id, parent_id) VALUES (1, 99)`)
	require.Equal(t, sqlstore.ForeignKeyViolation, classify(err), "foreign key")
	_, err = db.DB.ExecContext(ctx, `INSERT INTO nowhere VALUES (1)`)
	require.Error(t, err)
	require.Equal(t, sqlstore.OtherError, classify(err), "other errors stay system errors")
}
