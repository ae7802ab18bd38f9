package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// policyArgs are p's values in the order of policyColumns. Durations are
// stored in whole seconds (the Manager accepts nothing finer).
func policyArgs(p store.Policy) []any {
	return []any{
		p.MaxKeysPerAccount, int64(p.MaxKeyLifetime / time.Second), int64(p.DefaultKeyLifetime / time.Second),
		int64(p.MaxRotationGrace / time.Second), p.LeakedKeyAction, p.UnusedKeyDays,
	}
}

func scanPolicy(row scanner) (store.Policy, error) {
	var (
		p                          store.Policy
		maxLife, defLife, maxGrace int64
	)
	if err := row.Scan(&p.MaxKeysPerAccount, &maxLife, &defLife, &maxGrace, &p.LeakedKeyAction, &p.UnusedKeyDays); err != nil {
		return store.Policy{}, err
	}
	p.MaxKeyLifetime = time.Duration(maxLife) * time.Second
	p.DefaultKeyLifetime = time.Duration(defLife) * time.Second
	p.MaxRotationGrace = time.Duration(maxGrace) * time.Second
	return p, nil
}

// PolicyGet reads the tenant's stored policy: one statement.
func (t *tx) PolicyGet(ctx context.Context, tenant string) (store.Policy, error) {
	p, err := scanPolicy(t.ex.QueryRowContext(ctx, t.s.q.policyGet, tenant))
	if err != nil {
		return store.Policy{}, fmt.Errorf("sqlstore: get the policy of tenant %s: %w", tenant, mapError(err))
	}
	return p, nil
}

// PolicyPut stores the tenant's policy: one upsert.
func (t *tx) PolicyPut(ctx context.Context, tenant string, p store.Policy) error {
	if err := store.CheckTenant(tenant); err != nil {
		return fmt.Errorf("sqlstore: put a policy: %w", err)
	}
	if _, err := t.ex.ExecContext(ctx, t.s.q.policyPut, append([]any{tenant}, policyArgs(p)...)...); err != nil {
		return fmt.Errorf("sqlstore: put the policy of tenant %s: %w", tenant, mapError(err))
	}
	return nil
}

// PolicyDefaultGet reads the default policy: one statement.
func (t *tx) PolicyDefaultGet(ctx context.Context) (store.Policy, error) {
	p, err := scanPolicy(t.ex.QueryRowContext(ctx, t.s.q.policyDefaultGet))
	if err != nil {
		return store.Policy{}, fmt.Errorf("sqlstore: get the default policy: %w", mapError(err))
	}
	return p, nil
}

// PolicyDefaultPut stores the default policy: one upsert.
func (t *tx) PolicyDefaultPut(ctx context.Context, p store.Policy) error {
	if _, err := t.ex.ExecContext(ctx, t.s.q.policyDefaultPut, policyArgs(p)...); err != nil {
		return fmt.Errorf("sqlstore: put the default policy: %w", mapError(err))
	}
	return nil
}

// PolicyDefaultInit inserts the default policy unless a row is there (ON
// CONFLICT DO NOTHING, or MySQL's no-op ON DUPLICATE KEY UPDATE: the
// primary key decides between racing instances), then reads the row.
func (t *tx) PolicyDefaultInit(ctx context.Context, p store.Policy) (store.Policy, error) {
	if _, err := t.ex.ExecContext(ctx, t.s.q.policyDefaultInit, policyArgs(p)...); err != nil {
		return store.Policy{}, fmt.Errorf("sqlstore: store the default policy: %w", mapError(err))
	}
	p, err := scanPolicy(t.ex.QueryRowContext(ctx, t.s.q.policyDefaultGetLocked))
	if err != nil {
		return store.Policy{}, fmt.Errorf("sqlstore: get the default policy: %w", mapError(err))
	}
	return p, nil
}

// TenantList reads one page of tenants: one statement (see the query).
func (s *Store) TenantList(ctx context.Context, after string, limit int) ([]store.TenantSummary, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlstore: list tenants: limit must be positive, got %d", limit)
	}
	rows, err := s.sql.QueryContext(ctx, s.q.tenantList, after, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list tenants: %w", mapError(err))
	}
	defer rows.Close()
	out := []store.TenantSummary{}
	for rows.Next() {
		var (
			t store.TenantSummary
			n int64
		)
		if err := rows.Scan(&t.ID, &n); err != nil {
			return nil, fmt.Errorf("sqlstore: list tenants: %w", err)
		}
		t.AccountCount = int(n)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list tenants: %w", mapError(err))
	}
	return out, nil
}
