package redisrate

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"
)

// masked stands in for a password in messages, as the database URLs'
// redaction writes it.
const masked = "xxxxx"

// NewFromURL returns a limiter on a new client for a Redis URL
// (redis://[user:password@]host[:port][/db][?option=value…], rediss://
// for TLS, or unix://[user:password@]/path; the options are go-redis's).
// Its errors show the URL only with the password masked. Close the limiter
// to close the client.
func NewFromURL(rawURL string, cfg Config) (*Limiter, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's error quotes the whole URL, password included.
		return nil, fmt.Errorf("redisrate: Redis URL %s does not parse; want redis://[user:password@]host[:port][/db]", RedactURL(rawURL))
	}
	switch u.Scheme {
	case "redis", "rediss", "unix":
	default:
		return nil, fmt.Errorf("redisrate: Redis URL %s: the scheme must be redis, rediss or unix", RedactURL(rawURL))
	}
	if misread(u) {
		// go-redis would connect somewhere else, or quote the rest of the
		// password in its error as a database, an option or a path.
		return nil, fmt.Errorf("redisrate: Redis URL %s does not parse as written: an '@' follows the host; percent-encode '/', '?' and '#' in the password", RedactURL(rawURL))
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		// Not wrapped: go-redis's message is rewritten without the password.
		return nil, errors.New(maskPassword(fmt.Sprintf("redisrate: Redis URL %s: %s", RedactURL(rawURL), err), u))
	}
	// Without it go-redis ignores the context's deadline, and a hung Redis
	// would hold requests for its ReadTimeout rather than Config.Timeout.
	opts.ContextTimeoutEnabled = true
	client := redis.NewClient(opts)
	l, err := New(client, cfg)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	l.owned = client
	return l, nil
}

// RedactURL returns a Redis URL fit for messages and logs: the password of
// its user-info part and of any password-like query parameter replaced by
// "xxxxx". A URL that does not parse is reduced to its scheme.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	// An opaque URL ("user:pass@host", no "//") keeps its secret where
	// Redacted does not look.
	if err != nil || u.Scheme == "" || u.Opaque != "" || misread(u) {
		scheme, _, found := strings.Cut(rawURL, ":")
		if !found || strings.ContainsAny(scheme, "/@ ") {
			return "…"
		}
		return scheme + ":…"
	}
	if u.RawQuery != "" {
		q := u.Query()
		for name := range q {
			switch strings.ToLower(name) {
			case "password", "passwd", "pwd", "pass":
				q.Set(name, masked)
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// misread reports an '@' after the authority: a password holding a raw
// '/', '?' or '#' ended the authority early (redis://:12/pw@host), so the
// URL was not read as written and its path, query or fragment still holds
// the rest of the password. A unix:// socket path may hold an '@' of its
// own; with no host before it, nothing was cut short.
func misread(u *url.URL) bool {
	inPath := strings.Contains(u.Path, "@") && (u.Scheme != "unix" || u.Host != "")
	return inPath || strings.Contains(u.RawQuery, "@") || strings.Contains(u.Fragment, "@")
}

// maskPassword removes u's password from msg. A password of fewer than
// three characters is left alone, since masking it would garble unrelated
// text; go-redis's messages do not quote the user-info part anyway.
func maskPassword(msg string, u *url.URL) string {
	if u.User == nil {
		return msg
	}
	if p, ok := u.User.Password(); ok && len(p) >= 3 {
		msg = strings.ReplaceAll(msg, p, masked)
	}
	return msg
}
