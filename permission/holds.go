package permission

// Holds reports whether some permission in the set grants the resource
// and action whatever its limiter says: after Allows has refused, it
// tells a request no permission covers from one a limiter refused (the
// middleware's 403 says which). A nil set holds nothing.
func (s *Set) Holds(resourceType, resourceKey, action string) bool {
	if s == nil {
		return false
	}
	if s.grants == nil {
		for i := range s.few {
			g := &s.few[i]
			if g.resourceType == resourceType &&
				(g.resourceKey == resourceKey || g.resourceKey == Any) &&
				(g.action == action || g.action == Any) {
				return true
			}
		}
		return false
	}
	for _, k := range [...]grantKey{
		{resourceType, resourceKey, action},
		{resourceType, resourceKey, Any},
		{resourceType, Any, action},
		{resourceType, Any, Any},
	} {
		if _, ok := s.grants[k]; ok {
			return true
		}
	}
	return false
}
