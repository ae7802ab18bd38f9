package egress

import (
	"errors"
	"fmt"
	"net/netip"
)

// ErrForbiddenAddress is wrapped by every refusal of an address in one of
// the refused ranges (an [*AddressError]).
var ErrForbiddenAddress = errors.New("egress: address not allowed for webhook delivery")

// The names of the refused ranges, as AddressError reports them.
const (
	RangeLoopback    = "loopback"
	RangePrivate     = "private"
	RangeLinkLocal   = "link-local"
	RangeCGNAT       = "carrier-grade NAT"
	RangeUnspecified = "unspecified"
)

type refusedRange struct {
	prefix netip.Prefix
	name   string
}

// refused lists exactly the ranges the package documentation names.
// IPv4-mapped IPv6 addresses are unmapped before the check, so the IPv4
// entries cover them too.
var refused = []refusedRange{
	{netip.MustParsePrefix("127.0.0.0/8"), RangeLoopback},
	{netip.MustParsePrefix("::1/128"), RangeLoopback},
	{netip.MustParsePrefix("10.0.0.0/8"), RangePrivate},
	{netip.MustParsePrefix("172.16.0.0/12"), RangePrivate},
	{netip.MustParsePrefix("192.168.0.0/16"), RangePrivate},
	{netip.MustParsePrefix("fc00::/7"), RangePrivate},
	{netip.MustParsePrefix("169.254.0.0/16"), RangeLinkLocal},
	{netip.MustParsePrefix("fe80::/10"), RangeLinkLocal},
	{netip.MustParsePrefix("100.64.0.0/10"), RangeCGNAT},
	{netip.MustParsePrefix("0.0.0.0/8"), RangeUnspecified},
	{netip.MustParsePrefix("::/128"), RangeUnspecified},
}

// AddressError reports an address in a refused range.
type AddressError struct {
	Addr  netip.Addr // as given, before unmapping
	Range string     // one of the Range constants
	Host  string     // the URL's host name, when a name resolved to Addr
}

func (e *AddressError) Error() string {
	a := "a"
	if e.Range == RangeUnspecified {
		a = "an"
	}
	if e.Host != "" {
		return fmt.Sprintf("egress: host %q resolves to %s, %s %s address; webhooks may not deliver to it", e.Host, e.Addr, a, e.Range)
	}
	return fmt.Sprintf("egress: %s is %s %s address; webhooks may not deliver to it", e.Addr, a, e.Range)
}

// Is makes errors.Is(err, ErrForbiddenAddress) true.
func (e *AddressError) Is(target error) bool { return target == ErrForbiddenAddress }

// Classify returns the name of the refused range holding addr, or "" for
// an address webhooks may reach. A zone (fe80::1%eth0) is ignored and an
// IPv4-mapped address is judged as the IPv4 address it maps.
func Classify(addr netip.Addr) string {
	a := addr.WithZone("").Unmap()
	for _, r := range refused {
		if r.prefix.Contains(a) {
			return r.name
		}
	}
	return ""
}

// CheckAddr returns an [*AddressError] if addr is in a refused range, and
// refuses the invalid (zero) Addr too, failing closed.
func CheckAddr(addr netip.Addr) error {
	if !addr.IsValid() {
		return &AddressError{Addr: addr, Range: RangeUnspecified}
	}
	if name := Classify(addr); name != "" {
		return &AddressError{Addr: addr, Range: name}
	}
	return nil
}
