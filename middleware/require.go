package middleware

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

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
	// queryNames are the distinct parameters the Query sources read, each
	// at its Source's slot: serve reads them all in one pass.
	queryNames []string
	headers    []string // the names of the Header sources
	// typeHash and actionHash are scopeHash of resourceType and action,
	// which a restricted key's scopes compare first (see inRouteScope).
	typeHash, actionHash uint64
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
		return &requireHandler{rq: &rq, next: next}
	}
}

// requireHandler is a route wrapped by Require. A named type, so that an
// Authenticate directly in front knows that a Require follows and leaves
// the rate limit to it (see Authenticate).
type requireHandler struct {
	rq   *requirement
	next http.Handler
}

func (h *requireHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.rq.serve(w, r, h.next)
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
	rq.typeHash, rq.actionHash = scopeHash(rq.resourceType), scopeHash(rq.action)
	rq.needsBody = rq.resourceKey.kind == sourceJSONBody
	if err := rq.note(&rq.resourceKey); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range rq.attrs {
		a := &rq.attrs[i]
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
		if err := rq.note(&a.from); err != nil {
			return fmt.Errorf("attribute %q: %w", a.key, err)
		}
	}
	return nil
}

// note records what the request must be checked for before s is read, and
// gives a Query source its slot.
func (rq *requirement) note(s *Source) error {
	switch s.kind {
	case sourceQuery:
		slot := slices.Index(rq.queryNames, s.arg)
		if slot < 0 {
			if len(rq.queryNames) == maxQuerySources {
				return fmt.Errorf("a route reads at most %d query parameters", maxQuerySources)
			}
			slot = len(rq.queryNames)
			rq.queryNames = append(rq.queryNames, s.arg)
		}
		s.slot = uint8(slot)
	case sourceHeader:
		rq.headers = append(rq.headers, s.arg)
	}
	return nil
}

// readQuery reads the route's query parameters into buf, or a slice of its
// own when they do not fit, and refuses a query the handler's
// r.URL.Query() might read differently.
func (rq *requirement) readQuery(r *http.Request, limit int, buf []string) ([]string, error) {
	var vals []string
	if n := len(rq.queryNames); n <= len(buf) {
		vals = buf[:n]
	} else {
		vals = make([]string, n)
	}
	if _, clean := readQuery(r.URL.RawQuery, limit, rq.queryNames, vals); !clean {
		return nil, ErrMalformedQuery
	}
	return vals, nil
}

// unambiguousHeaders refuses a request that repeats a header a source
// reads: a proxy or the handler might read another of its values.
func (rq *requirement) unambiguousHeaders(r *http.Request) error {
	for _, name := range rq.headers {
		if len(r.Header[name]) > 1 {
			return ErrAmbiguousHeader
		}
	}
	return nil
}

func (rq *requirement) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	e, mono, ok := requestEntry(r)
	if !ok {
		slog.Default().ErrorContext(r.Context(), "middleware: Require without Authenticate: wrap the route (or the mux) with Authenticate; answering 500",
			"method", r.Method, "path", apikey.RedactKeyLike(r.URL.Path), "permission", rq.resourceType+"/"+rq.action)
		WriteProblem(w, r, ErrNotAuthenticated)
		return
	}
	key, err := rq.authorize(e, mono, r)
	if err != nil {
		e.mw.refuse(w, r, err)
		return
	}
	if s := e.principal.restrict; s != nil {
		if err := e.mw.scoped(r, rq, s, key, chargeLater(r), mono); err != nil {
			e.mw.refuse(w, r, err)
			return
		}
	}
	e.mw.metrics.authorized(nil)
	next.ServeHTTP(w, r)
}

// authorize decides whether e's principal may make request r: nil, or why
// not (a malformed query, an ambiguous header, an unreadable body, or a
// *ForbiddenError). mono is the clock reading that judged the key. It
// returns the resource key it read, which the key's scopes, if any, judge
// next (see scoped): not here, so that a key without restrictions pays
// nothing for them.
func (rq *requirement) authorize(e *entry, mono time.Duration, r *http.Request) (string, error) {
	var queryBuf [attrBufSize]string
	var query []string
	if len(rq.queryNames) > 0 {
		var err error
		if query, err = rq.readQuery(r, e.mw.smallQueryLimit(mono), queryBuf[:]); err != nil {
			return "", err
		}
	}
	if err := rq.unambiguousHeaders(r); err != nil {
		return "", err
	}
	in := sourceInput{pathValue: e.mw.pathValue}
	if rq.needsBody {
		var err error
		if in.body, err = readBody(r, e.mw.maxBodyBytes); err != nil {
			return "", err
		}
	}
	key, ok := rq.resourceKey.value(r, query, &in)
	var buf [attrBufSize]limiter.Attribute
	attrs := buf[:0]
	for i := range rq.attrs {
		if v, ok := rq.attrs[i].from.value(r, query, &in); ok {
			attrs = append(attrs, limiter.Attribute{Key: rq.attrs[i].key, Value: v})
		}
	}
	if ok && e.principal.Permissions.Allows(rq.resourceType, key, rq.action, attrs) {
		return key, nil
	}
	return key, rq.forbidden(e.mw, &e.principal, key, attrs)
}

// refuse answers a request Require refused, and counts the refusal.
func (m *Middleware) refuse(w http.ResponseWriter, r *http.Request, err error) {
	m.metrics.authorized(err)
	m.fail(w, r, err)
}

// forbidden explains a denial of the route: the attributes it declares
// that the request did not carry, and whether a limiter refused. It runs
// only on the deny path.
func (rq *requirement) forbidden(m *Middleware, p *Principal, key string, attrs limiter.Attributes) *ForbiddenError {
	var missing []string
	for _, a := range rq.attrs {
		if _, ok := attrs.Lookup(a.key); !ok {
			missing = append(missing, a.key)
		}
	}
	if key == "" && rq.resourceKey.kind == sourcePath {
		m.warnEmptyPathValue(rq.resourceKey.arg)
	}
	return newForbidden(p, rq.resourceType, key, rq.action, missing)
}

// newForbidden is the *ForbiddenError of every denial, of a route or of
// Authorize. A missing resource key is never Limited: no permission was
// looked at.
func newForbidden(p *Principal, resourceType, key, action string, missing []string) *ForbiddenError {
	return &ForbiddenError{
		ResourceType:      resourceType,
		ResourceKey:       key,
		Action:            action,
		MissingAttributes: missing,
		Limited:           key != "" && p.Permissions.Holds(resourceType, key, action),
	}
}
