package middleware

import (
	"fmt"
	"net/http"
)

// Requirement is one permission a route requires, checked when it is
// built (see Need) and handed to Middleware.Protect.
type Requirement struct{ rq requirement }

// Need declares the permission a route requires, as Require's arguments
// do: a resource type and an action written in the route, and a resource
// key and limiter attributes read from the request as the Sources say. It
// panics if its arguments are invalid (an empty type or action, a zero or
// empty Source, an empty or repeated attribute key), so that a mistake
// fails at start-up.
func Need(resourceType string, resourceKey Source, action string, attrs ...Attribute) Requirement {
	rq := requirement{resourceType: resourceType, resourceKey: resourceKey, action: action, attrs: append([]Attribute(nil), attrs...)}
	if err := rq.check(); err != nil {
		panic(fmt.Sprintf("middleware.Need(%q, %s, %q): %v", resourceType, resourceKey, action, err))
	}
	return Requirement{rq: rq}
}

// Protect is Authenticate and Require in one handler, for the routes that
// want the fastest path: it authenticates the request's key, checks the
// required permission, and calls h with the principal as an argument. The
// request is not copied and its context is not replaced (Authenticate's
// r.WithContext costs two allocations a request; Protect none), so
// FromContext finds nothing in h: pass the principal on instead.
//
//	mux.Handle("GET /v1/studies/{studyKey}/responses", mw.Protect(
//		middleware.Need("study", middleware.PathValue("studyKey"), "get-responses",
//			middleware.Attr("surveyKey", middleware.Query("surveyKey"))),
//		func(w http.ResponseWriter, r *http.Request, p middleware.Principal) { … }))
//
// The route's requirement is checked against the Manager's catalog here,
// when the route is declared, as Middleware.Require checks it: an unknown
// resource type or action, a Fixed key the catalog does not allow, or an
// attribute no limiter of the action may test panics, so that the mistake
// fails at start-up. Refusals are answered, counted and logged as
// Authenticate and Require answer them. A key with restrictions is checked
// in this order: its allowed networks (ErrIPNotAllowed), the account's
// permission (ErrForbidden), its scopes (ErrOutsideKeyScope), and its rate
// limit last (ErrRateLimited), so that only requests otherwise served are
// counted against it. h receives a copy of the
// principal: it cannot change what later requests of the key see.
func (m *Middleware) Protect(req Requirement, h func(w http.ResponseWriter, r *http.Request, p Principal)) http.Handler {
	rq := req.rq
	if rq.resourceType == "" {
		panic("middleware.Protect: the zero Requirement: build it with Need")
	}
	if h == nil {
		panic("middleware.Protect: the handler is nil")
	}
	if err := m.checkRoute(rq.resourceType, rq.resourceKey, rq.action, rq.attrs); err != nil {
		panic(fmt.Sprintf("middleware.Protect(%q, %s, %q): %v", rq.resourceType, rq.resourceKey, rq.action, err))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, at, cr, err := m.authenticate(r)
		m.metrics.authenticated(cr, err)
		if err != nil {
			m.fail(w, r, err)
			return
		}
		if !e.plain {
			if m.tenantFrom != nil {
				if err := m.checkTenant(r, e); err != nil {
					m.refuse(w, r, err)
					return
				}
			}
			if e.principal.restrict != nil {
				m.protectRestricted(w, r, e, at, &rq, h)
				return
			}
		}
		if _, err := rq.authorize(e, at.mono, r); err != nil {
			m.refuse(w, r, err)
			return
		}
		m.metrics.authorized(nil)
		h(w, r, e.principal)
	})
}
