package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// problem is an RFC 9457 problem document, shaped like the middleware's
// (type, title, status, detail, code) so that clients parse one form.
// Code, one of the values listed in the package documentation, tells
// apart the causes that share a status; type is the same code as a URN
// (urn:serviceaccounts:problem:<code>), so that a client that branches on
// RFC 9457's type, as generic problem libraries do, gets the same
// distinction without a dereferenceable URL to keep alive.
type problem struct {
	Type   string                      `json:"type"`
	Title  string                      `json:"title"`
	Status int                         `json:"status"`
	Detail string                      `json:"detail"`
	Code   string                      `json:"code"`
	Errors []serviceaccount.FieldError `json:"errors,omitempty"`
	// MoreErrors counts the field errors left out of Errors (see
	// maxFieldErrors).
	MoreErrors int `json:"moreErrors,omitempty"`
}

func (p *problem) Error() string { return p.Detail }

// Codes of the problems whose status alone does not say what went wrong.
const (
	codeInvalidInput         = "invalid_input"
	codeMalformedJSON        = "malformed_json"
	codeNoCredentials        = "no_credentials"
	codeInvalidToken         = "invalid_token"
	codeAmbiguousCredentials = "ambiguous_credentials"
	codeAmbiguousHeader      = "ambiguous_header"
	codeTooManyAttempts      = "too_many_attempts"
)

// statusCodes is the code of a problem that sets none of its own.
var statusCodes = map[int]string{
	http.StatusBadRequest:            codeInvalidInput,
	http.StatusUnauthorized:          codeInvalidToken,
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusConflict:              "conflict",
	http.StatusPreconditionFailed:    "precondition_failed",
	http.StatusRequestEntityTooLarge: "body_too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusServiceUnavailable:    "unavailable",
}

// problemTypePrefix is the type of every problem, before its code.
const problemTypePrefix = "urn:serviceaccounts:problem:"

func newProblem(status int, detail string) *problem {
	code := statusCodes[status]
	return &problem{Type: problemTypePrefix + code, Title: http.StatusText(status), Status: status, Detail: detail, Code: code}
}

// withCode sets a code more precise than the status's, and the type
// that names it.
func (p *problem) withCode(code string) *problem {
	p.Code = code
	p.Type = problemTypePrefix + code
	return p
}

// maxFieldErrors bounds the field errors of one answer: a 1 MiB body of
// 100 000 unknown members must not be answered with 15 MB.
const maxFieldErrors = 20

// invalidFields is a 400 that lists fields (the first maxFieldErrors, and
// how many more); the detail repeats them so a curl user reads the cause
// without parsing the array.
func invalidFields(fields []serviceaccount.FieldError) *problem {
	more := 0
	if len(fields) > maxFieldErrors {
		fields, more = fields[:maxFieldErrors], len(fields)-maxFieldErrors
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Field + ": " + f.Message
		if f.Field == "" { // a rule of the whole body
			parts[i] = f.Message
		}
	}
	detail := "Invalid input: " + strings.Join(parts, "; ")
	if more > 0 {
		detail += fmt.Sprintf("; and %d more", more)
	}
	p := newProblem(http.StatusBadRequest, detail+".")
	p.Errors = fields
	p.MoreErrors = more
	return p
}

func invalidField(field, message string) *problem {
	return invalidFields([]serviceaccount.FieldError{{Field: field, Message: message}})
}

func writeProblem(w http.ResponseWriter, p *problem) {
	if err := writeBody(w, p.Status, "application/problem+json", p); err != nil {
		// Cannot happen: a problem holds only strings and ints.
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
	}
}

// notFoundDetail names what may be missing for the matched route. A key or
// permission of another account is deliberately reported like a missing one.
func notFoundDetail(r *http.Request) string {
	switch {
	case r.PathValue("keyId") != "":
		return "The service account does not exist, or has no API key with this id."
	case r.PathValue("permissionId") != "":
		return "The service account does not exist, or has no permission with this id."
	case strings.HasPrefix(r.Pattern, "GET /webhooks/") || strings.HasPrefix(r.Pattern, "DELETE /webhooks/"):
		return "There is no webhook with this id."
	default:
		return "There is no service account with this id."
	}
}

// writeError answers err. Validation and not-found errors carry only what
// the client sent or fixed text; anything else is logged and answered 503
// with a generic detail, because its message may describe internals.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var p *problem
	var verr *serviceaccount.ValidationError
	var conflict *serviceaccount.ConflictError
	switch {
	case errors.As(err, &p):
	case errors.As(err, &verr):
		p = invalidFields(verr.Fields)
	case errors.As(err, &conflict):
		// The Manager's reason is written for the client: which rule, never a secret.
		p = newProblem(http.StatusConflict, capitalize(conflict.Reason)+".")
	case errors.Is(err, serviceaccount.ErrPreconditionFailed):
		p = newProblem(http.StatusPreconditionFailed,
			"The record was changed since the ETag given in If-Match was read; read it again and retry.")
	case errors.Is(err, store.ErrInvalidTenant):
		p = invalidTenant(err)
	case errors.Is(err, store.ErrNotFound):
		p = newProblem(http.StatusNotFound, notFoundDetail(r))
	case errors.Is(err, store.ErrConflict):
		p = newProblem(http.StatusConflict, "The request conflicts with the stored state; retry it.")
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		// A store that does not answer in time (or a client that gave up)
		// is not a bug in the request or the server: say so and log lower.
		h.log().LogAttrs(r.Context(), slog.LevelWarn, "admin: request not completed",
			slog.String("method", r.Method), slog.String("pattern", r.Pattern),
			slog.String("path", apikey.RedactKeyLike(r.URL.Path)), slog.String("error", err.Error()))
		p = newProblem(http.StatusServiceUnavailable, "The service is temporarily unavailable; try again later.")
	default:
		// Every other error the Manager returns comes from the store (a
		// lost connection, a closed pool): like the middleware, answer
		// 503 so clients and load balancers retry, and log the cause.
		h.log().LogAttrs(r.Context(), slog.LevelError, "admin: request failed",
			slog.String("method", r.Method), slog.String("pattern", r.Pattern),
			slog.String("path", apikey.RedactKeyLike(r.URL.Path)), slog.String("error", err.Error()))
		p = newProblem(http.StatusServiceUnavailable, "The service could not reach its store; try again later.")
	}
	writeProblem(w, p)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
