package adminui

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// fieldErrors maps a form field to what the person should do about it; a
// limiter path such as limiter[0].surveyKey belongs to the limiter field.
type fieldErrors map[string]string

// exampleLimiterKey is the limiter key the generic limiter advice shows;
// the handlers swap in the key of the action at hand (withLimiterKey).
const exampleLimiterKey = "surveyKey"

// limiterShapeAdvice is what a limiter that is not well-formed JSON of the
// right shape is told: how it should look, never the parser's own words.
const limiterShapeAdvice = `The limiter must be a JSON list of objects, such as [{"surveyKey":"intake"}]; leave it empty for none.`

// fieldNames say a field as the form labels it, for the fallback sentence.
var fieldNames = map[string]string{
	"label":        "The label",
	"description":  "The description",
	"name":         "The name",
	"expiresAt":    "The expiration date",
	"resourceType": "The resource type",
	"resourceKey":  "The resource key",
	"action":       "The action",
	"limiter":      "The limiter",
	// The rotation's grace period, as its field says it.
	"gracePeriodSeconds": "The time the old key keeps working, in seconds,",
}

// requiredAdvice says what to do about a field left empty.
var requiredAdvice = map[string]string{
	"label":       "Enter a label, such as \"Tekenradar export\".",
	"resourceKey": "Enter a resource key.",
	"expiresAt":   "Choose an expiration date: the policy requires one.",
}

var (
	maxCharsRe     = regexp.MustCompile(`^must be at most (\d+) characters$`)
	unknownLimitRe = regexp.MustCompile(`^unknown limiter key ("[^"]*") for action ("[^"]*"); allowed: (.+)$`)
)

func newFieldErrors(fields []serviceaccount.FieldError) fieldErrors {
	errs := fieldErrors{}
	for _, f := range fields {
		name := f.Field
		if strings.HasPrefix(name, "limiter") {
			name = "limiter"
		}
		var msg string
		if rname, rmsg := restrictionAdvice(name, f.Message); rname != "" {
			name, msg = rname, rmsg
		} else {
			msg = fieldAdvice(name, f.Message)
		}
		if prev, ok := errs[name]; ok {
			if strings.Contains(prev, msg) {
				continue
			}
			msg = prev + " " + msg
		}
		errs[name] = msg
	}
	return errs
}

// fieldAdvice turns the Manager's terse message about a field into a full
// sentence that says how to fix it.
func fieldAdvice(field, msg string) string {
	if field == "limiter" {
		return limiterAdvice(msg)
	}
	switch {
	case msg == "is required":
		if s, ok := requiredAdvice[field]; ok {
			return s
		}
		return "Fill in this field."
	case strings.HasPrefix(msg, "is required: the policy's maximum key lifetime"):
		return requiredAdvice["expiresAt"]
	case msg == "must be in the future":
		return "Choose a date after today."
	case strings.HasPrefix(msg, "must be at most") && strings.Contains(msg, "maximum key lifetime"):
		return "Choose an earlier date: the policy limits how long a key may live."
	case strings.HasPrefix(msg, "must be valid UTF-8"):
		return "Use only visible characters on one line, without control or text-direction characters."
	case msg == "must hold at least one visible character":
		return "Type at least one visible character; spaces alone cannot be told apart."
	}
	if m := maxCharsRe.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("Shorten this to at most %s characters.", m[1])
	}
	if strings.HasPrefix(msg, "must ") || strings.HasPrefix(msg, "is ") {
		name := fieldNames[field]
		if name == "" {
			name = "This field"
		}
		return sentence(name + " " + msg)
	}
	return sentence(msg)
}

// limiterAdvice: a limiter's key that the action does not know names the
// keys it does; anything else about its shape gets the one description of
// how a limiter looks, since the parser's words ("at byte 15") help no one
// who types JSON into a box.
func limiterAdvice(msg string) string {
	switch {
	case strings.Contains(msg, "takes no limiter"):
		return "This action takes no limiter; leave the field empty."
	case msg == "is a duplicate key":
		return "An object in the limiter names the same key twice; keep one."
	case strings.HasPrefix(msg, "repeats "):
		return "The limiter lists " + strings.TrimPrefix(msg, "repeats ") + " twice; keep one."
	case strings.HasPrefix(msg, "must be at most") && strings.Contains(msg, "bytes of JSON"):
		return "The limiter is too long; shorten it. " + limiterShapeAdvice
	}
	if m := unknownLimitRe.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("This action's limiter cannot use %s; use %s instead.", m[1], m[3])
	}
	return limiterShapeAdvice
}

// withLimiterKey makes the limiter advice's example use key, the first
// limiter key of the action at hand.
func withLimiterKey(errs fieldErrors, keys []string) {
	if msg, ok := errs["limiter"]; ok && len(keys) > 0 {
		errs["limiter"] = strings.ReplaceAll(msg, `"`+exampleLimiterKey+`"`, `"`+keys[0]+`"`)
	}
}
