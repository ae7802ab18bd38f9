package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// PermissionCreate inserts p: one statement, refused like KeyCreate's when
// the account does not exist.
func (s *Store) PermissionCreate(ctx context.Context, p permission.Permission) error {
	args := []any{
		s.idArg(p.AccountID), s.idArg(p.ID), p.ResourceType, p.ResourceKey, p.Action,
		limiterArg(p.Limiter), s.timeArg(p.CreatedAt),
	}
	if err := s.insertOfAccount(ctx, s.q.permissionInsert, args, p.AccountID); err != nil {
		return fmt.Errorf("sqlstore: create permission %s for account %s: %w", p.ID, p.AccountID, err)
	}
	return nil
}

// PermissionList returns the account's permissions: one statement, which
// also tells an account without permissions from no account at all.
func (s *Store) PermissionList(ctx context.Context, accountID uuid.UUID) ([]permission.Permission, error) {
	perms, err := s.permissionList(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list permissions of account %s: %w", accountID, err)
	}
	return perms, nil
}

func (s *Store) permissionList(ctx context.Context, accountID uuid.UUID) ([]permission.Permission, error) {
	rows, err := s.sql.QueryContext(ctx, s.q.permissionList, s.idArg(accountID))
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

// PermissionUpdateLimiter replaces the limiter and reads the permission
// back in one transaction (two statements, as AccountUpdate).
func (s *Store) PermissionUpdateLimiter(ctx context.Context, p serviceaccount.PermissionUpdateLimiterParams) (permission.Permission, error) {
	var out permission.Permission
	err := retry(ctx, func() error {
		return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.Tx.ExecContext(ctx, s.q.permissionUpdateLimiter,
				limiterArg(p.Limiter), s.idArg(p.PermissionID), s.idArg(p.AccountID)); err != nil {
				return err
			}
			r := s.newPermissionRow()
			err := tx.Tx.QueryRowContext(ctx, s.q.permissionGet, s.idArg(p.PermissionID), s.idArg(p.AccountID)).Scan(r.dest()...)
			if err != nil {
				return err // sql.ErrNoRows: no such permission of this account
			}
			out = r.permission()
			return nil
		})
	})
	if err != nil {
		return permission.Permission{}, fmt.Errorf("sqlstore: set limiter of permission %s of account %s: %w", p.PermissionID, p.AccountID, mapError(err))
	}
	return out, nil
}

// PermissionDelete deletes the permission if it belongs to the account:
// one statement.
func (s *Store) PermissionDelete(ctx context.Context, accountID, permissionID uuid.UUID) error {
	if err := s.deleteOfAccount(ctx, s.q.permissionDelete, permissionID, accountID); err != nil {
		return fmt.Errorf("sqlstore: delete permission %s of account %s: %w", permissionID, accountID, err)
	}
	return nil
}
