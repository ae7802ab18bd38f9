package main

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// backend is what the commands work through: the Manager on the database
// (--db) or the admin API of a running server (--server). Its methods are
// the Manager's, with the Manager's types and errors (store.ErrNotFound,
// *serviceaccount.ValidationError…), so that every command is written
// once, prints through one output code, and cannot tell the modes apart.
type backend interface {
	ListAccounts(ctx context.Context, p serviceaccount.ListAccountsParams) (serviceaccount.AccountPage, error)
	Account(ctx context.Context, id uuid.UUID) (serviceaccount.Account, error)
	CreateAccount(ctx context.Context, in serviceaccount.AccountInput) (serviceaccount.Account, error)
	PatchAccount(ctx context.Context, id uuid.UUID, p serviceaccount.AccountPatch) (serviceaccount.Account, error)
	DeleteAccount(ctx context.Context, id uuid.UUID) error

	Keys(ctx context.Context, accountID uuid.UUID) ([]apikey.Key, error)
	Key(ctx context.Context, accountID, keyID uuid.UUID) (apikey.Key, error)
	ListAllKeys(ctx context.Context, p serviceaccount.ListAllKeysParams) (serviceaccount.KeyPage, error)
	CreateKey(ctx context.Context, accountID uuid.UUID, in serviceaccount.CreateKeyInput) (serviceaccount.CreatedKey, error)
	RotateKey(ctx context.Context, accountID, keyID uuid.UUID, in serviceaccount.RotateKeyInput) (serviceaccount.RotatedKey, error)
	PatchKey(ctx context.Context, accountID, keyID uuid.UUID, p serviceaccount.KeyPatch) (apikey.Key, error)
	DeleteKey(ctx context.Context, accountID, keyID uuid.UUID) error

	Permissions(ctx context.Context, accountID uuid.UUID) ([]permission.Permission, error)
	Permission(ctx context.Context, accountID, permissionID uuid.UUID) (permission.Permission, error)
	AddPermission(ctx context.Context, accountID uuid.UUID, in serviceaccount.PermissionInput) (permission.Permission, error)
	SetLimiter(ctx context.Context, accountID, permissionID uuid.UUID, raw json.RawMessage) (permission.Permission, error)
	DeletePermission(ctx context.Context, accountID, permissionID uuid.UUID) error

	ListAuditEvents(ctx context.Context, p serviceaccount.ListAuditEventsParams) (serviceaccount.AuditEventPage, error)

	// Clock reads the time that decides a key's status and where
	// --expires-in counts from: the Manager's, or this machine's for a
	// server (whose own clock judges the expiry).
	Clock() clockwork.Clock
}

// The Manager is the database's backend as it is.
var _ backend = (*serviceaccount.Manager)(nil)

// backend opens what the commands work through: the server of --server,
// or the database of --db. It returns a nil interface with an error,
// never a nil pointer in one.
func (a *app) backend(ctx context.Context) (backend, error) {
	if a.server != "" {
		r, err := a.remote(ctx)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	mgr, err := a.manager(ctx)
	if err != nil {
		return nil, err
	}
	return mgr, nil
}

// catalogOf is the permission catalog grants are checked against: the
// server's, or the one --catalog names (the library's default without it).
// The database's catalog needs no database.
func (a *app) catalogOf(ctx context.Context) (*permission.Catalog, error) {
	if a.server != "" {
		r, err := a.remote(ctx)
		if err != nil {
			return nil, err
		}
		return r.catalog(ctx)
	}
	return a.permissionCatalog()
}
