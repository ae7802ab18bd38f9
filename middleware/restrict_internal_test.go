package middleware

import (
	"net/netip"
	"testing"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
)

// The compiled networks decide as netip.Prefix.Contains does.
func TestRestrictionsNetworksMatchNetip(t *testing.T) {
	prefixes := []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("::/0"),
		netip.MustParsePrefix("::ffff:10.0.0.0/104"),
	}
	addrs := []string{"10.1.2.3", "11.0.0.0", "192.0.2.7", "192.0.2.8", "172.31.255.255", "172.32.0.0", "0.0.0.0",
		"255.255.255.255", "2001:db8::1", "2001:db9::1", "::ffff:10.1.1.1", "::1"}
	for _, p := range prefixes {
		s := compileRestrictions(&apikey.Key{AllowedCIDRs: []netip.Prefix{p}}, nil, time.Time{})
		for _, a := range addrs {
			addr := netip.MustParseAddr(a)
			if got, want := s.allowsFrom(addr), p.Contains(addr.Unmap()); got != want {
				t.Errorf("%s from %s: got %v, want %v", p, a, got, want)
			}
			// The integer path of the default client address agrees.
			if addr.Is4() {
				if got, want := s.allowsFromIPv4(ipv4(addr)), p.Contains(addr); got != want {
					t.Errorf("%s from %s as an integer: got %v, want %v", p, a, got, want)
				}
			}
		}
		if s.allowsFrom(netip.Addr{}) {
			t.Errorf("%s allows the zero Addr", p)
		}
	}
}
