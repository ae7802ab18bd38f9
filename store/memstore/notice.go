package memstore

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// noticeKey is what makes a notice unique: a key gets each kind and
// threshold once.
type noticeKey struct {
	key        uuid.UUID
	kind       string
	withinDays int
}

func (t *tx) NoticeRecord(ctx context.Context, n store.Notice) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	if t.s.notices == nil {
		t.s.notices = map[noticeKey]store.Notice{}
	}
	k := noticeKey{n.KeyID, n.Kind, n.WithinDays}
	if _, ok := t.s.notices[k]; ok {
		return store.ErrConflict
	}
	set(t, t.s.notices, k, n)
	return nil
}

// NoticeScan walks every key: a memory store holds few.
func (s *Store) NoticeScan(ctx context.Context, p store.NoticeScanParams) ([]store.NoticeCandidate, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p.Limit < 1 {
		return nil, errors.New("memstore: notice scan: limit must be positive")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var expiring, unused []store.NoticeCandidate
	for _, k := range s.keys {
		a, ok := s.accounts[k.AccountID]
		if !ok || a.DisabledAt != nil || k.DisabledAt != nil || k.ReplacedBy != nil {
			continue
		}
		if k.ExpiresAt != nil && !k.ExpiresAt.After(p.Now) {
			continue
		}
		c := store.NoticeCandidate{
			Notice:    store.Notice{Tenant: a.Tenant, AccountID: k.AccountID, KeyID: k.ID},
			CreatedAt: k.CreatedAt, ExpiresAt: copyTime(k.ExpiresAt), LastUsedAt: copyTime(k.LastUsedAt),
		}
		if k.ExpiresAt != nil {
			for _, d := range store.NoticeThresholds {
				if k.ExpiresAt.After(p.Now.AddDate(0, 0, d)) {
					continue
				}
				if !s.noticed(k.ID, store.NoticeKeyExpiring, d) {
					e := c
					e.Kind, e.WithinDays = store.NoticeKeyExpiring, d
					expiring = append(expiring, e)
				}
				break
			}
		}
		days := s.unusedKeyDays(a.Tenant)
		since := k.CreatedAt
		if k.LastUsedAt != nil {
			since = *k.LastUsedAt
		}
		if days > 0 && !since.After(p.Now.AddDate(0, 0, -days)) && !s.noticed(k.ID, store.NoticeKeyUnused, 0) {
			u := c
			u.Kind, u.UnusedKeyDays = store.NoticeKeyUnused, days
			unused = append(unused, u)
		}
	}
	slices.SortFunc(expiring, func(a, b store.NoticeCandidate) int { return a.ExpiresAt.Compare(*b.ExpiresAt) })
	slices.SortFunc(unused, func(a, b store.NoticeCandidate) int { return strings.Compare(a.KeyID.String(), b.KeyID.String()) })
	return append(expiring[:min(len(expiring), p.Limit)], unused[:min(len(unused), p.Limit)]...), nil
}

// noticed reports whether key has a notice of kind at withinDays or a
// smaller threshold.
func (s *Store) noticed(key uuid.UUID, kind string, withinDays int) bool {
	for n := range s.notices {
		if n.key == key && n.kind == kind && n.withinDays <= withinDays {
			return true
		}
	}
	return false
}

// unusedKeyDays is tenant's UnusedKeyDays: its policy, else the default.
func (s *Store) unusedKeyDays(tenant string) int {
	if p, ok := s.policies[tenant]; ok {
		return p.UnusedKeyDays
	}
	if s.defaultPolicy != nil {
		return s.defaultPolicy.UnusedKeyDays
	}
	return store.DefaultUnusedKeyDays
}
