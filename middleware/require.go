package middleware

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
)

type sourceKind uint8

const (
	sourceFixed sourceKind = iota + 1
	sourcePath
	sourceQuery
	sourceHeader
	sourceJSONBody
)

// Source says where Require finds a value: the resource key or a limiter
// attribute. Build one with Fixed, PathValue, Query, Header or JSONBody.
// A value that is absent or empty in the request is missing: a resource
// key that is missing denies the request, an attribute that is missing
// matches no limiter item that tests it.
type Source struct {
	kind sourceKind
	arg  string
}

// Fixed is a value written in the route, such as a study key.
func Fixed(value string) Source { return Source{sourceFixed, value} }

// PathValue is a wildcard of the route's ServeMux pattern, as
// r.PathValue(name) returns it.
func PathValue(name string) Source { return Source{sourcePath, name} }

// Query is the first value of a URL query parameter, decoded as
// r.URL.Query().Get(name) would decode it. A route that reads a Query
// answers 400 (ErrMalformedQuery) to a query that url.ParseQuery does not
// parse without an error: more parameters than its limit (10 000, or the
// GODEBUG urlmaxqueryparams setting), a semicolon, or a bad
// percent escape. ParseQuery drops such pairs, or the whole query past the
// limit, so the handler's r.URL.Query() would not hold the value the
// permission was checked on.
func Query(name string) Source { return Source{sourceQuery, name} }

// Header is the value of a request header. A route that reads a Header
// answers 400 (ErrAmbiguousHeader) when the request repeats it, so that no
// proxy or handler can read another value than the one checked.
func Header(name string) Source {
	return Source{sourceHeader, textproto.CanonicalMIMEHeaderKey(name)}
}

// JSONBody is the string found at a gjson path (such as "survey.key") in a
// JSON request body. The body is read up to Config.MaxBodyBytes (a longer
// one is answered 413) and handed on to the handler intact. A body that is
// not valid JSON (or nests arrays and objects more than 10 000 deep, which
// encoding/json refuses too), and a value that is not a JSON string, count
// as missing: Require then denies with 403 whatever the route needs from
// it, rather than guessing at a half-parsed body.
//
// A body in which any object, at any depth, holds two keys that are equal
// ignoring case (strings.EqualFold, after unescaping) is answered 400 with
// ErrAmbiguousBody, whichever keys the route reads. gjson takes the first
// of two equal keys and matches case-sensitively, while encoding/json
// takes the last and also fills a field from a key spelled in another
// case: {"reportKey":"r1","REPORTKEY":"secret"} would have the permission
// checked on "r1" and the handler act on "secret".
func JSONBody(path string) Source { return Source{sourceJSONBody, path} }

func (s Source) String() string {
	switch s.kind {
	case sourceFixed:
		return fmt.Sprintf("Fixed(%q)", s.arg)
	case sourcePath:
		return fmt.Sprintf("PathValue(%q)", s.arg)
	case sourceQuery:
		return fmt.Sprintf("Query(%q)", s.arg)
	case sourceHeader:
		return fmt.Sprintf("Header(%q)", s.arg)
	case sourceJSONBody:
		return fmt.Sprintf("JSONBody(%q)", s.arg)
	}
	return "Source(zero)"
}

func (s Source) check() error {
	if s.kind == 0 {
		return errors.New("the zero Source; use Fixed, PathValue, Query, Header or JSONBody")
	}
	if s.arg == "" {
		return fmt.Errorf("%s is empty", s)
	}
	return nil
}

// value reads s from r; body is the request body when some source of the
// route needs it.
func (s Source) value(r *http.Request, body []byte) (string, bool) {
	var v string
	switch s.kind {
	case sourceFixed:
		return s.arg, true
	case sourcePath:
		v = r.PathValue(s.arg)
	case sourceQuery:
		v, _ = queryValue(r.URL.RawQuery, s.arg)
	case sourceHeader:
		if h := r.Header[s.arg]; len(h) > 0 {
			v = h[0]
		}
	case sourceJSONBody:
		if res := gjson.GetBytes(body, s.arg); res.Type == gjson.String {
			v = res.Str
		}
	}
	return v, v != ""
}

// Attribute names a limiter attribute and where the request carries it.
type Attribute struct {
	key  string
	from Source
}

// Attr declares the limiter attribute key, read from the request as from
// says. For example Attr("surveyKey", Query("surveyKey")).
func Attr(key string, from Source) Attribute { return Attribute{key, from} }

// requirement is one Require call, checked when the route is built.
type requirement struct {
	resourceType string
	resourceKey  Source
	action       string
	attrs        []Attribute
	needsBody    bool
	needsQuery   bool
	headers      []string // the names of the Header sources
}

// attrBufSize attributes fit in the stack array Require collects them in.
const attrBufSize = 8

// Require is middleware that lets a request through only when its
// principal holds a permission for (resourceType, resourceKey, action)
// whose limiter, if any, matches the attributes. The resource key and the
// attributes are read from the request as the Sources say. A request
// without permission gets 403 with a *ForbiddenError naming the missing
// permission.
//
// Require must run behind Authenticate, from which it also takes the
// ErrorHandler. A request that reaches it without Authenticate is a wiring
// mistake: it is answered 500 and logged, never let through.
//
// Require panics when the route is built if its arguments are invalid
// (an empty type or action, a zero or empty Source, an empty or repeated
// attribute key), so that a mistake fails at start-up.
func Require(resourceType string, resourceKey Source, action string, attrs ...Attribute) func(http.Handler) http.Handler {
	rq := requirement{resourceType: resourceType, resourceKey: resourceKey, action: action, attrs: append([]Attribute(nil), attrs...)}
	if err := rq.check(); err != nil {
		panic(fmt.Sprintf("middleware.Require(%q, %s, %q): %v", resourceType, resourceKey, action, err))
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rq.serve(w, r, next)
		})
	}
}

func (rq *requirement) check() error {
	if rq.resourceType == "" {
		return errors.New("resourceType is empty")
	}
	if rq.action == "" {
		return errors.New("action is empty")
	}
	if err := rq.resourceKey.check(); err != nil {
		return fmt.Errorf("resourceKey: %w", err)
	}
	rq.needsBody = rq.resourceKey.kind == sourceJSONBody
	rq.note(rq.resourceKey)
	seen := map[string]bool{}
	for i, a := range rq.attrs {
		if a.key == "" {
			return fmt.Errorf("attribute %d has an empty key", i)
		}
		if seen[a.key] {
			return fmt.Errorf("attribute %q is declared twice", a.key)
		}
		seen[a.key] = true
		if err := a.from.check(); err != nil {
			return fmt.Errorf("attribute %q: %w", a.key, err)
		}
		rq.needsBody = rq.needsBody || a.from.kind == sourceJSONBody
		rq.note(a.from)
	}
	return nil
}

// note records what the request must be checked for before s is read.
func (rq *requirement) note(s Source) {
	switch s.kind {
	case sourceQuery:
		rq.needsQuery = true
	case sourceHeader:
		rq.headers = append(rq.headers, s.arg)
	}
}

// unambiguous refuses a request whose query or headers the handler might
// read differently from the sources.
func (rq *requirement) unambiguous(r *http.Request) error {
	if rq.needsQuery && !cleanQuery(r.URL.RawQuery) {
		return ErrMalformedQuery
	}
	for _, name := range rq.headers {
		if len(r.Header[name]) > 1 {
			return ErrAmbiguousHeader
		}
	}
	return nil
}

func (rq *requirement) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	e, ok := r.Context().Value(ctxKey{}).(*entry)
	if !ok {
		slog.Default().ErrorContext(r.Context(), "middleware: Require without Authenticate: wrap the route (or the mux) with Authenticate; answering 500",
			"method", r.Method, "path", r.URL.Path, "permission", rq.resourceType+"/"+rq.action)
		WriteProblem(w, r, ErrNotAuthenticated)
		return
	}
	if err := rq.unambiguous(r); err != nil {
		e.mw.refuse(w, r, err)
		return
	}
	var body []byte
	if rq.needsBody {
		var err error
		if body, err = readBody(r, e.mw.maxBodyBytes); err != nil {
			e.mw.refuse(w, r, err)
			return
		}
	}
	key, ok := rq.resourceKey.value(r, body)
	var buf [attrBufSize]limiter.Attribute
	attrs := buf[:0]
	for i := range rq.attrs {
		if v, ok := rq.attrs[i].from.value(r, body); ok {
			attrs = append(attrs, limiter.Attribute{Key: rq.attrs[i].key, Value: v})
		}
	}
	if ok && e.principal.Permissions.Allows(rq.resourceType, key, rq.action, attrs) {
		e.mw.metrics.authorized(nil)
		next.ServeHTTP(w, r)
		return
	}
	e.mw.refuse(w, r, rq.forbidden(e, key, attrs))
}

// forbidden explains a denial. It runs only on the deny path, so it may
// scan the account's permissions.
func (rq *requirement) forbidden(e *entry, key string, attrs limiter.Attributes) *ForbiddenError {
	fe := &ForbiddenError{ResourceType: rq.resourceType, ResourceKey: key, Action: rq.action}
	for _, a := range rq.attrs {
		if _, ok := attrs.Lookup(a.key); !ok {
			fe.MissingAttributes = append(fe.MissingAttributes, a.key)
		}
	}
	if key == "" {
		return fe
	}
	for _, p := range e.permissions {
		// Granted once its limiter is set aside (p is a copy): the account
		// holds the permission, so only a limiter can have refused.
		p.Limiter = nil
		if p.Grants(rq.resourceType, key, rq.action, nil) {
			fe.Limited = true
			break
		}
	}
	return fe
}

// readBody reads the body for JSONBody sources, at most max bytes, and
// puts an identical reader back for the handler.
func readBody(r *http.Request, max int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > max {
		return nil, ErrBodyTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, ErrBodyTooLarge
		}
		return nil, fmt.Errorf("%w: %w", ErrUnreadableBody, err)
	}
	if int64(len(b)) > max {
		return nil, ErrBodyTooLarge
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	// The scan runs first: it bounds the depth that gjson.ValidBytes, which
	// recurses once per level, would otherwise follow through the whole
	// body.
	dup, tooDeep := scanBody(b)
	if tooDeep || !gjson.ValidBytes(b) {
		return nil, nil // not JSON: every JSONBody value is missing
	}
	if dup != nil {
		return nil, dup
	}
	return b, nil
}

// maxNesting is encoding/json's limit on nested arrays and objects: a
// deeper body is not JSON to a handler that decodes with it.
const maxNesting = 10_000

// smallObject is how many keys of one object are compared in pairs; the
// keys of a larger object are compared through a map of their folded
// forms, so that a body of many keys costs linear time, not quadratic.
const smallObject = 16

// scanBody makes one pass over a body. It reports whether arrays and
// objects nest deeper than maxNesting, and the first object, at any depth,
// that holds two keys equal under strings.EqualFold once unescaped: the
// keys encoding/json would both decode into the same field. Its findings
// mean something only for valid JSON, which the caller checks; on anything
// else it returns without panicking.
//
// It is a flat scan rather than a gjson.ForEach recursion because ForEach
// scans a nested value to find its end before the walk descends into it,
// so a deep body would cost its depth times its size.
func scanBody(doc []byte) (dup *ambiguousBodyError, tooDeep bool) {
	var (
		stackBuf  [16]keyFrame
		stack     = stackBuf[:0]
		keysBuf   [32][]byte
		keys      = keysBuf[:0] // the keys of the open objects, outermost first
		expectKey bool          // the next string is a key
	)
	for i := 0; i < len(doc); i++ {
		switch c := doc[i]; c {
		case '{', '[':
			if len(stack) == maxNesting {
				return nil, true
			}
			stack = append(stack, keyFrame{object: c == '{', base: len(keys)})
			expectKey = c == '{'
		case '}', ']':
			if len(stack) == 0 {
				return dup, false // not JSON
			}
			keys = keys[:stack[len(stack)-1].base]
			stack = stack[:len(stack)-1]
			expectKey = false
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1].object
		case '"':
			end := stringEnd(doc, i)
			if end < 0 {
				return dup, false // not JSON
			}
			if expectKey && dup == nil && len(stack) > 0 {
				keys, dup = stack[len(stack)-1].add(keys, unquoteKey(doc[i:end]))
			}
			expectKey = false
			i = end - 1
		}
	}
	return dup, false
}

// keyFrame is one open array or object of scanBody.
type keyFrame struct {
	object bool
	base   int               // where the object's keys start in scanBody's keys
	folded map[string][]byte // the object's keys by foldKey, once it has more than smallObject
}

// add records the key name of the object f, whose keys so far are
// keys[f.base:], and returns keys with it, or the error naming it if the
// object holds it already.
func (f *keyFrame) add(keys [][]byte, name []byte) ([][]byte, *ambiguousBodyError) {
	if f.folded != nil {
		k := foldKey(name)
		if prev, ok := f.folded[k]; ok {
			return keys, newAmbiguousBodyError(prev, name)
		}
		f.folded[k] = name
		return keys, nil
	}
	for _, prev := range keys[f.base:] {
		if bytes.EqualFold(prev, name) {
			return keys, newAmbiguousBodyError(prev, name)
		}
	}
	keys = append(keys, name)
	if own := keys[f.base:]; len(own) > smallObject {
		f.folded = make(map[string][]byte, 2*len(own))
		for _, k := range own {
			f.folded[foldKey(k)] = k
		}
	}
	return keys, nil
}

// newAmbiguousBodyError copies no more of the names than the detail
// quotes (see quoteKey), not a key of up to MaxBodyBytes.
func newAmbiguousBodyError(first, again []byte) *ambiguousBodyError {
	head := func(k []byte) string { return string(k[:min(len(k), maxKeyInDetail+utf8.UTFMax)]) }
	return &ambiguousBodyError{first: head(first), again: head(again)}
}

// foldKey maps all the names that bytes.EqualFold holds equal to one
// string, as encoding/json folds field names: each character to the
// smallest of its simple case-folding orbit (so "k", "K" and the Kelvin
// sign all become "K"), and each invalid byte to U+FFFD, which EqualFold
// takes it for.
func foldKey(name []byte) string {
	out := make([]byte, 0, len(name))
	for i := 0; i < len(name); {
		if c := name[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(name[i:])
		for {
			next := unicode.SimpleFold(r)
			if next <= r {
				r = next
				break
			}
			r = next
		}
		out = utf8.AppendRune(out, r)
		i += n
	}
	return string(out)
}

// stringEnd returns the index just past the JSON string whose opening
// quote is doc[i], or -1 if it does not end. A quote preceded by an odd
// number of backslashes is escaped; those runs are disjoint, so the scan is
// linear.
func stringEnd(doc []byte, i int) int {
	for j := i + 1; j < len(doc); {
		k := bytes.IndexByte(doc[j:], '"')
		if k < 0 {
			return -1
		}
		j += k
		slashes := 0
		for p := j - 1; p > i && doc[p] == '\\'; p-- {
			slashes++
		}
		if slashes%2 == 0 {
			return j + 1
		}
		j++
	}
	return -1
}

// unquoteKey returns the name a quoted key stands for; only a key with
// escapes is decoded, as gjson decodes it (and, for valid JSON,
// encoding/json too: both turn a lone surrogate into U+FFFD).
func unquoteKey(raw []byte) []byte {
	name := raw[1 : len(raw)-1]
	if bytes.IndexByte(name, '\\') < 0 {
		return name
	}
	return []byte(gjson.Parse(string(raw)).Str)
}

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
