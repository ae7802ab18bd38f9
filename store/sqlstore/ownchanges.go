package sqlstore

import (
	"sync"
	"time"

	"github.com/google/uuid"
)

// maxOwnChanges bounds the changes remembered as this Store's own, oldest
// forgotten first. A feed reads the log every second or so, far fewer
// changes than this apart.
const maxOwnChanges = 4096

// ownChanges remembers the changes recorded through this Store value, so
// that ChangeList can mark them Own and a change feed can tell this
// instance's changes from other instances' without a column naming the
// writer. A change is known by its account and recording time, which read
// back exactly (timeArg keeps microseconds on every dialect); another
// instance changing the same account in the same microsecond would be
// taken for ours, which costs one miscounted metric, never a missed
// cache drop (own changes are still delivered).
type ownChanges struct {
	mu    sync.Mutex
	set   map[ownChange]struct{}
	order []ownChange // oldest first, for the bound
}

type ownChange struct {
	account uuid.UUID
	at      int64 // Unix microseconds
}

func newOwnChange(account uuid.UUID, at time.Time) ownChange {
	return ownChange{account: account, at: at.UTC().Truncate(time.Microsecond).UnixMicro()}
}

func (o *ownChanges) add(account uuid.UUID, at time.Time) {
	c := newOwnChange(account, at)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.set == nil {
		o.set = map[ownChange]struct{}{}
	}
	if len(o.order) >= maxOwnChanges {
		delete(o.set, o.order[0])
		o.order = o.order[1:]
	}
	o.set[c] = struct{}{}
	o.order = append(o.order, c)
}

// has reports whether the change was recorded through this Store. It is
// not forgotten when read: a feed may read a change again (after a gap),
// and the bound keeps the set small.
func (o *ownChanges) has(account uuid.UUID, at time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.set[newOwnChange(account, at)]
	return ok
}
