// Package connstr masks the passwords of connection strings before they
// reach a message or a log line. It is the one place that knows every form
// a database or Redis address takes here: a URL (postgres://, mysql://,
// redis://…), libpq's key=value list, the MySQL driver's
// user:pass@tcp(host)/db, and anything malformed in between. Whatever it
// cannot read, it masks more rather than less.
package connstr

import (
	"net/url"
	"regexp"
	"strings"
)

// Mask stands in for a password.
const Mask = "xxxxx"

// passwordParam matches a password-like key=value pair anywhere: a URL's
// query parameter or a libpq setting, its value quoted ('…', with
// backslash escapes, running to the end if the quote is never closed) or
// bare (up to a space, '&' or ';').
var passwordParam = regexp.MustCompile(`(?i)\b(password|passwd|pwd|sslpassword)(\s*=\s*)('(?:[^'\\]|\\.)*(?:'|\\?$)|[^\s&;]*)`)

// isPasswordKey reports whether a query parameter or setting holds a password.
func isPasswordKey(name string) bool {
	switch strings.ToLower(name) {
	case "password", "passwd", "pwd", "sslpassword":
		return true
	}
	return false
}

// Redact returns s fit for messages and logs, every password in it
// replaced by Mask. sqlite: names and memory: hold no secret and are
// returned as they are.
func Redact(s string) string {
	masked, _ := scan(s)
	return masked
}

// Hide returns msg with every password that the connection string conn
// holds replaced by Mask, raw or escaped, for messages that a driver
// wrote and that might quote it.
func Hide(msg, conn string) string {
	_, secrets := scan(conn)
	for _, secret := range secrets {
		// A one- or two-character password would mask unrelated text.
		if len(secret) < 3 {
			continue
		}
		for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret)} {
			msg = strings.ReplaceAll(msg, form, Mask)
		}
	}
	return msg
}

// scan masks s and returns what it masked.
func scan(s string) (masked string, secrets []string) {
	lower := strings.ToLower(s)
	if strings.HasPrefix(lower, "sqlite:") || lower == "memory:" {
		return s, nil
	}
	if masked, secrets, ok := scanURL(s); ok {
		return maskParams(masked, secrets)
	}
	masked, secrets = maskParams(s, nil)
	return maskUserInfo(masked, secrets)
}

// scanURL masks a well-formed scheme://[user[:pass]@]host/… URL; ok is
// false for anything else, which the caller masks by its shape.
func scanURL(s string) (masked string, secrets []string, ok bool) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Opaque != "" || !strings.HasPrefix(s[len(u.Scheme):], "://") {
		return "", nil, false
	}
	// An '@' after the authority means the URL was not read as written
	// (postgres:///u:pw@h): leave it to the shape-based masking.
	if strings.Contains(u.Path, "@") || strings.Contains(u.Fragment, "@") || strings.Contains(u.RawQuery, "@") {
		return "", nil, false
	}
	if p, set := u.User.Password(); set {
		secrets = append(secrets, p)
		u.User = url.UserPassword(u.User.Username(), Mask)
	}
	if u.RawQuery != "" {
		q := u.Query()
		for name, values := range q {
			if isPasswordKey(name) {
				secrets = append(secrets, values...)
				q[name] = []string{Mask}
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String(), secrets, true
}

// maskParams masks every password-like key=value pair in s.
func maskParams(s string, secrets []string) (string, []string) {
	masked := passwordParam.ReplaceAllStringFunc(s, func(m string) string {
		sub := passwordParam.FindStringSubmatch(m)
		if sub[3] == Mask {
			return m
		}
		value := sub[3]
		if strings.HasPrefix(value, "'") {
			value = strings.TrimSuffix(strings.TrimPrefix(value, "'"), "'")
			secrets = append(secrets, strings.ReplaceAll(value, `\'`, `'`))
		}
		secrets = append(secrets, value)
		return sub[1] + sub[2] + Mask
	})
	return masked, secrets
}

// maskUserInfo masks the password of a user:pass@… prefix that is not a
// well-formed URL: the MySQL driver's root:pw@tcp(host)/db or a malformed
// postgres:/u:pw@host. Everything after the first ':' before the last '@'
// is masked, so a password holding '@' or ':' is masked whole, at the cost
// of the user's name in a malformed URL.
func maskUserInfo(s string, secrets []string) (string, []string) {
	at := strings.LastIndex(s, "@")
	if at < 0 {
		return s, secrets
	}
	colon := strings.Index(s[:at], ":")
	if colon < 0 {
		return s, secrets // a user without a password
	}
	secret := s[colon+1 : at]
	secrets = append(secrets, secret)
	password := secret
	if i := strings.LastIndex(secret, ":"); i >= 0 {
		password = secret[i+1:] // the password of scheme:/user:pw
		secrets = append(secrets, password)
	}
	// A raw '/', '?' or '#' in the password ends a URL's authority early
	// (postgres://u:5432/pw@h/db): a driver then reads the rest as the
	// database name or a parameter and may quote it on its own, so each
	// piece is a secret too.
	for piece := range strings.FieldsFuncSeq(password, func(r rune) bool { return r == '/' || r == '?' || r == '#' }) {
		if piece != password {
			secrets = append(secrets, piece)
		}
	}
	return s[:colon+1] + Mask + s[at:], secrets
}

// HideError returns err with Hide applied to its message, still matching
// what err matches under errors.Is and errors.As; nil stays nil.
func HideError(err error, conn string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	hidden := Hide(msg, conn)
	if hidden == msg {
		return err
	}
	return &hiddenError{msg: hidden, err: err}
}

type hiddenError struct {
	msg string
	err error
}

func (e *hiddenError) Error() string { return e.msg }
func (e *hiddenError) Unwrap() error { return e.err }
