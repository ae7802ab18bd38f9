package clientaddr_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/seed-c7fc2061/serviceaccounts/clientaddr"
)

func request(remote string, xff ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = remote
	for _, v := range xff {
		r.Header.Add("X-Forwarded-For", v)
	}
	return r
}

func TestRemoteAddr(t *testing.T) {
	for _, tc := range []struct {
		remote string
		want   string // "" for the zero Addr
	}{
		{"192.0.2.1:1234", "192.0.2.1"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"[::ffff:10.0.0.1]:80", "10.0.0.1"},
		{"192.0.2.7", "192.0.2.7"},
		{"", ""},
		{"@", ""},
		{"example.com:80", ""},
		{"[fe80::1%eth0]:80", ""},
	} {
		got := clientaddr.RemoteAddr(request(tc.remote))
		if want := addr(tc.want); got != want {
			t.Errorf("RemoteAddr(%q) = %v, want %v", tc.remote, got, want)
		}
	}
}

func addr(s string) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	return netip.MustParseAddr(s)
}

func TestTrustedProxiesClientAddr(t *testing.T) {
	ranges, err := clientaddr.ParseRanges("10.0.0.0/8, 2001:db8:ffff::/48,192.0.2.10")
	if err != nil {
		t.Fatal(err)
	}
	tp, err := clientaddr.NewTrustedProxies(ranges)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"an untrusted peer's header is ignored", "203.0.113.5:1", []string{"10.1.1.1"}, "203.0.113.5"},
		{"an untrusted peer without a header", "203.0.113.5:1", nil, "203.0.113.5"},
		{"a trusted peer without a header is the client", "10.0.0.1:1", nil, "10.0.0.1"},
		{"one proxy", "10.0.0.1:1", []string{"198.51.100.7"}, "198.51.100.7"},
		{"spaces around entries", "10.0.0.1:1", []string{" 198.51.100.7 "}, "198.51.100.7"},
		{"a spoofed leftmost value is skipped", "10.0.0.1:1", []string{"1.2.3.4, 198.51.100.7"}, "198.51.100.7"},
		{"a chain of trusted proxies is skipped", "10.0.0.1:1", []string{"1.2.3.4, 198.51.100.7, 10.9.9.9, 192.0.2.10"}, "198.51.100.7"},
		{"a spoofed trusted address left of the client is not reached", "10.0.0.1:1", []string{"10.5.5.5, 198.51.100.7"}, "198.51.100.7"},
		{"every entry trusted: the leftmost", "10.0.0.1:1", []string{"10.3.3.3, 10.2.2.2"}, "10.3.3.3"},
		{"several lines are one list, the last line nearest", "10.0.0.1:1", []string{"1.2.3.4, 198.51.100.7", "10.2.2.2"}, "198.51.100.7"},
		{"several lines: the client on the last line", "10.0.0.1:1", []string{"10.7.7.7", "198.51.100.9"}, "198.51.100.9"},
		{"IPv6 client through an IPv6 proxy", "[2001:db8:ffff::2]:1", []string{"2001:db8:1::5"}, "2001:db8:1::5"},
		{"IPv4-mapped entries are unmapped", "10.0.0.1:1", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
		{"IPv4-mapped trusted entries are skipped", "10.0.0.1:1", []string{"198.51.100.7, ::ffff:10.4.4.4"}, "198.51.100.7"},
		{"IPv4-mapped peer is trusted", "[::ffff:10.0.0.1]:1", []string{"198.51.100.7"}, "198.51.100.7"},
		{"an unparseable entry is unknown", "10.0.0.1:1", []string{"unknown"}, ""},
		{"an unparseable entry is never skipped to a trusted one", "10.0.0.1:1", []string{"10.2.2.2, garbage"}, ""},
		{"an empty entry is unknown", "10.0.0.1:1", []string{"198.51.100.7,,10.2.2.2"}, ""},
		{"an empty line is unknown", "10.0.0.1:1", []string{""}, ""},
		{"a trailing comma is unknown", "10.0.0.1:1", []string{"198.51.100.7,"}, ""},
		{"an entry with a port is unknown", "10.0.0.1:1", []string{"198.51.100.7:80"}, ""},
		{"a zoned entry is unknown", "10.0.0.1:1", []string{"fe80::1%eth0"}, ""},
		{"garbage left of the client does not matter", "10.0.0.1:1", []string{"garbage, 198.51.100.7"}, "198.51.100.7"},
		{"an unknown peer is unknown", "@", []string{"198.51.100.7"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := tp.ClientAddr(request(tc.remote, tc.xff...)), addr(tc.want); got != want {
				t.Errorf("ClientAddr(peer %s, X-Forwarded-For %q) = %v, want %v", tc.remote, tc.xff, got, want)
			}
		})
	}
}

func TestTrustedProxiesHeaderNameCase(t *testing.T) {
	tp, _ := clientaddr.NewTrustedProxies([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	r := request("10.0.0.1:1")
	r.Header.Add("x-forwarded-for", "198.51.100.7") // Add canonicalizes, as the server does
	if got := tp.ClientAddr(r); got != netip.MustParseAddr("198.51.100.7") {
		t.Fatalf("got %v", got)
	}
}

func TestNewTrustedProxiesRefusesBadRanges(t *testing.T) {
	if _, err := clientaddr.NewTrustedProxies(nil); err == nil {
		t.Error("no ranges: want an error")
	}
	if _, err := clientaddr.NewTrustedProxies([]netip.Prefix{{}}); err == nil {
		t.Error("the zero Prefix: want an error")
	}
	tp, err := clientaddr.NewTrustedProxies([]netip.Prefix{netip.MustParsePrefix("::ffff:10.0.0.0/104")})
	if err != nil {
		t.Fatal(err)
	}
	if got := tp.Ranges(); len(got) != 1 || got[0] != netip.MustParsePrefix("10.0.0.0/8") {
		t.Errorf("an IPv4-mapped range: Ranges() = %v, want [10.0.0.0/8]", got)
	}
}

func TestParseRanges(t *testing.T) {
	got, err := clientaddr.ParseRanges("10.0.0.0/8,192.0.2.1, 2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("2001:db8::/32"),
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"", "10.0.0.0/8,", "10.1.2.3/8", "example.com", "10.0.0.0/33", "fe80::1%eth0"} {
		_, err := clientaddr.ParseRanges(bad)
		if err == nil {
			t.Errorf("ParseRanges(%q): want an error", bad)
			continue
		}
		if bad == "10.1.2.3/8" && !strings.Contains(err.Error(), "10.0.0.0/8") {
			t.Errorf("ParseRanges(%q) = %v, want the masked range suggested", bad, err)
		}
	}
}

func TestClientAddrAllocatesNothing(t *testing.T) {
	tp, _ := clientaddr.NewTrustedProxies([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	r := request("10.0.0.1:1234", "1.2.3.4, 198.51.100.7, 10.9.9.9")
	if n := testing.AllocsPerRun(100, func() { _ = tp.ClientAddr(r) }); n != 0 {
		t.Errorf("TrustedProxies.ClientAddr: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = clientaddr.RemoteAddr(r) }); n != 0 {
		t.Errorf("RemoteAddr: %v allocations, want 0", n)
	}
}
