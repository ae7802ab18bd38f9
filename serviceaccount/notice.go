package serviceaccount

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// Notice is an expiry or disuse notice about one key: a webhook event
// (key.expiring, key.unused) and Config.OnNotice's argument. Notices are
// not audit events: nothing changed.
type Notice struct {
	// Type is EventKeyExpiring or EventKeyUnused.
	Type      string
	Tenant    string
	AccountID uuid.UUID
	KeyID     uuid.UUID
	// ExpiresAt and LastUsedAt are the key's; nil when it never expires or
	// was never used.
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	// WithinDays is the threshold a key.expiring notice reached (1, 7 or
	// 14: the smallest, when a key reached several at once); 0 for
	// key.unused.
	WithinDays int
	// UnusedDays is the tenant's UnusedKeyDays that a key.unused notice
	// reached; 0 for key.expiring.
	UnusedDays int
	// At is when the scan found it.
	At time.Time
}

// noticeData is the webhook event's data.
type noticeData struct {
	Tenant           string  `json:"tenant"`
	ServiceAccountID string  `json:"serviceAccountId"`
	KeyID            string  `json:"keyId"`
	ExpiresAt        *string `json:"expiresAt"`
	LastUsedAt       *string `json:"lastUsedAt"`
	WithinDays       *int    `json:"withinDays,omitempty"`
}

// noticeScanLimit bounds the keys of each kind one scan round handles;
// ScanNotices goes round until a scan finds fewer.
const noticeScanLimit = 500

// DefaultNoticeInterval is how often RunNoticeScanner scans by default.
const DefaultNoticeInterval = time.Minute

// ScanNotices sends every notice due now, in every tenant, and returns
// how many it sent. Each key that needs one gets, in its own tenant and
// in one transaction, the notice's record and a delivery to each of the
// tenant's webhooks subscribed to the event; then Config.OnNotice. The
// record is unique per key, kind and threshold, so instances scanning
// the same database at once, or a restarted one, send each notice once:
// the instance that loses the race rolls back and sends nothing.
// Disabled, expired and replaced keys (a rotation's old key among them)
// get none.
func (m *Manager) ScanNotices(ctx context.Context) (int, error) {
	sent := 0
	for {
		now := m.now()
		found, err := m.store.NoticeScan(ctx, store.NoticeScanParams{Now: now, Limit: noticeScanLimit})
		if err != nil {
			return sent, fmt.Errorf("scan notices: %w", err)
		}
		for _, c := range found {
			ok, err := m.sendNotice(ctx, c, now)
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
		}
		// Less than a full page (of either kind): done. Otherwise scan
		// again: every key found now has its record (ours or another
		// instance's), so the next scan finds the next ones.
		if len(found) < noticeScanLimit {
			return sent, nil
		}
	}
}

// sendNotice records and enqueues c's notice in c's tenant. false: another
// instance sent it first.
func (m *Manager) sendNotice(ctx context.Context, c store.NoticeCandidate, now time.Time) (bool, error) {
	tm, err := m.Tenant(c.Tenant)
	if err != nil {
		return false, fmt.Errorf("notice for key %s: %w", c.KeyID, err)
	}
	n := Notice{
		Type: c.Kind, Tenant: c.Tenant, AccountID: c.AccountID, KeyID: c.KeyID,
		ExpiresAt: c.ExpiresAt, LastUsedAt: c.LastUsedAt, WithinDays: c.WithinDays, UnusedDays: c.UnusedKeyDays, At: now,
	}
	data := noticeData{Tenant: c.Tenant, ServiceAccountID: c.AccountID.String(), KeyID: c.KeyID.String(),
		ExpiresAt: formatNoticeTime(c.ExpiresAt), LastUsedAt: formatNoticeTime(c.LastUsedAt)}
	if c.Kind == store.NoticeKeyExpiring {
		d := c.WithinDays
		data.WithinDays = &d
	}
	enqueued := false
	err = tm.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		enqueued = false
		if err := tx.NoticeRecord(ctx, store.Notice{Tenant: c.Tenant, AccountID: c.AccountID, KeyID: c.KeyID,
			Kind: c.Kind, WithinDays: c.WithinDays, CreatedAt: now}); err != nil {
			return err
		}
		var err error
		enqueued, err = tm.enqueueEvent(ctx, tx, c.Kind, now, data, uuid.Nil)
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return false, nil // another instance sent it
	}
	if err != nil {
		return false, fmt.Errorf("send the %s notice of key %s: %w", c.Kind, c.KeyID, err)
	}
	if enqueued {
		m.signalOutbox()
	}
	if m.onNotice != nil {
		m.onNotice(ctx, n)
	}
	return true, nil
}

func formatNoticeTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(auditTimeFormat)
	return &s
}

// RunNoticeScanner calls ScanNotices every interval (DefaultNoticeInterval
// when 0 or less) on m's clock, first at once, until ctx ends. A failed
// scan is passed to onError (if not nil) and retried at the next tick:
// notices are not lost, only late. Every instance may run one; the
// notice records keep each notice to one instance.
func (m *Manager) RunNoticeScanner(ctx context.Context, interval time.Duration, onError func(error)) {
	if interval <= 0 {
		interval = DefaultNoticeInterval
	}
	var ticker clockwork.Ticker
	for {
		if _, err := m.ScanNotices(ctx); err != nil && ctx.Err() == nil && onError != nil {
			onError(err)
		}
		if ticker == nil {
			ticker = m.clock.NewTicker(interval)
			defer ticker.Stop()
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.Chan():
		}
	}
}
