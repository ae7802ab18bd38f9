package middleware

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"

	"github.com/tidwall/gjson"
)

type sourceKind uint8

const (
	sourceFixed sourceKind = iota + 1
	sourcePath
	sourceQuery
	sourceHeader
	sourceJSONBody
)

// Source says where Require finds a value: the resource key or a limiter
// attribute. Build one with Fixed, PathValue, Query, Header or JSONBody.
// A value that is absent or empty in the request is missing: a resource
// key that is missing denies the request, an attribute that is missing
// matches no limiter item that tests it.
type Source struct {
	kind sourceKind
	arg  string
	// slot is where a Query source's value is among the values Require
	// reads from the query in one pass (see requirement.check).
	slot uint8
}

// Fixed is a value written in the route, such as a study key.
func Fixed(value string) Source { return Source{kind: sourceFixed, arg: value} }

// PathValue is a path variable of the route: a wildcard of a ServeMux
// pattern (or a chi URL parameter), as r.PathValue(name) returns it, or
// what Config.PathValue returns for routers that keep their variables
// elsewhere (gorilla/mux, gin, echo). An empty value is missing: as a
// resource key it denies with 403, and the first such denial is logged.
func PathValue(name string) Source { return Source{kind: sourcePath, arg: name} }

// Query is the first value of a URL query parameter, decoded as
// r.URL.Query().Get(name) would decode it. A route that reads a Query
// answers 400 (ErrMalformedQuery) to a query that url.ParseQuery does not
// parse without an error: more parameters than its limit (10 000, or the
// GODEBUG urlmaxqueryparams setting), a semicolon, or a bad
// percent escape. ParseQuery drops such pairs, or the whole query past the
// limit, so the handler's r.URL.Query() would not hold the value the
// permission was checked on.
func Query(name string) Source { return Source{kind: sourceQuery, arg: name} }

// Header is the value of a request header. A route that reads a Header
// answers 400 (ErrAmbiguousHeader) when the request repeats it, so that no
// proxy or handler can read another value than the one checked.
func Header(name string) Source {
	return Source{kind: sourceHeader, arg: textproto.CanonicalMIMEHeaderKey(name)}
}

// JSONBody is the string found at a gjson path (such as "survey.key") in a
// JSON request body. The body is read up to Config.MaxBodyBytes (a longer
// one is answered 413) and handed on to the handler intact. A body that is
// not valid JSON (or nests arrays and objects more than 10 000 deep, which
// encoding/json refuses too), and a value that is not a JSON string, count
// as missing: Require then denies with 403 whatever the route needs from
// it, rather than guessing at a half-parsed body.
//
// A body in which any object, at any depth, holds two keys that are equal
// ignoring case (strings.EqualFold, after unescaping) is answered 400 with
// ErrAmbiguousBody, whichever keys the route reads. gjson takes the first
// of two equal keys and matches case-sensitively, while encoding/json
// takes the last and also fills a field from a key spelled in another
// case: {"reportKey":"r1","REPORTKEY":"secret"} would have the permission
// checked on "r1" and the handler act on "secret".
func JSONBody(path string) Source { return Source{kind: sourceJSONBody, arg: path} }

func (s Source) String() string {
	switch s.kind {
	case sourceFixed:
		return fmt.Sprintf("Fixed(%q)", s.arg)
	case sourcePath:
		return fmt.Sprintf("PathValue(%q)", s.arg)
	case sourceQuery:
		return fmt.Sprintf("Query(%q)", s.arg)
	case sourceHeader:
		return fmt.Sprintf("Header(%q)", s.arg)
	case sourceJSONBody:
		return fmt.Sprintf("JSONBody(%q)", s.arg)
	}
	return "Source(zero)"
}

func (s Source) check() error {
	if s.kind == 0 {
		return errors.New("the zero Source; use Fixed, PathValue, Query, Header or JSONBody")
	}
	if s.arg == "" {
		return fmt.Errorf("%s is empty", s)
	}
	return nil
}

// sourceInput is what a route's Sources read besides the request and
// its query: the body when some Source of the route needs it, and
// Config.PathValue (nil: r.PathValue). It is built once per request on
// authorize's stack and passed by pointer, so that each value call takes
// six registers instead of nine.
type sourceInput struct {
	body      []byte
	pathValue func(*http.Request, string) string
}

// value reads s from r and in (see sourceInput); query holds the values
// readQuery found for the route's Query sources. It is passed on its own,
// not in sourceInput, so that the array behind it stays on authorize's
// stack. s is a pointer so that the arguments fit in registers.
func (s *Source) value(r *http.Request, query []string, in *sourceInput) (string, bool) {
	var v string
	switch s.kind {
	case sourceFixed:
		return s.arg, true
	case sourcePath:
		if in.pathValue != nil {
			v = in.pathValue(r, s.arg)
		} else {
			v = r.PathValue(s.arg)
		}
	case sourceQuery:
		v = query[s.slot]
	case sourceHeader:
		if h := r.Header[s.arg]; len(h) > 0 {
			v = h[0]
		}
	case sourceJSONBody:
		if res := gjson.GetBytes(in.body, s.arg); res.Type == gjson.String {
			v = res.Str
		}
	}
	return v, v != ""
}

// Attribute names a limiter attribute and where the request carries it.
type Attribute struct {
	key  string
	from Source
}

// Attr declares the limiter attribute key, read from the request as from
// says. For example Attr("surveyKey", Query("surveyKey")).
func Attr(key string, from Source) Attribute { return Attribute{key, from} }
