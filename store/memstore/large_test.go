package memstore_test

import (
	"testing"

	"github.com/seed-c7fc2061/serviceaccounts/internal/managertest"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

func TestDeletingALargeAccountSucceeds(t *testing.T) {
	managertest.DeleteLargeAccount(t, memstore.New())
}
