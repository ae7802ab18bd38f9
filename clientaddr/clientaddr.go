package clientaddr

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Func returns the address of the client that sent r; the zero Addr when
// it cannot be known. RemoteAddr and (*TrustedProxies).ClientAddr are
// Funcs.
type Func func(r *http.Request) netip.Addr

// RemoteAddr is the connection's peer address (r.RemoteAddr, host:port as
// net/http's server sets it, or a bare address), IPv4-mapped IPv6
// addresses unmapped. It is the zero Addr when RemoteAddr holds neither.
func RemoteAddr(r *http.Request) netip.Addr {
	return parseRemoteAddr(r.RemoteAddr)
}

func parseRemoteAddr(s string) netip.Addr {
	if a, ok := parseIPv4Port(s); ok {
		return a
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return normal(ap.Addr())
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return normal(a)
	}
	return netip.Addr{}
}

// parseIPv4Port is the fast path of parseRemoteAddr for what net/http's
// server writes for an IPv4 peer: "a.b.c.d:port", in canonical form. It
// accepts exactly the inputs of that shape that netip.ParseAddrPort
// accepts (no leading zeros, octets up to 255, a port of 1 to 5 digits up
// to 65535), at a fifth of its cost, and reports false for anything else,
// which the full parsers then judge. A key with allowed networks reads
// the address on every request.
func parseIPv4Port(s string) (netip.Addr, bool) {
	a, ok := RemoteIPv4(s)
	if !ok {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), true
}

// RemoteIPv4 is the fast path of RemoteAddr as an integer (the first octet
// in the high byte), for callers that compare it with networks compiled
// as integers (the middleware's allowed networks): it reports false for
// anything but "a.b.c.d:port" in canonical form, which RemoteAddr then
// judges, and where it reports true RemoteAddr returns the same address.
func RemoteIPv4(s string) (uint32, bool) {
	var ip uint32
	i := 0
	for field := 0; ; field++ {
		if i >= len(s) {
			return 0, false
		}
		v := uint32(s[i] - '0')
		if v > 9 {
			return 0, false
		}
		i++
		// A field that starts with 0 is "0" alone (no leading zeros).
		if v != 0 {
			for n := 1; n < 3 && i < len(s); n++ {
				d := uint32(s[i] - '0')
				if d > 9 {
					break
				}
				v = v*10 + d
				i++
			}
			if v > 255 {
				return 0, false
			}
		}
		ip = ip<<8 | v
		if i >= len(s) {
			return 0, false
		}
		if field == 3 {
			break
		}
		if s[i] != '.' {
			return 0, false
		}
		i++
	}
	if s[i] != ':' {
		return 0, false
	}
	port := s[i+1:]
	if len(port) == 0 || len(port) > 5 {
		return 0, false
	}
	p := uint32(0)
	for j := 0; j < len(port); j++ {
		d := uint32(port[j] - '0')
		if d > 9 {
			return 0, false
		}
		p = p*10 + d
	}
	if p > 65535 {
		return 0, false
	}
	return ip, true
}

// normal unmaps an IPv4-mapped address, so that ::ffff:10.0.0.1 matches
// 10.0.0.0/8, and refuses a zoned one (fe80::1%eth0), which no prefix
// contains and whose zone a client chooses.
func normal(a netip.Addr) netip.Addr {
	if a.Zone() != "" {
		return netip.Addr{}
	}
	return a.Unmap()
}

// TrustedProxies reads the client address from X-Forwarded-For when the
// connection comes from one of its ranges. Build it with NewTrustedProxies;
// it is safe for concurrent use.
type TrustedProxies struct {
	ranges []netip.Prefix
}

// NewTrustedProxies returns a reader that trusts the proxies in ranges.
// At least one range is needed: with none, use RemoteAddr.
func NewTrustedProxies(ranges []netip.Prefix) (*TrustedProxies, error) {
	if len(ranges) == 0 {
		return nil, errors.New("clientaddr: no trusted proxy ranges (use RemoteAddr when there is no proxy)")
	}
	t := &TrustedProxies{ranges: make([]netip.Prefix, len(ranges))}
	for i, p := range ranges {
		if !p.IsValid() {
			return nil, fmt.Errorf("clientaddr: trusted proxy range %d is not valid", i)
		}
		if p.Addr().Zone() != "" {
			return nil, fmt.Errorf("clientaddr: trusted proxy range %s has a zone", p)
		}
		// Masked, and unmapped when an IPv4-mapped prefix names IPv4
		// addresses, so Contains compares like with like.
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		t.ranges[i] = p.Masked()
	}
	return t, nil
}

// ParseRanges parses a comma-separated list of CIDRs or bare addresses (a
// bare address is a single host), as the example server's
// -trusted-proxies flag takes it. A CIDR with host bits set is refused,
// since 10.1.2.3/8 more often means a mistake than 10.0.0.0/8.
func ParseRanges(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("clientaddr: empty entry in %q", s)
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil || a.Zone() != "" {
				return nil, fmt.Errorf("clientaddr: %q is neither a CIDR nor an IP address", part)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("clientaddr: %q is not a CIDR such as 10.0.0.0/8", part)
		}
		if p != p.Masked() {
			return nil, fmt.Errorf("clientaddr: %q has host bits set; did you mean %s?", part, p.Masked())
		}
		out = append(out, p)
	}
	return out, nil
}

// Ranges returns a copy of the trusted ranges, in canonical form.
func (t *TrustedProxies) Ranges() []netip.Prefix {
	return append([]netip.Prefix(nil), t.ranges...)
}

func (t *TrustedProxies) trusted(a netip.Addr) bool {
	for _, p := range t.ranges {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr is the client address of r: the peer's when the peer is not
// a trusted proxy or sent no X-Forwarded-For; otherwise the rightmost
// X-Forwarded-For entry outside the trusted ranges, reading every
// X-Forwarded-For line as one comma-separated list in order. When every
// entry is a trusted address, the leftmost one is the client (a request
// that began on a trusted host). An entry that is not an IP address
// (empty, a name, "unknown", with a port or zone) ends the walk with the
// zero Addr: it lies outside every allowlist, so a malformed header can
// never promote a request to a trusted address. It allocates nothing.
func (t *TrustedProxies) ClientAddr(r *http.Request) netip.Addr {
	peer := RemoteAddr(r)
	if !peer.IsValid() || !t.trusted(peer) {
		return peer
	}
	lines := r.Header["X-Forwarded-For"]
	client := peer
	for i := len(lines) - 1; i >= 0; i-- {
		rest := lines[i]
		for {
			entry := rest
			comma := strings.LastIndexByte(rest, ',')
			if comma >= 0 {
				entry, rest = rest[comma+1:], rest[:comma]
			}
			a, err := netip.ParseAddr(strings.TrimSpace(entry))
			if err != nil {
				return netip.Addr{}
			}
			if client = normal(a); !client.IsValid() {
				return netip.Addr{}
			}
			if !t.trusted(client) {
				return client
			}
			if comma < 0 {
				break
			}
		}
	}
	return client
}
