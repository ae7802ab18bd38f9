package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// KeyCreate inserts k: one statement. An account that does not exist is
// the foreign key's violation on PostgreSQL and MySQL, and on SQLite an
// insert that the statement's own existence check turned into no row.
func (t *tx) KeyCreate(ctx context.Context, k apikey.Key) error {
	s := t.s
	args := []any{
		s.idArg(k.ID), s.idArg(k.AccountID), hashArg(k.Hash), k.Hint,
		s.timeArg(k.CreatedAt), s.nullTimeArg(k.LastUsedAt), s.nullTimeArg(k.ExpiresAt),
	}
	if err := t.insertOfAccount(ctx, s.q.keyInsert, args, k.AccountID); err != nil {
		return fmt.Errorf("sqlstore: create key %s for account %s: %w", k.ID, k.AccountID, err)
	}
	return nil
}

// insertOfAccount runs the insert of a key or permission of account
// accountID, mapping a missing account to store.ErrNotFound.
func (t *tx) insertOfAccount(ctx context.Context, query string, args []any, accountID uuid.UUID) error {
	if t.s.dialect == dialect.SQLite {
		args = append(args, t.s.idArg(accountID))
	}
	res, err := t.ex.ExecContext(ctx, query, args...)
	if err != nil {
		return mapError(err)
	}
	inserted, err := res.RowsAffected()
	if err != nil {
		return mapError(err)
	}
	if inserted == 0 {
		return store.ErrNotFound
	}
	return nil
}

// KeyGet reads one key of an account: one statement.
func (t *tx) KeyGet(ctx context.Context, accountID, keyID uuid.UUID) (apikey.Key, error) {
	s := t.s
	var (
		id, aid                    idColumn
		hash                       hashColumn
		k                          apikey.Key
		created, lastUsed, expires = s.timeColumn(), s.timeColumn(), s.timeColumn()
	)
	err := t.ex.QueryRowContext(ctx, s.q.keyGet, s.idArg(keyID), s.idArg(accountID)).
		Scan(&id, &aid, &hash, &k.Hint, &created, &lastUsed, &expires)
	if err != nil {
		return apikey.Key{}, fmt.Errorf("sqlstore: get key %s of account %s: %w", keyID, accountID, mapError(err))
	}
	k.ID, k.AccountID, k.Hash = id.ID, aid.ID, hash.Hash
	k.CreatedAt, k.LastUsedAt, k.ExpiresAt = created.Time, lastUsed.ptr(), expires.ptr()
	return k, nil
}

// KeyList returns the account's keys: one statement, which also tells an
// account without keys from no account at all.
func (s *Store) KeyList(ctx context.Context, accountID uuid.UUID) ([]apikey.Key, error) {
	return s.keyList(ctx, s.sql, accountID)
}

// KeyList is Store.KeyList inside the transaction.
func (t *tx) KeyList(ctx context.Context, accountID uuid.UUID) ([]apikey.Key, error) {
	return t.s.keyList(ctx, t.ex, accountID)
}

func (s *Store) keyList(ctx context.Context, ex executor, accountID uuid.UUID) ([]apikey.Key, error) {
	keys, err := s.queryKeyList(ctx, ex, accountID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list keys of account %s: %w", accountID, err)
	}
	return keys, nil
}

func (s *Store) queryKeyList(ctx context.Context, ex executor, accountID uuid.UUID) ([]apikey.Key, error) {
	rows, err := ex.QueryContext(ctx, s.q.keyList, s.idArg(accountID))
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var (
		found bool
		keys  = []apikey.Key{}
		aid   idColumn
		id    idColumn
		hash  hashColumn
		hint  sql.NullString
	)
	created, lastUsed, expires := s.timeColumn(), s.timeColumn(), s.timeColumn()
	for rows.Next() {
		found = true
		if err := rows.Scan(&aid, &id, &hash, &hint, &created, &lastUsed, &expires); err != nil {
			return nil, err
		}
		if !id.Valid {
			continue // the account has no key
		}
		keys = append(keys, apikey.Key{
			ID: id.ID, AccountID: accountID, Hash: hash.Hash, Hint: hint.String,
			CreatedAt: created.Time, LastUsedAt: lastUsed.ptr(), ExpiresAt: expires.ptr(),
		})
	}
	// rows.Err first: a connection lost after the last row is a system
	// error, not an empty result.
	if err := rows.Err(); err != nil {
		return nil, mapError(err)
	}
	if !found {
		return nil, store.ErrNotFound
	}
	slices.SortFunc(keys, func(a, b apikey.Key) int { return compareIDs(a.ID, b.ID) })
	return keys, nil
}

// KeyByHash loads the key whose hash is h with its account and all the
// account's permissions in one SELECT (the key through the unique hash
// index, its account through the primary key, the permissions through the
// (account_id, id) index, one row per permission), so its cost does not
// grow with the number of keys stored and never with one query per
// permission.
//
// Round trips: PostgreSQL one (pgx runs the prepared statement, which it
// prepares once per connection); MySQL one with interpolateParams=true in
// the DSN (OpenDB sets it), otherwise two (prepare, then execute); SQLite
// none, it is in-process.
func (s *Store) KeyByHash(ctx context.Context, h apikey.Hash) (serviceaccount.Credential, error) {
	c, err := s.keyByHash(ctx, h)
	if err != nil {
		return serviceaccount.Credential{}, fmt.Errorf("sqlstore: look up key by hash: %w", err)
	}
	return c, nil
}

func (s *Store) keyByHash(ctx context.Context, h apikey.Hash) (serviceaccount.Credential, error) {
	rows, err := s.queryKeyByHash(ctx, h)
	if err != nil {
		return serviceaccount.Credential{}, mapError(err)
	}
	defer rows.Close()
	var (
		c                 serviceaccount.Credential
		found             bool
		keyID             idColumn
		hint              string
		keyCreated        = s.timeColumn()
		lastUsed, expires = s.timeColumn(), s.timeColumn()
		accountCreated    = s.timeColumn()
		accountUpdated    = s.timeColumn()
		p                 = s.newPermissionRow()
	)
	// The query selects the key's account_id where the permission row
	// would have its own: the same value, when there is a permission.
	dest := append([]any{
		&keyID, &hint, &keyCreated, &lastUsed, &expires,
		&c.Account.Label, &c.Account.Description, &accountCreated, &accountUpdated,
	}, p.dest()...)
	c.Permissions = []permission.Permission{}
	for rows.Next() {
		found = true
		if err := rows.Scan(dest...); err != nil {
			return serviceaccount.Credential{}, err
		}
		if p.id.Valid { // else the NULL row of an account without permissions
			c.Permissions = append(c.Permissions, p.permission())
		}
	}
	// rows.Err first: a connection lost after the last row is a system
	// error, not an unknown key.
	if err := rows.Err(); err != nil {
		return serviceaccount.Credential{}, mapError(err)
	}
	if !found {
		return serviceaccount.Credential{}, store.ErrNotFound
	}
	slices.SortFunc(c.Permissions, comparePermissions)
	c.Key = apikey.Key{
		ID: keyID.ID, AccountID: p.accountID.ID, Hash: h, Hint: hint,
		CreatedAt: keyCreated.Time, LastUsedAt: lastUsed.ptr(), ExpiresAt: expires.ptr(),
	}
	c.Account.ID, c.Account.CreatedAt, c.Account.UpdatedAt = p.accountID.ID, accountCreated.Time, accountUpdated.Time
	return c, nil
}

func (s *Store) queryKeyByHash(ctx context.Context, h apikey.Hash) (*sql.Rows, error) {
	if s.dialect != dialect.SQLite {
		return s.sql.QueryContext(ctx, s.q.keyByHash, hashArg(h))
	}
	s.stmtMu.Lock()
	stmt := s.keyByHashStmt
	if stmt == nil {
		var err error
		if stmt, err = s.sql.PrepareContext(ctx, s.q.keyByHash); err != nil {
			s.stmtMu.Unlock()
			return nil, err
		}
		s.keyByHashStmt = stmt
	}
	s.stmtMu.Unlock()
	return stmt.QueryContext(ctx, hashArg(h))
}

// KeyDelete deletes the key if it belongs to the account: one statement.
func (t *tx) KeyDelete(ctx context.Context, accountID, keyID uuid.UUID) error {
	if err := t.deleteOfAccount(ctx, t.s.q.keyDelete, keyID, accountID); err != nil {
		return fmt.Errorf("sqlstore: delete key %s of account %s: %w", keyID, accountID, err)
	}
	return nil
}

// deleteOfAccount deletes row id of account accountID with query and
// returns store.ErrNotFound when there was none.
func (t *tx) deleteOfAccount(ctx context.Context, query string, id, accountID uuid.UUID) error {
	res, err := t.ex.ExecContext(ctx, query, t.s.idArg(id), t.s.idArg(accountID))
	if err != nil {
		return mapError(err)
	}
	deleted, err := res.RowsAffected()
	if err != nil {
		return mapError(err)
	}
	if deleted == 0 {
		return store.ErrNotFound
	}
	return nil
}

// touchChunk is the number of keys per statement on MySQL and SQLite: two
// parameters per key stay far below both limits (65,535 and 32,766).
const touchChunk = 1000

// KeysTouch records last use of a batch of keys. Duplicates are folded
// into their latest time first, and the keys are sorted, so that two
// concurrent flushes lock rows in the same order. Each key is set only if
// its stored time is NULL or older, compared inside the UPDATE, which
// reads the latest committed row: a time never moves backwards, whatever
// the order in which processes flush.
//
// Statements: PostgreSQL one, through arrays, whatever the batch size;
// MySQL and SQLite one per 1,000 keys, in one transaction when there are
// several.
func (s *Store) KeysTouch(ctx context.Context, touches []serviceaccount.KeyTouch) error {
	if len(touches) == 0 {
		return nil
	}
	latest := make(map[uuid.UUID]time.Time, len(touches))
	for _, t := range touches {
		if prev, ok := latest[t.KeyID]; !ok || t.UsedAt.After(prev) {
			latest[t.KeyID] = t.UsedAt
		}
	}
	ids := make([]uuid.UUID, 0, len(latest))
	for id := range latest {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, compareIDs)

	var err error
	if s.dialect == dialect.PG {
		// Text ids, because pgx encodes a []uuid.UUID in the extended
		// protocol only, and not in the simple one (PgBouncer's).
		textIDs := make([]string, len(ids))
		times := make([]time.Time, len(ids))
		for i, id := range ids {
			textIDs[i] = id.String()
			times[i] = s.timeArg(latest[id]).(time.Time)
		}
		err = retry(ctx, func() error {
			_, err := s.sql.ExecContext(ctx, s.q.touch(len(ids)), textIDs, times)
			return err
		})
	} else {
		err = retry(ctx, func() error { return s.touchChunks(ctx, ids, latest) })
	}
	if err != nil {
		return fmt.Errorf("sqlstore: record last use of %d keys: %w", len(ids), mapError(err))
	}
	return nil
}

func (s *Store) touchChunks(ctx context.Context, ids []uuid.UUID, latest map[uuid.UUID]time.Time) error {
	exec := func(ctx context.Context, db interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}) error {
		for chunk := range slices.Chunk(ids, touchChunk) {
			args := make([]any, 0, 2*len(chunk))
			for _, id := range chunk {
				args = append(args, s.idArg(id), s.timeArg(latest[id]))
			}
			if _, err := db.ExecContext(ctx, s.q.touch(len(chunk)), args...); err != nil {
				return err
			}
		}
		return nil
	}
	if len(ids) <= touchChunk {
		return exec(ctx, s.sql)
	}
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return exec(ctx, tx.Tx) })
}
