package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// AccountCreate inserts a: one statement.
func (t *tx) AccountCreate(ctx context.Context, tenant string, a store.Account) error {
	s := t.s
	if err := store.CheckRecordTenant("account", tenant, a.Tenant); err != nil {
		return fmt.Errorf("sqlstore: create account %s: %w", a.ID, err)
	}
	meta, err := metadataArg(a.Metadata)
	if err != nil {
		return fmt.Errorf("sqlstore: create account %s: %w", a.ID, err)
	}
	_, err = t.ex.ExecContext(ctx, s.q.accountInsert,
		s.idArg(a.ID), a.Label, a.Description, s.timeArg(a.CreatedAt), s.timeArg(a.UpdatedAt), s.nullTimeArg(a.DisabledAt), tenant, meta)
	if err != nil {
		return fmt.Errorf("sqlstore: create account %s: %w", a.ID, mapError(err))
	}
	return nil
}

// AccountGet reads one account: one statement.
func (s *Store) AccountGet(ctx context.Context, tenant string, id uuid.UUID) (store.Account, error) {
	return s.accountGet(ctx, s.sql, s.q.accountGet, tenant, id)
}

// AccountGet reads one account and locks it until the transaction ends
// (FOR UPDATE on PostgreSQL and MySQL; SQLite's transaction holds the
// whole database's write lock already).
func (t *tx) AccountGet(ctx context.Context, tenant string, id uuid.UUID) (store.Account, error) {
	return t.s.accountGet(ctx, t.ex, t.s.q.accountGetForUpdate, tenant, id)
}

func (s *Store) accountGet(ctx context.Context, ex executor, query, tenant string, id uuid.UUID) (store.Account, error) {
	a, err := s.scanAccount(ex.QueryRowContext(ctx, query, s.idArg(id), tenant))
	if err != nil {
		return store.Account{}, fmt.Errorf("sqlstore: get account %s: %w", id, mapError(err))
	}
	return a, nil
}

// AccountUpdate updates and reads back the account (two statements: MySQL
// has no UPDATE … RETURNING, and its affected-rows count leaves out rows
// the update did not change).
func (t *tx) AccountUpdate(ctx context.Context, tenant string, p store.AccountUpdateParams) (store.Account, error) {
	s := t.s
	meta, err := metadataArg(p.Metadata)
	if err != nil {
		return store.Account{}, fmt.Errorf("sqlstore: update account %s: %w", p.ID, err)
	}
	if _, err := t.ex.ExecContext(ctx, s.q.accountUpdate,
		p.Label, p.Description, s.timeArg(p.UpdatedAt), s.nullTimeArg(p.DisabledAt), meta, s.idArg(p.ID), tenant); err != nil {
		return store.Account{}, fmt.Errorf("sqlstore: update account %s: %w", p.ID, mapError(err))
	}
	a, err := s.scanAccount(t.ex.QueryRowContext(ctx, s.q.accountGet, s.idArg(p.ID), tenant))
	if err != nil {
		return store.Account{}, fmt.Errorf("sqlstore: update account %s: %w", p.ID, mapError(err))
	}
	return a, nil
}

// AccountDelete deletes the account's permissions, its keys and then the
// account, in the caller's transaction. On PostgreSQL and MySQL the
// account row is locked first, so that a concurrent key or permission
// insert waits for the delete and then fails its foreign-key check
// (ErrNotFound) instead of deadlocking with it. The foreign keys' ON
// DELETE CASCADE removes a row inserted after the explicit deletes ran.
func (t *tx) AccountDelete(ctx context.Context, tenant string, id uuid.UUID) error {
	if err := t.accountDelete(ctx, tenant, id); err != nil {
		return fmt.Errorf("sqlstore: delete account %s: %w", id, mapError(err))
	}
	return nil
}

func (t *tx) accountDelete(ctx context.Context, tenant string, id uuid.UUID) error {
	s := t.s
	idArg := s.idArg(id)
	var locked idColumn
	if err := t.ex.QueryRowContext(ctx, s.q.accountLock, idArg, tenant).Scan(&locked); err != nil {
		return err // sql.ErrNoRows: ErrNotFound (here or in another tenant), and nothing was deleted
	}
	if _, err := t.ex.ExecContext(ctx, s.q.permissionsDeleteOfAccount, idArg); err != nil {
		return err
	}
	if _, err := t.ex.ExecContext(ctx, s.q.keysDeleteOfAccount, idArg); err != nil {
		return err
	}
	res, err := t.ex.ExecContext(ctx, s.q.accountDelete, idArg, tenant)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound // the caller's InTx rolls back: nothing is deleted
	}
	return nil
}

// AccountList reads one page: one statement, through the (tenant, id)
// index.
func (s *Store) AccountList(ctx context.Context, tenant string, after uuid.UUID, limit int) ([]store.Account, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlstore: list accounts: limit must be positive, got %d", limit)
	}
	rows, err := s.sql.QueryContext(ctx, s.q.accountList, tenant, s.idArg(after), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list accounts: %w", mapError(err))
	}
	defer rows.Close()
	out := make([]store.Account, 0, min(limit, 64))
	for rows.Next() {
		a, err := s.scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list accounts: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list accounts: %w", mapError(err))
	}
	return out, nil
}

// AccountSearch reads one page of the accounts whose label holds label,
// ignoring case: one statement, through the (tenant, id) index.
func (s *Store) AccountSearch(ctx context.Context, tenant, label string, after uuid.UUID, limit int) ([]store.Account, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlstore: search accounts: limit must be positive, got %d", limit)
	}
	rows, err := s.sql.QueryContext(ctx, s.q.accountSearch, tenant, s.idArg(after), "%"+likeEscaper.Replace(strings.ToLower(label))+"%", limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: search accounts: %w", mapError(err))
	}
	defer rows.Close()
	out := make([]store.Account, 0, min(limit, 64))
	for rows.Next() {
		a, err := s.scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: search accounts: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: search accounts: %w", mapError(err))
	}
	return out, nil
}

// likeEscaper makes a string match itself in a LIKE pattern with ESCAPE '!'.
var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

type scanner interface {
	Scan(dest ...any) error
}

func (s *Store) scanAccount(row scanner) (store.Account, error) {
	var (
		a                store.Account
		id               idColumn
		created, updated = s.timeColumn(), s.timeColumn()
		disabled         = s.timeColumn()
		meta             metadataColumn
	)
	if err := row.Scan(&id, &a.Label, &a.Description, &created, &updated, &disabled, &a.Tenant, &meta); err != nil {
		return store.Account{}, err
	}
	a.ID, a.CreatedAt, a.UpdatedAt, a.DisabledAt = id.ID, created.Time, updated.Time, disabled.ptr()
	a.Metadata = meta.Map
	return a, nil
}
