package adminui

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

func TestActivityShowsBeforeAndAfterOfEachChangedField(t *testing.T) {
	t.Parallel()
	raw, err := json.Marshal(map[string]any{
		"before": map[string]any{"id": "k", "hint": "sa_ab…cd", "name": "Old", "expiresAt": nil, "disabledAt": nil, "replacedBy": nil},
		"after":  map[string]any{"id": "k", "hint": "sa_ab…cd", "name": "New", "expiresAt": "2027-03-01T23:59:59Z", "disabledAt": "2026-11-28T09:30:00Z", "replacedBy": nil},
	})
	require.NoError(t, err)
	assert.Equal(t, []fieldChange{
		{Field: "Name", Before: "Old", After: "New"},
		{Field: "Expires at", Before: "none", After: "2027-03-01 23:59 UTC"},
		{Field: "Disabled", Before: "no", After: "yes"},
	}, eventChanges(raw, time.UTC))

	created, err := json.Marshal(map[string]any{"before": nil, "after": map[string]any{"label": "A"}})
	require.NoError(t, err)
	assert.Empty(t, eventChanges(created, time.UTC), "a creation has no before")
}

func TestRelativeTimes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		-20 * time.Second:       "just now",
		-time.Minute:            "1 minute ago",
		-3 * time.Hour:          "3 hours ago",
		-49 * time.Hour:         "2 days ago",
		-65 * 24 * time.Hour:    "2 months ago",
		-800 * 24 * time.Hour:   "2 years ago",
		90 * time.Minute:        "in 1 hour",
		90 * 24 * time.Hour:     "in 3 months",
		7*24*time.Hour + 1:      "in 7 days",
		-(24*time.Hour - 1):     "23 hours ago",
		-(30*24*time.Hour + 1):  "1 month ago",
		-(365*24*time.Hour + 1): "1 year ago",
	} {
		assert.Equal(t, want, relativeTime(now.Add(d), now), d.String())
	}
}

func TestErrorsAreSentencesThatSayHowToFixThem(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ field, msg, want string }{
		{"label", "is required", `Enter a label, such as "Tekenradar export".`},
		{"expiresAt", "must be in the future", "Choose a date after today."},
		{"limiter", "is not valid JSON: unexpected end of JSON input (at byte 15)", `The limiter must be a JSON list of objects, such as [{"surveyKey":"intake"}]; leave it empty for none.`},
		{"limiter[0]", "must be an object, got a string", `The limiter must be a JSON list of objects, such as [{"surveyKey":"intake"}]; leave it empty for none.`},
		{"name", "must be at most 100 characters", "Shorten this to at most 100 characters."},
		{"name", "must hold at least one visible character", "Type at least one visible character; spaces alone cannot be told apart."},
	} {
		errs := newFieldErrors([]serviceaccount.FieldError{{Field: c.field, Message: c.msg}})
		name := c.field
		if name == "limiter[0]" {
			name = "limiter"
		}
		assert.Equal(t, c.want, errs[name], c.msg)
	}
	// Two problems of one limiter are one piece of advice, not two copies.
	errs := newFieldErrors([]serviceaccount.FieldError{{Field: "limiter[0]", Message: "must be an object, got a string"}, {Field: "limiter[1]", Message: "must be an object, got a number"}})
	assert.Equal(t, limiterShapeAdvice, errs["limiter"])
}
