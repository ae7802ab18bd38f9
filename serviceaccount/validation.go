package serviceaccount

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
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
	must(v.RegisterValidation("visible", func(fl validator.FieldLevel) bool {
		return hasVisible(fl.Field().String())
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

// MinTime and MaxTime bound every time the Manager stores: UTC years 1 to
// 9999, what every store holds and RFC 3339 can write. A later time (such
// as 9999-12-31T23:59:59-23:59, year 10000 in UTC) made MariaDB fail and
// the others store a time no client could read back.
var (
	MinTime = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(9999, time.December, 31, 23, 59, 59, 999_999_000, time.UTC)
)

// checkTime refuses a time outside MinTime and MaxTime, on field.
func checkTime(field string, t time.Time) *ValidationError {
	if t.Before(MinTime) || t.After(MaxTime) {
		return invalid(field, "must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z")
	}
	return nil
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// cleanText reports whether s is valid UTF-8 without a refused character
// (see refusedRune). It is the one rule of "refused text": the validators
// of labels, names and limiter values, the actor check of the audit log
// and FitActorText, which cleans what a client sends, all use it, so that
// what is cleaned is exactly what would be refused.
func cleanText(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if refusedRune(r, multiline) {
			return false
		}
	}
	return true
}

// refusedRune reports whether stored text may not hold r: control
// characters (multiline text may hold tabs and line breaks), the
// bidirectional formatting characters (embeddings, overrides, isolates and
// marks, which can make a label read as another one in a list, "Trojan
// Source" style, and which no label needs) and, in single-line text, the
// line and paragraph separators U+2028 and U+2029.
func refusedRune(r rune, multiline bool) bool {
	switch {
	case unicode.IsControl(r):
		return !(multiline && (r == '\n' || r == '\r' || r == '\t'))
	case unicode.Is(unicode.Bidi_Control, r):
		return true
	case r == '\u2028' || r == '\u2029':
		return !multiline
	}
	return false
}

// FitActorText makes text from outside (a request header, a host or user
// name) storable in an Actor field: invalid UTF-8 and every character that
// Actor's check refuses (refusedRune of single-line text: control
// characters, bidirectional formatting characters, U+2028 and U+2029)
// become U+FFFD, and it is cut to limit characters. So a client's
// User-Agent can never make an administrator's change fail.
func FitActorText(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if refusedRune(r, false) {
			return '\uFFFD'
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit])
	}
	return s
}

// blankGraphics are letters and symbols that fonts draw as nothing: the
// Hangul fillers and the blank Braille pattern.
var blankGraphics = &unicode.RangeTable{R16: []unicode.Range16{
	{Lo: 0x115f, Hi: 0x1160, Stride: 1},
	{Lo: 0x2800, Hi: 0x2800, Stride: 1},
	{Lo: 0x3164, Hi: 0x3164, Stride: 1},
	{Lo: 0xffa0, Hi: 0xffa0, Stride: 1},
}}

// hasVisible reports whether s holds a character that shows: a label made
// only of spaces, zero-width characters (U+200B), byte order marks,
// other format characters or blankGraphics looks empty in a list.
func hasVisible(s string) bool {
	for _, r := range s {
		if unicode.IsGraphic(r) && !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) && !unicode.Is(unicode.Mn, r) && !unicode.Is(blankGraphics, r) {
			return true
		}
	}
	return false
}

// What the "singleline" and "visible" rules say when text breaks them.
const (
	singleLineMessage = "must be valid UTF-8 on one line, without control or bidirectional formatting characters"
	visibleMessage    = "must hold at least one visible character"
)

// labelTextProblem holds s to the rules of a label's text ("singleline"
// and "visible"): it returns what is wrong, or "" when nothing is. Text
// that is not a label but is shown like one (a limiter's keys and values)
// uses it, so that the two rules cannot drift apart.
func labelTextProblem(s string) string {
	switch {
	case !cleanText(s, false):
		return singleLineMessage
	case !hasVisible(s):
		return visibleMessage
	}
	return ""
}

func describe(fe validator.FieldError) string {
	switch fe.Tag() {
	case "singleline":
		return singleLineMessage
	case "multiline":
		return "must be valid UTF-8 without control characters other than tabs and line breaks, and without bidirectional formatting characters"
	case "visible":
		return visibleMessage
	case "required":
		return "is required"
	case "max":
		return fmt.Sprintf("must be at most %s characters", fe.Param())
	default:
		return fmt.Sprintf("failed the %q rule", fe.Tag())
	}
}
