package permission

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
)

// MaxResourceKeyLength bounds a free-form resource key (a study key, say).
const MaxResourceKeyLength = 100

// ResourceType describes one kind of resource that permissions can name.
type ResourceType struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	// Keys lists the resource keys a permission may name, possibly
	// including Any.
	Keys []string `json:"resourceKeys"`
	// OpenKeys accepts any resource key besides Keys: the application
	// knows its resources (studies, say), the catalog does not.
	OpenKeys bool     `json:"openKeys"`
	Actions  []Action `json:"actions"`
}

// Action is one thing a permission can allow on a resource type.
type Action struct {
	ID string `json:"id"`
	// LimiterKeys are the request attributes a limiter may test for this
	// action. Empty: the action takes no limiter.
	LimiterKeys []string `json:"limiterKeys"`
}

// Catalog is the set of resource types, keys, actions and limiter keys that
// permissions are validated against. Build one with NewCatalog or use
// DefaultCatalog; it is immutable afterwards and safe for concurrent use.
type Catalog struct {
	types []ResourceType
	byID  map[string]*compiledType
}

type compiledType struct {
	def     *ResourceType
	keys    map[string]bool
	actions map[string][]string // action id → allowed limiter keys
}

// FieldError is one problem found when validating a permission. Field is
// the input's JSON name (resourceType, resourceKey, action, or a limiter
// path such as limiter[0].surveyKey).
type FieldError struct {
	Field   string
	Message string
}

// NewCatalog checks types for consistency (non-empty unique ids, at least
// one action each, no duplicate keys or actions) and compiles the lookups.
// For an action "*", the allowed limiter keys are its own plus those of
// every other action of the type: a wildcard permission may be narrowed by
// any attribute some action supplies, and simply does not match requests
// whose action does not supply it.
func NewCatalog(types []ResourceType) (*Catalog, error) {
	if len(types) == 0 {
		return nil, errors.New("permission catalog: no resource types")
	}
	c := &Catalog{types: slices.Clone(types), byID: make(map[string]*compiledType, len(types))}
	for i := range c.types {
		rt := &c.types[i]
		if rt.ID == "" {
			return nil, fmt.Errorf("permission catalog: resource type %d has no id", i)
		}
		if _, dup := c.byID[rt.ID]; dup {
			return nil, fmt.Errorf("permission catalog: duplicate resource type %q", rt.ID)
		}
		if len(rt.Actions) == 0 {
			return nil, fmt.Errorf("permission catalog: resource type %q has no actions", rt.ID)
		}
		if len(rt.Keys) == 0 && !rt.OpenKeys {
			return nil, fmt.Errorf("permission catalog: resource type %q accepts no resource keys", rt.ID)
		}
		ct := &compiledType{def: rt, keys: map[string]bool{}, actions: map[string][]string{}}
		for _, k := range rt.Keys {
			if k == "" || ct.keys[k] {
				return nil, fmt.Errorf("permission catalog: resource type %q has an empty or duplicate key %q", rt.ID, k)
			}
			ct.keys[k] = true
		}
		var all []string
		for _, a := range rt.Actions {
			if a.ID == "" {
				return nil, fmt.Errorf("permission catalog: resource type %q has an action without id", rt.ID)
			}
			if _, dup := ct.actions[a.ID]; dup {
				return nil, fmt.Errorf("permission catalog: resource type %q has duplicate action %q", rt.ID, a.ID)
			}
			ct.actions[a.ID] = slices.Clone(a.LimiterKeys)
			all = append(all, a.LimiterKeys...)
		}
		if _, ok := ct.actions[Any]; ok {
			slices.Sort(all)
			ct.actions[Any] = slices.Compact(all)
		}
		c.byID[rt.ID] = ct
	}
	return c, nil
}

// ResourceTypes returns a copy of the catalog's resource types, in order,
// with the effective limiter keys of each "*" action filled in, so a form
// built from it offers exactly what Validate accepts.
func (c *Catalog) ResourceTypes() []ResourceType {
	out := make([]ResourceType, len(c.types))
	for i, rt := range c.types {
		ct := c.byID[rt.ID]
		// Non-nil slices, so that JSON shows [] rather than null.
		rt.Keys = append([]string{}, rt.Keys...)
		rt.Actions = slices.Clone(rt.Actions)
		for j := range rt.Actions {
			rt.Actions[j].LimiterKeys = append([]string{}, ct.actions[rt.Actions[j].ID]...)
		}
		out[i] = rt
	}
	return out
}

// Validate checks a permission against the catalog and returns every
// problem found, each naming the field and the allowed values; nil means
// valid. l is the parsed limiter (nil for none).
func (c *Catalog) Validate(resourceType, resourceKey, action string, l *limiter.Limiter) []FieldError {
	ct, ok := c.byID[resourceType]
	if !ok {
		return []FieldError{{"resourceType", fmt.Sprintf("unknown resource type %s; allowed: %s", quoteInput(resourceType), c.typeIDs())}}
	}
	var errs []FieldError
	if msg := ct.checkKey(resourceKey); msg != "" {
		errs = append(errs, FieldError{"resourceKey", msg})
	}
	limiterKeys, ok := ct.actions[action]
	if !ok {
		errs = append(errs, FieldError{"action", fmt.Sprintf("unknown action %s for resource type %q; allowed: %s",
			quoteInput(action), resourceType, quoteAll(actionIDs(ct.def)))})
		return errs
	}
	if l == nil {
		return errs
	}
	if len(limiterKeys) == 0 {
		return append(errs, FieldError{"limiter", fmt.Sprintf("action %q of resource type %q takes no limiter", action, resourceType)})
	}
	for item, key := range l.Keys() {
		if !slices.Contains(limiterKeys, key) {
			errs = append(errs, FieldError{
				"limiter" + limiter.KeyPath(item, key),
				fmt.Sprintf("unknown limiter key %q for action %q; allowed: %s", key, action, quoteAll(limiterKeys)),
			})
		}
	}
	return errs
}

func (ct *compiledType) checkKey(key string) string {
	rt := ct.def
	if ct.keys[key] {
		return ""
	}
	if !rt.OpenKeys {
		return fmt.Sprintf("resource key %s is not allowed for resource type %q; allowed: %s", quoteInput(key), rt.ID, quoteAll(rt.Keys))
	}
	switch {
	case key == "":
		return "must not be empty"
	case utf8.RuneCountInString(key) > MaxResourceKeyLength:
		return fmt.Sprintf("must be at most %d characters", MaxResourceKeyLength)
	case !utf8.ValidString(key) || strings.IndexFunc(key, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		return "must not contain spaces or control characters"
	case strings.Contains(key, Any):
		return fmt.Sprintf("must be %q alone or a key without %q", Any, Any)
	}
	return ""
}

func (c *Catalog) typeIDs() string {
	ids := make([]string, len(c.types))
	for i, rt := range c.types {
		ids[i] = rt.ID
	}
	return quoteAll(ids)
}

func actionIDs(rt *ResourceType) []string {
	ids := make([]string, len(rt.Actions))
	for i, a := range rt.Actions {
		ids[i] = a.ID
	}
	return ids
}

// maxQuotedInput bounds how much of a value the client sent a message
// quotes: the admin API repeats messages in its answer, and a resource
// type of 1 MiB must not be answered with twice that.
const maxQuotedInput = 64

// quoteInput quotes s, a value the client sent, cut to maxQuotedInput
// bytes on a character boundary.
func quoteInput(s string) string {
	if len(s) <= maxQuotedInput {
		return strconv.Quote(s)
	}
	cut := maxQuotedInput
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

func quoteAll(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
