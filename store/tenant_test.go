package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

func TestCheckTenant(t *testing.T) {
	valid := []string{"default", "a", "0", "acme-prod", "a-b-c", strings.Repeat("x", 63)}
	for _, id := range valid {
		if err := store.CheckTenant(id); err != nil {
			t.Errorf("CheckTenant(%q) = %v, want nil", id, err)
		}
	}
	invalid := []string{"", "-a", "a-", "-", "Acme", "a_b", "a b", "é", "a.b", strings.Repeat("x", 64), "a\x00"}
	for _, id := range invalid {
		err := store.CheckTenant(id)
		if !errors.Is(err, store.ErrInvalidTenant) {
			t.Errorf("CheckTenant(%q) = %v, want ErrInvalidTenant", id, err)
		}
	}
}
