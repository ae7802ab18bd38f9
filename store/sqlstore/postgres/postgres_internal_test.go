package postgres

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
)

func TestClassify(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("exec: %w", err) }
	for _, tc := range []struct {
		err  error
		want sqlstore.ErrorClass
	}{
		{&pgconn.PgError{Code: "23505", Detail: "Key (hash)=(\\xdeadbeef) already exists."}, sqlstore.UniqueViolation},
		{wrap(&pgconn.PgError{Code: "23503"}), sqlstore.ForeignKeyViolation},
		{&pgconn.PgError{Code: "40P01"}, sqlstore.TransientConflict},
		{&pgconn.PgError{Code: "40001"}, sqlstore.TransientConflict},
		{&pgconn.PgError{Code: "57P01"}, sqlstore.OtherError}, // admin shutdown
		{fmt.Errorf("not pgx's"), sqlstore.OtherError},
	} {
		require.Equal(t, tc.want, classify(tc.err), "%v", tc.err)
	}
}
