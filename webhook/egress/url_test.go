package egress_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/webhook/egress"
)

func TestParseURLAcceptsHTTPAndHTTPSURLs(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"https://hooks.example.com/in",
		"http://hooks.example.com",
		"HTTPS://Hooks.Example.com/x?y=1",
		"https://hooks.example.com:8443/p/a/t/h",
		"http://127.0.0.1:9000/", // the shape is fine; the address is CheckURL's business
		"http://[::1]:9000/",
		"https://hooks.example.com/" + strings.Repeat("a", egress.MaxURLLength-len("https://hooks.example.com/")),
	} {
		u, err := egress.ParseURL(raw)
		require.NoError(t, err, raw)
		require.NotEmpty(t, u.Hostname())
	}
}

func TestParseURLNamesTheProblem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, says string
	}{
		{"", "empty"},
		{"hooks.example.com/in", "no scheme"},
		{"ftp://hooks.example.com/", `scheme "ftp"`},
		{"javascript:alert(1)", `scheme "javascript"`},
		{"file:///etc/passwd", `scheme "file"`},
		{"https:hooks.example.com", "no host"},
		{"https:///path", "no host"},
		{"https://:443/", "no host"},
		{"https://user:hunter2@hooks.example.com/", "user information"},
		{"https://user@hooks.example.com/", "user information"},
		{"https://hooks.example.com/#frag", "fragment"},
		{"https://hooks.example.com/#", "fragment"},
		{"https://hooks.example.com:0/", `port "0"`},
		{"https://hooks.example.com:65536/", `port "65536"`},
		{"https://hooks.example.com:99999999999999999999/", `port "99999999999999999999"`},
		{"https://hooks.example.com:abc/", "does not parse"},
		{"https://[::1/", "does not parse"},
		{"https://hooks.example.com/\x00", "does not parse"},
		{" https://hooks.example.com/", "white space"},
		{"https://hooks.example.com/" + strings.Repeat("a", egress.MaxURLLength), "at most 2048"},
	}
	for _, tt := range tests {
		t.Run(tt.says, func(t *testing.T) {
			_, err := egress.ParseURL(tt.raw)
			require.ErrorIs(t, err, egress.ErrInvalidURL)
			require.ErrorContains(t, err, tt.says)
			require.NotContains(t, err.Error(), "hunter2")
		})
	}
}

// fakeDNS answers from a map, so the test needs no network.
func fakeDNS(names map[string][]string) func(context.Context, string, string) ([]netip.Addr, error) {
	return func(_ context.Context, _, host string) ([]netip.Addr, error) {
		var out []netip.Addr
		for _, a := range names[host] {
			out = append(out, netip.MustParseAddr(a))
		}
		if len(out) == 0 {
			return nil, errors.New("no such host")
		}
		return out, nil
	}
}

func TestCheckURLRefusesHostsThatResolveIntoARefusedRange(t *testing.T) {
	t.Parallel()
	dns := fakeDNS(map[string][]string{
		"public.example":   {"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"},
		"internal.example": {"10.1.2.3"},
		"mixed.example":    {"93.184.215.14", "192.168.1.10"},
		"metadata.example": {"169.254.169.254"},
		"mapped.example":   {"::ffff:127.0.0.1"},
		"cgnat.example":    {"100.100.100.200"},
	})
	strict, err := egress.NewClient(egress.Config{LookupNetIP: dns})
	require.NoError(t, err)
	lax, err := egress.NewClient(egress.Config{LookupNetIP: dns, AllowPrivate: true})
	require.NoError(t, err)
	ctx := context.Background()

	for _, raw := range []string{"https://public.example/in", "http://93.184.215.14/", "https://[2606:4700:4700::1111]/"} {
		_, err := strict.CheckURL(ctx, raw)
		require.NoError(t, err, raw)
	}
	refused := map[string]string{
		"https://internal.example/in":         "private",
		"https://mixed.example/in":            "private",
		"https://metadata.example/":           "link-local",
		"https://mapped.example/":             "loopback",
		"https://cgnat.example/":              "carrier-grade NAT",
		"http://127.0.0.1:8080/":              "loopback",
		"http://[::1]/":                       "loopback",
		"http://[::ffff:10.0.0.1]/":           "private",
		"http://[::ffff:169.254.169.254]/":    "link-local",
		"http://169.254.169.254/latest/meta":  "link-local",
		"http://[fe80::1%25eth0]/":            "link-local",
		"http://0.0.0.0:80/":                  "unspecified",
		"http://[::]/":                        "unspecified",
		"http://[fd00:ec2::254]/latest/meta/": "private",
	}
	for raw, rng := range refused {
		_, err := strict.CheckURL(ctx, raw)
		require.ErrorIs(t, err, egress.ErrForbiddenAddress, raw)
		require.ErrorContains(t, err, rng, raw)
		_, err = lax.CheckURL(ctx, raw)
		require.NoError(t, err, raw)
	}

	_, err = strict.CheckURL(ctx, "https://nowhere.example/")
	require.ErrorIs(t, err, egress.ErrUnresolvableHost)
	_, err = strict.CheckURL(ctx, "ftp://public.example/")
	require.ErrorIs(t, err, egress.ErrInvalidURL)
}
