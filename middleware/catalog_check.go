package middleware

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
)

// Require is the package-level Require, checked against the catalog of
// the Manager the middleware was built with: a route that names a resource
// type or an action the catalog does not know, a Fixed resource key it
// does not allow, or a limiter attribute that no limiter of the action may
// test would answer 403 to every request forever, since no permission
// naming them can ever be granted. It panics when the route is built
// instead, as a mistyped route pattern does, so the mistake fails at
// start-up:
//
//	mux.Handle("GET /v1/studies/{studyKey}/responses", mw.Authenticate(
//		mw.Require("study", middleware.PathValue("studyKey"), "get-responses",
//			middleware.Attr("surveyKey", middleware.Query("surveyKey")))(h)))
//
// Prefer it to the package-level Require, which cannot see the catalog and
// is kept for routes built before the middleware exists.
func (m *Middleware) Require(resourceType string, resourceKey Source, action string, attrs ...Attribute) func(http.Handler) http.Handler {
	wrap := Require(resourceType, resourceKey, action, attrs...) // checks the arguments themselves first
	if err := m.checkRoute(resourceType, resourceKey, action, attrs); err != nil {
		panic(fmt.Sprintf("middleware.Require(%q, %s, %q): %v", resourceType, resourceKey, action, err))
	}
	return wrap
}

// checkRoute validates the permission a route requires as the Manager
// validates a grant: the catalog judges the type, the action, a fixed key,
// and the attributes as the keys of a limiter.
func (m *Middleware) checkRoute(resourceType string, resourceKey Source, action string, attrs []Attribute) error {
	var l *limiter.Limiter
	if len(attrs) > 0 {
		item := make(map[string]string, len(attrs))
		for _, a := range attrs {
			item[a.key] = "x"
		}
		raw, err := json.Marshal([]map[string]string{item})
		if err != nil {
			return err
		}
		if l, err = limiter.Parse(raw); err != nil {
			return fmt.Errorf("attributes: %w", err)
		}
	}
	key := resourceKey.arg
	fixed := resourceKey.kind == sourceFixed
	if !fixed {
		key = "route-key" // any key the catalog allows; the request names the real one
	}
	var problems []string
	for _, fe := range m.mgr.Catalog().Validate(resourceType, key, action, l) {
		if fe.Field == "resourceKey" && !fixed {
			continue // a closed list of keys: the request may name one of them
		}
		if strings.HasPrefix(fe.Field, "limiter") {
			problems = append(problems, "attributes: "+fe.Message)
			continue
		}
		problems = append(problems, fe.Field+": "+fe.Message)
	}
	if len(problems) > 0 {
		return fmt.Errorf("not in the Manager's catalog: %s", strings.Join(problems, "; "))
	}
	return nil
}
