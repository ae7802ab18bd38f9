package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/seed-c7fc2061/serviceaccounts/internal/jsontext"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// field is one member a request object may have; set stores its raw JSON
// value and returns a message when the value has the wrong type.
type field struct {
	name string
	set  func(raw json.RawMessage) string
}

func stringField(name string, dst *string) field {
	return field{name, func(raw json.RawMessage) string {
		if string(raw) == "null" {
			return ""
		}
		if raw[0] != '"' || json.Unmarshal(raw, dst) != nil {
			return "must be a string"
		}
		return ""
	}}
}

// optionalStringField sets *dst to the string given; null is refused
// unless nullOK, when it leaves *dst nil (as if the member were absent).
func optionalStringField(name string, dst **string, nullOK bool) field {
	return field{name, func(raw json.RawMessage) string {
		if string(raw) == "null" && nullOK {
			*dst = nil
			return ""
		}
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return "must be a string"
		}
		*dst = &s
		return ""
	}}
}

// boolField accepts true or false, nothing else (not null, not "true").
func boolField(name string, dst **bool) field {
	return field{name, func(raw json.RawMessage) string {
		var b bool
		switch string(raw) {
		case "true":
			b = true
		case "false":
		default:
			return "must be true or false"
		}
		*dst = &b
		return ""
	}}
}

// integerField accepts a JSON integer written without a fraction or an
// exponent (60, not 60.0, 6e1 or "60"); null is refused.
func integerField(name string, dst **int64) field {
	return field{name, func(raw json.RawMessage) string {
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return "must be an integer number of seconds"
		}
		*dst = &n
		return ""
	}}
}

// rawField keeps the value as written (null included) and records that the
// member was present, for members the Manager parses itself (limiter).
func rawField(name string, dst *json.RawMessage) field {
	return field{name, func(raw json.RawMessage) string {
		*dst = raw
		return ""
	}}
}

// timeField accepts an RFC 3339 date-time string or null.
func timeField(name string, dst **time.Time) field {
	return field{name, func(raw json.RawMessage) string {
		const msg = "must be an RFC 3339 date-time such as 2030-01-31T00:00:00Z, or null"
		if string(raw) == "null" {
			*dst = nil
			return ""
		}
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return msg
		}
		t, problem := parseTime(s, msg)
		if problem != "" {
			return problem
		}
		*dst = &t
		return ""
	}}
}

// parseTime reads an RFC 3339 date-time, or says what is wrong with it
// (msg when it is not one at all).
func parseTime(s, msg string) (time.Time, string) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, msg
	}
	// RFC 3339 offsets run to ±23:59; time.Parse also takes +24:00
	// and beyond.
	if _, offset := t.Zone(); offset <= -24*3600 || offset >= 24*3600 {
		return time.Time{}, "must have a UTC offset between -23:59 and +23:59"
	}
	return t, ""
}

// readBody reads a JSON object body into fields. With optional set, an empty
// body is allowed and reported as present == false.
//
// Content type: a single Content-Type header (several are 400); a body
// must be declared application/json (or another
// application/*+json type); a declared non-JSON type is 415 even with an
// empty body. A browser can send a cross-site form or text/plain POST
// without a CORS preflight, so refusing those keeps an admin UI that
// authenticates by cookie safe from cross-site requests.
func readBody(w http.ResponseWriter, r *http.Request, optional bool, fields ...field) (present bool, err error) {
	if len(r.Header["Content-Type"]) > 1 {
		// Which one is meant? A proxy may have judged the body by another.
		return false, newProblem(http.StatusBadRequest,
			"Send one Content-Type header, not several.").withCode(codeAmbiguousHeader)
	}
	ct := r.Header.Get("Content-Type")
	if ct != "" && !isJSONMediaType(ct) {
		return false, newProblem(http.StatusUnsupportedMediaType,
			"The request body must be JSON, sent with Content-Type: application/json.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return false, newProblem(http.StatusRequestEntityTooLarge,
				fmt.Sprintf("The request body must be at most %d bytes.", MaxBodyBytes))
		}
		return false, newProblem(http.StatusBadRequest, "The request body could not be read.")
	}
	if len(bytes.TrimLeft(body, " \t\r\n")) == 0 {
		if optional {
			return false, nil
		}
		return false, newProblem(http.StatusBadRequest, "The request body must be a JSON object.")
	}
	if ct == "" {
		return false, newProblem(http.StatusUnsupportedMediaType,
			"The request body must be JSON, sent with Content-Type: application/json.")
	}
	return true, decodeObject(body, fields)
}

func isJSONMediaType(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// decodeObject walks the members of one JSON object. Unlike decoding into a
// struct with DisallowUnknownFields, it matches names exactly (encoding/json
// would take "Label" for "label"), rejects a member given twice (it would
// keep the last silently), and reports every bad member at once, each
// under its JSON name. Nothing may follow the object.
func decodeObject(body []byte, fields []field) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return malformed(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		if !json.Valid(body) {
			return malformed(nil)
		}
		return newProblem(http.StatusBadRequest, "The request body must be a JSON object.")
	}
	var errs []serviceaccount.FieldError
	seen := make(map[string]bool, len(fields))
	for dec.More() {
		nameStart := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return malformed(err)
		}
		name, _ := tok.(string) // the decoder guarantees a string here
		rawName := body[nameStart:dec.InputOffset()]
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return malformed(err)
		}
		f, known := lookup(fields, name)
		switch {
		// encoding/json would silently store U+FFFD for what the client
		// sent: refused on the member instead.
		case !jsontext.Faithful(rawName):
			errs = append(errs, serviceaccount.FieldError{Field: clip(name), Message: notUTF8})
		case known && !jsontext.Faithful([]byte(raw)):
			errs = append(errs, serviceaccount.FieldError{Field: name, Message: notUTF8})
		case !known:
			errs = append(errs, serviceaccount.FieldError{Field: clip(name),
				Message: "is not a known field; allowed: " + names(fields)})
		case seen[name]:
			errs = append(errs, serviceaccount.FieldError{Field: name, Message: "is given more than once"})
		default:
			seen[name] = true
			if msg := f.set(raw); msg != "" {
				errs = append(errs, serviceaccount.FieldError{Field: name, Message: msg})
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return newProblem(http.StatusBadRequest, "The request body must hold one JSON object and nothing after it.")
	}
	if len(errs) > 0 {
		return invalidFields(errs)
	}
	return nil
}

// notUTF8 is the message for a member whose text a decoder would replace.
const notUTF8 = "must be valid UTF-8, without escapes of lone surrogates such as \\ud800"

func lookup(fields []field, name string) (field, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

func names(fields []field) string {
	s := make([]string, len(fields))
	for i, f := range fields {
		s[i] = f.name
	}
	return strings.Join(s, ", ")
}

// clip bounds an unknown member name echoed back in an error.
func clip(s string) string {
	const limit = 100
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	return string([]rune(s)[:limit]) + "…"
}

// malformed is a 400 for input that is not JSON. The syntax error's text
// says what and where (offset), and holds no more than one quoted byte of
// the input.
func malformed(err error) *problem {
	detail := "The request body is not valid JSON."
	var se *json.SyntaxError
	if errors.As(err, &se) {
		detail = fmt.Sprintf("The request body is not valid JSON: %s (at byte %d).", strings.TrimPrefix(se.Error(), "json: "), se.Offset)
	} else if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		detail = "The request body is not valid JSON: it ends too early."
	}
	return newProblem(http.StatusBadRequest, detail).withCode(codeMalformedJSON)
}
