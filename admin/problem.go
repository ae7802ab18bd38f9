package admin

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// problem is an RFC 9457 problem document, shaped like the middleware's
// (type, title, status, detail) so that clients parse one form. Its type is
// always "about:blank": the meaning is the HTTP status itself.
type problem struct {
	Type   string                      `json:"type"`
	Title  string                      `json:"title"`
	Status int                         `json:"status"`
	Detail string                      `json:"detail"`
	Errors []serviceaccount.FieldError `json:"errors,omitempty"`
}

func (p *problem) Error() string { return p.Detail }

func newProblem(status int, detail string) *problem {
	return &problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail}
}

// invalidFields is a 400 that lists fields; the detail repeats them so a
// curl user reads the cause without parsing the array.
func invalidFields(fields []serviceaccount.FieldError) *problem {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Field + ": " + f.Message
	}
	p := newProblem(http.StatusBadRequest, "Invalid input: "+strings.Join(parts, "; ")+".")
	p.Errors = fields
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
	case errors.Is(err, store.ErrNotFound):
		p = newProblem(http.StatusNotFound, notFoundDetail(r))
	case errors.Is(err, store.ErrConflict):
		p = newProblem(http.StatusConflict, "The request conflicts with the stored state; retry it.")
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		// A store that does not answer in time (or a client that gave up)
		// is not a bug in the request or the server: say so and log lower.
		h.log().LogAttrs(r.Context(), slog.LevelWarn, "admin: request not completed",
			slog.String("method", r.Method), slog.String("pattern", r.Pattern),
			slog.String("path", r.URL.Path), slog.String("error", err.Error()))
		p = newProblem(http.StatusServiceUnavailable, "The service is temporarily unavailable; try again later.")
	default:
		// Every other error the Manager returns comes from the store (a
		// lost connection, a closed pool): like the middleware, answer
		// 503 so clients and load balancers retry, and log the cause.
		h.log().LogAttrs(r.Context(), slog.LevelError, "admin: request failed",
			slog.String("method", r.Method), slog.String("pattern", r.Pattern),
			slog.String("path", r.URL.Path), slog.String("error", err.Error()))
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
