package clientaddr_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/seed-c7fc2061/serviceaccounts/clientaddr"
)

// FuzzTrustedProxies checks the reader's promises on any header: the
// answer is the zero Addr, the peer, or an address written in the header;
// it is never inside a trusted range unless every entry right of it is
// trusted too; and an untrusted peer's header is never read.
func FuzzTrustedProxies(f *testing.F) {
	f.Add("10.0.0.1:1", "1.2.3.4, 198.51.100.7", "10.2.2.2")
	f.Add("10.0.0.1:1", "garbage, 10.2.2.2", "")
	f.Add("203.0.113.5:1", "10.1.1.1", "")
	f.Add("[2001:db8:ffff::1]:1", "2001:db8::5,,", "::ffff:10.0.0.9")
	tp, err := clientaddr.NewTrustedProxies([]netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48"),
	})
	if err != nil {
		f.Fatal(err)
	}
	trusted := func(a netip.Addr) bool {
		return netip.MustParsePrefix("10.0.0.0/8").Contains(a) || netip.MustParsePrefix("2001:db8:ffff::/48").Contains(a)
	}
	f.Fuzz(func(t *testing.T, remote, line1, line2 string) {
		r := request(remote, line1, line2)
		got := tp.ClientAddr(r)
		peer := clientaddr.RemoteAddr(r)
		if !peer.IsValid() || !trusted(peer) {
			if got != peer {
				t.Fatalf("untrusted peer %v: got %v, want the peer", peer, got)
			}
			return
		}
		if !got.IsValid() {
			return
		}
		// Walk the list the simple way: split everything, from the right.
		entries := append(strings.Split(line1, ","), strings.Split(line2, ",")...)
		want := peer
		for i := len(entries) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(entries[i]))
			if err != nil || a.Zone() != "" {
				t.Fatalf("entry %q is not an address, yet the answer is %v", entries[i], got)
			}
			want = a.Unmap()
			if !trusted(want) {
				break
			}
		}
		if got != want {
			t.Fatalf("X-Forwarded-For %q, %q from %v: got %v, want %v", line1, line2, peer, got, want)
		}
	})
}

// FuzzRemoteAddr checks that RemoteAddr reads any RemoteAddr as netip's
// parsers do (its IPv4 fast path included).
func FuzzRemoteAddr(f *testing.F) {
	for _, s := range []string{"192.0.2.1:1234", "10.0.0.1:0", "255.255.255.255:65535", "256.0.0.1:1", "01.2.3.4:5",
		"1.2.3.4:65536", "1.2.3.4:", "1.2.3.4:00080", "1.2.3.4", "[::1]:80", "::ffff:1.2.3.4", "1.2.3.4:1x", "1.2.3.4.5:1", "0.0.0.0:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := netip.Addr{}
		if ap, err := netip.ParseAddrPort(s); err == nil {
			want = ap.Addr()
		} else if a, err := netip.ParseAddr(s); err == nil {
			want = a
		}
		if want.Zone() != "" {
			want = netip.Addr{}
		}
		want = want.Unmap()
		r := request(s, "", "")
		if got := clientaddr.RemoteAddr(r); got != want {
			t.Fatalf("RemoteAddr(%q) = %v, want %v", s, got, want)
		}
	})
}
