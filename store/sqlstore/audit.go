package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun/dialect"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// auditColumns in the order of scanEvent and of the insert arguments.
const auditColumns = "id, occurred_at, actor_id, actor_address, actor_user_agent, action, account_id, target_id, details, tenant"

// AuditAppend writes e in the change's transaction: one statement.
func (t *tx) AuditAppend(ctx context.Context, tenant string, e store.AuditEvent) error {
	s := t.s
	if err := store.CheckRecordTenant("audit event", tenant, e.Tenant); err != nil {
		return fmt.Errorf("sqlstore: append audit event %s: %w", e.ID, err)
	}
	var actorID, address, userAgent any
	if e.Actor != nil {
		actorID, address, userAgent = e.Actor.ID, e.Actor.Address, e.Actor.UserAgent
	}
	var target any
	if e.TargetID != nil {
		target = s.idArg(*e.TargetID)
	}
	_, err := t.ex.ExecContext(ctx, s.q.auditInsert,
		s.idArg(e.ID), s.timeArg(e.OccurredAt), actorID, address, userAgent,
		string(e.Action), s.idArg(e.ServiceAccountID), target, string(e.Details), tenant)
	if err != nil {
		return fmt.Errorf("sqlstore: append audit event %s: %w", e.ID, mapError(err))
	}
	return nil
}

// AuditList reads one page: one statement, whose filters and order an
// index of the events table serves (see the migration).
func (s *Store) AuditList(ctx context.Context, p store.AuditListParams) ([]store.AuditEvent, error) {
	if p.Limit <= 0 {
		return nil, fmt.Errorf("sqlstore: list audit events: limit must be positive, got %d", p.Limit)
	}
	if err := store.CheckTenant(p.Tenant); err != nil {
		return nil, fmt.Errorf("sqlstore: list audit events: %w", err)
	}
	query, args := s.auditListQuery(p)
	rows, err := s.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list audit events: %w", mapError(err))
	}
	defer rows.Close()
	out := make([]store.AuditEvent, 0, min(p.Limit, 64))
	for rows.Next() {
		e, err := s.scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list audit events: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list audit events: %w", mapError(err))
	}
	return out, nil
}

// auditListQuery writes the listing for the filters p sets. The position
// test is spelled out rather than written as a row comparison
// ((occurred_at, id) < (?, ?)), which MySQL does not turn into an index
// range.
func (s *Store) auditListQuery(p store.AuditListParams) (string, []any) {
	var (
		b    strings.Builder
		args []any
	)
	b.WriteString(`SELECT ` + auditColumns + ` FROM ` + tableNames(s.prefix).audit + ` WHERE tenant = ?`)
	args = append(args, p.Tenant)
	if p.ServiceAccountID != uuid.Nil {
		b.WriteString(` AND account_id = ?`)
		args = append(args, s.idArg(p.ServiceAccountID))
	}
	if p.Action != "" {
		args = s.equalText(&b, "action", string(p.Action), args)
	}
	if p.ActorID != "" {
		args = s.equalText(&b, "actor_id", p.ActorID, args)
	}
	if p.Since != nil {
		b.WriteString(` AND occurred_at >= ?`)
		args = append(args, s.timeArg(*p.Since))
	}
	if p.Until != nil {
		b.WriteString(` AND occurred_at < ?`)
		args = append(args, s.timeArg(*p.Until))
	}
	if p.After != nil {
		at := s.timeArg(p.After.OccurredAt)
		b.WriteString(` AND (occurred_at < ? OR (occurred_at = ? AND id < ?))`)
		args = append(args, at, at, s.idArg(p.After.ID))
	}
	b.WriteString(` ORDER BY occurred_at DESC, id DESC LIMIT ?`)
	args = append(args, p.Limit)
	query := b.String()
	if s.dialect == dialect.PG {
		query = numberPlaceholders(query)
	}
	return query, args
}

// equalText adds "AND column = value" that compares exactly on every
// database. MySQL's and MariaDB's collations (utf8mb4_bin included) are PAD
// SPACE there: 'alice' = 'alice ' is true, so an actor filter with a
// trailing space would match another actor's events. Comparing the length
// in bytes as well keeps the equality (and so the index) and drops the
// padded matches. PostgreSQL and SQLite compare text exactly already.
func (s *Store) equalText(b *strings.Builder, column, value string, args []any) []any {
	b.WriteString(` AND ` + column + ` = ?`)
	args = append(args, value)
	if s.dialect == dialect.MySQL {
		b.WriteString(` AND LENGTH(` + column + `) = ?`)
		args = append(args, len(value))
	}
	return args
}

func (s *Store) scanEvent(row scanner) (store.AuditEvent, error) {
	var (
		e                           store.AuditEvent
		id, account, target         idColumn
		occurred                    = s.timeColumn()
		actorID, address, userAgent sql.NullString
		action, details             string
	)
	if err := row.Scan(&id, &occurred, &actorID, &address, &userAgent, &action, &account, &target, &details, &e.Tenant); err != nil {
		return store.AuditEvent{}, err
	}
	e.ID, e.OccurredAt, e.ServiceAccountID = id.ID, occurred.Time, account.ID
	e.Action, e.Details = store.AuditAction(action), []byte(details)
	if actorID.Valid {
		e.Actor = &store.Actor{ID: actorID.String, Address: address.String, UserAgent: userAgent.String}
	}
	if target.Valid {
		t := target.ID
		e.TargetID = &t
	}
	return e, nil
}

// AuditPrune deletes old events: one statement, through the time index.
func (s *Store) AuditPrune(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := retry(ctx, func() error {
		res, err := s.sql.ExecContext(ctx, s.q.auditPrune, s.timeArg(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlstore: prune audit events: %w", mapError(err))
	}
	return n, nil
}
