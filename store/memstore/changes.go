package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// changeLog is the store's change log. A memory store is not shared
// between processes, so nothing reads the log but the store's own tests
// and a feed over it; it is kept all the same, so that every backend
// passes one suite.
type changeLog struct {
	head    int64
	changes []store.RecordedChange // ascending ids
}

// ChangeRecord appends a change, journaling how to take it back.
func (t *tx) ChangeRecord(ctx context.Context, tenant string, p store.ChangeRecordParams) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	l := &t.s.log
	head, n := l.head, len(l.changes)
	t.journal = append(t.journal, func() { l.head, l.changes = head, l.changes[:n] })
	l.head++
	l.changes = append(l.changes, store.RecordedChange{
		ID: l.head, Kind: cmp.Or(p.Kind, store.ChangeAccount), Tenant: tenant, AccountID: p.AccountID, RecordedAt: p.RecordedAt,
	})
	return nil
}

// ChangeHead returns the id of the latest change.
func (s *Store) ChangeHead(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.log.head, nil
}

// ChangeList returns the changes after p.After.
func (s *Store) ChangeList(ctx context.Context, p store.ChangeListParams) (store.ChangePage, error) {
	if err := ctx.Err(); err != nil {
		return store.ChangePage{}, err
	}
	if p.Limit <= 0 {
		return store.ChangePage{}, fmt.Errorf("memstore: list changes: limit must be positive, got %d", p.Limit)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, _ := slices.BinarySearchFunc(s.log.changes, p.After+1, func(c store.RecordedChange, id int64) int {
		return int(min(max(c.ID-id, -1), 1))
	})
	rest := s.log.changes[i:]
	page := store.ChangePage{Head: s.log.head}
	if len(rest) > 0 {
		page.Changes = slices.Clone(rest[:min(len(rest), p.Limit)])
	}
	return page, nil
}

// ChangePrune deletes the changes recorded before before.
func (s *Store) ChangePrune(ctx context.Context, before time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.log.changes)
	s.log.changes = slices.DeleteFunc(s.log.changes, func(c store.RecordedChange) bool {
		return c.RecordedAt.Before(before)
	})
	return int64(n - len(s.log.changes)), nil
}
