package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// KeyCreate inserts k: one statement. An account that does not exist in
// the tenant is an insert that the statement's own existence check
// turned into no row (or, for an account deleted concurrently, the
// foreign key's violation on PostgreSQL and MySQL).
func (t *tx) KeyCreate(ctx context.Context, tenant string, k apikey.Key) error {
	s := t.s
	args, err := s.keyArgs(k)
	if err != nil {
		return fmt.Errorf("sqlstore: create key %s for account %s: %w", k.ID, k.AccountID, err)
	}
	if err := t.insertOfAccount(ctx, s.q.keyInsert, args, tenant, k.AccountID); err != nil {
		return fmt.Errorf("sqlstore: create key %s for account %s: %w", k.ID, k.AccountID, err)
	}
	return nil
}

// insertOfAccount runs the insert of a key or permission of account
// accountID of tenant, mapping a missing account to store.ErrNotFound.
func (t *tx) insertOfAccount(ctx context.Context, query string, args []any, tenant string, accountID uuid.UUID) error {
	args = append(args, t.s.idArg(accountID), tenant)
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

// keyArgs are k's values in the order of keyColumns.
func (s *Store) keyArgs(k apikey.Key) ([]any, error) {
	restrictions, err := restrictionArgs(k)
	if err != nil {
		return nil, err
	}
	return append([]any{
		s.idArg(k.ID), s.idArg(k.AccountID), hashArg(k.Hash), k.Hint,
		s.timeArg(k.CreatedAt), s.nullTimeArg(k.LastUsedAt), s.nullTimeArg(k.ExpiresAt),
		k.Name, s.nullTimeArg(k.DisabledAt), s.nullIDArg(k.ReplacedBy),
	}, restrictions...), nil
}

// keyRow receives the columns of keyColumns, in their order; they are
// NULL in the row of an account without keys.
type keyRow struct {
	id, accountID                        idColumn
	hash                                 hashColumn
	hint, name                           sql.NullString
	created, lastUsed, expires, disabled timeColumn
	replacedBy                           idColumn
	restrictions                         restrictionColumns
}

func (s *Store) newKeyRow() *keyRow {
	return &keyRow{created: s.timeColumn(), lastUsed: s.timeColumn(), expires: s.timeColumn(), disabled: s.timeColumn()}
}

func (r *keyRow) dest() []any {
	return append([]any{&r.id, &r.accountID, &r.hash, &r.hint, &r.created, &r.lastUsed, &r.expires, &r.name, &r.disabled, &r.replacedBy},
		r.restrictions.dest()...)
}

func (r *keyRow) key() apikey.Key {
	k := apikey.Key{
		ID: r.id.ID, AccountID: r.accountID.ID, Hash: r.hash.Hash, Hint: r.hint.String,
		CreatedAt: r.created.Time, LastUsedAt: r.lastUsed.ptr(), ExpiresAt: r.expires.ptr(),
		Name: r.name.String, DisabledAt: r.disabled.ptr(), ReplacedBy: r.replacedBy.ptr(),
	}
	r.restrictions.apply(&k)
	return k
}

// KeyGet reads one key of an account and locks it until the transaction
// ends (FOR UPDATE on PostgreSQL and MySQL): one statement.
func (t *tx) KeyGet(ctx context.Context, tenant string, accountID, keyID uuid.UUID) (apikey.Key, error) {
	return t.keyGet(ctx, t.s.q.keyGet, tenant, accountID, keyID)
}

func (t *tx) keyGet(ctx context.Context, query, tenant string, accountID, keyID uuid.UUID) (apikey.Key, error) {
	r := t.s.newKeyRow()
	if err := t.ex.QueryRowContext(ctx, query, t.s.idArg(keyID), t.s.idArg(accountID), tenant).Scan(r.dest()...); err != nil {
		return apikey.Key{}, fmt.Errorf("sqlstore: get key %s of account %s: %w", keyID, accountID, mapError(err))
	}
	return r.key(), nil
}

// KeyUpdate writes the key's mutable fields and reads it back: two
// statements, as AccountUpdate.
func (t *tx) KeyUpdate(ctx context.Context, tenant string, p store.KeyUpdateParams) (apikey.Key, error) {
	s := t.s
	restrictions, err := restrictionArgs(apikey.Key{Scopes: p.Scopes, AllowedCIDRs: p.AllowedCIDRs, RateLimit: p.RateLimit, Metadata: p.Metadata})
	if err != nil {
		return apikey.Key{}, fmt.Errorf("sqlstore: update key %s of account %s: %w", p.KeyID, p.AccountID, err)
	}
	args := append([]any{p.Name, s.nullTimeArg(p.ExpiresAt), s.nullTimeArg(p.DisabledAt), s.nullIDArg(p.ReplacedBy)}, restrictions...)
	_, err = t.ex.ExecContext(ctx, s.q.keyUpdate, append(args, s.idArg(p.KeyID), s.idArg(p.AccountID), tenant)...)
	if err != nil {
		return apikey.Key{}, fmt.Errorf("sqlstore: update key %s of account %s: %w", p.KeyID, p.AccountID, mapError(err))
	}
	return t.keyGet(ctx, s.q.keyGet, tenant, p.AccountID, p.KeyID)
}

// KeyListAll reads one page of keys of the tenant's accounts: one
// statement, walking the primary key from the cursor and keeping the keys
// whose account lies in the tenant.
func (s *Store) KeyListAll(ctx context.Context, tenant string, after uuid.UUID, limit int, f store.KeyFilter) ([]apikey.Key, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlstore: list all keys: limit must be positive, got %d", limit)
	}
	if (f.ExpiresAfter == nil) != (f.ExpiresBy == nil) {
		return nil, errors.New("sqlstore: list all keys: set both ExpiresAfter and ExpiresBy, or neither")
	}
	args := []any{tenant, s.idArg(after)}
	filters := 0
	if f.ExpiresAfter != nil {
		filters |= 1
		args = append(args, s.timeArg(*f.ExpiresAfter), s.timeArg(*f.ExpiresBy))
	}
	if f.UnusedSince != nil {
		filters |= 2
		args = append(args, s.timeArg(*f.UnusedSince), s.timeArg(*f.UnusedSince))
	}
	args = append(args, limit)
	rows, err := s.sql.QueryContext(ctx, s.q.keyListAll[filters], args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list all keys: %w", mapError(err))
	}
	defer rows.Close()
	out := make([]apikey.Key, 0, min(limit, 64))
	r := s.newKeyRow()
	dest := r.dest()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("sqlstore: list all keys: %w", err)
		}
		out = append(out, r.key())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list all keys: %w", mapError(err))
	}
	return out, nil
}

// KeyList returns the account's keys: one statement, which also tells an
// account without keys from no account at all.
func (s *Store) KeyList(ctx context.Context, tenant string, accountID uuid.UUID) ([]apikey.Key, error) {
	return s.keyList(ctx, s.sql, tenant, accountID)
}

// KeyList is Store.KeyList inside the transaction.
func (t *tx) KeyList(ctx context.Context, tenant string, accountID uuid.UUID) ([]apikey.Key, error) {
	return t.s.keyList(ctx, t.ex, tenant, accountID)
}

func (s *Store) keyList(ctx context.Context, ex executor, tenant string, accountID uuid.UUID) ([]apikey.Key, error) {
	keys, err := s.queryKeyList(ctx, ex, tenant, accountID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list keys of account %s: %w", accountID, err)
	}
	return keys, nil
}

func (s *Store) queryKeyList(ctx context.Context, ex executor, tenant string, accountID uuid.UUID) ([]apikey.Key, error) {
	rows, err := ex.QueryContext(ctx, s.q.keyList, s.idArg(accountID), tenant)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var (
		found bool
		keys  = []apikey.Key{}
		aid   idColumn
		r     = s.newKeyRow()
		dest  = append([]any{&aid}, r.dest()...)
	)
	for rows.Next() {
		found = true
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if !r.id.Valid {
			continue // the account has no key
		}
		keys = append(keys, r.key())
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
func (s *Store) KeyByHash(ctx context.Context, h apikey.Hash) (store.Credential, error) {
	c, err := s.keyByHash(ctx, h)
	if err != nil {
		return store.Credential{}, fmt.Errorf("sqlstore: look up key by hash: %w", err)
	}
	return c, nil
}

func (s *Store) keyByHash(ctx context.Context, h apikey.Hash) (store.Credential, error) {
	rows, err := s.queryKeyByHash(ctx, h)
	if err != nil {
		return store.Credential{}, mapError(err)
	}
	defer rows.Close()
	var (
		c               store.Credential
		found           bool
		k               = s.newKeyRow()
		accountCreated  = s.timeColumn()
		accountUpdated  = s.timeColumn()
		accountDisabled = s.timeColumn()
		accountMetadata metadataColumn
		p               = s.newPermissionRow()
	)
	// The query selects the key's account_id where the permission row
	// would have its own: the same value, when there is a permission.
	dest := append([]any{
		&k.id, &k.hint, &k.created, &k.lastUsed, &k.expires, &k.name, &k.disabled, &k.replacedBy,
		&k.restrictions.scopes, &k.restrictions.cidrs, &k.restrictions.limit, &k.restrictions.periodSecs, &k.restrictions.metadata,
		&c.Account.Label, &c.Account.Description, &accountCreated, &accountUpdated, &accountDisabled, &c.Account.Tenant, &accountMetadata,
	}, p.dest()...)
	c.Permissions = []permission.Permission{}
	for rows.Next() {
		found = true
		if err := rows.Scan(dest...); err != nil {
			return store.Credential{}, err
		}
		if p.id.Valid { // else the NULL row of an account without permissions
			c.Permissions = append(c.Permissions, p.permission())
		}
	}
	// rows.Err first: a connection lost after the last row is a system
	// error, not an unknown key.
	if err := rows.Err(); err != nil {
		return store.Credential{}, mapError(err)
	}
	if !found {
		return store.Credential{}, store.ErrNotFound
	}
	slices.SortFunc(c.Permissions, comparePermissions)
	k.accountID, k.hash = p.accountID, hashColumn{Hash: h}
	c.Key = k.key()
	c.Account.ID, c.Account.CreatedAt, c.Account.UpdatedAt = p.accountID.ID, accountCreated.Time, accountUpdated.Time
	c.Account.DisabledAt = accountDisabled.ptr()
	c.Account.Metadata = accountMetadata.Map
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
func (t *tx) KeyDelete(ctx context.Context, tenant string, accountID, keyID uuid.UUID) error {
	if err := t.deleteOfAccount(ctx, t.s.q.keyDelete, tenant, keyID, accountID); err != nil {
		return fmt.Errorf("sqlstore: delete key %s of account %s: %w", keyID, accountID, err)
	}
	return nil
}

// deleteOfAccount deletes row id of account accountID of tenant with
// query and returns store.ErrNotFound when there was none.
func (t *tx) deleteOfAccount(ctx context.Context, query, tenant string, id, accountID uuid.UUID) error {
	res, err := t.ex.ExecContext(ctx, query, t.s.idArg(id), t.s.idArg(accountID), tenant)
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
func (s *Store) KeysTouch(ctx context.Context, touches []store.KeyTouch) error {
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
