package egress

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// Defaults of Config.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultMaxResponseBytes = 64 << 10
)

// Config configures a Client. The zero value is the production setting.
type Config struct {
	// AllowPrivate lets deliveries reach the refused ranges: for tests
	// with receivers on 127.0.0.1, and for applications whose receivers
	// live on their own network.
	AllowPrivate bool
	// Timeout bounds a whole delivery: connecting, sending, and reading
	// the answer (default DefaultTimeout).
	Timeout time.Duration
	// MaxResponseBytes bounds how much of the answer is read (default
	// DefaultMaxResponseBytes); the rest is dropped with the connection.
	MaxResponseBytes int64
	// TLSConfig is used for https receivers (default: the system's roots).
	TLSConfig *tls.Config
	// LookupNetIP resolves host names for CheckURL (default
	// net.DefaultResolver.LookupNetIP); tests give a fake.
	LookupNetIP func(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Client sends webhook deliveries within the package's bounds. It is safe
// for concurrent use and keeps connections alive between deliveries.
type Client struct {
	http         *http.Client
	allowPrivate bool
	timeout      time.Duration
	maxBody      int64
	lookup       func(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Response is what a receiver answered.
type Response struct {
	StatusCode int
	// Body holds at most the configured number of bytes of the answer.
	Body []byte
	// Truncated reports that the answer was longer than Body.
	Truncated bool
}

// NewClient checks cfg and fills in its defaults.
func NewClient(cfg Config) (*Client, error) {
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("egress: timeout %v is negative", cfg.Timeout)
	}
	if cfg.MaxResponseBytes < 0 {
		return nil, fmt.Errorf("egress: response bound %d is negative", cfg.MaxResponseBytes)
	}
	c := &Client{allowPrivate: cfg.AllowPrivate, timeout: cfg.Timeout, maxBody: cfg.MaxResponseBytes, lookup: cfg.LookupNetIP}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody == 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	if c.lookup == nil {
		c.lookup = net.DefaultResolver.LookupNetIP
	}
	control := RefusePrivate
	if cfg.AllowPrivate {
		control = onlyTCP
	}
	dialer := &net.Dialer{Timeout: c.timeout, KeepAlive: 30 * time.Second, Control: control}
	transport := &http.Transport{
		Proxy:               nil, // never from the environment: see the package doc
		DialContext:         dialer.DialContext,
		TLSClientConfig:     cfg.TLSConfig,
		TLSHandshakeTimeout: c.timeout,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        100,
		IdleConnTimeout:     90 * time.Second,
		// The answer is only looked at, never used; compression would let
		// a small answer expand past the bound before we count it.
		DisableCompression: true,
	}
	c.http = &http.Client{
		Transport: transport,
		Timeout:   c.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return c, nil
}

// RefusePrivate is a net.Dialer Control hook that refuses to connect to an
// address in a refused range. It runs after DNS resolution, for every
// address the dialer tries, so it sees the address actually connected to.
// Anything it cannot parse, and any network but TCP, is refused.
func RefusePrivate(network, address string, _ syscall.RawConn) error {
	if err := onlyTCP(network, address, nil); err != nil {
		return err
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", ErrForbiddenAddress, address)
	}
	return CheckAddr(ap.Addr())
}

func onlyTCP(network, _ string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return fmt.Errorf("%w: network %q", ErrForbiddenAddress, network)
	}
	return nil
}

// Post sends body to rawURL with the given headers (Content-Type defaults
// to application/json) and returns the receiver's answer, whatever its
// status: deciding what counts as success is the caller's business. The
// error is non-nil when no answer arrived in time or the address was
// refused; it names only the URL's scheme and host.
func (c *Client) Post(ctx context.Context, rawURL string, header http.Header, body []byte) (*Response, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("egress: post to %s: %w", origin(u), err)
	}
	for k, vs := range header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("egress: post to %s: %w", origin(u), withoutURL(err))
	}
	defer resp.Body.Close()
	// One byte past the bound tells a long answer from one of exactly the
	// bound's length.
	got, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	out := &Response{StatusCode: resp.StatusCode, Body: got}
	if int64(len(got)) > c.maxBody {
		out.Body, out.Truncated = got[:c.maxBody], true
	}
	if err != nil {
		return out, fmt.Errorf("egress: read answer from %s: %w", origin(u), withoutURL(err))
	}
	return out, nil
}

// HTTPClient returns the underlying client, for callers that build their
// own requests; it refuses the same addresses and follows no redirects,
// but reading the answer within the bound is then the caller's job.
func (c *Client) HTTPClient() *http.Client { return c.http }

// origin is the part of u that errors may show.
func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// withoutURL drops net/http's *url.Error wrapper, which quotes the whole
// URL, keeping the cause (and with it errors.Is and Timeout()).
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
