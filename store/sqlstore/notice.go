package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun/dialect"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// noticeQuery puts the table names and the dialect's placeholders in
// query. The scan runs once a minute per instance, so it is built per
// call.
func (s *Store) noticeQuery(query string) string {
	t := tableNames(s.prefix)
	query = strings.NewReplacer("{keys}", t.keys, "{accounts}", t.accounts, "{notices}", t.notices,
		"{policies}", t.policies, "{policyDefaults}", t.policyDefaults).Replace(query)
	if s.dialect == dialect.PG {
		query = numberPlaceholders(query)
	}
	return query
}

func (t *tx) NoticeRecord(ctx context.Context, n store.Notice) error {
	s := t.s
	_, err := t.ex.ExecContext(ctx, s.noticeQuery(`INSERT INTO {notices} (key_id, kind, within_days, tenant, created_at) VALUES (?, ?, ?, ?, ?)`),
		s.idArg(n.KeyID), n.Kind, n.WithinDays, n.Tenant, s.timeArg(n.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: record notice %s of key %s: %w", n.Kind, n.KeyID, mapError(err))
	}
	return nil
}

// candidateColumns are read by scanCandidate. The key's conditions of
// both kinds: enabled, not replaced (the partial indexes' condition), of
// an enabled account.
const (
	candidateColumns = `SELECT k.id, k.account_id, a.tenant, k.created_at, k.last_used_at, k.expires_at`
	candidateFrom    = ` FROM {keys} k JOIN {accounts} a ON a.id = k.account_id
 WHERE k.disabled_at IS NULL AND k.replaced_by IS NULL AND a.disabled_at IS NULL`
)

func (s *Store) NoticeScan(ctx context.Context, p store.NoticeScanParams) ([]store.NoticeCandidate, error) {
	if p.Limit < 1 {
		return nil, errors.New("sqlstore: notice scan: limit must be positive")
	}
	now := p.Now
	// key.expiring: a range of the expiry index, the threshold reached
	// computed per key, and no record at that threshold or a smaller one.
	expiring, err := s.noticeCandidates(ctx, s.expiringQuery(),
		s.timeArg(now.AddDate(0, 0, 1)), s.timeArg(now.AddDate(0, 0, 7)),
		s.timeArg(now), s.timeArg(now.AddDate(0, 0, 14)), store.NoticeKeyExpiring,
		s.timeArg(now.AddDate(0, 0, 1)), s.timeArg(now.AddDate(0, 0, 7)), p.Limit)
	if err != nil {
		return nil, err
	}
	for i := range expiring {
		expiring[i].Kind = store.NoticeKeyExpiring
	}
	// key.unused: one range of the use index per distinct threshold the
	// tenants have (few: the default and the tenants' own), each for the
	// tenants whose effective threshold it is.
	days, err := s.unusedKeyDays(ctx)
	if err != nil {
		return nil, err
	}
	var unused []store.NoticeCandidate
	for _, d := range days {
		if len(unused) >= p.Limit {
			break
		}
		cutoff := s.timeArg(now.AddDate(0, 0, -d))
		found, err := s.noticeCandidates(ctx, s.unusedQuery(),
			cutoff, cutoff, s.timeArg(now), store.DefaultUnusedKeyDays, d, store.NoticeKeyUnused, p.Limit-len(unused))
		if err != nil {
			return nil, err
		}
		for i := range found {
			found[i].Kind, found[i].UnusedKeyDays = store.NoticeKeyUnused, d
		}
		unused = append(unused, found...)
	}
	return append(expiring, unused...), nil
}

// unusedKeyDays returns the distinct positive UnusedKeyDays in force: the
// stored policies', the default's (or DefaultUnusedKeyDays without one).
func (s *Store) unusedKeyDays(ctx context.Context) ([]int, error) {
	rows, err := s.sql.QueryContext(ctx, s.noticeQuery(`SELECT unused_key_days FROM {policies}
 UNION SELECT COALESCE((SELECT unused_key_days FROM {policyDefaults}), ?)`), store.DefaultUnusedKeyDays)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: notice scan: read the unused-key thresholds: %w", mapError(err))
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var d int
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("sqlstore: notice scan: %w", err)
		}
		if d > 0 {
			out = append(out, d)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: notice scan: %w", mapError(err))
	}
	return out, nil
}

func (s *Store) noticeCandidates(ctx context.Context, query string, args ...any) ([]store.NoticeCandidate, error) {
	rows, err := s.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: notice scan: %w", mapError(err))
	}
	defer rows.Close()
	var out []store.NoticeCandidate
	for rows.Next() {
		var (
			c                    store.NoticeCandidate
			key, account         idColumn
			created, used, until = s.timeColumn(), s.timeColumn(), s.timeColumn()
		)
		if err := rows.Scan(&key, &account, &c.Tenant, &created, &used, &until, &c.WithinDays); err != nil {
			return nil, fmt.Errorf("sqlstore: notice scan: %w", err)
		}
		c.KeyID, c.AccountID, c.CreatedAt, c.LastUsedAt, c.ExpiresAt = key.ID, account.ID, created.Time, used.ptr(), until.ptr()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: notice scan: %w", mapError(err))
	}
	return out, nil
}

// expiringQuery finds key.expiring candidates: a range of the expiry
// index, the threshold reached computed per key, and no record at that
// threshold or a smaller one. Its arguments: now+1d, now+7d, now,
// now+14d, the kind, now+1d, now+7d, the limit.
func (s *Store) expiringQuery() string {
	return s.noticeQuery(candidateColumns + `,
		 CASE WHEN k.expires_at <= ? THEN 1 WHEN k.expires_at <= ? THEN 7 ELSE 14 END` + candidateFrom + `
		 AND k.expires_at > ? AND k.expires_at <= ?
		 AND NOT EXISTS (SELECT 1 FROM {notices} n WHERE n.key_id = k.id AND n.kind = ?
		  AND n.within_days <= CASE WHEN k.expires_at <= ? THEN 1 WHEN k.expires_at <= ? THEN 7 ELSE 14 END)
		 ORDER BY k.expires_at LIMIT ?`)
}

// unusedQuery finds the key.unused candidates of the tenants whose
// threshold is one value of days: a range of the use index. Its
// arguments: the cutoff twice, now, DefaultUnusedKeyDays, days, the kind,
// the limit.
func (s *Store) unusedQuery() string {
	return s.noticeQuery(candidateColumns + `, 0` + candidateFrom + `
		 AND (k.last_used_at <= ? OR (k.last_used_at IS NULL AND k.created_at <= ?))
		 AND (k.expires_at IS NULL OR k.expires_at > ?)
		 AND COALESCE((SELECT p.unused_key_days FROM {policies} p WHERE p.tenant = a.tenant),
		  (SELECT d.unused_key_days FROM {policyDefaults} d), ?) = ?
		 AND NOT EXISTS (SELECT 1 FROM {notices} n WHERE n.key_id = k.id AND n.kind = ? AND n.within_days = 0)
		 LIMIT ?`)
}
