package adminui

import (
	"errors"
	"net/http"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// accountCard is an account as the list shows it: enough to tell at a
// glance whether it is in use.
type accountCard struct {
	accountView
	KeyCount int
	LastUsed *timeView // the latest use of any of its keys; nil: never
}

// newAccountCard reads the account's keys for their count and last use.
// The Manager has no per-account summary, so this is one Keys call per
// card (at most a page of 50); a store-side summary would make it one
// query.
func (h *handler) newAccountCard(r *http.Request, base string, a serviceaccount.Account, now time.Time) (accountCard, error) {
	card := accountCard{accountView: newAccountView(base, a, now, h.opts.Location)}
	keys, err := h.mgr(r).Keys(r.Context(), a.ID)
	if errors.Is(err, store.ErrNotFound) {
		return card, nil // deleted since the page was read
	}
	if err != nil {
		return card, err
	}
	card.KeyCount = len(keys)
	var last *time.Time
	for _, k := range keys {
		if k.LastUsedAt != nil && (last == nil || k.LastUsedAt.After(*last)) {
			last = k.LastUsedAt
		}
	}
	card.LastUsed = newTimeView(last, now, h.opts.Location)
	return card, nil
}
