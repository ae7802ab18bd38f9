// Package addrtable is a bounded table of per-client state, keyed by
// client address, for the throttles that count by client: the admin
// authentication throttle (package auththrottle) and the middleware's
// bound on unknown-key lookups. It is not safe for concurrent use; its
// users hold their own lock.
package addrtable

import "net/netip"

// Key is the client an address stands for: an IPv4 address itself, an
// IPv6 address's /64. One host commonly holds a whole /64 (SLAAC, privacy
// addresses), so counting IPv6 addresses one by one would let a single
// client spread its attempts over 2^64 of them. The zero Addr (an address
// that could not be known) is one client of its own: everything unknown
// shares one count, failing closed.
func Key(a netip.Addr) netip.Addr {
	if a.Is6() && !a.Is4In6() {
		return netip.PrefixFrom(a.WithZone(""), 64).Masked().Addr()
	}
	return a.Unmap()
}

// Table maps client keys to values of type V, holding at most its
// maximum number of entries. When it is full, a new client evicts the
// least recently used one (the one whose entry Use reached longest ago):
// a spray of addresses costs a fixed amount of memory, and can only make
// the table forget the quietest clients.
type Table[V any] struct {
	max     int
	entries map[netip.Addr]*node[V]
	// A doubly linked list in order of use: lru is the least recently
	// used, mru the most.
	lru, mru *node[V]
}

type node[V any] struct {
	key        netip.Addr
	prev, next *node[V]
	value      V
}

// New returns a table of at most max entries (max > 0).
func New[V any](max int) *Table[V] {
	if max <= 0 {
		panic("addrtable: the maximum must be positive")
	}
	return &Table[V]{max: max, entries: make(map[netip.Addr]*node[V])}
}

// Peek returns the value for the client key k (see Key), or nil, without
// counting as a use.
func (t *Table[V]) Peek(k netip.Addr) *V {
	if n := t.entries[k]; n != nil {
		return &n.value
	}
	return nil
}

// Use returns the value for the client key k, adding a zero value when
// there is none (evicting the least recently used entry when the table is
// full), and makes it the most recently used.
func (t *Table[V]) Use(k netip.Addr) *V {
	n := t.entries[k]
	switch {
	case n != nil:
		t.unlink(n)
	case len(t.entries) >= t.max:
		n = t.lru
		t.unlink(n)
		delete(t.entries, n.key)
		*n = node[V]{key: k}
		t.entries[k] = n
	default:
		n = &node[V]{key: k}
		t.entries[k] = n
	}
	n.prev, n.next = t.mru, nil
	if t.mru != nil {
		t.mru.next = n
	}
	t.mru = n
	if t.lru == nil {
		t.lru = n
	}
	return &n.value
}

// Delete removes the client key k.
func (t *Table[V]) Delete(k netip.Addr) {
	if n := t.entries[k]; n != nil {
		t.unlink(n)
		delete(t.entries, k)
	}
}

// Len is the number of entries.
func (t *Table[V]) Len() int { return len(t.entries) }

func (t *Table[V]) unlink(n *node[V]) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		t.lru = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		t.mru = n.prev
	}
	n.prev, n.next = nil, nil
}
