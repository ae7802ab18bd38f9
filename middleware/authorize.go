package middleware

import (
	"strconv"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
)

// Authorize decides, outside HTTP, whether p (from Verify) may act on a
// resource, as Require decides for a route: nil, or a *ForbiddenError
// (errors.Is(err, ErrForbidden)) naming the permission that was missing
// and saying whether a limiter refused it, or ErrOutsideKeyScope when the
// account's permissions allow it and none of the key's scopes covers it.
// The resource type and action
// are not checked against the catalog here (a route's are, when it is
// declared): an unknown one is simply held by no permission, and denied.
//
// An empty resource key is missing and denies, as a route's missing key
// does; an attribute with an empty value is missing too (it is left out
// of attrs and named in MissingAttributes), so it matches no limiter item
// that tests it. A zero Principal holds nothing. The decision is counted
// in serviceaccounts.authorizations, as Require's are.
func (m *Middleware) Authorize(p Principal, resourceType, resourceKey, action string, attrs limiter.Attributes) error {
	err := authorizePrincipal(&p, resourceType, resourceKey, action, attrs)
	m.metrics.authorized(err)
	return err
}

func authorizePrincipal(p *Principal, resourceType, key, action string, attrs limiter.Attributes) error {
	present, missing := presentAttributes(attrs)
	if key != "" && p.Permissions.Allows(resourceType, key, action, present) {
		if p.restrict != nil {
			return p.restrict.inScope(resourceType, key, action)
		}
		return nil
	}
	return newForbidden(p, resourceType, key, action, missing)
}

// presentAttributes splits attrs into those with a value and the keys of
// those without, which a route's Source would have found missing. attrs
// itself is returned, not copied, when every attribute has a value.
func presentAttributes(attrs limiter.Attributes) (limiter.Attributes, []string) {
	var present limiter.Attributes
	var missing []string
	for i, a := range attrs {
		if a.Value != "" {
			if missing != nil {
				present = append(present, a)
			}
			continue
		}
		if missing == nil {
			present = append(limiter.Attributes(nil), attrs[:i]...)
		}
		missing = append(missing, a.Key)
	}
	if missing == nil {
		return attrs, nil
	}
	return present, missing
}

// warnEmptyPathValue logs, once per Middleware, that a route was denied
// because its PathValue resource key was empty: usually a router that
// does not fill r.PathValue (gorilla/mux, gin, echo) and no
// Config.PathValue, which denies every request of such routes. The 403
// stands (failing closed); the log line says why, where a silent 403
// would leave the operator guessing.
func (m *Middleware) warnEmptyPathValue(name string) {
	if m.emptyPathValueWarned.Swap(true) {
		return
	}
	hook := "r.PathValue (Config.PathValue is nil)"
	if m.pathValue != nil {
		hook = "Config.PathValue"
	}
	m.log.Warn("middleware: a route's resource key PathValue("+strconv.Quote(name)+") is empty, so the request is denied 403; "+
		"if the router does not fill r.PathValue (gorilla/mux, gin, echo), set Config.PathValue to read its variables. Logged once.",
		"read", hook)
}
