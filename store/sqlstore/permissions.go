package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// PermissionCreate inserts p with its grant key: one statement, refused
// like KeyCreate's when the account does not exist, and by the unique
// (account_id, grant_key) index when the account holds the same grant.
func (t *tx) PermissionCreate(ctx context.Context, tenant string, p permission.Permission) error {
	s := t.s
	grantKey := p.GrantKey()
	args := []any{
		s.idArg(p.AccountID), s.idArg(p.ID), p.ResourceType, p.ResourceKey, p.Action,
		limiterArg(p.Limiter), s.timeArg(p.CreatedAt), grantKey[:],
	}
	if err := t.insertOfAccount(ctx, s.q.permissionInsert, args, tenant, p.AccountID); err != nil {
		return fmt.Errorf("sqlstore: create permission %s for account %s: %w", p.ID, p.AccountID, err)
	}
	return nil
}

// PermissionGet reads one permission of an account: one statement.
func (t *tx) PermissionGet(ctx context.Context, tenant string, accountID, permissionID uuid.UUID) (permission.Permission, error) {
	r := t.s.newPermissionRow()
	if err := t.ex.QueryRowContext(ctx, t.s.q.permissionGet, t.s.idArg(permissionID), t.s.idArg(accountID), tenant).Scan(r.dest()...); err != nil {
		return permission.Permission{}, fmt.Errorf("sqlstore: get permission %s of account %s: %w", permissionID, accountID, mapError(err))
	}
	return r.permission(), nil
}

// PermissionList returns the account's permissions: one statement, which
// also tells an account without permissions from no account at all.
func (s *Store) PermissionList(ctx context.Context, tenant string, accountID uuid.UUID) ([]permission.Permission, error) {
	return s.permissionList(ctx, s.sql, tenant, accountID)
}

// PermissionList is Store.PermissionList inside the transaction.
func (t *tx) PermissionList(ctx context.Context, tenant string, accountID uuid.UUID) ([]permission.Permission, error) {
	return t.s.permissionList(ctx, t.ex, tenant, accountID)
}

func (s *Store) permissionList(ctx context.Context, ex executor, tenant string, accountID uuid.UUID) ([]permission.Permission, error) {
	perms, err := s.queryPermissionList(ctx, ex, tenant, accountID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list permissions of account %s: %w", accountID, err)
	}
	return perms, nil
}

func (s *Store) queryPermissionList(ctx context.Context, ex executor, tenant string, accountID uuid.UUID) ([]permission.Permission, error) {
	rows, err := ex.QueryContext(ctx, s.q.permissionList, s.idArg(accountID), tenant)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	found := false
	perms := []permission.Permission{}
	r := s.newPermissionRow()
	dest := r.dest()
	for rows.Next() {
		found = true
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if r.id.Valid { // else the NULL row of an account without permissions
			perms = append(perms, r.permission())
		}
	}
	// rows.Err first: a connection lost after the last row is a system
	// error, not an empty result.
	if err := rows.Err(); err != nil {
		return nil, mapError(err)
	}
	if !found {
		return nil, store.ErrNotFound
	}
	slices.SortFunc(perms, comparePermissions)
	return perms, nil
}

func comparePermissions(a, b permission.Permission) int { return compareIDs(a.ID, b.ID) }

// permissionRow receives the permission columns of a row, in the order
// of permissionColumns; they are NULL in the row of an account without
// permissions.
type permissionRow struct {
	accountID, id                     idColumn
	resourceType, resourceKey, action sql.NullString
	limiter                           limiterColumn
	createdAt                         timeColumn
}

func (s *Store) newPermissionRow() *permissionRow {
	return &permissionRow{createdAt: s.timeColumn()}
}

func (r *permissionRow) dest() []any {
	return []any{&r.accountID, &r.id, &r.resourceType, &r.resourceKey, &r.action, &r.limiter, &r.createdAt}
}

func (r *permissionRow) permission() permission.Permission {
	return permission.Permission{
		ID:           r.id.ID,
		AccountID:    r.accountID.ID,
		ResourceType: r.resourceType.String,
		ResourceKey:  r.resourceKey.String,
		Action:       r.action.String,
		Limiter:      r.limiter.Limiter,
		CreatedAt:    r.createdAt.Time,
	}
}

// PermissionUpdateLimiter replaces the limiter and the grant key, and
// reads the permission back (two statements, as AccountUpdate).
func (t *tx) PermissionUpdateLimiter(ctx context.Context, tenant string, p store.PermissionUpdateLimiterParams) (permission.Permission, error) {
	out, err := t.permissionUpdateLimiter(ctx, tenant, p)
	if err != nil {
		return permission.Permission{}, fmt.Errorf("sqlstore: set limiter of permission %s of account %s: %w", p.PermissionID, p.AccountID, mapError(err))
	}
	return out, nil
}

func (t *tx) permissionUpdateLimiter(ctx context.Context, tenant string, p store.PermissionUpdateLimiterParams) (permission.Permission, error) {
	s := t.s
	r := s.newPermissionRow()
	if err := t.ex.QueryRowContext(ctx, s.q.permissionGet, s.idArg(p.PermissionID), s.idArg(p.AccountID), tenant).Scan(r.dest()...); err != nil {
		return permission.Permission{}, err // sql.ErrNoRows: no such permission of this account
	}
	out := r.permission()
	out.Limiter = p.Limiter
	grantKey := out.GrantKey()
	if _, err := t.ex.ExecContext(ctx, s.q.permissionUpdateLimiter,
		limiterArg(p.Limiter), grantKey[:], s.idArg(p.PermissionID), s.idArg(p.AccountID), tenant); err != nil {
		return permission.Permission{}, err
	}
	return out, nil
}

// PermissionDelete deletes the permission if it belongs to the account:
// one statement.
func (t *tx) PermissionDelete(ctx context.Context, tenant string, accountID, permissionID uuid.UUID) error {
	if err := t.deleteOfAccount(ctx, t.s.q.permissionDelete, tenant, permissionID, accountID); err != nil {
		return fmt.Errorf("sqlstore: delete permission %s of account %s: %w", permissionID, accountID, err)
	}
	return nil
}
