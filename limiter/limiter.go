package limiter

import (
	"iter"
	"slices"
	"strconv"
	"strings"
)

// Attribute is one named value taken from a request (path value, query parameter, header, JSON body field).
type Attribute struct{ Key, Value string }

// Attributes is a small list; a slice (not a map) so callers can build it in a stack array without allocating.
type Attributes []Attribute

// Lookup returns the value of the first attribute named key. A request
// carries a handful of attributes, so a linear scan beats hashing.
func (a Attributes) Lookup(key string) (string, bool) {
	for i := range a {
		if a[i].Key == key {
			return a[i].Value, true
		}
	}
	return "", false
}

// Limiter is a parsed, validated limiter. It is immutable once built by
// [Parse], so one value can be shared by any number of goroutines.
//
// A nil *Limiter and the zero Limiter both mean "no limiter": they match
// every request and marshal as null. Use *Limiter in struct fields so that
// encoding/json finds its methods and can represent null.
type Limiter struct {
	items []item // never empty once parsed
}

type item struct {
	conds []cond // sorted by key, keys distinct
}

type cond struct {
	key    string
	values []string // in the author's order, distinct
	// anyOf records that the author wrote an array, even of one value, so
	// the canonical form gives back the shape that was written.
	anyOf bool
}

// all returns the items, treating nil like the zero Limiter.
func (l *Limiter) all() []item {
	if l == nil {
		return nil
	}
	return l.items
}

// Match reports whether attrs satisfy the limiter. It returns true for a
// nil or zero Limiter, because callers treat "no limiter" as unconstrained
// and should not need a nil check on the request path.
func (l *Limiter) Match(attrs Attributes) bool {
	items := l.all()
	if len(items) == 0 {
		return true
	}
	for i := range items {
		if items[i].match(attrs) {
			return true
		}
	}
	return false
}

func (it *item) match(attrs Attributes) bool {
	for i := range it.conds {
		c := &it.conds[i]
		v, ok := attrs.Lookup(c.key)
		// A missing attribute fails the item: the limiter narrows access,
		// so a constraint the request cannot satisfy must not be skipped.
		if !ok || !slices.Contains(c.values, v) {
			return false
		}
	}
	return true
}

// Keys yields (item index, key) for every key of every item, in canonical
// order, so a caller can check the keys against a catalog and report each
// unknown one as "limiter[i].key".
func (l *Limiter) Keys() iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		for i, it := range l.all() {
			for _, c := range it.conds {
				if !yield(i, c.key) {
					return
				}
			}
		}
	}
}

// Strings yields every key and value of l with its path in the form
// Error.Path uses ("[0].surveyKey" for a key or its single value,
// "[0].surveyKey[1]" for a value of an array), so that a caller can hold
// new input to rules of its own (the Manager refuses control characters)
// without Parse refusing the limiters stored before such a rule.
func (l *Limiter) Strings() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for i, it := range l.all() {
			for _, c := range it.conds {
				path := KeyPath(i, c.key)
				if !yield(path, c.key) {
					return
				}
				for j, v := range c.values {
					vpath := path
					if c.anyOf {
						vpath += "[" + strconv.Itoa(j) + "]"
					}
					if !yield(vpath, v) {
						return
					}
				}
			}
		}
	}
}

// Equal reports whether l and other have the same canonical form. It is
// structural, not semantic: "x" and ["x"] match the same requests but are
// not Equal, because they marshal differently.
func (l *Limiter) Equal(other *Limiter) bool {
	return slices.EqualFunc(l.all(), other.all(), func(a, b item) bool {
		return slices.EqualFunc(a.conds, b.conds, func(x, y cond) bool {
			return x.key == y.key && x.anyOf == y.anyOf && slices.Equal(x.values, y.values)
		})
	})
}

// GrantForm returns a normal form of l that two limiters share when they
// match the same requests because they differ only in how they were
// written: a one-value array and its string ("x" and ["x"]), the order of
// an array's values, the order of items, a repeated item. It is what
// makes two permissions "the same grant"; "" for no limiter. (Limiters
// that match the same requests for deeper reasons, such as an item
// implied by another, may still have different forms.)
func (l *Limiter) GrantForm() string {
	items := l.all()
	if len(items) == 0 {
		return ""
	}
	forms := make([]string, len(items))
	for i, it := range items {
		var b []byte
		b = append(b, '{')
		for j, c := range it.conds { // keys are sorted already
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, c.key)
			b = append(b, ':')
			values := slices.Clone(c.values)
			slices.Sort(values)
			if len(values) == 1 {
				b = appendString(b, values[0])
				continue
			}
			b = append(b, '[')
			for k, v := range values {
				if k > 0 {
					b = append(b, ',')
				}
				b = appendString(b, v)
			}
			b = append(b, ']')
		}
		forms[i] = string(append(b, '}'))
	}
	slices.Sort(forms)
	forms = slices.Compact(forms)
	return "[" + strings.Join(forms, ",") + "]"
}
