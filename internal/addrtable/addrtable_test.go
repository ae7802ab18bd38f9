package addrtable

import (
	"net/netip"
	"testing"
)

func TestKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::"},
		{"2001:db8:1:2::1", "2001:db8:1:2::"},
		{"fe80::1%eth0", "fe80::"},
	} {
		if got := Key(netip.MustParseAddr(tc.in)); got != netip.MustParseAddr(tc.want) {
			t.Errorf("Key(%s) = %v, want %s", tc.in, got, tc.want)
		}
	}
	if got := Key(netip.Addr{}); got.IsValid() {
		t.Errorf("Key(zero) = %v, want the zero Addr", got)
	}
}

func TestTableEvictsTheLeastRecentlyUsed(t *testing.T) {
	tb := New[int](3)
	a, b, c, d := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3"), netip.MustParseAddr("10.0.0.4")
	*tb.Use(a) = 1
	*tb.Use(b) = 2
	*tb.Use(c) = 3
	tb.Use(a) // a is now the most recently used; b the least
	*tb.Use(d) = 4
	if tb.Len() != 3 {
		t.Fatalf("Len = %d, want 3", tb.Len())
	}
	if tb.Peek(b) != nil {
		t.Error("b, the least recently used, is still there")
	}
	for k, want := range map[netip.Addr]int{a: 1, c: 3, d: 4} {
		if v := tb.Peek(k); v == nil || *v != want {
			t.Errorf("Peek(%v) = %v, want %d", k, v, want)
		}
	}
	if v := tb.Use(b); *v != 0 {
		t.Errorf("an evicted client comes back with %d, want a fresh zero value", *v)
	}
	if tb.Peek(c) != nil {
		t.Error("c should have given way to b")
	}
	tb.Delete(a)
	tb.Delete(a)
	if tb.Len() != 2 || tb.Peek(a) != nil {
		t.Errorf("after Delete: Len = %d, Peek = %v", tb.Len(), tb.Peek(a))
	}
}

func TestTableStaysBoundedUnderASpray(t *testing.T) {
	tb := New[[4]int64](100)
	for i := range 100_000 {
		k := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		tb.Use(k)[0] = int64(i)
		if tb.Len() > 100 {
			t.Fatalf("Len = %d after %d clients, want at most 100", tb.Len(), i+1)
		}
	}
	// The list and the map agree: walking the list finds every entry once.
	seen := 0
	for n := tb.lru; n != nil; n = n.next {
		if tb.entries[n.key] != n {
			t.Fatalf("list node %v is not the map's", n.key)
		}
		seen++
	}
	if seen != tb.Len() {
		t.Fatalf("the list holds %d nodes, the map %d", seen, tb.Len())
	}
}
