package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun/dialect"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// changePruneBatch bounds the rows one ChangePrune call deletes, so that a
// backlog (an instance that pruned nothing for hours) is worked off in
// short transactions that never hold many locks.
const changePruneBatch = 1000

// changeQueries are the statements of the change log.
type changeQueries struct {
	// record is the statements of ChangeRecord, run in order: first the
	// head's increment, which locks the head row until the transaction
	// ends, then the insert (and, on PostgreSQL, the notification, all in
	// one statement).
	record []string
	head   string
	list   string
	// prune deletes up to changePruneBatch old rows in one statement
	// (PostgreSQL, SQLite); on MySQL pruneSelect locks them, skipping
	// locked ones, and the delete is built for the ids it returned.
	prune, pruneSelect string
	// channel is the PostgreSQL notification channel: one per table
	// prefix, so stores sharing a database do not wake each other.
	channel string
}

func buildChangeQueries(d dialect.Name, t tables) changeQueries {
	r := strings.NewReplacer("{changes}", t.changes, "{head}", t.changeHead)
	f := func(query string) string {
		query = r.Replace(query)
		if d == dialect.PG {
			query = numberPlaceholders(query)
		}
		return query
	}
	q := changeQueries{
		channel: t.changes,
		head:    f(`SELECT last_id FROM {head} WHERE id = 1`),
		// The head and the changes after After in one statement, hence in
		// one snapshot: a missing id at or below the head was pruned. The
		// LEFT JOIN returns the head alone when there is no change.
		list: f(`SELECT h.last_id, c.id, c.account_id, c.recorded_at, c.tenant, c.kind
FROM {head} h LEFT JOIN {changes} c ON c.id > ?
WHERE h.id = 1
ORDER BY c.id
LIMIT ?`),
	}
	batch := strconv.Itoa(changePruneBatch)
	switch d {
	case dialect.PG:
		// One statement: take the next id, insert, notify. pg_notify is
		// transactional: the notification leaves at commit, or never.
		q.record = []string{f(`WITH h AS (
	UPDATE {head} SET last_id = last_id + 1 WHERE id = 1 RETURNING last_id
), c AS (
	INSERT INTO {changes} (id, account_id, recorded_at, tenant, kind) SELECT last_id, ?, ?, ?, ? FROM h RETURNING id
)
SELECT pg_notify(?, id::text) FROM c`)}
		// SKIP LOCKED: two instances pruning at once split the rows
		// instead of one waiting for the other's locks.
		q.prune = f(`DELETE FROM {changes} WHERE id IN (
	SELECT id FROM {changes} WHERE recorded_at < ? ORDER BY recorded_at LIMIT ` + batch + ` FOR UPDATE SKIP LOCKED)`)
	case dialect.MySQL:
		q.record = []string{
			f(`UPDATE {head} SET last_id = last_id + 1 WHERE id = 1`),
			f(`INSERT INTO {changes} (id, account_id, recorded_at, tenant, kind) SELECT last_id, ?, ?, ?, ? FROM {head} WHERE id = 1`),
		}
		// MySQL refuses LIMIT in an IN subquery and a subquery on the
		// table a DELETE deletes from, so the ids are locked (skipping
		// rows another pruner holds) and then deleted by id.
		q.pruneSelect = f(`SELECT id FROM {changes} WHERE recorded_at < ? ORDER BY recorded_at LIMIT ` + batch + ` FOR UPDATE SKIP LOCKED`)
	case dialect.SQLite:
		// SQLite has one writer at a time; ids follow commit order by
		// themselves, and the head keeps them from being reused after
		// the newest rows are pruned.
		q.record = []string{
			f(`UPDATE {head} SET last_id = last_id + 1 WHERE id = 1`),
			f(`INSERT INTO {changes} (id, account_id, recorded_at, tenant, kind) SELECT last_id, ?, ?, ?, ? FROM {head} WHERE id = 1`),
		}
		q.prune = f(`DELETE FROM {changes} WHERE id IN (
	SELECT id FROM {changes} WHERE recorded_at < ? ORDER BY recorded_at LIMIT ` + batch + `)`)
	}
	return q
}

// changeRecord appends a change through ex, the caller's transaction.
func (s *Store) changeRecord(ctx context.Context, ex executor, tenant string, p store.ChangeRecordParams) error {
	row := []any{s.idArg(p.AccountID), s.timeArg(p.RecordedAt), tenant, string(cmp.Or(p.Kind, store.ChangeAccount))}
	var err error
	if s.dialect == dialect.PG {
		_, err = ex.ExecContext(ctx, s.changes.record[0], append(row, s.changes.channel)...)
	} else if _, err = ex.ExecContext(ctx, s.changes.record[0]); err == nil {
		_, err = ex.ExecContext(ctx, s.changes.record[1], row...)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: record a change of account %s: %w", p.AccountID, mapError(err))
	}
	s.own.add(p.AccountID, p.RecordedAt)
	return nil
}

// ChangeHead returns the id of the latest committed change: one statement.
func (s *Store) ChangeHead(ctx context.Context) (int64, error) {
	var head int64
	if err := s.sql.QueryRowContext(ctx, s.changes.head).Scan(&head); err != nil {
		return 0, fmt.Errorf("sqlstore: read the change log's head: %w", mapError(err))
	}
	return head, nil
}

// ChangeList reads the head and the changes after p.After in one
// statement, a range read of the primary key.
func (s *Store) ChangeList(ctx context.Context, p store.ChangeListParams) (store.ChangePage, error) {
	if p.Limit <= 0 {
		return store.ChangePage{}, fmt.Errorf("sqlstore: list changes: limit must be positive, got %d", p.Limit)
	}
	rows, err := s.sql.QueryContext(ctx, s.changes.list, p.After, p.Limit)
	if err != nil {
		return store.ChangePage{}, fmt.Errorf("sqlstore: list changes: %w", mapError(err))
	}
	defer rows.Close()
	var page store.ChangePage
	for rows.Next() {
		var (
			id        sql.NullInt64
			accountID idColumn
			at        = s.timeColumn()
			tenant    sql.NullString
			kind      sql.NullString
		)
		if err := rows.Scan(&page.Head, &id, &accountID, &at, &tenant, &kind); err != nil {
			return store.ChangePage{}, fmt.Errorf("sqlstore: list changes: %w", err)
		}
		if !id.Valid {
			continue // the head alone: no change after p.After
		}
		page.Changes = append(page.Changes, store.RecordedChange{
			ID: id.Int64, Kind: store.ChangeKind(kind.String), Tenant: tenant.String, AccountID: accountID.ID, RecordedAt: at.Time,
			Own: s.own.has(accountID.ID, at.Time),
		})
	}
	if err := rows.Err(); err != nil {
		return store.ChangePage{}, fmt.Errorf("sqlstore: list changes: %w", mapError(err))
	}
	return page, nil
}

// ChangePrune deletes up to a thousand changes recorded before before,
// skipping rows that a concurrent pruner has locked.
func (s *Store) ChangePrune(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := retry(ctx, func() error {
		var err error
		if s.dialect == dialect.MySQL {
			n, err = s.changePruneMySQL(ctx, before)
			return err
		}
		res, err := s.sql.ExecContext(ctx, s.changes.prune, s.timeArg(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlstore: prune changes: %w", mapError(err))
	}
	return n, nil
}

// changePruneMySQL locks the oldest rows and deletes them, in one READ
// COMMITTED transaction: without gap locks, so that pruning never makes a
// writer's insert wait.
func (s *Store) changePruneMySQL(ctx context.Context, before time.Time) (int64, error) {
	tx, err := s.sql.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, s.changes.pruneSelect, s.timeArg(before))
	if err != nil {
		return 0, err
	}
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	query := "DELETE FROM " + tableNames(s.prefix).changes + " WHERE id IN (?" + strings.Repeat(", ?", len(ids)-1) + ")"
	res, err := tx.ExecContext(ctx, query, ids...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// ChangeListener returns the store's listener on PostgreSQL through pgx
// (as OpenDB opens it, with store/sqlstore/postgres imported), and nil
// otherwise: MySQL and SQLite have nothing to listen to, and only pgx
// gives the store the connection to wait on.
func (s *Store) ChangeListener() store.ChangeListener {
	if s.dialect != dialect.PG {
		return nil
	}
	return listener(s.dialect, s.sql, s.changes.channel)
}

// ChangeRecord appends a change in the transaction; see
// store.ChangeRecorder.
func (t *tx) ChangeRecord(ctx context.Context, tenant string, p store.ChangeRecordParams) error {
	return t.s.changeRecord(ctx, t.ex, tenant, p)
}

// ChangeChannel returns the PostgreSQL channel that ChangeRecord notifies
// (the change table's name, prefix included), for operators who want to
// LISTEN themselves; "" on other databases.
func (s *Store) ChangeChannel() string {
	if s.dialect != dialect.PG {
		return ""
	}
	return s.changes.channel
}
