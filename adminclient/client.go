package adminclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Config configures a Client. Only Token is required.
type Config struct {
	// Token is the admin token, sent as "Authorization: Bearer <Token>".
	// It is never printed: String and GoString show [redacted].
	Token string
	// HTTPClient sends the requests; nil means a client that does not
	// follow redirects (the admin API never redirects, and a redirect
	// elsewhere must not get the token) and has no timeout of its own
	// (give the context a deadline).
	HTTPClient *http.Client
	// UserAgent is sent as User-Agent; empty means DefaultUserAgent.
	UserAgent string
}

// DefaultUserAgent is the User-Agent of a Config without one.
const DefaultUserAgent = "serviceaccounts-adminclient"

const redacted = "[redacted]"

// String describes c without its token, so that logging a Config by
// mistake leaks nothing.
func (c Config) String() string {
	return fmt.Sprintf("adminclient.Config{Token:%s, HTTPClient:%p, UserAgent:%q}", tokenText(c.Token), c.HTTPClient, c.UserAgent)
}

// GoString is String, for %#v.
func (c Config) GoString() string { return c.String() }

// tokenText is how a token is printed: whether there is one, never what.
func tokenText(token string) string {
	if token == "" {
		return `""`
	}
	return redacted
}

// Client calls the admin API at one base URL. It is safe for concurrent
// use.
type Client struct {
	base *url.URL
	// tenant is the tenant of a view made by Tenant: "" for the routes
	// at their own path (the handler's default tenant).
	tenant string
	// auth holds the token behind a pointer, so that even a copy of the
	// struct printed by reflection (fmt does not call String on
	// unexported fields) shows an address, not the token.
	auth      *bearer
	http      *http.Client
	userAgent string
}

type bearer struct{ token string }

// String names the API the client calls, without its token. It has a
// value receiver so that a Client value prints the same way.
func (c Client) String() string {
	return fmt.Sprintf("adminclient.Client{BaseURL:%q, Token:%s}", c.base.String(), tokenText(c.auth.token))
}

// GoString is String, for %#v.
func (c Client) GoString() string { return c.String() }

// BaseURL is the root of the admin API this client calls.
func (c *Client) BaseURL() string { return c.base.String() }

// New returns a client of the admin API whose root is baseURL, such as
// http://127.0.0.1:8080/admin (the prefix the API is mounted under). The
// URL must be absolute, http or https, without user information (the
// token is the credential), query or fragment; a trailing slash is
// ignored. An empty token is an error: every admin route needs one.
func New(baseURL string, cfg Config) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		// url.Error repeats the URL, which may hold a password: say
		// only that it does not parse.
		return nil, errors.New("adminclient: the base URL does not parse as a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("adminclient: the base URL must be absolute, with scheme http or https")
	case u.Host == "":
		return nil, errors.New("adminclient: the base URL has no host")
	case u.User != nil:
		return nil, errors.New("adminclient: the base URL must not contain user information; pass the token in Config.Token")
	case u.RawQuery != "" || u.ForceQuery:
		return nil, errors.New("adminclient: the base URL must not have a query")
	case u.Fragment != "":
		return nil, errors.New("adminclient: the base URL must not have a fragment")
	}
	if cfg.Token == "" {
		return nil, errors.New("adminclient: Config.Token is empty; the admin API needs a bearer token")
	}
	if strings.ContainsAny(cfg.Token, "\r\n") {
		return nil, errors.New("adminclient: Config.Token contains a line break")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	c := &Client{base: u, auth: &bearer{cfg.Token}, http: cfg.HTTPClient, userAgent: cfg.UserAgent}
	if c.http == nil {
		c.http = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	return c, nil
}

// Option changes one request.
type Option func(*http.Request)

// IfMatch makes a change or delete conditional on the record still having
// etag, as returned by a Get or a previous change: the API answers 412
// (ErrPreconditionFailed) if it changed since. An empty etag adds no
// condition.
func IfMatch(etag string) Option {
	return func(r *http.Request) {
		if etag != "" {
			r.Header.Set("If-Match", etag)
		}
	}
}

// maxBodyBytes bounds a success body read into memory: a page of 200
// records is far smaller; more means the server is not the admin API.
const maxBodyBytes = 16 << 20

// response is what do read of a 2xx answer.
type response struct {
	status int
	header http.Header
}

// do sends method path?query with body (marshaled to JSON unless nil) and
// decodes a 2xx body into out (unless nil). A non-2xx answer is an *Error.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any, opts []Option) (response, error) {
	// path is already escaped (see segment): set both forms, so that
	// an escaped "/" in an id stays one segment and "%" is not escaped
	// twice.
	u := *c.base
	u.RawPath = c.base.EscapedPath() + c.tenantPrefix(path) + path
	unescaped, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return response{}, fmt.Errorf("adminclient: %s %s: %w", method, path, err)
	}
	u.Path = unescaped
	u.RawQuery = query.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return response{}, fmt.Errorf("adminclient: %s %s: encode the body: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return response{}, fmt.Errorf("adminclient: %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.auth.token)
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	res, err := c.http.Do(req)
	if err != nil {
		// *url.Error names the method and URL (no credentials: New
		// refuses them in the URL, and the token is only in a header).
		return response{}, fmt.Errorf("adminclient: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return response{}, readError(method, path, res)
	}
	r := response{status: res.StatusCode, header: res.Header}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxBodyBytes))
		return r, nil
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, maxBodyBytes+1))
	if err != nil {
		return response{}, fmt.Errorf("adminclient: %s %s: read the answer: %w", method, path, err)
	}
	if len(data) > maxBodyBytes {
		return response{}, fmt.Errorf("adminclient: %s %s: the answer is over %d bytes", method, path, maxBodyBytes)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return response{}, fmt.Errorf("adminclient: %s %s: decode the %d answer: %w", method, path, res.StatusCode, err)
	}
	return r, nil
}

// segment is id as one path segment. An empty id, "." or ".." would
// name another resource (the collection, or a parent once a proxy cleans
// the path), so they fail here instead of reaching the server.
func segment(what, id string) (string, error) {
	if id == "" || id == "." || id == ".." {
		return "", fmt.Errorf("adminclient: the %s id %q is not an id", what, id)
	}
	return url.PathEscape(id), nil
}

// accountPath is /service-accounts/{id} followed by rest, whose own ids
// were escaped by the caller.
func accountPath(accountID string, rest ...string) (string, error) {
	seg, err := segment("service account", accountID)
	if err != nil {
		return "", err
	}
	return "/service-accounts/" + seg + strings.Join(rest, ""), nil
}

// pageQuery is the query of a paginated list: limit when not 0, cursor
// when not empty.
func pageQuery(p ListParams) url.Values {
	q := url.Values{}
	if p.Limit != 0 {
		q.Set("limit", fmt.Sprint(p.Limit))
	}
	if p.Cursor != "" {
		q.Set("cursor", p.Cursor)
	}
	return q
}

// etag is the ETag of an answer, as the value IfMatch takes.
func (r response) etag() string { return r.header.Get("ETag") }
