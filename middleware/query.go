package middleware

import (
	"net/url"
	"os"
	"strings"
	"sync/atomic"
)

// smallQuery is the number of parameters up to which cleanQuery decides
// without parsing the query (against maxSmallQuery); a query with more is
// handed to url.ParseQuery, which alone knows its limit (10 000 by
// default, or GODEBUG urlmaxqueryparams).
const smallQuery = 64

// cleanQuery reports whether url.ParseQuery parses raw without an error,
// that is, drops none of it: at most its limit of parameters, no
// semicolon, and every '%' followed by two hex digits. The usual query is
// decided in one pass without allocating.
func cleanQuery(raw string) bool {
	pairs := 1
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '&':
			pairs++
		case ';':
			return false
		case '%':
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				return false
			}
			i += 2
		}
	}
	if pairs > smallQuery {
		_, err := url.ParseQuery(raw)
		return err == nil
	}
	return pairs <= maxSmallQuery()
}

// paramLimit is what maxSmallQuery found under one GODEBUG value.
type paramLimit struct {
	godebug string
	max     int
}

var (
	smallQueryLimit atomic.Pointer[paramLimit]
	ampersands      = strings.Repeat("&", smallQuery)
)

// maxSmallQuery returns how many parameters, up to smallQuery,
// url.ParseQuery accepts: smallQuery, unless GODEBUG urlmaxqueryparams
// sets a lower limit, under which r.URL.Query() drops a whole query with
// more (a value checked here would not reach the handler). It probes
// ParseQuery once per value of the GODEBUG variable, which os.Setenv can
// change while the process runs (a //go:debug directive is fixed at build
// time); reading the variable allocates nothing.
func maxSmallQuery() int {
	env := os.Getenv("GODEBUG")
	if l := smallQueryLimit.Load(); l != nil && l.godebug == env {
		return l.max
	}
	n := 0
	for n < smallQuery {
		if _, err := url.ParseQuery(ampersands[:n]); err != nil { // n+1 parameters
			break
		}
		n++
	}
	smallQueryLimit.Store(&paramLimit{godebug: env, max: n})
	return n
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// queryValue returns the first value of query parameter name in raw (a
// URL's RawQuery) as url.ParseQuery would decode it, skipping the pairs
// ParseQuery skips (a semicolon, a bad escape), without building the map
// r.URL.Query() allocates. Only an escaped pair is decoded.
func queryValue(raw, name string) (string, bool) {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, escaped, ok := splitPair(pair)
		if !ok {
			continue
		}
		if escaped {
			var err error
			if k, err = url.QueryUnescape(k); err != nil {
				continue
			}
			if k != name {
				continue
			}
			if v, err = url.QueryUnescape(v); err != nil {
				continue
			}
			return v, true
		}
		if k == name {
			return v, true
		}
	}
	return "", false
}

// splitPair splits key=value in one pass, reporting whether either part
// needs unescaping and rejecting what url.ParseQuery rejects without
// unescaping: an empty pair and a semicolon.
func splitPair(pair string) (k, v string, escaped, ok bool) {
	if pair == "" {
		return "", "", false, false
	}
	eq := -1
	for i := 0; i < len(pair); i++ {
		switch pair[i] {
		case '=':
			if eq < 0 {
				eq = i
			}
		case '%', '+':
			escaped = true
		case ';':
			return "", "", false, false
		}
	}
	if eq < 0 {
		return pair, "", escaped, true
	}
	return pair[:eq], pair[eq+1:], escaped, true
}
