package storetest

import (
	"context"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// Autocommit runs each write method of a Store in a transaction of its
// own, as a one-statement change would: for tests that set up rows, or
// that exercise one write at a time. Changes made of several writes use
// Store.InTx directly.
type Autocommit struct {
	Store store.Store
}

// inTx runs fn in a transaction of its own and returns its result.
func inTx[T any](ctx context.Context, s store.Store, fn func(ctx context.Context, tx store.Tx) (T, error)) (T, error) {
	var out T
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		out, err = fn(ctx, tx)
		return err
	})
	return out, err
}

func (a Autocommit) run(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return a.Store.InTx(ctx, fn)
}

func (a Autocommit) AccountCreate(ctx context.Context, tenant string, acc store.Account) error {
	return a.run(ctx, func(ctx context.Context, tx store.Tx) error { return tx.AccountCreate(ctx, tenant, acc) })
}

func (a Autocommit) AccountUpdate(ctx context.Context, tenant string, p store.AccountUpdateParams) (store.Account, error) {
	return inTx(ctx, a.Store, func(ctx context.Context, tx store.Tx) (store.Account, error) {
		return tx.AccountUpdate(ctx, tenant, p)
	})
}

func (a Autocommit) AccountDelete(ctx context.Context, tenant string, id uuid.UUID) error {
	return a.run(ctx, func(ctx context.Context, tx store.Tx) error { return tx.AccountDelete(ctx, tenant, id) })
}

func (a Autocommit) KeyCreate(ctx context.Context, tenant string, k apikey.Key) error {
	return a.run(ctx, func(ctx context.Context, tx store.Tx) error { return tx.KeyCreate(ctx, tenant, k) })
}

func (a Autocommit) KeyDelete(ctx context.Context, tenant string, accountID, keyID uuid.UUID) error {
	return a.run(ctx, func(ctx context.Context, tx store.Tx) error { return tx.KeyDelete(ctx, tenant, accountID, keyID) })
}

func (a Autocommit) PermissionCreate(ctx context.Context, tenant string, p permission.Permission) error {
	return a.run(ctx, func(ctx context.Context, tx store.Tx) error { return tx.PermissionCreate(ctx, tenant, p) })
}

func (a Autocommit) PermissionUpdateLimiter(ctx context.Context, tenant string, p store.PermissionUpdateLimiterParams) (permission.Permission, error) {
	return inTx(ctx, a.Store, func(ctx context.Context, tx store.Tx) (permission.Permission, error) {
		return tx.PermissionUpdateLimiter(ctx, tenant, p)
	})
}

func (a Autocommit) PermissionDelete(ctx context.Context, tenant string, accountID, permissionID uuid.UUID) error {
	return a.run(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.PermissionDelete(ctx, tenant, accountID, permissionID)
	})
}

func (a Autocommit) AuditAppend(ctx context.Context, tenant string, e store.AuditEvent) error {
	return a.run(ctx, func(ctx context.Context, tx store.Tx) error { return tx.AuditAppend(ctx, tenant, e) })
}
