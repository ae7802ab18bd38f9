package mysql

import (
	"fmt"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
)

func TestClassify(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("exec: %w", err) }
	for _, tc := range []struct {
		err  error
		want sqlstore.ErrorClass
	}{
		{&gomysql.MySQLError{Number: 1062, Message: "Duplicate entry '\xde\xad' for key 'hash_key'"}, sqlstore.UniqueViolation},
		{wrap(&gomysql.MySQLError{Number: 1452}), sqlstore.ForeignKeyViolation},
		{&gomysql.MySQLError{Number: 1213}, sqlstore.TransientConflict},
		{&gomysql.MySQLError{Number: 1060}, sqlstore.AlreadyExists},
		{&gomysql.MySQLError{Number: 1061}, sqlstore.AlreadyExists},
		{&gomysql.MySQLError{Number: 2006}, sqlstore.OtherError}, // gone away
		{gomysql.ErrInvalidConn, sqlstore.OtherError},
	} {
		require.Equal(t, tc.want, classify(tc.err), "%v", tc.err)
	}
}
