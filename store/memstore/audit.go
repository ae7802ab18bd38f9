package memstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// AuditAppend keeps events in (OccurredAt, ID) order, the order of every
// listing, so that a list walks the slice backwards and a prune cuts a
// prefix. An event stamped now sorts last, so it is appended, which never
// changes the elements the old slice header covers: undoing it puts that
// header back. An event that sorts earlier (a clock set back) is inserted
// into a copy.
func (t *tx) AuditAppend(ctx context.Context, tenant string, e store.AuditEvent) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	if err := store.CheckRecordTenant("audit event", tenant, e.Tenant); err != nil {
		return fmt.Errorf("memstore: append audit event %s: %w", e.ID, err)
	}
	e.Tenant = tenant
	if _, ok := t.s.eventIDs[e.ID]; ok {
		return store.ErrConflict
	}
	e = copyEvent(e)
	old := t.s.events
	i, _ := slices.BinarySearchFunc(old, e, store.CompareAuditEvents)
	if i == len(old) {
		t.s.events = append(old, e)
	} else {
		t.s.events = slices.Insert(slices.Clone(old), i, e)
	}
	t.journal = append(t.journal, func() { t.s.events = old })
	set(t, t.s.eventIDs, e.ID, struct{}{})
	return nil
}

func (s *Store) AuditList(ctx context.Context, p store.AuditListParams) ([]store.AuditEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p.Limit < 1 {
		return nil, fmt.Errorf("memstore: list audit events: limit %d is not positive", p.Limit)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []store.AuditEvent{}
	for i := len(s.events) - 1; i >= 0 && len(out) < p.Limit; i-- {
		if e := s.events[i]; p.Matches(e) {
			out = append(out, copyEvent(e))
		}
	}
	return out, nil
}

func (s *Store) AuditPrune(ctx context.Context, before time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, _ := slices.BinarySearchFunc(s.events, before, func(e store.AuditEvent, t time.Time) int {
		if e.OccurredAt.Before(t) {
			return -1
		}
		return 1
	})
	for _, e := range s.events[:n] {
		delete(s.eventIDs, e.ID)
	}
	// A new slice: no slice a journal may hold is changed in place.
	s.events = slices.Clone(s.events[n:])
	return int64(n), nil
}

// copyEvent detaches the pointers and the details, so that neither the
// caller nor the store can change the other's copy.
func copyEvent(e store.AuditEvent) store.AuditEvent {
	if e.Actor != nil {
		a := *e.Actor
		e.Actor = &a
	}
	if e.TargetID != nil {
		id := *e.TargetID
		e.TargetID = &id
	}
	e.Details = slices.Clone(e.Details)
	return e
}
