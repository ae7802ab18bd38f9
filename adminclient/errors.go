package adminclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is a non-2xx answer of the admin API. Status is always set; the
// other fields come from the problem document (RFC 9457) the API answers
// with, and are empty when the body was not one.
type Error struct {
	// Method and Path are the request's (Path relative to the base URL).
	Method, Path string
	// Status is the HTTP status code.
	Status int
	// Code tells apart causes that share a status (invalid_input,
	// malformed_json, not_found, precondition_failed, …: the ProblemCode
	// schema of the OpenAPI document).
	Code string
	// Type is the code as a URN, urn:serviceaccounts:problem:<code>.
	Type   string
	Title  string
	Detail string
	// Fields lists the invalid fields of a 400, by JSON name.
	Fields []FieldError
	// MoreFields counts the field errors the API left out of Fields.
	MoreFields int
	// RetryAfter is the Retry-After of a 429 or 503, 0 when absent.
	RetryAfter time.Duration
}

// FieldError is one invalid field of a 400: Field is its JSON name
// (label, expiresAt, limiter[0].surveyKey), empty for a rule of the
// whole body.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Sentinels that errors.Is matches against an *Error, by status.
var (
	// ErrInvalidInput is any 400: invalid fields, malformed JSON, a bad
	// parameter.
	ErrInvalidInput = errors.New("adminclient: invalid input")
	// ErrUnauthorized is 401: no token, or a wrong one.
	ErrUnauthorized = errors.New("adminclient: unauthorized")
	// ErrNotFound is 404: the account, key or permission does not exist
	// (or belongs to another account).
	ErrNotFound = errors.New("adminclient: not found")
	// ErrConflict is 409: a grant the account already holds, a key
	// limit reached, a change that conflicts with the stored state.
	ErrConflict = errors.New("adminclient: conflict")
	// ErrPreconditionFailed is 412: the record changed since the ETag
	// given with IfMatch was read.
	ErrPreconditionFailed = errors.New("adminclient: precondition failed")
	// ErrTooManyAttempts is 429: too many wrong tokens from this client;
	// Error.RetryAfter says when to try again.
	ErrTooManyAttempts = errors.New("adminclient: too many attempts")
	// ErrUnavailable is 503: the service could not reach its store.
	ErrUnavailable = errors.New("adminclient: unavailable")
)

var statusSentinels = map[int]error{
	http.StatusBadRequest:         ErrInvalidInput,
	http.StatusUnauthorized:       ErrUnauthorized,
	http.StatusNotFound:           ErrNotFound,
	http.StatusConflict:           ErrConflict,
	http.StatusPreconditionFailed: ErrPreconditionFailed,
	http.StatusTooManyRequests:    ErrTooManyAttempts,
	http.StatusServiceUnavailable: ErrUnavailable,
}

// Is reports whether target is the sentinel of e's status.
func (e *Error) Is(target error) bool {
	s, ok := statusSentinels[e.Status]
	return ok && s == target
}

// Error says the request, the status, the code and the API's detail
// (which names what was wrong, never a secret).
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "adminclient: %s %s: %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	} else if t := http.StatusText(e.Status); t != "" {
		b.WriteString(" " + t)
	}
	switch {
	case e.Detail != "":
		b.WriteString(": " + e.Detail)
	case e.Code == "":
		b.WriteString(" (the answer is not a problem document)")
	}
	return b.String()
}

// maxProblemBytes bounds the problem body read: the API's largest (20
// field errors) is a few kilobytes.
const maxProblemBytes = 64 << 10

// problemBody is the problem document as the API writes it.
type problemBody struct {
	Type       string       `json:"type"`
	Title      string       `json:"title"`
	Status     int          `json:"status"`
	Detail     string       `json:"detail"`
	Code       string       `json:"code"`
	Errors     []FieldError `json:"errors"`
	MoreErrors int          `json:"moreErrors"`
}

// readError turns a non-2xx answer into an *Error. A body that is not a
// problem document (a proxy's HTML page) leaves everything but Status
// (and RetryAfter) empty rather than failing.
func readError(method, path string, res *http.Response) *Error {
	e := &Error{Method: method, Path: path, Status: res.StatusCode, Title: http.StatusText(res.StatusCode)}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s >= 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	data, _ := io.ReadAll(io.LimitReader(res.Body, maxProblemBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxProblemBytes))
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if mt != "application/problem+json" {
		return e
	}
	var p problemBody
	if json.Unmarshal(data, &p) != nil {
		return e
	}
	e.Code, e.Type, e.Detail = p.Code, p.Type, p.Detail
	if p.Title != "" {
		e.Title = p.Title
	}
	e.Fields, e.MoreFields = p.Errors, p.MoreErrors
	return e
}
