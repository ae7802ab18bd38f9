package egress_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/webhook/egress"
)

// Each refused range at its edges, inside and just outside, in IPv4, in
// IPv6 and in IPv4-mapped IPv6 form.
func TestClassifyCoversEveryRefusedRangeAndNothingElse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		want string
	}{
		// loopback
		{"127.0.0.0", egress.RangeLoopback},
		{"127.0.0.1", egress.RangeLoopback},
		{"127.255.255.255", egress.RangeLoopback},
		{"::1", egress.RangeLoopback},
		{"128.0.0.0", ""},
		{"126.255.255.255", ""},
		{"::2", ""},
		// private, RFC 1918 and fc00::/7
		{"10.0.0.0", egress.RangePrivate},
		{"10.255.255.255", egress.RangePrivate},
		{"9.255.255.255", ""},
		{"11.0.0.0", ""},
		{"172.16.0.0", egress.RangePrivate},
		{"172.31.255.255", egress.RangePrivate},
		{"172.15.255.255", ""},
		{"172.32.0.0", ""},
		{"192.168.0.0", egress.RangePrivate},
		{"192.168.255.255", egress.RangePrivate},
		{"192.167.255.255", ""},
		{"192.169.0.0", ""},
		{"fc00::", egress.RangePrivate},
		{"fd00:ec2::254", egress.RangePrivate}, // AWS's IPv6 metadata address
		{"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", egress.RangePrivate},
		{"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ""},
		{"fe00::", ""},
		// link-local, cloud metadata included
		{"169.254.0.0", egress.RangeLinkLocal},
		{"169.254.169.254", egress.RangeLinkLocal},
		{"169.254.255.255", egress.RangeLinkLocal},
		{"169.253.255.255", ""},
		{"169.255.0.0", ""},
		{"fe80::", egress.RangeLinkLocal},
		{"fe80::1%eth0", egress.RangeLinkLocal},
		{"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", egress.RangeLinkLocal},
		{"fec0::", ""},
		// carrier-grade NAT
		{"100.64.0.0", egress.RangeCGNAT},
		{"100.127.255.255", egress.RangeCGNAT},
		{"100.63.255.255", ""},
		{"100.128.0.0", ""},
		// unspecified
		{"0.0.0.0", egress.RangeUnspecified},
		{"0.255.255.255", egress.RangeUnspecified},
		{"1.0.0.0", ""},
		{"::", egress.RangeUnspecified},
		// public addresses and ranges the list deliberately leaves alone
		{"8.8.8.8", ""},
		{"93.184.215.14", ""},
		{"2606:4700:4700::1111", ""},
		{"224.0.0.1", ""},
		{"255.255.255.255", ""},
		{"64:ff9b::7f00:1", ""}, // NAT64 is not in the list
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			addr := netip.MustParseAddr(tt.addr)
			require.Equal(t, tt.want, egress.Classify(addr))
			checkErr := egress.CheckAddr(addr)
			if tt.want == "" {
				require.NoError(t, checkErr)
			} else {
				require.ErrorIs(t, checkErr, egress.ErrForbiddenAddress)
				require.ErrorContains(t, checkErr, tt.want)
			}
			if addr.Is4() {
				// The IPv4-mapped IPv6 form is judged as the IPv4 address,
				// in the Control hook too.
				mapped := netip.AddrFrom16(addr.As16())
				require.True(t, mapped.Is4In6())
				require.Equal(t, tt.want, egress.Classify(mapped), mapped.String())
				hookErr := egress.RefusePrivate("tcp6", netip.AddrPortFrom(mapped, 443).String(), nil)
				require.Equal(t, tt.want != "", hookErr != nil, "%s: %v", mapped, hookErr)
			}
			hookErr := egress.RefusePrivate("tcp"+map[bool]string{true: "4", false: "6"}[addr.Is4()],
				netip.AddrPortFrom(addr, 80).String(), nil)
			require.Equal(t, tt.want != "", hookErr != nil, "%v", hookErr)
		})
	}
}

func TestCheckAddrRefusesTheZeroAddr(t *testing.T) {
	t.Parallel()
	require.ErrorIs(t, egress.CheckAddr(netip.Addr{}), egress.ErrForbiddenAddress)
}

func TestRefusePrivateRefusesWhatItCannotParseAndNonTCP(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ network, address string }{
		{"tcp4", "localhost:80"},
		{"tcp4", "8.8.8.8"},
		{"tcp6", ""},
		{"udp4", "8.8.8.8:53"},
		{"unix", "/run/x.sock"},
	} {
		err := egress.RefusePrivate(tt.network, tt.address, nil)
		require.ErrorIs(t, err, egress.ErrForbiddenAddress, fmt.Sprint(tt))
	}
	require.NoError(t, egress.RefusePrivate("tcp4", "8.8.8.8:443", nil))
	require.NoError(t, egress.RefusePrivate("tcp6", "[2606:4700:4700::1111]:443", nil))
}
