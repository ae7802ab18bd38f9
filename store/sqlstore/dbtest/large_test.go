package sqlstore_test

import (
	"testing"

	"github.com/seed-c7fc2061/serviceaccounts/internal/managertest"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// TestDeletingALargeAccountSucceeds runs once per database: the account
// holds about 20 MB of limiter data, more than MariaDB's packet.
func TestDeletingALargeAccountSucceeds(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			url := d.url(t)
			if d.name == "sqlite" {
				url = sqltest.SQLiteURL(t)
			}
			managertest.DeleteLargeAccount(t, sqltest.NewStore(t, url))
		})
	}
}
