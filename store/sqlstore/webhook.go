package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun/dialect"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// Column lists in the order of scanWebhook and scanDelivery.
const (
	webhookColumns  = "id, tenant, url, events, description, secret, created_at"
	deliveryColumns = "id, tenant, webhook_id, event_type, body, state, attempts, next_attempt_at, delivered_at, created_at"
)

// webhookQuery puts the table names and the dialect's placeholders in
// query. The statements here are few and not on a request path, so they
// are built per call rather than kept in queries.
func (s *Store) webhookQuery(query string) string {
	t := tableNames(s.prefix)
	query = strings.NewReplacer("{webhooks}", t.webhooks, "{deliveries}", t.deliveries).Replace(query)
	if s.dialect == dialect.PG {
		query = numberPlaceholders(query)
	}
	return query
}

// placeholders is "?, ?, …" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func (s *Store) scanWebhook(row scanner) (store.Webhook, error) {
	var (
		w       store.Webhook
		id      idColumn
		events  string
		created = s.timeColumn()
	)
	if err := row.Scan(&id, &w.Tenant, &w.URL, &events, &w.Description, &w.Secret, &created); err != nil {
		return store.Webhook{}, err
	}
	w.ID, w.CreatedAt = id.ID, created.Time
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return store.Webhook{}, fmt.Errorf("scan webhook %s events: %w", w.ID, err)
	}
	return w, nil
}

// deliveryRow is where a delivery's columns are scanned.
type deliveryRow struct {
	d                 store.Delivery
	id, webhook       idColumn
	state, attempts   string
	next, done, since timeColumn
}

func (s *Store) newDeliveryRow() *deliveryRow {
	return &deliveryRow{next: s.timeColumn(), done: s.timeColumn(), since: s.timeColumn()}
}

func (r *deliveryRow) dest() []any {
	return []any{&r.id, &r.d.Tenant, &r.webhook, &r.d.EventType, &r.d.Body, &r.state, &r.attempts, &r.next, &r.done, &r.since}
}

func (r *deliveryRow) delivery() (store.Delivery, error) {
	d := r.d
	d.ID, d.WebhookID, d.State = r.id.ID, r.webhook.ID, store.DeliveryState(r.state)
	d.NextAttemptAt, d.DeliveredAt, d.CreatedAt = r.next.ptr(), r.done.ptr(), r.since.Time
	d.Body = slices.Clone(d.Body)
	if err := json.Unmarshal([]byte(r.attempts), &d.Attempts); err != nil {
		return store.Delivery{}, fmt.Errorf("scan delivery %s attempts: %w", d.ID, err)
	}
	for i := range d.Attempts {
		d.Attempts[i].At = d.Attempts[i].At.UTC()
	}
	return d, nil
}

func attemptsArg(a []store.DeliveryAttempt) (string, error) {
	if a == nil {
		a = []store.DeliveryAttempt{}
	}
	b, err := json.Marshal(a)
	return string(b), err
}

func (s *Store) WebhookGet(ctx context.Context, tenant string, id uuid.UUID) (store.Webhook, error) {
	w, err := s.scanWebhook(s.sql.QueryRowContext(ctx,
		s.webhookQuery(`SELECT `+webhookColumns+` FROM {webhooks} WHERE id = ? AND tenant = ?`), s.idArg(id), tenant))
	if err != nil {
		return store.Webhook{}, fmt.Errorf("sqlstore: get webhook %s: %w", id, mapError(err))
	}
	return w, nil
}

func (s *Store) WebhookList(ctx context.Context, tenant string, after uuid.UUID, limit int) ([]store.Webhook, error) {
	if limit < 1 {
		return nil, fmt.Errorf("sqlstore: list webhooks: limit must be positive, got %d", limit)
	}
	return s.webhooks(ctx, s.sql, `SELECT `+webhookColumns+` FROM {webhooks} WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?`,
		tenant, s.idArg(after), limit)
}

func (s *Store) webhooks(ctx context.Context, ex executor, query string, args ...any) ([]store.Webhook, error) {
	rows, err := ex.QueryContext(ctx, s.webhookQuery(query), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list webhooks: %w", mapError(err))
	}
	defer rows.Close()
	out := []store.Webhook{}
	for rows.Next() {
		w, err := s.scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list webhooks: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list webhooks: %w", mapError(err))
	}
	return out, nil
}

func (s *Store) DeliveryList(ctx context.Context, tenant string, webhookID, before uuid.UUID, limit int) ([]store.Delivery, error) {
	if limit < 1 {
		return nil, fmt.Errorf("sqlstore: list deliveries: limit must be positive, got %d", limit)
	}
	if _, err := s.WebhookGet(ctx, tenant, webhookID); err != nil {
		return nil, err
	}
	query := `SELECT ` + deliveryColumns + ` FROM {deliveries} WHERE webhook_id = ? AND tenant = ?`
	args := []any{s.idArg(webhookID), tenant}
	if before != uuid.Nil {
		query += ` AND id < ?`
		args = append(args, s.idArg(before))
	}
	args = append(args, limit)
	rows, err := s.sql.QueryContext(ctx, s.webhookQuery(query+` ORDER BY id DESC LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list deliveries: %w", mapError(err))
	}
	defer rows.Close()
	out := []store.Delivery{}
	r := s.newDeliveryRow()
	for rows.Next() {
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, fmt.Errorf("sqlstore: list deliveries: %w", err)
		}
		d, err := r.delivery()
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list deliveries: %w", mapError(err))
	}
	return out, nil
}

// OutboxClaim claims in one transaction: it picks the due rows (locking
// them and skipping rows another claimer has locked, on PostgreSQL and
// MariaDB; on SQLite the transaction is the only writer), writes the
// lease, and reads them back with their webhook's URL and secret.
func (s *Store) OutboxClaim(ctx context.Context, p store.OutboxClaimParams) ([]store.ClaimedDelivery, error) {
	if p.Limit < 1 || p.Owner == "" || p.Lease <= 0 {
		return nil, errors.New("sqlstore: claim deliveries: want an owner, a positive lease and a positive limit")
	}
	if s.dialect == dialect.SQLite {
		s.claimMu.Lock()
		defer s.claimMu.Unlock()
	}
	var out []store.ClaimedDelivery
	err := retry(ctx, func() error {
		out = nil
		sqlTx, err := s.sql.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() { _ = sqlTx.Rollback() }()
		lock := ""
		if s.dialect != dialect.SQLite {
			lock = ` FOR UPDATE SKIP LOCKED`
		}
		now := s.timeArg(p.Now)
		rows, err := sqlTx.QueryContext(ctx, s.webhookQuery(`SELECT id FROM {deliveries}
WHERE state = ? AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
ORDER BY next_attempt_at, id LIMIT ?`+lock), string(store.DeliveryPending), now, now, p.Limit)
		if err != nil {
			return err
		}
		var ids []any
		for rows.Next() {
			var id idColumn
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, s.idArg(id.ID))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			return sqlTx.Commit()
		}
		in := placeholders(len(ids))
		args := append([]any{p.Owner, s.timeArg(p.Now.Add(p.Lease))}, ids...)
		if _, err := sqlTx.ExecContext(ctx, s.webhookQuery(`UPDATE {deliveries} SET lease_owner = ?, lease_until = ? WHERE id IN (`+in+`)`), args...); err != nil {
			return err
		}
		rows, err = sqlTx.QueryContext(ctx, s.webhookQuery(`SELECT d.`+strings.ReplaceAll(deliveryColumns, ", ", ", d.")+`, w.url, w.secret
FROM {deliveries} d JOIN {webhooks} w ON w.id = d.webhook_id
WHERE d.id IN (`+in+`) ORDER BY d.next_attempt_at, d.id`), ids...)
		if err != nil {
			return err
		}
		defer rows.Close()
		r := s.newDeliveryRow()
		for rows.Next() {
			var c store.ClaimedDelivery
			if err := rows.Scan(append(r.dest(), &c.URL, &c.Secret)...); err != nil {
				return err
			}
			if c.Delivery, err = r.delivery(); err != nil {
				return err
			}
			out = append(out, c)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return sqlTx.Commit()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: claim deliveries: %w", mapError(err))
	}
	return out, nil
}

func (s *Store) OutboxRecord(ctx context.Context, r store.OutboxResult) error {
	attempts, err := attemptsArg(r.Attempts)
	if err != nil {
		return fmt.Errorf("sqlstore: record delivery %s: %w", r.ID, err)
	}
	var res sql.Result
	err = retry(ctx, func() error {
		res, err = s.sql.ExecContext(ctx, s.webhookQuery(`UPDATE {deliveries}
SET attempts = ?, state = ?, next_attempt_at = ?, delivered_at = ?, lease_owner = NULL, lease_until = NULL
WHERE id = ? AND lease_owner = ?`),
			attempts, string(r.State), s.nullTimeArg(r.NextAttemptAt), s.nullTimeArg(r.DeliveredAt), s.idArg(r.ID), r.Owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlstore: record delivery %s: %w", r.ID, mapError(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlstore: record delivery %s: %w", r.ID, err)
	} else if n == 0 {
		return fmt.Errorf("sqlstore: record delivery %s: not held by this sender: %w", r.ID, store.ErrNotFound)
	}
	return nil
}

func (s *Store) OutboxRelease(ctx context.Context, owner string, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{owner}
	for _, id := range ids {
		args = append(args, s.idArg(id))
	}
	err := retry(ctx, func() error {
		_, err := s.sql.ExecContext(ctx, s.webhookQuery(`UPDATE {deliveries} SET lease_owner = NULL, lease_until = NULL
WHERE lease_owner = ? AND id IN (`+placeholders(len(ids))+`)`), args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlstore: release deliveries: %w", mapError(err))
	}
	return nil
}

func (t *tx) WebhookCreate(ctx context.Context, w store.Webhook) error {
	s := t.s
	events, err := json.Marshal(w.Events)
	if err != nil {
		return fmt.Errorf("sqlstore: create webhook %s: %w", w.ID, err)
	}
	if w.Events == nil {
		events = []byte("[]")
	}
	_, err = t.ex.ExecContext(ctx, s.webhookQuery(`INSERT INTO {webhooks} (`+webhookColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		s.idArg(w.ID), w.Tenant, w.URL, string(events), w.Description, w.Secret, s.timeArg(w.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: create webhook %s: %w", w.ID, mapError(err))
	}
	return nil
}

// WebhookDelete reads the webhook (locking it, on PostgreSQL and MySQL)
// for the caller's audit event, then deletes it and its deliveries.
func (t *tx) WebhookDelete(ctx context.Context, tenant string, id uuid.UUID) (store.Webhook, error) {
	s := t.s
	lock := ""
	if s.dialect != dialect.SQLite {
		lock = ` FOR UPDATE`
	}
	w, err := s.scanWebhook(t.ex.QueryRowContext(ctx,
		s.webhookQuery(`SELECT `+webhookColumns+` FROM {webhooks} WHERE id = ? AND tenant = ?`+lock), s.idArg(id), tenant))
	if err != nil {
		return store.Webhook{}, fmt.Errorf("sqlstore: delete webhook %s: %w", id, mapError(err))
	}
	if _, err := t.ex.ExecContext(ctx, s.webhookQuery(`DELETE FROM {webhooks} WHERE id = ?`), s.idArg(id)); err != nil {
		return store.Webhook{}, fmt.Errorf("sqlstore: delete webhook %s: %w", id, mapError(err))
	}
	if _, err := t.ex.ExecContext(ctx, s.webhookQuery(`DELETE FROM {deliveries} WHERE webhook_id = ?`), s.idArg(id)); err != nil {
		return store.Webhook{}, fmt.Errorf("sqlstore: delete deliveries of webhook %s: %w", id, mapError(err))
	}
	return w, nil
}

// WebhooksForEvent reads the tenant's webhooks and keeps those that list
// eventType: a tenant has few, and their event lists are JSON.
func (t *tx) WebhooksForEvent(ctx context.Context, tenant, eventType string) ([]store.Webhook, error) {
	all, err := t.s.webhooks(ctx, t.ex, `SELECT `+webhookColumns+` FROM {webhooks} WHERE tenant = ? ORDER BY id`, tenant)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(w store.Webhook) bool { return !slices.Contains(w.Events, eventType) }), nil
}

func (t *tx) OutboxAdd(ctx context.Context, d store.Delivery) error {
	s := t.s
	attempts, err := attemptsArg(d.Attempts)
	if err != nil {
		return fmt.Errorf("sqlstore: enqueue delivery %s: %w", d.ID, err)
	}
	state := d.State
	if state == "" {
		state = store.DeliveryPending
	}
	body := d.Body
	if body == nil {
		body = []byte{}
	}
	_, err = t.ex.ExecContext(ctx, s.webhookQuery(`INSERT INTO {deliveries} (`+deliveryColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		s.idArg(d.ID), d.Tenant, s.idArg(d.WebhookID), d.EventType, body, string(state), attempts,
		s.nullTimeArg(d.NextAttemptAt), s.nullTimeArg(d.DeliveredAt), s.timeArg(d.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: enqueue delivery %s: %w", d.ID, mapError(err))
	}
	return nil
}
