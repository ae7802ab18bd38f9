package middleware

import (
	"net/url"
	"os"
	"strings"
	"time"
)

// smallQuery is the number of parameters up to which readQuery decides
// without parsing the query (against the limit of smallQueryLimit); a
// query with more is handed to url.ParseQuery, which alone knows its limit
// (10 000 by default, or GODEBUG urlmaxqueryparams).
const smallQuery = 64

// maxQuerySources bounds the distinct query parameters one route reads:
// readQuery records which it found in one uint64.
const maxQuerySources = 64

// readQuery reads raw, a URL's RawQuery, in one pass, as url.ParseQuery
// would parse it. It reports whether ParseQuery parses raw without an
// error, that is, drops none of it: no semicolon, every '%' followed by
// two hex digits, and at most limit parameters (the limit smallQueryLimit
// found) or, past smallQuery parameters, ParseQuery's own limit. Then it
// has set vals[i] to the first value of names[i], decoded as
// r.URL.Query().Get(names[i]) decodes it, and bit i of found for each name
// present. vals must be as long as names, and names at most
// maxQuerySources long.
//
// The usual query (no escapes, up to smallQuery parameters) is decided
// without allocating: only an escaped pair is decoded.
func readQuery(raw string, limit int, names, vals []string) (found uint64, clean bool) {
	pairs := 1
	start, eq, escaped := 0, -1, false
	all := uint64(1)<<len(names) - 1
	for i := nextSyntax(raw, 0); i < len(raw); i = nextSyntax(raw, i+1) {
		switch raw[i] {
		case '&':
			// ParseQuery skips an empty pair; every escape of this one is
			// checked already.
			if i > start && found != all {
				found |= matchPair(raw[start:i], eq-start, escaped, names, vals, found)
			}
			pairs++
			start, eq, escaped = i+1, -1, false
		case ';':
			return 0, false
		case '%':
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				return 0, false
			}
			escaped = true
			i += 2 // two hex digits: no syntax
		case '+':
			escaped = true
		case '=':
			if eq < 0 {
				eq = i
			}
		}
	}
	if len(raw) > start && found != all {
		found |= matchPair(raw[start:], eq-start, escaped, names, vals, found)
	}
	if pairs > smallQuery {
		_, err := url.ParseQuery(raw)
		return found, err == nil
	}
	return found, pairs <= limit
}

// querySyntax marks the bytes readQuery acts on; a key or a value is
// mostly made of the others, which one table lookup skips.
var querySyntax = [256]bool{'&': true, ';': true, '%': true, '+': true, '=': true}

// nextSyntax returns the index of the first byte of raw at or after i that
// readQuery acts on, or len(raw). A loop of its own, so that skipping the
// ordinary bytes keeps its two values in registers: in readQuery's body
// the compiler spilled them on every byte.
func nextSyntax(raw string, i int) int {
	for ; i < len(raw); i++ {
		if querySyntax[raw[i]] {
			return i
		}
	}
	return len(raw)
}

// matchPair stores the value of pair (its first '=' at eq, or none when eq
// is negative) in vals for the names it matches that were not found
// before, and returns the bits of those names.
func matchPair(pair string, eq int, escaped bool, names, vals []string, found uint64) uint64 {
	k, v := pair, ""
	if eq >= 0 {
		k, v = pair[:eq], pair[eq+1:]
	}
	if escaped {
		k, _ = url.QueryUnescape(k) // cannot fail: readQuery checked every escape
	}
	var bits uint64
	for i, name := range names {
		if found&(1<<i) != 0 || k != name {
			continue
		}
		if escaped {
			v, _ = url.QueryUnescape(v)
			escaped = false
		}
		vals[i] = v
		bits |= 1 << i
	}
	return bits
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// queryLimitRecheck is how often a Middleware reads GODEBUG again for the
// query parameter limit (see smallQueryLimit).
const queryLimitRecheck = 100 * time.Millisecond

// paramLimit is what probeSmallQueryLimit found under one GODEBUG value,
// and when a Middleware last read that value.
type paramLimit struct {
	godebug string
	max     int
	readAt  time.Duration // a reading.mono
}

// smallQueryLimit returns how many parameters, up to smallQuery,
// url.ParseQuery accepts: smallQuery, unless GODEBUG urlmaxqueryparams
// sets a lower limit, under which r.URL.Query() drops a whole query with
// more (a value checked here would not reach the handler).
//
// Reading the environment costs a lock and a map lookup (35 to 85 ns on
// the benchmark machine, a tenth of a cached request), so it is read
// again only when the last reading is queryLimitRecheck old by the
// request's clock reading mono (see reading.mono). GODEBUG set at
// start-up, or by a //go:debug directive, holds from the first request; a
// change made with os.Setenv while the process runs is followed within
// queryLimitRecheck.
// No check can follow it at once anyway: a request checked just before
// the change may reach its handler just after it.
func (m *Middleware) smallQueryLimit(mono time.Duration) int {
	l := m.queryLimit.Load()
	if l != nil {
		if age := mono - l.readAt; age >= 0 && age < queryLimitRecheck {
			return l.max
		}
	}
	env := os.Getenv("GODEBUG")
	next := &paramLimit{godebug: env, readAt: mono}
	if l != nil && l.godebug == env {
		next.max = l.max
	} else {
		next.max = probeSmallQueryLimit()
	}
	m.queryLimit.Store(next)
	return next.max
}

var ampersands = strings.Repeat("&", smallQuery)

// probeSmallQueryLimit asks url.ParseQuery how many parameters, up to
// smallQuery, it accepts under the current GODEBUG.
func probeSmallQueryLimit() int {
	n := 0
	for n < smallQuery {
		if _, err := url.ParseQuery(ampersands[:n]); err != nil { // n+1 parameters
			break
		}
		n++
	}
	return n
}
