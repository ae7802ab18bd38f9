package limiter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/seed-c7fc2061/serviceaccounts/internal/jsontext"
)

// Limits on what Parse accepts; see the package documentation.
const (
	maxBytes     = 64 << 10
	maxItems     = 100
	maxKeys      = 20
	maxValues    = 100
	maxStringLen = 200
)

// jsonSpace is the whitespace JSON allows; bytes.TrimSpace would also strip
// characters such as \v that make the input invalid JSON.
const jsonSpace = " \t\r\n"

// Error says what is wrong and where; Path is relative to the limiter, like "[0].surveyKey" or "[1]" or "" (whole value), so a caller can report the field as "limiter"+Path.
//
// A key that is not a plain identifier appears in Path as a quoted index,
// like `[0]["survey key"]`, so that the path stays unambiguous.
type Error struct {
	Path, Message string
}

func (e *Error) Error() string {
	return "limiter" + e.Path + ": " + e.Message
}

func errorf(path, format string, args ...any) *Error {
	return &Error{Path: path, Message: fmt.Sprintf(format, args...)}
}

// Parse validates a limiter written as JSON and compiles it. It returns
// (nil, nil) for null or empty input, which means "no limiter"; any error is
// an [*Error].
func Parse(data []byte) (*Limiter, error) {
	if len(data) > maxBytes {
		return nil, errorf("", "must be at most %d bytes of JSON, got %d", maxBytes, len(data))
	}
	trimmed := bytes.Trim(data, jsonSpace)
	if len(trimmed) == 0 {
		return nil, nil
	}
	if !gjson.ValidBytes(trimmed) {
		return nil, invalidJSON(data)
	}
	// ParseBytes copies data, so the Limiter never aliases the caller's buffer.
	root := gjson.ParseBytes(trimmed)
	if root.Type == gjson.Null {
		return nil, nil
	}
	if !root.IsArray() {
		return nil, errorf("", "must be an array of objects, or null for no limiter, got %s", describe(root))
	}
	items, err := parseItems(root)
	if err != nil {
		return nil, err
	}
	return &Limiter{items: items}, nil
}

// MustParse is Parse for limiters known to be valid, as in tests and
// examples; it panics on an error.
func MustParse(s string) *Limiter {
	l, err := Parse([]byte(s))
	if err != nil {
		panic(err)
	}
	return l
}

// invalidJSON explains a syntax error. gjson only says whether JSON is
// valid, so encoding/json is asked where it fails, to point the author at
// the position.
func invalidJSON(data []byte) *Error {
	var raw json.RawMessage
	var syntax *json.SyntaxError
	if err := json.Unmarshal(data, &raw); errors.As(err, &syntax) {
		return errorf("", "is not valid JSON: %s (at byte %d)", syntax.Error(), syntax.Offset)
	}
	return errorf("", "is not valid JSON")
}

func parseItems(root gjson.Result) ([]item, error) {
	var items []item
	var err *Error
	root.ForEach(func(_, v gjson.Result) bool {
		if len(items) == maxItems {
			err = errorf("", "must have at most %d items", maxItems)
			return false
		}
		var it item
		it, err = parseItem("["+strconv.Itoa(len(items))+"]", v)
		items = append(items, it)
		return err == nil
	})
	switch {
	case err != nil:
		return nil, err
	case len(items) == 0:
		return nil, errorf("", "must not be an empty array; use null for no limiter")
	}
	return items, nil
}

func parseItem(path string, v gjson.Result) (item, *Error) {
	if !v.IsObject() {
		return item{}, errorf(path, "must be an object, got %s", describe(v))
	}
	var conds []cond
	var err *Error
	v.ForEach(func(k, v gjson.Result) bool {
		key := k.String()
		switch {
		case len(conds) == maxKeys:
			err = errorf(path, "must have at most %d keys", maxKeys)
		case key == "":
			err = errorf(path, `has an empty key ""`)
		case len(key) > maxStringLen:
			err = errorf(path, "has a key longer than %d bytes", maxStringLen)
		case !utf8.ValidString(key) || !jsontext.Faithful(k.Raw):
			err = errorf(path, "has a key that is not valid UTF-8 (or escapes a lone surrogate, such as \\ud800)")
		}
		if err != nil {
			return false
		}
		keyPath := path + pathElem(key)
		// gjson yields every occurrence of a key, so duplicates are ours to catch.
		if slices.ContainsFunc(conds, func(c cond) bool { return c.key == key }) {
			err = errorf(keyPath, "is a duplicate key")
			return false
		}
		var c cond
		c, err = parseCond(keyPath, key, v)
		conds = append(conds, c)
		return err == nil
	})
	switch {
	case err != nil:
		return item{}, err
	case len(conds) == 0:
		return item{}, errorf(path, "must have at least one key")
	}
	slices.SortFunc(conds, func(a, b cond) int { return strings.Compare(a.key, b.key) })
	return item{conds: conds}, nil
}

func parseCond(path, key string, v gjson.Result) (cond, *Error) {
	// Clones keep the compiled limiter from pinning the whole input, which
	// may be mostly whitespace, for as long as the limiter is cached.
	c := cond{key: strings.Clone(key)}
	switch {
	case v.Type == gjson.String:
		if err := checkString(path, v); err != nil {
			return cond{}, err
		}
		c.values = []string{strings.Clone(v.String())}
		return c, nil
	case v.IsArray():
		c.anyOf = true
		var err *Error
		v.ForEach(func(_, e gjson.Result) bool {
			if len(c.values) == maxValues {
				err = errorf(path, "must have at most %d values", maxValues)
				return false
			}
			elemPath := path + "[" + strconv.Itoa(len(c.values)) + "]"
			s := e.String()
			switch {
			case e.Type != gjson.String:
				err = errorf(elemPath, "must be a non-empty string, got %s", describe(e))
			case slices.Contains(c.values, s):
				err = errorf(elemPath, "repeats %s", appendString(nil, s))
			default:
				err = checkString(elemPath, e)
			}
			c.values = append(c.values, strings.Clone(s))
			return err == nil
		})
		switch {
		case err != nil:
			return cond{}, err
		case len(c.values) == 0:
			return cond{}, errorf(path, "must not be an empty array")
		}
		return c, nil
	default:
		return cond{}, errorf(path, "must be a non-empty string or an array of non-empty strings, got %s", describe(v))
	}
}

// checkString checks a string value. Raw is checked as well as the
// decoded text, since gjson turns an escaped lone surrogate (\ud800) into
// U+FFFD without an error. (Control characters are refused on input by
// the Manager, through Strings, not here: Parse also reads the limiters
// stored before that rule.)
func checkString(path string, v gjson.Result) *Error {
	s := v.String()
	switch {
	case s == "":
		return errorf(path, "must be a non-empty string")
	case len(s) > maxStringLen:
		return errorf(path, "must be at most %d bytes long", maxStringLen)
	case !utf8.ValidString(s) || !jsontext.Faithful(v.Raw):
		return errorf(path, "must be valid UTF-8, without escapes of lone surrogates such as \\ud800")
	}
	return nil
}

// pathElem writes key as a path element: ".key" when that is unambiguous,
// otherwise a quoted index.
// KeyPath is the path of key in item, relative to the limiter, in the
// form Error.Path uses: "[0].surveyKey", or "[0][\"survey key\"]" for a
// key that is not an identifier. Callers that report problems with a
// parsed limiter (a catalog rejecting a key) use it to name the same field.
func KeyPath(item int, key string) string {
	return "[" + strconv.Itoa(item) + "]" + pathElem(key)
}

func pathElem(key string) string {
	for i := 0; i < len(key); i++ {
		c := key[i]
		letter := c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '-')) {
			return "[" + string(appendString(nil, key)) + "]"
		}
	}
	return "." + key
}

func describe(v gjson.Result) string {
	switch {
	case v.Type == gjson.Null:
		return "null"
	case v.IsBool():
		return "a boolean"
	case v.Type == gjson.Number:
		return "a number"
	case v.Type == gjson.String:
		return "a string"
	case v.IsArray():
		return "an array"
	case v.IsObject():
		return "an object"
	}
	return "an unknown value"
}
