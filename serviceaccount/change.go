package serviceaccount

import (
	"sync"

	"github.com/google/uuid"
)

// ChangeKind says what a Change changed.
type ChangeKind int

// The kinds of change a Manager reports.
const (
	AccountCreated ChangeKind = iota + 1
	AccountUpdated
	AccountDeleted
	KeyCreated
	KeyDeleted
	PermissionCreated
	PermissionUpdated
	PermissionDeleted
	AccountDisabled
	AccountEnabled
	KeyUpdated // its name changed
	KeyDisabled
	KeyEnabled
	// KeyRotated: the key was replaced by rotation (its expiry shortened
	// to the grace period); the new key is announced as KeyCreated.
	KeyRotated
	// PolicyUpdated: the stored policy of Tenant changed, or the
	// database-wide default when Tenant is "" (AccountID is uuid.Nil).
	PolicyUpdated
)

var changeKindNames = [...]string{
	AccountCreated:    "AccountCreated",
	AccountUpdated:    "AccountUpdated",
	AccountDeleted:    "AccountDeleted",
	KeyCreated:        "KeyCreated",
	KeyDeleted:        "KeyDeleted",
	PermissionCreated: "PermissionCreated",
	PermissionUpdated: "PermissionUpdated",
	PermissionDeleted: "PermissionDeleted",
	AccountDisabled:   "AccountDisabled",
	AccountEnabled:    "AccountEnabled",
	KeyUpdated:        "KeyUpdated",
	KeyDisabled:       "KeyDisabled",
	KeyEnabled:        "KeyEnabled",
	KeyRotated:        "KeyRotated",
	PolicyUpdated:     "PolicyUpdated",
}

func (k ChangeKind) String() string {
	if k > 0 && int(k) < len(changeKindNames) {
		return changeKindNames[k]
	}
	return "ChangeKind(?)"
}

// Change describes one successful write made through a Manager. It carries
// ids only, never a key or its hash.
type Change struct {
	Kind ChangeKind
	// Tenant is the tenant the change was made in ("" for a change of the
	// default policy).
	Tenant       string
	AccountID    uuid.UUID
	KeyID        uuid.UUID // set for the Key* kinds
	PermissionID uuid.UUID // set for Permission* kinds
}

// Subscribe calls fn after every successful change made through m (and
// after a revoking write whose outcome is unknown, see below), in the
// goroutine that made it, before the Manager method returns: a cache that
// drops entries in fn therefore never serves a revoked key to a request
// that starts after the revocation returned. fn must be quick and must not
// call back into m. Deletions and limiter changes are also announced when
// the store returns an error other than store.ErrNotFound, because such a
// write may have committed; subscribers must treat a Change as "drop what
// you cached", never as proof of a change. The returned function
// unsubscribes.
func (m *Manager) Subscribe(fn func(Change)) (unsubscribe func()) {
	return m.changes.add(fn)
}

// subscribers is a copy-on-write list: notify runs on every write and
// takes no lock while calling out.
type subscribers struct {
	mu   sync.Mutex
	next int
	fns  map[int]func(Change)
	list []func(Change)
}

func (s *subscribers) add(fn func(Change)) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fns == nil {
		s.fns = map[int]func(Change){}
	}
	id := s.next
	s.next++
	s.fns[id] = fn
	s.rebuild()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			delete(s.fns, id)
			s.rebuild()
		})
	}
}

func (s *subscribers) rebuild() {
	list := make([]func(Change), 0, len(s.fns))
	for id := range s.next {
		if fn, ok := s.fns[id]; ok {
			list = append(list, fn)
		}
	}
	s.list = list
}

func (s *subscribers) notify(c Change) {
	s.mu.Lock()
	list := s.list
	s.mu.Unlock()
	for _, fn := range list {
		fn(c)
	}
}
