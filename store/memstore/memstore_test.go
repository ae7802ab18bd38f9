package memstore_test

import (
	"testing"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
	"github.com/seed-c7fc2061/serviceaccounts/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) serviceaccount.Store { return memstore.New() })
}
