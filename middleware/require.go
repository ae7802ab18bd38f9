package middleware

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
)

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
			"method", r.Method, "path", apikey.RedactKeyLike(r.URL.Path), "permission", rq.resourceType+"/"+rq.action)
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
