package memstore

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// webhookTables holds the webhooks and the outbox. Its maps are made on
// the first write; lists scan them, which is fine for the few webhooks
// and deliveries a memory store holds.
type webhookTables struct {
	webhooks   map[uuid.UUID]store.Webhook
	deliveries map[uuid.UUID]outboxRow
}

// outboxRow is a delivery and the claim on it, if any.
type outboxRow struct {
	store.Delivery
	owner      string
	leaseUntil time.Time
}

func (t *tx) webhookTables() *webhookTables {
	w := &t.s.hooks
	if w.webhooks == nil {
		w.webhooks = map[uuid.UUID]store.Webhook{}
		w.deliveries = map[uuid.UUID]outboxRow{}
	}
	return w
}

func (s *Store) WebhookGet(ctx context.Context, tenant string, id uuid.UUID) (store.Webhook, error) {
	if err := ctx.Err(); err != nil {
		return store.Webhook{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	w, ok := s.hooks.webhooks[id]
	if !ok || w.Tenant != tenant {
		return store.Webhook{}, store.ErrNotFound
	}
	return copyWebhook(w), nil
}

func (s *Store) WebhookList(ctx context.Context, tenant string, after uuid.UUID, limit int) ([]store.Webhook, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, errors.New("memstore: list webhooks: limit must be positive")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []store.Webhook{}
	for _, id := range slices.SortedFunc(maps.Keys(s.hooks.webhooks), compareIDs) {
		w := s.hooks.webhooks[id]
		if w.Tenant != tenant || compareIDs(id, after) <= 0 {
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, copyWebhook(w))
	}
	return out, nil
}

func (s *Store) DeliveryList(ctx context.Context, tenant string, webhookID, before uuid.UUID, limit int) ([]store.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, errors.New("memstore: list deliveries: limit must be positive")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if w, ok := s.hooks.webhooks[webhookID]; !ok || w.Tenant != tenant {
		return nil, store.ErrNotFound
	}
	ids := slices.SortedFunc(maps.Keys(s.hooks.deliveries), func(a, b uuid.UUID) int { return compareIDs(b, a) })
	out := []store.Delivery{}
	for _, id := range ids {
		d := s.hooks.deliveries[id]
		if d.WebhookID != webhookID || (before != uuid.Nil && compareIDs(id, before) >= 0) {
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, copyDelivery(d.Delivery))
	}
	return out, nil
}

func (s *Store) OutboxClaim(ctx context.Context, p store.OutboxClaimParams) ([]store.ClaimedDelivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p.Limit < 1 || p.Owner == "" || p.Lease <= 0 {
		return nil, errors.New("memstore: claim deliveries: want an owner, a positive lease and a positive limit")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []outboxRow
	for _, d := range s.hooks.deliveries {
		if d.State == store.DeliveryPending && d.NextAttemptAt != nil && !d.NextAttemptAt.After(p.Now) &&
			(d.owner == "" || !d.leaseUntil.After(p.Now)) {
			due = append(due, d)
		}
	}
	slices.SortFunc(due, func(a, b outboxRow) int {
		if c := a.NextAttemptAt.Compare(*b.NextAttemptAt); c != 0 {
			return c
		}
		return compareIDs(a.ID, b.ID)
	})
	out := []store.ClaimedDelivery{}
	for _, d := range due[:min(len(due), p.Limit)] {
		d.owner, d.leaseUntil = p.Owner, p.Now.Add(p.Lease)
		s.hooks.deliveries[d.ID] = d
		w := s.hooks.webhooks[d.WebhookID]
		out = append(out, store.ClaimedDelivery{Delivery: copyDelivery(d.Delivery), URL: w.URL, Secret: w.Secret})
	}
	return out, nil
}

func (s *Store) OutboxRecord(ctx context.Context, r store.OutboxResult) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.hooks.deliveries[r.ID]
	if !ok || d.owner != r.Owner || r.Owner == "" {
		return store.ErrNotFound
	}
	d.Attempts = slices.Clone(r.Attempts)
	d.State = r.State
	d.NextAttemptAt, d.DeliveredAt = copyTime(r.NextAttemptAt), copyTime(r.DeliveredAt)
	d.owner, d.leaseUntil = "", time.Time{}
	s.hooks.deliveries[r.ID] = d
	return nil
}

func (s *Store) OutboxRelease(ctx context.Context, owner string, ids []uuid.UUID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if d, ok := s.hooks.deliveries[id]; ok && d.owner == owner && owner != "" {
			d.owner, d.leaseUntil = "", time.Time{}
			s.hooks.deliveries[id] = d
		}
	}
	return nil
}

func (t *tx) WebhookCreate(ctx context.Context, w store.Webhook) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	tables := t.webhookTables()
	if _, ok := tables.webhooks[w.ID]; ok {
		return store.ErrConflict
	}
	set(t, tables.webhooks, w.ID, copyWebhook(w))
	return nil
}

func (t *tx) WebhookDelete(ctx context.Context, tenant string, id uuid.UUID) (store.Webhook, error) {
	if err := t.check(ctx); err != nil {
		return store.Webhook{}, err
	}
	tables := t.webhookTables()
	w, ok := tables.webhooks[id]
	if !ok || w.Tenant != tenant {
		return store.Webhook{}, store.ErrNotFound
	}
	del(t, tables.webhooks, id)
	for did, d := range tables.deliveries {
		if d.WebhookID == id {
			del(t, tables.deliveries, did)
		}
	}
	return copyWebhook(w), nil
}

func (t *tx) WebhooksForEvent(ctx context.Context, tenant, eventType string) ([]store.Webhook, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	tables := t.webhookTables()
	var out []store.Webhook
	for _, id := range slices.SortedFunc(maps.Keys(tables.webhooks), compareIDs) {
		w := tables.webhooks[id]
		if w.Tenant == tenant && slices.Contains(w.Events, eventType) {
			out = append(out, copyWebhook(w))
		}
	}
	return out, nil
}

func (t *tx) OutboxAdd(ctx context.Context, d store.Delivery) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	tables := t.webhookTables()
	if _, ok := tables.deliveries[d.ID]; ok {
		return store.ErrConflict
	}
	set(t, tables.deliveries, d.ID, outboxRow{Delivery: copyDelivery(d)})
	return nil
}

func copyWebhook(w store.Webhook) store.Webhook {
	w.Events = slices.Clone(w.Events)
	return w
}

func copyDelivery(d store.Delivery) store.Delivery {
	d.Body = slices.Clone(d.Body)
	d.Attempts = slices.Clone(d.Attempts)
	d.NextAttemptAt, d.DeliveredAt = copyTime(d.NextAttemptAt), copyTime(d.DeliveredAt)
	return d
}
