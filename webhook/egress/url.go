package egress

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// MaxURLLength bounds a webhook URL: longer ones are mistakes or abuse,
// and the URL is stored and shown in lists.
const MaxURLLength = 2048

// ErrInvalidURL is wrapped by every refusal of a malformed webhook URL; the
// error says what is wrong without quoting the URL, which may hold a token.
var ErrInvalidURL = errors.New("egress: invalid webhook URL")

// ErrUnresolvableHost reports a host name that does not resolve.
var ErrUnresolvableHost = errors.New("egress: webhook host does not resolve")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidURL}, args...)...)
}

// ParseURL checks the shape of a webhook URL without touching the network:
// absolute, scheme https or http, a host, no user information (a password
// in a URL would be stored and shown), no fragment (it is never sent), a
// port from 1 to 65535 if one is given, and at most MaxURLLength bytes.
func ParseURL(raw string) (*url.URL, error) {
	switch {
	case raw == "":
		return nil, invalid("the URL is empty")
	case len(raw) > MaxURLLength:
		return nil, invalid("the URL is %d bytes long; at most %d are allowed", len(raw), MaxURLLength)
	case strings.TrimSpace(raw) != raw:
		return nil, invalid("the URL starts or ends with white space")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the URL; say only what kind of problem it is.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, invalid("it does not parse: %v", err)
	}
	switch {
	case u.Scheme == "":
		return nil, invalid("it has no scheme; use https:// or http://")
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, invalid("scheme %q is not allowed; use https or http", u.Scheme)
	case u.Opaque != "" || u.Host == "":
		return nil, invalid("it has no host")
	case u.User != nil:
		return nil, invalid("it contains user information (user:password@); put credentials elsewhere")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, invalid("it has a fragment (#…), which is never sent")
	case u.Hostname() == "":
		return nil, invalid("it has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, invalid("port %q is not between 1 and 65535", p)
		}
	}
	return u, nil
}

// CheckURL is the check made when a webhook is created: ParseURL, then,
// unless private addresses are allowed, the host's addresses (the literal
// address, or every address its name resolves to) must all lie outside the
// refused ranges. A name that resolves to nothing is refused with
// ErrUnresolvableHost. The Client checks again at every connection, since
// what a name resolves to can change.
func (c *Client) CheckURL(ctx context.Context, raw string) (*url.URL, error) {
	u, err := ParseURL(raw)
	if err != nil {
		return nil, err
	}
	if c.allowPrivate {
		return u, nil
	}
	host := u.Hostname()
	if addr, err := netip.ParseAddr(host); err == nil {
		if err := CheckAddr(addr); err != nil {
			return nil, err
		}
		return u, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	addrs, err := c.lookup(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return nil, fmt.Errorf("%w: %q", ErrUnresolvableHost, host)
	}
	for _, a := range addrs {
		if err := CheckAddr(a); err != nil {
			var ae *AddressError
			if errors.As(err, &ae) {
				ae.Host = host
			}
			return nil, err
		}
	}
	return u, nil
}
