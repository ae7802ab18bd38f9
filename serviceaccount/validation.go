package serviceaccount

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// FieldError is one invalid input field. Field is the JSON name of the
// input (label, expiresAt, limiter[0].surveyKey…), so an HTTP layer can
// pass it on unchanged.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every invalid field of one input. Test for it with
// errors.As; nothing was written when a Manager method returns it.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// ConflictError is a change that the stored state refuses: a grant the
// account already holds, a policy limit reached. It matches
// store.ErrConflict with errors.Is (an HTTP layer answers 409), and its
// message is fit to show the client: it names the reason, never a secret.
// Nothing was written when a Manager method returns it.
type ConflictError struct {
	Reason string
}

func (e *ConflictError) Error() string { return e.Reason }

// Is makes a *ConflictError match store.ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == store.ErrConflict }

var errPermissionHeld = &ConflictError{Reason: "the account already holds this permission"}

func invalid(field, message string) *ValidationError {
	return &ValidationError{Fields: []FieldError{{Field: field, Message: message}}}
}

// newValidator reports fields by their JSON names, so that errors name what
// the client sent rather than Go identifiers.
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	// SQL databases reject NUL and invalid UTF-8 (PostgreSQL, MySQL) or
	// keep them (SQLite): refusing them here keeps every store alike and
	// turns what would be a 500 into a clear 400.
	must(v.RegisterValidation("singleline", func(fl validator.FieldLevel) bool {
		return cleanText(fl.Field().String(), false)
	}))
	must(v.RegisterValidation("multiline", func(fl validator.FieldLevel) bool {
		return cleanText(fl.Field().String(), true)
	}))
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			return f.Name
		}
		return name
	})
	return v
}

// validateStruct runs the validator and turns its errors into a
// *ValidationError, or returns nil.
func validateStruct(v *validator.Validate, s any) error {
	err := v.Struct(s)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return fmt.Errorf("validate input: %w", err)
	}
	out := &ValidationError{}
	for _, fe := range verrs {
		out.Fields = append(out.Fields, FieldError{Field: fe.Field(), Message: describe(fe)})
	}
	return out
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// cleanText reports whether s is valid UTF-8 without control characters;
// multiline text may also hold tabs and line breaks.
func cleanText(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return false
		}
	}
	return true
}

func describe(fe validator.FieldError) string {
	switch fe.Tag() {
	case "singleline":
		return "must be valid UTF-8 without control characters"
	case "multiline":
		return "must be valid UTF-8 without control characters other than tabs and line breaks"
	case "required":
		return "is required"
	case "max":
		return fmt.Sprintf("must be at most %s characters", fe.Param())
	default:
		return fmt.Sprintf("failed the %q rule", fe.Tag())
	}
}
