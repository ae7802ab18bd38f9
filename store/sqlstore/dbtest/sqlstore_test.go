package sqlstore_test

import (
	"testing"

	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
	"github.com/seed-c7fc2061/serviceaccounts/store/storetest"
)

// TestStore runs the conformance suite on every dialect. Each subtest of
// the suite gets tables of its own (a random table prefix; on SQLite also
// a file of its own), so the parallel subtests cannot see each other, and
// the prefix feature is exercised by every one of them.
func TestStore(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			url := d.url(t)
			storetest.Run(t, func(t *testing.T) store.Store {
				if d.name == "sqlite" {
					return sqltest.NewStore(t, sqltest.SQLiteURL(t))
				}
				return sqltest.NewStore(t, url)
			})
		})
	}
}

type testDialect struct {
	name string
	url  func(testing.TB) string
}

// dialects lists the databases the tests run on; url skips (or fails,
// with SA_TEST_REQUIRE_DB=1) when one is missing.
var dialects = []testDialect{
	{"sqlite", sqltest.SQLiteURL},
	{"postgres", sqltest.PostgresURL},
	{"mysql", sqltest.MySQLURL},
}
