package clientaddr_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/seed-c7fc2061/serviceaccounts/clientaddr"
)

// Behind a load balancer at 10.0.0.0/8, the client is the rightmost
// X-Forwarded-For address outside that range; what the client wrote
// itself, further left, is never reached.
func ExampleTrustedProxies_ClientAddr() {
	ranges, err := clientaddr.ParseRanges("10.0.0.0/8")
	if err != nil {
		panic(err)
	}
	proxies, err := clientaddr.NewTrustedProxies(ranges)
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.2:51234"
	r.Header.Set("X-Forwarded-For", "127.0.0.1, 198.51.100.7, 10.0.0.9")
	fmt.Println(proxies.ClientAddr(r))

	r.Header.Set("X-Forwarded-For", "198.51.100.7, not-an-address")
	fmt.Println(proxies.ClientAddr(r).IsValid())
	// Output:
	// 198.51.100.7
	// false
}

// RemoteIPv4 reads the usual IPv4 "host:port" of net/http's server as an
// integer, for comparison with networks compiled as integers; anything
// else is left to RemoteAddr.
func ExampleRemoteIPv4() {
	a, ok := clientaddr.RemoteIPv4("192.0.2.1:51234")
	fmt.Printf("%#08x %v\n", a, ok)
	_, ok = clientaddr.RemoteIPv4("[2001:db8::1]:443")
	fmt.Println(ok)
	// Output:
	// 0xc0000201 true
	// false
}
