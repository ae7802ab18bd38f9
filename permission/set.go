package permission

import "github.com/seed-c7fc2061/serviceaccounts/limiter"

// Set is one account's permissions compiled for the request path. It is
// immutable and safe for concurrent use; build a new one when the
// permissions change.
//
// Allows does not allocate. On a small set (most accounts hold a handful
// of permissions) it compares each grant's strings; on a larger one it
// does at most four map lookups (exact and wildcard key, times exact and
// wildcard action) however many permissions the account holds.
type Set struct {
	// few holds the grants of a set of at most smallSet grants, and
	// grants those of a larger one: hashing three strings per lookup
	// costs more than comparing them with a few grants.
	few    []keyedGrant
	grants map[grantKey]grant
	size   int
}

// smallSet is the number of grants up to which a Set scans a slice.
const smallSet = 8

type keyedGrant struct {
	grantKey
	grant
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
	if len(s.grants) <= smallSet {
		for k, g := range s.grants {
			s.few = append(s.few, keyedGrant{k, g})
		}
		s.grants = nil
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
	if s == nil {
		return false
	}
	if s.grants == nil {
		for i := range s.few {
			g := &s.few[i]
			if g.resourceType == resourceType &&
				(g.resourceKey == resourceKey || g.resourceKey == Any) &&
				(g.action == action || g.action == Any) &&
				g.allows(attrs) {
				return true
			}
		}
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
	return ok && g.allows(attrs)
}

func (g *grant) allows(attrs limiter.Attributes) bool {
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
