package permission

import "github.com/seed-c7fc2061/serviceaccounts/limiter"

// Set is one account's permissions compiled for the request path. It is
// immutable and safe for concurrent use; build a new one when the
// permissions change.
//
// Allows does at most four map lookups (exact and wildcard key, times exact
// and wildcard action) however many permissions the account holds, and
// does not allocate.
type Set struct {
	grants map[grantKey]grant
	size   int
}

type grantKey struct {
	resourceType, resourceKey, action string
}

// grant collects the permissions that share one grantKey. One permission
// without a limiter makes the others irrelevant, so it is kept as a flag.
type grant struct {
	unconditional bool
	limiters      []*limiter.Limiter
}

// NewSet compiles perms. The slice is not retained.
func NewSet(perms []Permission) *Set {
	s := &Set{grants: make(map[grantKey]grant, len(perms)), size: len(perms)}
	for i := range perms {
		p := &perms[i]
		k := grantKey{p.ResourceType, p.ResourceKey, p.Action}
		g := s.grants[k]
		if p.Limiter == nil {
			g.unconditional = true
			g.limiters = nil
		} else if !g.unconditional {
			g.limiters = append(g.limiters, p.Limiter)
		}
		s.grants[k] = g
	}
	return s
}

// Len is the number of permissions the set was built from.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return s.size
}

// Allows reports whether any permission in the set grants the request. A nil
// or empty set allows nothing.
func (s *Set) Allows(resourceType, resourceKey, action string, attrs limiter.Attributes) bool {
	if s == nil || len(s.grants) == 0 {
		return false
	}
	return s.allowsKey(resourceType, resourceKey, action, attrs) ||
		(resourceKey != Any && s.allowsKey(resourceType, Any, action, attrs))
}

func (s *Set) allowsKey(resourceType, resourceKey, action string, attrs limiter.Attributes) bool {
	return s.allowsExactly(grantKey{resourceType, resourceKey, action}, attrs) ||
		(action != Any && s.allowsExactly(grantKey{resourceType, resourceKey, Any}, attrs))
}

func (s *Set) allowsExactly(k grantKey, attrs limiter.Attributes) bool {
	g, ok := s.grants[k]
	if !ok {
		return false
	}
	if g.unconditional {
		return true
	}
	for _, l := range g.limiters {
		if l.Match(attrs) {
			return true
		}
	}
	return false
}
