package memstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

func (t *tx) PolicyGet(ctx context.Context, tenant string) (store.Policy, error) {
	if err := t.check(ctx); err != nil {
		return store.Policy{}, err
	}
	p, ok := t.s.policies[tenant]
	if !ok {
		return store.Policy{}, store.ErrNotFound
	}
	return p, nil
}

func (t *tx) PolicyPut(ctx context.Context, tenant string, p store.Policy) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	if err := store.CheckTenant(tenant); err != nil {
		return err
	}
	set(t, t.s.policies, tenant, p)
	return nil
}

func (t *tx) PolicyDefaultGet(ctx context.Context) (store.Policy, error) {
	if err := t.check(ctx); err != nil {
		return store.Policy{}, err
	}
	if t.s.defaultPolicy == nil {
		return store.Policy{}, store.ErrNotFound
	}
	return *t.s.defaultPolicy, nil
}

func (t *tx) PolicyDefaultPut(ctx context.Context, p store.Policy) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	old := t.s.defaultPolicy
	t.journal = append(t.journal, func() { t.s.defaultPolicy = old })
	t.s.defaultPolicy = &p
	return nil
}

func (t *tx) PolicyDefaultInit(ctx context.Context, p store.Policy) (store.Policy, error) {
	if err := t.check(ctx); err != nil {
		return store.Policy{}, err
	}
	if t.s.defaultPolicy == nil {
		if err := t.PolicyDefaultPut(ctx, p); err != nil {
			return store.Policy{}, err
		}
	}
	return *t.s.defaultPolicy, nil
}

// TenantList merges the tenants that hold accounts with those that have
// a stored policy.
func (s *Store) TenantList(ctx context.Context, after string, limit int) ([]store.TenantSummary, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, fmt.Errorf("memstore: list tenants: limit %d is not positive", limit)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]string, 0, len(s.accountIDs)+len(s.policies))
	for id := range s.accountIDs {
		ids = append(ids, id)
	}
	for id := range s.policies {
		if _, ok := s.accountIDs[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	start, found := slices.BinarySearch(ids, after)
	if found {
		start++
	}
	out := []store.TenantSummary{}
	for _, id := range ids[start:] {
		if len(out) == limit {
			break
		}
		if strings.Compare(id, after) <= 0 {
			continue
		}
		out = append(out, store.TenantSummary{ID: id, AccountCount: len(s.accountIDs[id])})
	}
	return out, nil
}
