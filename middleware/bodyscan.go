package middleware

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// maxNesting is encoding/json's limit on nested arrays and objects: a
// deeper body is not JSON to a handler that decodes with it.
const maxNesting = 10_000

// smallObject is how many keys of one object are compared in pairs; the
// keys of a larger object are compared through a map of their folded
// forms, so that a body of many keys costs linear time, not quadratic.
const smallObject = 16

// scanBody makes one pass over a body. It reports whether arrays and
// objects nest deeper than maxNesting, and the first object, at any depth,
// that holds two keys equal under strings.EqualFold once unescaped: the
// keys encoding/json would both decode into the same field. Its findings
// mean something only for valid JSON, which the caller checks; on anything
// else it returns without panicking.
//
// It is a flat scan rather than a gjson.ForEach recursion because ForEach
// scans a nested value to find its end before the walk descends into it,
// so a deep body would cost its depth times its size.
func scanBody(doc []byte) (dup *ambiguousBodyError, tooDeep bool) {
	var (
		stackBuf  [16]keyFrame
		stack     = stackBuf[:0]
		keysBuf   [32][]byte
		keys      = keysBuf[:0] // the keys of the open objects, outermost first
		expectKey bool          // the next string is a key
	)
	for i := 0; i < len(doc); i++ {
		switch c := doc[i]; c {
		case '{', '[':
			if len(stack) == maxNesting {
				return nil, true
			}
			stack = append(stack, keyFrame{object: c == '{', base: len(keys)})
			expectKey = c == '{'
		case '}', ']':
			if len(stack) == 0 {
				return dup, false // not JSON
			}
			keys = keys[:stack[len(stack)-1].base]
			stack = stack[:len(stack)-1]
			expectKey = false
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1].object
		case '"':
			end := stringEnd(doc, i)
			if end < 0 {
				return dup, false // not JSON
			}
			if expectKey && dup == nil && len(stack) > 0 {
				keys, dup = stack[len(stack)-1].add(keys, unquoteKey(doc[i:end]))
			}
			expectKey = false
			i = end - 1
		}
	}
	return dup, false
}

// keyFrame is one open array or object of scanBody.
type keyFrame struct {
	object bool
	base   int               // where the object's keys start in scanBody's keys
	folded map[string][]byte // the object's keys by foldKey, once it has more than smallObject
}

// add records the key name of the object f, whose keys so far are
// keys[f.base:], and returns keys with it, or the error naming it if the
// object holds it already.
func (f *keyFrame) add(keys [][]byte, name []byte) ([][]byte, *ambiguousBodyError) {
	if f.folded != nil {
		k := foldKey(name)
		if prev, ok := f.folded[k]; ok {
			return keys, newAmbiguousBodyError(prev, name)
		}
		f.folded[k] = name
		return keys, nil
	}
	for _, prev := range keys[f.base:] {
		if bytes.EqualFold(prev, name) {
			return keys, newAmbiguousBodyError(prev, name)
		}
	}
	keys = append(keys, name)
	if own := keys[f.base:]; len(own) > smallObject {
		f.folded = make(map[string][]byte, 2*len(own))
		for _, k := range own {
			f.folded[foldKey(k)] = k
		}
	}
	return keys, nil
}

// newAmbiguousBodyError copies no more of the names than the detail
// quotes (see quoteKey), not a key of up to MaxBodyBytes.
func newAmbiguousBodyError(first, again []byte) *ambiguousBodyError {
	head := func(k []byte) string { return string(k[:min(len(k), maxKeyInDetail+utf8.UTFMax)]) }
	return &ambiguousBodyError{first: head(first), again: head(again)}
}

// foldKey maps all the names that bytes.EqualFold holds equal to one
// string, as encoding/json folds field names: each character to the
// smallest of its simple case-folding orbit (so "k", "K" and the Kelvin
// sign all become "K"), and each invalid byte to U+FFFD, which EqualFold
// takes it for.
func foldKey(name []byte) string {
	out := make([]byte, 0, len(name))
	for i := 0; i < len(name); {
		if c := name[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(name[i:])
		for {
			next := unicode.SimpleFold(r)
			if next <= r {
				r = next
				break
			}
			r = next
		}
		out = utf8.AppendRune(out, r)
		i += n
	}
	return string(out)
}

// stringEnd returns the index just past the JSON string whose opening
// quote is doc[i], or -1 if it does not end. A quote preceded by an odd
// number of backslashes is escaped; those runs are disjoint, so the scan is
// linear.
func stringEnd(doc []byte, i int) int {
	for j := i + 1; j < len(doc); {
		k := bytes.IndexByte(doc[j:], '"')
		if k < 0 {
			return -1
		}
		j += k
		slashes := 0
		for p := j - 1; p > i && doc[p] == '\\'; p-- {
			slashes++
		}
		if slashes%2 == 0 {
			return j + 1
		}
		j++
	}
	return -1
}

// unquoteKey returns the name a quoted key stands for; only a key with
// escapes is decoded, as gjson decodes it (and, for valid JSON,
// encoding/json too: both turn a lone surrogate into U+FFFD).
func unquoteKey(raw []byte) []byte {
	name := raw[1 : len(raw)-1]
	if bytes.IndexByte(name, '\\') < 0 {
		return name
	}
	return []byte(gjson.Parse(string(raw)).Str)
}
