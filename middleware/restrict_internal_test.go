package middleware

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/clientaddr"
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

// A route's scope check decides as the key's scopes' permission.Set does
// (Principal.Allows, Authorize).
func TestRouteScopesMatchSet(t *testing.T) {
	k := &apikey.Key{Scopes: []apikey.Scope{
		{ResourceType: "study", ResourceKey: "other", Action: "*"},
		{ResourceType: "report", ResourceKey: "*", Action: "*"},
		{ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses"},
		{ResourceType: "survey", ResourceKey: "*", Action: "read"},
	}}
	s := compileRestrictions(k, nil, time.Time{})
	for _, typ := range []string{"study", "report", "survey", "studyx", "*"} {
		for _, action := range []string{"get-responses", "read", "write", "*"} {
			rq := requirement{resourceType: typ, action: action, resourceKey: PathValue("k")}
			if err := rq.check(); err != nil {
				t.Fatal(err)
			}
			for _, key := range []string{"tekenradar", "other", "x", "*", ""} {
				if got, want := s.inRouteScope(&rq, key), s.inScope(typ, key, action); got != want {
					t.Errorf("%s/%s/%s: route check %v, set %v", typ, key, action, got, want)
				}
			}
		}
	}
	if err := compileRestrictions(&apikey.Key{}, nil, time.Time{}); err != nil {
		t.Errorf("a key without restrictions compiles to %v, want nil", err)
	}
}

// The remembered verdict of the last peer address is reused only for the
// same string: another address, or a string sharing its bytes with
// another length, is judged again.
func TestRestrictionsPeerMemo(t *testing.T) {
	s := compileRestrictions(&apikey.Key{AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, nil, time.Time{})
	m := &Middleware{remoteAddrClient: true, clientAddr: clientaddr.RemoteAddr}
	long := "10.0.0.1:123456" // a port of six digits: no address
	for i, c := range []struct {
		peer string
		want bool
	}{
		{"10.1.2.3:5", true}, {"10.1.2.3:5", true}, {"11.1.2.3:5", false}, {"11.1.2.3:5", false},
		{long, false}, {long[:13], true}, {long, false}, {"[::ffff:10.0.0.1]:80", true}, {"", false}, {"", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.peer
		if got := m.allowsClient(r, s); got != c.want {
			t.Errorf("%d: %q: got %v, want %v", i, c.peer, got, c.want)
		}
	}
	// Concurrent readers and writers agree with the address (go test -race).
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			peer, want := "10.9.9.9:1", true
			if i%2 == 1 {
				peer, want = "12.9.9.9:1", false
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = peer
			for range 1000 {
				if got := m.allowsClient(r, s); got != want {
					t.Errorf("%q: got %v, want %v", peer, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}
