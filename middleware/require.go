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
	"strings"

	"github.com/tidwall/gjson"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
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
// r.URL.Query().Get(name) would decode it.
func Query(name string) Source { return Source{sourceQuery, name} }

// Header is the first value of a request header.
func Header(name string) Source {
	return Source{sourceHeader, textproto.CanonicalMIMEHeaderKey(name)}
}

// JSONBody is the string found at a gjson path (such as "survey.key") in a
// JSON request body. The body is read up to Config.MaxBodyBytes (a longer
// one is answered 413) and handed on to the handler intact. A body that is
// not valid JSON, and a value that is not a JSON string, count as missing:
// Require then denies with 403 whatever the route needs from it, rather
// than guessing at a half-parsed body.
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
	var body []byte
	if rq.needsBody {
		var err error
		if body, err = readBody(r, e.mw.maxBodyBytes); err != nil {
			e.mw.fail(w, r, err)
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
		next.ServeHTTP(w, r)
		return
	}
	e.mw.fail(w, r, rq.forbidden(e, key, attrs))
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
	for i := range e.permissions {
		p := &e.permissions[i]
		if p.ResourceType == rq.resourceType &&
			(p.ResourceKey == permission.Any || p.ResourceKey == key) &&
			(p.Action == permission.Any || p.Action == rq.action) {
			fe.Limited = true // held, so only a limiter can have refused
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
	if !gjson.ValidBytes(b) {
		return nil, nil // not JSON: every JSONBody value is missing
	}
	return b, nil
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
